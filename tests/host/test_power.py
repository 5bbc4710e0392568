# SPDX-License-Identifier: BSD-3-Clause
"""Power actuators: the SCPI driver against PyVISA's simulated back-end, the simulated actuator."""

from __future__ import annotations

from pathlib import Path

import pytest
from g2live.device.power import PowerError, ScpiActuator

pyvisa = pytest.importorskip("pyvisa")
pytest.importorskip("pyvisa_sim", reason="pyvisa-sim (PyVISA's simulated back-end) is not installed")

SIM = str(Path(__file__).resolve().parent / "data" / "scpi_laser.yaml") + "@sim"
RES = "TCPIP0::127.0.0.1::inst0::INSTR"


def laser(**kw) -> ScpiActuator:
    args = {"set_cmd": "SOUR:POW {value:.9f}", "idn_contains": "SIMLASER", "max_power": 0.05, "unit": "W"}
    args.update(kw)
    return ScpiActuator(RES, resource_manager=pyvisa.ResourceManager(SIM), **args)


def test_scpi_set_and_read_back() -> None:
    act = laser()
    assert "SIMLASER 488" in act.idn
    for p in (0.0125, 0.0, 0.05, 1e-6):
        act.set(p)
        assert act.read() == pytest.approx(p, abs=1e-9)
        assert act.get() == pytest.approx(p, abs=1e-9)
    act.close()


def test_scpi_refuses_before_sending() -> None:
    act = laser()
    act.set(0.01)
    for bad in (0.06, -0.001, float("nan"), "1"):
        with pytest.raises(PowerError, match="outside|finite"):
            act.set(bad)  # type: ignore[arg-type]
    assert act.read() == pytest.approx(0.01)  # nothing reached the instrument


def test_scpi_instrument_refusal_is_reported() -> None:
    act = laser(max_power=1.0)  # our limit is wider than the instrument's 50 mW
    with pytest.raises(PowerError, match="ERROR"):
        act.set(0.2)


def test_scpi_identity_checked() -> None:
    with pytest.raises(PowerError, match="expected it to contain 'ATTENUATOR'"):
        laser(idn_contains="ATTENUATOR")
    act = laser(query_cmd="*IDN?")  # a read-back that is not a number
    with pytest.raises(PowerError, match="not a number"):
        act.set(0.01)
