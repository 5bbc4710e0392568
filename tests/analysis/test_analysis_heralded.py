"""Heralded spectroscopy on emulated SPAD-array recordings with known binding energy and lifetimes."""

from __future__ import annotations

import numpy as np
import pytest
from g2live.analysis import PairRecords, heralded_from_photons, quasi_independent_spectra


def test_quasi_independence_recovers_spectra_without_diagonal() -> None:
    a = np.array([1.0, 4.0, 9.0, 4.0, 1.0])
    b = np.array([2.0, 6.0, 6.0, 3.0, 1.0])
    m = np.outer(a, b) * 10
    np.fill_diagonal(m, 0)  # same-pixel pairs lost to the dead time
    ra, rb = quasi_independent_spectra(m)
    np.testing.assert_allclose(ra / ra.sum(), a / a.sum(), rtol=1e-6)
    np.testing.assert_allclose(rb / rb.sum(), b / b.sum(), rtol=1e-6)


@pytest.mark.parametrize("seed,crosstalk", [(21, 0.0), (22, 0.01)])
def test_emulated_heralded_spectroscopy(seed: int, crosstalk: float) -> None:
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(
        mode="spectro", power=1.0, collection_efficiency=0.3, blinking="none",
        crosstalk_probability=crosstalk, records="t2",
    )
    d = Emulator(cfg, seed=seed).run(0.5)  # a T2 stream: the pixels and a sync event per pulse
    r = heralded_from_photons(
        d.channel, d.time_ps, d.meta.sync_channel, np.array(d.meta.extra["pixel_energy_ev"])
    )
    assert r.n_pairs > 2000
    assert abs(r.binding_energy_mev - cfg.binding_bx_mev) < 4 * r.binding_energy_err_mev
    assert abs(r.tau_bx_ns - cfg.tau_bx_ns) < 4 * r.tau_bx_err_ns
    assert abs(r.tau_x_ns - cfg.tau_x_ns) < 4 * r.tau_x_err_ns
    # crosstalk: 1 % per neighbour of ~1e6 detections/s x 0.5 s
    if crosstalk:
        assert r.crosstalk_excess > 1000
    else:
        assert abs(r.crosstalk_excess) < 5 * np.sqrt(max(r.crosstalk_removed, 1)) + 5
    # the prompt photons jittered before their own sync were kept with it
    assert r.sync_shift_ps < 0


def test_heralded_report_t3_equals_t2() -> None:
    """The report's heralded step on the T3 recording (pulsed block fed through its periodic entry
    point, no sync events built) gives exactly what it gives on the same emulation recorded T2."""
    from dataclasses import replace

    from g2live.analysis import analyze_photons
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(mode="spectro", power=1.0, collection_efficiency=0.3, blinking="none")
    t3 = analyze_photons(Emulator(cfg, seed=23).run(0.2), steps=("heralded",))["heralded"]
    t2_data = Emulator(replace(cfg, records="t2"), seed=23).run(0.2)
    t2 = analyze_photons(t2_data, steps=("heralded",))["heralded"]
    assert t3 is not None and t3["n_pairs"] > 500
    assert t3 == t2


def test_rejects_empty_records() -> None:
    from g2live.analysis import analyze_heralded

    empty = PairRecords(*(np.zeros(0, np.int64) for _ in range(4)))
    with pytest.raises(ValueError, match="no two-photon periods"):
        analyze_heralded(empty, empty, 10, np.linspace(2.3, 2.6, 16))
