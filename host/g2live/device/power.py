# SPDX-License-Identifier: BSD-3-Clause
"""Excitation-power actuators: one interface, a simulated one and a SCPI instrument over PyVISA.

``PowerActuator.set(p)`` refuses values outside ``[min_power, max_power]`` with a message naming
the limit before anything is sent to the instrument.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from g2live.device.base import Device

__all__ = ["PowerError", "PowerActuator", "SimulatedActuator", "ScpiActuator"]


class PowerError(ValueError):
    """A refused power value or an instrument that did not do what it was told."""


class PowerActuator(ABC):
    unit = ""

    def __init__(self, min_power: float = 0.0, max_power: float = math.inf) -> None:
        if not min_power <= max_power:
            raise PowerError(f"power range: min_power {min_power} > max_power {max_power}")
        self.min_power = min_power
        self.max_power = max_power
        self._value: float | None = None

    def check(self, power: float) -> None:
        if isinstance(power, bool) or not isinstance(power, (int, float)) or not math.isfinite(power):
            raise PowerError(f"power must be a finite number, got {power!r}")
        if not self.min_power <= power <= self.max_power:
            raise PowerError(
                f"power {power} {self.unit} is outside {self.min_power} .. {self.max_power} {self.unit}"
            )

    def set(self, power: float) -> None:
        self.check(power)
        self._set(float(power))
        self._value = float(power)

    @abstractmethod
    def _set(self, power: float) -> None: ...

    def get(self) -> float | None:
        return self._value

    @property
    def last(self) -> float | None:
        """The last value set (no instrument query: cheap, for status)."""
        return self._value

    def close(self) -> None:  # noqa: B027 - most actuators hold nothing to release
        return None


class SimulatedActuator(PowerActuator):
    """Sets the emulator's excitation power (units of P_sat) of a ``sim`` / ``verilator`` device."""

    unit = "P/P_sat"

    def __init__(self, device: Device, initial: float | None = None, max_power: float = 1000.0) -> None:
        super().__init__(0.0, max_power)
        self.device = device
        if initial is not None:
            self.set(initial)
        else:  # report the emulator's own starting power
            emu = getattr(getattr(device, "source", None), "emulator_config", None)
            p = getattr(emu, "power", None)
            self._value = float(p) if p is not None else None

    def _set(self, power: float) -> None:
        if not self.device.set_source_power(power):
            raise PowerError(f"device {self.device.name} has no emulated source whose power could be set")


class ScpiActuator(PowerActuator):
    """A laser or variable attenuator that takes SCPI commands over VISA.

    ``set_cmd`` is formatted with ``value`` (e.g. ``"SOUR:POW {value:.6g}"``); ``query_cmd`` reads
    the set-point back, which must agree within ``rel_tol`` (else ``PowerError``: the instrument
    did not take it). ``error_query`` (e.g. ``"SYST:ERR?"``) is read after each set when given; a
    reply not starting with ``0`` or ``+0`` is raised. ``resource_manager`` is injectable
    (``pyvisa.ResourceManager("@sim")`` for PyVISA's simulated back-end).
    """

    def __init__(
        self,
        resource: str,
        *,
        unit: str = "W",
        set_cmd: str = "SOUR:POW {value:.6g}",
        query_cmd: str | None = "SOUR:POW?",
        error_query: str | None = None,
        idn_contains: str | None = None,
        min_power: float = 0.0,
        max_power: float = math.inf,
        rel_tol: float = 1e-3,
        resource_manager: Any = None,
        timeout_ms: int = 2000,
        read_termination: str | None = "\n",
        write_termination: str | None = "\n",
    ) -> None:
        super().__init__(min_power, max_power)
        import pyvisa

        self.unit = unit
        self.set_cmd, self.query_cmd, self.error_query = set_cmd, query_cmd, error_query
        self.rel_tol = rel_tol
        self.rm = resource_manager if resource_manager is not None else pyvisa.ResourceManager()
        try:
            self.inst = self.rm.open_resource(resource)
        except pyvisa.Error as exc:
            raise PowerError(f"cannot open VISA resource {resource!r}: {exc}") from exc
        self.inst.timeout = timeout_ms
        if read_termination is not None:
            self.inst.read_termination = read_termination
        if write_termination is not None:
            self.inst.write_termination = write_termination
        self.resource = resource
        self.idn = ""
        if idn_contains is not None:
            self.idn = self.inst.query("*IDN?").strip()
            if idn_contains not in self.idn:
                raise PowerError(
                    f"{resource}: *IDN? answered {self.idn!r}, expected it to contain {idn_contains!r}"
                )

    def _set(self, power: float) -> None:
        self.inst.write(self.set_cmd.format(value=power))
        if self.error_query:
            err = self.inst.query(self.error_query).strip()
            if not (err.startswith("0") or err.startswith("+0")):
                raise PowerError(f"{self.resource}: instrument error after setting {power}: {err}")
        if self.query_cmd:
            back = self.read()
            if not math.isclose(back, power, rel_tol=self.rel_tol, abs_tol=1e-12):
                raise PowerError(
                    f"{self.resource}: set {power} {self.unit} but it reads back {back} {self.unit}"
                )

    def read(self) -> float:
        if not self.query_cmd:
            raise PowerError(f"{self.resource}: no query command configured")
        reply = self.inst.query(self.query_cmd).strip()
        try:
            return float(reply)
        except ValueError:
            raise PowerError(f"{self.resource}: {self.query_cmd} answered {reply!r}, not a number") from None

    def get(self) -> float | None:
        return self.read() if self.query_cmd else self._value

    def close(self) -> None:
        self.inst.close()
