"""`g2live analyze` end to end on emulated recordings written through g2live.io, and the live API."""

from __future__ import annotations

import contextlib
import io as pyio
import json

import numpy as np
import pytest
from g2live.cli import main

REQUIRED = (
    "g2_0",
    "g2_0_err",
    "g2_0_poisson_norm",
    "purity",
    "purity_err",
    "rates_cps",
    "lifetime_ns",
    "on_fraction",
    "delay_offset_ps",
)


def run_cli(*argv: str) -> tuple[int, str]:
    buf = pyio.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["analyze", *argv])
    return rc, buf.getvalue()


@pytest.fixture(scope="module")
def hbt_file(tmp_path_factory):
    from g2live import io
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(
        power=0.3,
        collection_efficiency=0.3,
        background_cps=0,
        dark_cps=0,
        afterpulse_probability=0.0,
        detector_delay_ps=(0.0, 23_900.0),
    )
    d = Emulator(cfg, seed=77).run(1.0)
    path = tmp_path_factory.mktemp("rec") / "hbt.npz"
    io.write(path, d)
    return path, d.meta.extra["truth"]


def test_analyze_json_keys_and_values(hbt_file) -> None:
    path, truth = hbt_file
    rc, out = run_cli(str(path), "--json")
    assert rc == 0
    r = json.loads(out)
    for k in REQUIRED:
        assert k in r, k
    assert r["excitation"] == "pulsed" and r["g2"]["zero_method"] == "dip"
    # the cable delay, found to within the Poisson error of the comb phase (8 ns wide peaks)
    assert abs(r["delay_offset_ps"] - 23_900) < 4 * r["delay_offset_err_ps"] + r["g2"]["window_ps"] / 1000
    assert abs(r["g2_0"] - truth["g2_0_emitter"]) < 4 * r["g2_0_err"]
    assert r["purity"] == pytest.approx(1 - r["g2_0"])
    # blinking bunches the side peaks above the Poisson level by <q^2>/<q>^2 (emulator truth)
    assert r["side_over_poisson"] == pytest.approx(
        truth.get("blinking_bunching", r["side_over_poisson"]), rel=0.1
    )
    # single-exponential tail fit of all photons: the exciton decay, pulled down slightly by biexciton photons
    assert r["lifetime_ns"] == pytest.approx(truth["tau_x_ns"], rel=0.03)
    assert r["on_fraction"] == pytest.approx(truth["on_fraction"], abs=0.1)
    # T3 (the emulator's default when pulsed): no sync events, the laser rate from the records
    assert set(r["rates_cps"]) == {"0", "1"} and r["sync_channel"] is None
    assert r["records"] == "T3" and r["sync_rate_hz"] == pytest.approx(1e7)


def test_analyze_text_output(hbt_file) -> None:
    rc, out = run_cli(str(hbt_file[0]), "--rho", "0.95")
    assert rc == 0
    for word in ("g2(0)", "purity", "delay offset", "lifetime", "ON fraction", "g2(0) corrected"):
        assert word in out


def test_analyze_spectro_recording(tmp_path) -> None:
    from g2live import io
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(mode="spectro", power=1.0, collection_efficiency=0.3, blinking="none")
    io.write(tmp_path / "spec.npz", Emulator(cfg, seed=78).run(0.4))
    rc, out = run_cli(str(tmp_path / "spec.npz"), "--json")
    r = json.loads(out)
    h = r["heralded"]
    for k, e in (
        ("binding_energy_mev", "binding_energy_err_mev"),
        ("tau_bx_ns", "tau_bx_err_ns"),
        ("tau_x_ns", "tau_x_err_ns"),
    ):
        assert h[k] is not None and h[e] > 0
    assert abs(h["binding_energy_mev"] - 30.0) < 4 * h["binding_energy_err_mev"]
    assert r["mode"] == "spectro"


def test_errors_are_reported_not_raised(tmp_path, capsys) -> None:
    assert main(["analyze", str(tmp_path / "missing.ptu")]) == 1
    assert "missing.ptu" in capsys.readouterr().err
    assert main(["analyze"]) == 1
    assert main(["analyze", "x", "--sweep", "y"]) == 1
    assert main(["analyze", "--sweep", str(tmp_path)]) == 1  # empty folder: no recordings


def test_live_g2_matches_offline_and_never_raises() -> None:
    from analysis_helpers import pulsed_comb
    from g2live.analysis import LiveAnalyzer, live_g2, pulsed_g2

    h, _ = pulsed_comb(np.random.default_rng(5), g2_0=0.1, side_area=200, n_bins=4096, bin_width_ps=64)
    live = live_g2(h.counts, bin_width_ps=64, rep_rate_hz=80e6, counts_ab=(10**5, 10**5), duration_s=1.0)
    off = pulsed_g2(h, period_ps=12_500.0, counts_ab=(10**5, 10**5), duration_s=1.0)
    assert live["status"] == "ok"
    assert live["g2_0"] == off.g2_0 and live["g2_0_err"] == off.g2_0_err
    assert live["purity"] == pytest.approx(1 - off.g2_0)
    assert live["g2_0_poisson_norm"] == off.g2_0_poisson_norm
    assert LiveAnalyzer(bin_width_ps=64, rep_rate_hz=80e6)(h.counts)["g2_0"] == off.g2_0
    empty = live_g2(np.zeros(4096, np.int64), bin_width_ps=64)
    assert empty["g2_0"] is None and "no coincidences" in empty["status"]
    short = live_g2(h.counts[:200], bin_width_ps=64)
    assert short["g2_0"] is None and short["status"]


@pytest.mark.parametrize("blinking", ["none", "exponential"])
def test_background_correction_from_decay(blinking: str) -> None:
    """Strong background (S/(S+B) ~ 0.87): the raw g2(0) is far above the emitter's; rho estimated
    from the decays' flat background, with the blinking-aware correction, recovers it."""
    from g2live.analysis import analyze_photons
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(
        power=0.3, collection_efficiency=0.1, background_cps=20_000.0, dark_cps=2_000.0, blinking=blinking
    )
    d = Emulator(cfg, seed=4).run(1.0)
    truth = d.meta.extra["truth"]
    r = analyze_photons(d, steps=("g2", "lifetime"))
    sig, noise = truth["signal_cps"][0], truth["noise_cps"][0]
    assert r["rho"][0] == pytest.approx(sig / (sig + noise), abs=0.03)
    assert r["g2_0"] - truth["g2_0_emitter"] > 5 * r["g2_0_err"]
    assert abs(r["g2_0_corrected"] - truth["g2_0_emitter"]) < 4 * r["g2_0_corrected_err"]
