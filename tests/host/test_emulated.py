# SPDX-License-Identifier: BSD-3-Clause
"""The emulator served live: g2(0) from the frames against the emulator's truth; power sweeps."""

from __future__ import annotations

import time

import numpy as np
import pytest
from g2live.client import ControlClient, ControlError, Subscriber
from g2live.config import Config
from g2live.device.power import SimulatedActuator
from g2live.device.sim import SimDevice
from g2live.server import Server
from host_helpers import ANY_PORT, load_example

emulator = pytest.importorskip("g2live.emulator", reason="g2live.emulator is not available")

# Bright, no crosstalk/afterpulses (their zero-delay coincidences are not part of the truth's
# g2(0) formula); blinking and background stay on: the truth includes them.
EMU = {"collection_efficiency": 0.5, "crosstalk_probability": 0.0, "afterpulse_probability": 0.0}


def truth_g2(power: float) -> float:
    emu = emulator.Emulator(emulator.EmulatorConfig(**EMU, power=power), seed=0)
    return float(emu.truth()["g2_0_hbt"])


def make_server(seed: int, power: float, **kw) -> Server:
    dev = SimDevice(emulator_config=emulator.EmulatorConfig(**EMU, power=power), seed=seed)
    return Server(
        dev,
        Config(integration_s=0.25),
        pub=ANY_PORT,
        control=ANY_PORT,
        speed=0,
        actuator=SimulatedActuator(dev),
        autostart=False,
        **kw,
    )


def test_g2_from_frames_matches_emulator_truth() -> None:
    ex = load_example("subscriber.py")
    srv = make_server(seed=11, power=0.1)
    sub = Subscriber(srv.pub_endpoint, ["g2", "analysis"])
    th = srv.start_thread()
    try:
        ctl = ControlClient(srv.control_endpoint)
        time.sleep(0.2)
        ctl.start()
        f = sub.wait_for("g2", 60, lambda f: f.header["integration_s"] >= 1.5)
        ctl.stop()
        assert f.header["settings"]["rep_rate_hz"] == 1e7  # taken from the emulator
        g2, err = ex.pulsed_g2_0(f.data[0], f.header)
        truth = truth_g2(0.1)
        assert abs(g2 - truth) < 5 * err, (g2, err, truth)
        an = sub.wait_for("analysis", 10, lambda a: a.header["values"]["g2_0"] is not None)
        v = an.header["values"]
        assert abs(v["g2_0"] - truth) < 5 * v["g2_0_err"], (v, truth)
        assert v["purity"] == pytest.approx(1 - v["g2_0"])
    finally:
        srv.stop_event.set()
        th.join(10)
        sub.close()


def test_power_sweep_points_follow_the_model() -> None:
    srv = make_server(seed=5, power=0.05)
    sub = Subscriber(srv.pub_endpoint, ["sweep", "status"])
    th = srv.start_thread()
    powers = [0.05, 1.0]
    try:
        ctl = ControlClient(srv.control_endpoint)
        time.sleep(0.2)
        with pytest.raises(ControlError, match="outside") as exc:
            ctl.sweep([0.1, -1.0])
        assert exc.value.field == "powers"
        res = ctl.sweep(powers, target_rel_err=0.1, max_s=2.0)
        points = []
        while len(points) < len(powers):
            f = sub.wait_for("sweep", 90)
            assert f.header["sweep_id"] == res["sweep_id"]
            points.append(f)
        assert points[-1].header["done"] and not points[0].header["done"]
        for p, f in zip(powers, points, strict=True):
            v = f.header["values"]
            assert v["power"] == p and f.header["columns"][0] == "power"
            assert f.data[0] == p and np.isfinite(f.data[1])
            assert v["integration_s"] <= 2.0 + 0.25 + 1e-9
            if v["reached"]:
                assert v["g2_0_err"] / v["g2_0"] <= 0.1
            truth = truth_g2(p)
            assert abs(v["g2_0"] - truth) < 5 * v["g2_0_err"], (p, v, truth)
        low, high = (f.header["values"] for f in points)
        assert high["rate_cps"] > 3 * low["rate_cps"]  # saturation: 1 - exp(-P/P_sat)
        st = ctl.status()
        assert st["power"] == 1.0 and st["sweep"] is None
    finally:
        srv.stop_event.set()
        th.join(10)
        sub.close()
