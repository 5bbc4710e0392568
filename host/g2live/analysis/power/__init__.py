# SPDX-License-Identifier: BSD-3-Clause
"""Power dependence: saturation of the rate and g2(0) vs power (exciton-biexciton cascade).

fit_power_sweep     joint fit of rate and g2(0) vs power: P_sat, I_sat, qy_ratio (``PowerFit``)
rate_model          I_sat (P1 + q P2) at <N> = P / P_sat
g2_model            2 q P2 / (P1 + q P2)^2
read_sweep_table    sweep points from CSV or JSON (``SWEEP_COLUMNS``)
sweep_point_rate    a recording's rate and its error (Poisson and blinking) as a sweep point
sweep_points        a sweep's recordings as points: signal rates, pooled blinking errors, g2(0) for the fit
"""

from ._point import SweepPoint, sweep_point, sweep_point_rate, sweep_points
from ._saturation import PowerFit, fit_power_sweep, g2_model, rate_model
from ._table import SWEEP_COLUMNS, read_sweep_table

__all__ = [
    "SWEEP_COLUMNS",
    "PowerFit",
    "SweepPoint",
    "fit_power_sweep",
    "g2_model",
    "rate_model",
    "read_sweep_table",
    "sweep_point",
    "sweep_point_rate",
    "sweep_points",
]
