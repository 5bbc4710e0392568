# SPDX-License-Identifier: BSD-3-Clause
"""What may be reported as a result: a value inside its physical range, with a usable error.

An estimator may return a number no physical system can have (g2(0) < 0 from a subtraction, a
purity above 1, a negative lifetime) or an error that says nothing (larger than the whole range,
or none at all). Such a number is never reported as a result: ``check`` withholds it (the value
becomes None and the reason is kept) and keeps what the data do say, the interval clipped to the
physical range (e.g. "g2(0) <= 0.05"). Every command and the live view use it, so the same data
give the same verdict everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["BOUNDS", "Checked", "check", "fmt_interval"]

INF = math.inf

# physical range of every reported quantity (docs/analysis.md, "What is reported")
BOUNDS: dict[str, tuple[float, float]] = {
    "g2_0": (0.0, INF),
    "g2_0_poisson_norm": (0.0, INF),
    "g2_0_corrected": (0.0, INF),
    "g2_0_on": (0.0, INF),
    "heralded_g2": (0.0, INF),
    "purity": (0.0, 1.0),
    "lifetime_ns": (0.0, INF),
    "tau_bx_ns": (0.0, INF),
    "tau_x_ns": (0.0, INF),
    "on_fraction": (0.0, 1.0),
    "p_sat": (0.0, INF),
    "i_sat_cps": (0.0, INF),
    "qy_ratio": (0.0, 1.0),
    "binding_energy_mev": (-INF, INF),
}


@dataclass(frozen=True)
class Checked:
    """A value as it may be reported: ``value`` None when withheld, with ``reason``."""

    value: float | None
    err: float | None
    ci: tuple[float, float] | None  # clipped to the physical range
    reason: str | None = None

    @property
    def withheld(self) -> bool:
        return self.value is None


def _finite(x: float | None) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(float(x))


def fmt_interval(ci: tuple[float, float], lo: float, hi: float) -> str:
    """'[a, b]', or '<= b' / '>= a' when the interval reaches the physical bound."""
    a, b = ci
    if a <= lo and math.isfinite(b) and b < hi:
        return f"<= {b:.3g}"
    if b >= hi and a > lo:
        return f">= {a:.3g}"
    return f"[{a:.3g}, {b:.3g}]"


def check(
    name: str,
    value: float | None,
    err: float | None = None,
    ci: tuple[float, float] | None = None,
    bounds: tuple[float, float] | None = None,
    need_error: bool = True,
) -> Checked:
    """``value`` (± ``err``, interval ``ci``) as it may be reported for quantity ``name``.

    Parameters
    ----------
    name : str
        The quantity (its range from ``BOUNDS`` unless ``bounds``); used in the reasons.
    value, err : float or None
        Estimate and its 1-sigma error.
    ci : tuple of float, optional
        Its 68 % interval (default value ± err).
    bounds : tuple of float, optional
        Physical range (default ``BOUNDS[name]``).
    need_error : bool, optional
        A value without a usable error is withheld (default); False for counts-like values.

    Returns
    -------
    Checked
        The value or None with the reason, and the interval clipped to the range.
    """
    lo, hi = bounds if bounds is not None else BOUNDS.get(name, (-INF, INF))
    if not _finite(value):
        return Checked(None, None, None, f"{name}: not determined")
    v = float(value)
    e = float(err) if _finite(err) else None
    if need_error and (e is None or e <= 0):
        return Checked(None, None, None, f"{name}: the fit gave no error for {v:.4g}, so it is not a result")
    if ci is None or not (_finite(ci[0]) and _finite(ci[1])):
        ci = (v - e, v + e) if e is not None else (v, v)
    clipped = (max(float(ci[0]), lo), min(float(ci[1]), hi))
    if e is not None and math.isfinite(hi - lo) and e >= hi - lo:
        return Checked(
            None,
            None,
            (lo, hi),
            f"{name}: error ± {e:.2g} spans the whole range [{lo:g}, {hi:g}]: too few counts",
        )
    if lo <= v <= hi:
        return Checked(v, e, clipped)
    side = "below" if v < lo else "above"
    bound = lo if v < lo else hi
    if clipped[0] > clipped[1]:
        return Checked(
            None,
            None,
            None,
            f"{name}: estimate {side} its physical bound {bound:g} by more than its"
            " error: the model does not describe these data",
        )
    return Checked(
        None,
        e,
        clipped,
        f"{name}: estimate {side} its physical bound {bound:g} (consistent with it);"
        f" 68% interval {fmt_interval(clipped, lo, hi)}",
    )
