"""Pulsed or CW, from the photons alone (issue 13): a pulsed recording without its sync channel
is recognised by its comb of side peaks and gives the purity the same photons give with the sync."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from g2live.analysis import analyze_photons


@pytest.fixture(scope="module")
def pulsed():
    from g2live.emulator import Emulator, EmulatorConfig

    # a T2 stream with sync events, so the same photons can be analysed without them
    return Emulator(EmulatorConfig(power=0.3, collection_efficiency=0.3, records="t2"), seed=31).run(1.0)


def test_same_photons_with_and_without_sync_give_the_same_purity(pulsed) -> None:
    with_sync = analyze_photons(pulsed, steps=("g2",))
    d = pulsed.select(pulsed.channel != pulsed.meta.sync_channel)
    d.meta = replace(d.meta, sync_channel=None, sync_rate_hz=None, channel_roles={})
    without = analyze_photons(d, steps=("g2",))
    assert with_sync["sync_channel"] is not None and without["sync_channel"] is None
    assert without["excitation"] == "pulsed" and "comb of side peaks" in without["excitation_evidence"]
    assert abs(without["period_ps"] - 100_000) < 5
    err = np.hypot(with_sync["purity_err"], without["purity_err"])
    assert abs(with_sync["purity"] - without["purity"]) < err
    truth = pulsed.meta.extra["truth"]["g2_0_hbt"]
    assert abs(without["g2_0"] - truth) < 4 * without["g2_0_err"]


def test_cw_is_cw_and_laser_like_light_has_no_comb() -> None:
    from g2live.emulator import Emulator, EmulatorConfig

    d = Emulator(EmulatorConfig(excitation="cw", power=0.3, collection_efficiency=0.3), seed=32).run(0.5)
    r = analyze_photons(d, steps=("g2",))
    assert r["excitation"] == "cw" and "no comb" in r["excitation_evidence"]
    truth = d.meta.extra["truth"]["g2_0_emitter"]
    assert r["g2_0"] is not None and abs(r["g2_0"] - truth) < 4 * r["g2_0_err"]
