"""Purity versus power: step the power, integrate each step until g2(0) reaches a target relative
error (or a time limit), publish each point on the ``sweep`` topic.

The runner lives inside the server loop (``Server.start_sweep``): after every integration the
server calls ``after_integration``; a point ends when ``g2_0_err / g2_0 <= target_rel_err`` after
at least ``min_s`` of device time, or when ``max_s`` has passed (then ``reached`` is 0).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from g2live.server import Server

SWEEP_COLUMNS = (
    "power",
    "g2_0",
    "g2_0_err",
    "purity",
    "purity_err",
    "g2_0_poisson_norm",
    "rate_cps",
    "integration_s",
    "reached",
)


class SweepRunner:
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

    def progress(self) -> dict[str, Any]:
        return {
            "sweep_id": self.sweep_id,
            "point": self.index,
            "n_points": len(self.powers),
            "power": self.powers[self.index] if self.index < len(self.powers) else None,
        }

    def begin(self, server: Server) -> None:
        self._start_point(server)

    def _start_point(self, server: Server) -> None:
        assert server.actuator is not None
        server.actuator.set(self.powers[self.index])
        server.new_run()

    def _reached(self, values: dict[str, float | None]) -> bool:
        g2, err = values.get("g2_0"), values.get("g2_0_err")
        if g2 is None or err is None or not math.isfinite(g2) or not math.isfinite(err):
            return False
        if g2 <= 0:  # perfectly antibunched so far: relative error undefined; use absolute error
            return err <= self.target_rel_err
        return err / g2 <= self.target_rel_err

    def after_integration(self, server: Server) -> None:
        t = server.acc.integration_s
        reached = t >= self.min_s and self._reached(server.analysis)
        if not reached and t < self.max_s:
            return
        self._finish_point(server, reached)

    def _finish_point(self, server: Server, reached: bool) -> None:
        vals = dict(server.analysis)
        point = {
            "power": self.powers[self.index],
            **{k: vals.get(k) for k in SWEEP_COLUMNS[1:7]},
            "integration_s": server.acc.integration_s,
            "reached": float(reached),
        }
        self.points.append(point)
        last = self.index + 1 == len(self.powers)
        payload = np.array([np.nan if point[k] is None else point[k] for k in SWEEP_COLUMNS], np.float64)
        hdr = server._base_header(server.acc.t_start, server.acc.t_stop, server.acc.integration_s, "", False)
        hdr.update(
            {
                "columns": list(SWEEP_COLUMNS),
                "values": point,
                "point": self.index,
                "n_points": len(self.powers),
                "sweep_id": self.sweep_id,
                "done": last,
                "power_unit": server.actuator.unit if server.actuator else None,
                "target_rel_err": self.target_rel_err,
                "analysis_error": server.analysis_error,
            }
        )
        server.publisher.publish("sweep", payload, hdr)
        self.index += 1
        if last:
            self.done = True
            server._status_due = True
            return
        self._start_point(server)

    def abort(self, server: Server) -> None:
        self.done = True
        self.aborted = True
        server._status_due = True
