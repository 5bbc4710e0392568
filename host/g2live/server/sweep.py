# SPDX-License-Identifier: BSD-3-Clause
"""Purity versus power: step the power, integrate each step until g2(0) reaches a target relative
error (or a time limit); every finished step is one point of the ``sweep`` topic.

``SweepRunner`` is the bookkeeping only and touches nothing else: the loop
(``g2live.server.loop.Server``) asks it for the power to set, hands it the run's integration
time and running estimate after every integration, and publishes the ``SweepPoint`` it returns
when a point ends. A point ends when ``g2_0_err / g2_0 <= target_rel_err`` after at least
``min_s`` of device time, or when ``max_s`` has passed (then ``reached`` is 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from g2live.protocol import SWEEP_COLUMNS

__all__ = ["SweepPoint", "SweepRunner"]


@dataclass(frozen=True)
class SweepPoint:
    """One finished point: ``values`` holds every one of ``SWEEP_COLUMNS`` (None: not computable)."""

    sweep_id: int
    index: int
    n_points: int
    values: dict[str, Any]
    target_rel_err: float

    @property
    def last(self) -> bool:
        return self.index + 1 == self.n_points


class SweepRunner:
    """The points of one sweep, one after the other."""

    def __init__(
        self, sweep_id: int, powers: list[float], target_rel_err: float, max_s: float, min_s: float = 0.0
    ) -> None:
        if not powers:
            raise ValueError("powers: a sweep needs at least one power")
        self.sweep_id = sweep_id
        self.powers = list(powers)
        self.target_rel_err = target_rel_err
        self.max_s, self.min_s = max_s, min_s
        self.index = 0
        self.points: list[dict[str, Any]] = []
        self.done = False
        self.aborted = False

    @property
    def power(self) -> float:
        """The power of the current point (set it, then begin a new run)."""
        return self.powers[self.index]

    def progress(self) -> dict[str, Any]:
        return {
            "sweep_id": self.sweep_id,
            "point": self.index,
            "n_points": len(self.powers),
            "power": self.powers[self.index] if self.index < len(self.powers) else None,
        }

    def _reached(self, values: dict[str, float | None]) -> bool:
        g2, err = values.get("g2_0"), values.get("g2_0_err")
        if g2 is None and err is not None and math.isfinite(err):
            return err <= self.target_rel_err  # withheld (at its physical bound): the interval's half width
        if g2 is None or err is None or not math.isfinite(g2) or not math.isfinite(err):
            return False
        if g2 <= 0:  # perfectly antibunched so far: relative error undefined; use absolute error
            return err <= self.target_rel_err
        return err / g2 <= self.target_rel_err

    def after_integration(self, integration_s: float, values: dict[str, float | None]) -> SweepPoint | None:
        """The finished point when this run (``integration_s``, estimate ``values``) ends it, else None.

        After a point the runner moves on: ``power`` is the next one, or ``done`` is set.
        """
        reached = integration_s >= self.min_s and self._reached(values)
        if not reached and integration_s < self.max_s:
            return None
        point = {
            "power": self.power,
            **{k: values.get(k) for k in SWEEP_COLUMNS[1:7]},
            "integration_s": integration_s,
            "reached": float(reached),
        }
        self.points.append(point)
        finished = SweepPoint(self.sweep_id, self.index, len(self.powers), point, self.target_rel_err)
        self.index += 1
        self.done = finished.last
        return finished

    def abort(self) -> None:
        self.done = True
        self.aborted = True
