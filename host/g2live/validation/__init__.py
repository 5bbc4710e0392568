# SPDX-License-Identifier: BSD-3-Clause
"""The analysis measured like an instrument: pulls of every estimate against the emulator's truth.

Over a grid of emulated recordings (``GRID``; ``QUICK`` is the fixed-seed subset CI runs) every
estimate is compared with the truth its emulator settings predict, in units of its stated error:
pull = (estimate - truth) / error. An unbiased estimator with honest errors has pulls of mean 0
and spread 1, and its 68 % / 95 % intervals hold the truth 68 % / 95 % of the time.

run_grid      the pulls of a grid (in parallel processes)
summarise     mean, spread and coverage per estimator
write_report  the pull table and plots into docs/validation.md and docs/img/
GRID, QUICK, Case   the grid points

``python -m g2live.validation`` (``make validate``) runs the full grid; docs/validation.md has
the table and says what each truth is.
"""

from ._grid import GRID, QUICK, Case
from ._runs import Pull, run_case
from ._summary import Summary, run_grid, summarise

__all__ = ["GRID", "QUICK", "Case", "Pull", "Summary", "run_case", "run_grid", "summarise"]
