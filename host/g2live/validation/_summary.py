# SPDX-License-Identifier: BSD-3-Clause
"""Pulls of a grid, run in parallel processes, and their statistics per estimator."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from ._grid import Case
from ._runs import Pull, run_case

__all__ = ["Summary", "run_grid", "summarise"]


def _init_worker() -> None:
    """One BLAS thread per worker: the processes are the parallelism."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass


def _task(args: tuple[Case, int]) -> list[Pull]:
    return run_case(*args)


def run_grid(cases: Sequence[Case], workers: int | None = None, progress: bool = False) -> list[Pull]:
    """Every run of every case, ``workers`` processes in parallel (default: all cores).

    Parameters
    ----------
    cases : sequence of Case
        The grid.
    workers : int, optional
        Processes (1: in this process).
    progress : bool, optional
        Show a progress bar.

    Returns
    -------
    list of Pull
        All pulls, in the order of the cases and seeds.
    """
    tasks = [(c, i) for c in cases for i in range(c.seeds)]
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        _init_worker()
        results: Iterable[list[Pull]] = map(_task, tasks)
        return [p for r in _bar(results, len(tasks), progress) for p in r]
    with ProcessPoolExecutor(workers, initializer=_init_worker) as pool:
        return [p for r in _bar(pool.map(_task, tasks), len(tasks), progress) for p in r]


def _bar(it: Iterable[list[Pull]], n: int, show: bool) -> Iterable[list[Pull]]:
    if not show:
        return it
    from tqdm import tqdm

    return tqdm(it, total=n, unit="run")


@dataclass(frozen=True)
class Summary:
    """Pull statistics of one estimator."""

    estimator: str
    n: int  # pulls
    withheld: int  # runs without an estimate
    mean: float
    mean_err: float  # standard error of the mean pull
    sd: float
    coverage68: float
    coverage95: float
    worst_case: str  # the grid point with the largest |mean pull|
    worst_mean: float

    @property
    def within_spec(self) -> bool:
        """Issue 13's specification: |mean| <= 0.2, spread 0.8-1.2, coverage within 5 points."""
        return (
            abs(self.mean) <= 0.2
            and 0.8 <= self.sd <= 1.2
            and abs(self.coverage68 - 68.27) <= 5
            and abs(self.coverage95 - 95.45) <= 5
        )


def summarise(pulls: Sequence[Pull]) -> list[Summary]:
    """Mean, spread and coverage of the pulls of each estimator (in order of first appearance).

    Parameters
    ----------
    pulls : sequence of Pull
        From ``run_grid``.

    Returns
    -------
    list of Summary
        One per estimator.
    """
    out = []
    for name in dict.fromkeys(p.estimator for p in pulls):
        mine = [p for p in pulls if p.estimator == name]
        ok = [p for p in mine if p.estimate is not None]
        z = np.array([p.pull for p in ok])
        if z.size == 0:
            out.append(Summary(name, 0, len(mine), np.nan, np.nan, np.nan, np.nan, np.nan, "", np.nan))
            continue
        per_case = {}
        for c in dict.fromkeys(p.case for p in ok):
            zc = np.array([p.pull for p in ok if p.case == c])
            per_case[c] = float(zc.mean())
        worst = max(per_case, key=lambda c: abs(per_case[c]))
        out.append(
            Summary(
                name,
                int(z.size),
                len(mine) - len(ok),
                float(z.mean()),
                float(z.std(ddof=1) / np.sqrt(z.size)) if z.size > 1 else np.nan,
                float(z.std(ddof=1)) if z.size > 1 else np.nan,
                100.0 * float(np.mean([p.covered(1.0) for p in ok])),
                100.0 * float(np.mean(np.abs(z) <= 2.0)),
                worst,
                per_case[worst],
            )
        )
    return out
