# SPDX-License-Identifier: BSD-3-Clause
"""The validation's fixed-seed subset (``g2live.validation.QUICK``): every estimator unbiased to
0.3 sigma against the emulator's truth (the full grid: ``make validate``, docs/validation.md)."""

from __future__ import annotations

import pytest
from g2live.validation import QUICK, run_grid, summarise

ESTIMATORS = {"g2(0) side-peak", "g2(0) Poisson", "purity", "lifetime", "ON fraction", "tau_BX", "tau_X",
              "binding energy", "P_sat"}


@pytest.fixture(scope="module")
def summaries():
    return {s.estimator: s for s in summarise(run_grid(QUICK, workers=2))}


def test_every_estimator_is_validated(summaries) -> None:
    assert set(summaries) == ESTIMATORS
    for s in summaries.values():
        assert s.n >= 0.8 * (s.n + s.withheld), f"{s.estimator}: {s.withheld} runs without an estimate"


# Measured out of specification on this subset (docs/validation.md, "Status"); strict, so each mark
# fails the run once its estimator is fixed and must then be removed.
KNOWN_BIASED = {
    "g2(0) side-peak": "mean pull +0.46 ± 0.18 at the HBT base point (32 seeds)",
    "g2(0) Poisson": "mean pull +0.45 ± 0.18 at the HBT base point (32 seeds)",
    "purity": "mean pull -0.46 ± 0.18 at the HBT base point (32 seeds)",
    "binding energy": "mean pull -0.39 ± 0.25 at the spectro base point (20 seeds; 80 others: +0.02 ± 0.11)",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=f"known bias: {KNOWN_BIASED[n]}"))
        if n in KNOWN_BIASED
        else n
        for n in sorted(ESTIMATORS)
    ],
)
def test_bias_below_three_tenths_of_a_sigma(summaries, name: str) -> None:
    s = summaries[name]
    assert abs(s.mean) <= 0.3, f"{name}: mean pull {s.mean:+.2f} ± {s.mean_err:.2f} over {s.n} runs"
