# SPDX-License-Identifier: BSD-3-Clause
"""Running the per-file analysis over many files: in this process, or on Dask."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._table import flatten, summary_values

__all__ = ["BatchResult", "analyze_many", "analyze_one"]


def analyze_one(path: str, options: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    """One table row: ``file``, ``error``, ``summary.*`` and the flattened report of ``path``.

    Never raises for a bad file: a failing analysis is the row ``{"file", "error"}``. ``label``
    is the ``file`` cell (default ``path``), so rows do not depend on where the file was read.
    """
    from g2live.analysis import analyze_file

    label = path if label is None else label
    try:
        report = analyze_file(path, **options)
    except Exception as exc:  # one bad file is a row with its error, never the end of the batch
        return {"file": label, "error": f"{type(exc).__name__}: {exc}"}
    report["file"] = label
    return {"file": label, "error": "", **summary_values(report), **flatten(report)}


@dataclass
class BatchResult:
    """Rows in the order of ``files``, where they were computed and how long it took."""

    files: list[Path]
    rows: list[dict[str, Any]]
    where: str
    wall_s: float
    notes: list[str] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        return sum(1 for r in self.rows if r.get("error"))


def _progress(n: int, show: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=n, unit="file", file=sys.stderr, disable=not show, desc="analyze")


def _serial(files: Sequence[Path], options: dict[str, Any], show: bool) -> list[dict[str, Any]]:
    rows = []
    with _progress(len(files), show) as bar:
        for f in files:
            rows.append(analyze_one(str(f.resolve()), options, str(f)))
            bar.update()
    return rows


def _connect(workers: int | None, scheduler: str | None) -> tuple[Any, Callable[[], None], str]:
    """A Dask client (an existing scheduler, or a local cluster of processes), its closer, a label."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise OSError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        n = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        return client, client.close, f"Dask scheduler {scheduler} ({n} workers)"
    n = workers or os.cpu_count() or 1
    # one thread per process: the analysis holds the GIL in places, and numbers do not depend on
    # how many threads a BLAS call used
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return client, close, f"Dask local cluster ({n} processes)"


def _on_dask(
    files: Sequence[Path], options: dict[str, Any], workers: int | None, scheduler: str | None, show: bool
) -> tuple[list[dict[str, Any]], str]:
    from dask.distributed import as_completed

    client, close, where = _connect(workers, scheduler)
    rows: list[dict[str, Any] | None] = [None] * len(files)
    try:
        futures = [
            client.submit(analyze_one, str(f.resolve()), options, str(f), key=f"analyze-{i}-{f.name}")
            for i, f in enumerate(files)
        ]
        index = {fut.key: i for i, fut in enumerate(futures)}
        with _progress(len(files), show) as bar:
            for fut in as_completed(futures):
                i = index[fut.key]
                try:
                    rows[i] = fut.result()
                except Exception as exc:  # the worker died (memory, crash): still a row
                    rows[i] = {"file": str(files[i]), "error": f"worker failed: {type(exc).__name__}: {exc}"}
                bar.update()
    finally:
        close()
    return [r for r in rows if r is not None], where


def analyze_many(
    files: Sequence[Path],
    options: dict[str, Any] | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> BatchResult:
    """The analysis of every file, one row each, in the order of ``files``.

    Parameters
    ----------
    files : sequence of pathlib.Path
        Recordings (``find_recordings``).
    options : dict, optional
        Keyword arguments of ``g2live.analysis.analyze_file`` (the same for every file).
    workers : int, optional
        Processes of the local Dask cluster (default: one per CPU); 0 runs the files one after
        another in this process, without Dask.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); its workers must have
        g2live installed and see the files at the same paths.
    progress : bool, optional
        A progress bar on stderr.

    Returns
    -------
    BatchResult
        The rows (a failing file's row holds its error) and where they were computed.
    """
    options = dict(options or {})
    t0 = time.monotonic()
    if scheduler is None and workers == 0:
        rows, where = _serial(files, options, progress), "this process, one file after another"
    else:
        rows, where = _on_dask(files, options, workers, scheduler, progress)
    return BatchResult(list(files), rows, where, time.monotonic() - t0)
