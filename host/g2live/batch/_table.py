# SPDX-License-Identifier: BSD-3-Clause
"""The batch table: one row per file, the ``--json`` keys flattened to stable column names.

Flattening: nested objects join their keys with ``.`` (``g2.center_area``,
``rates_cps.0``, ``heralded.tau_bx_ns``); lists become JSON text (``g2_0_ci`` ->
``"[0.12, 0.18]"``); ``null`` stays empty. Each row begins with ``file`` and ``error`` (empty
when the analysis ran), then the ``summary.*`` columns, then the report's keys in its order.
Columns are the union over the rows in the order they first appear, so a batch's columns do not
depend on which worker finished first.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["SUMMARY_KEYS", "TABLE_SUFFIXES", "flatten", "rows_to_columns", "summary_values", "write_table"]

SUMMARY_KEYS = ("summary.tau_bx_ns", "summary.tau_bx_err_ns", "summary.tau_bx_method")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
_LEAD = ("file", "error", *SUMMARY_KEYS)


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c": [1, 2]}`` -> ``{"a.b": 1, "c": "[1, 2]"}`` (see the module docstring)."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            out[name] = json.dumps(value, separators=(", ", ": "))
        else:
            out[name] = value
    return out


def _fast_component_ps(channel: Any) -> tuple[float, float] | None:
    """(tau, error) in ps of a channel's two-exponential fit's faster component, when that is at
    most half the one-exponential lifetime (else the second component is not a biexciton decay:
    a slow tail, background) and has a usable error."""
    if not isinstance(channel, Mapping):
        return None
    two, one = channel.get("tail_2exp") or {}, channel.get("tail") or {}
    taus, errs, slow = two.get("tau_ps"), two.get("tau_err_ps"), (one.get("tau_ps") or [None])[0]
    if not taus or not errs or slow is None:
        return None
    k = min(range(len(taus)), key=lambda i: taus[i])
    tau, err = taus[k], errs[k]
    if tau is None or err is None or not math.isfinite(err) or err <= 0 or tau > slow / 2:
        return None
    return tau, err


def _fast_decay_component(report: Mapping[str, Any]) -> tuple[float, float] | None:
    """Inverse-variance mean over channels of the fast time constant of the two-exponential tail
    fit (present only where it is clearly better than one exponential), in ns."""
    channels = ((report.get("lifetime") or {}).get("channels") or {}).values()
    taus, weights = [], []
    for ch in channels:
        fast = _fast_component_ps(ch)
        if fast is not None:
            taus.append(fast[0] / 1e3)
            weights.append((1e3 / fast[1]) ** 2)
    if not taus:
        return None
    w = sum(weights)
    return sum(t * x for t, x in zip(taus, weights, strict=True)) / w, 1.0 / math.sqrt(w)


def summary_values(report: Mapping[str, Any]) -> dict[str, Any]:
    """The ``summary.*`` columns: the biexciton lifetime the summary figure plots, and where from.

    ``summary.tau_bx_ns`` is ``heralded.tau_bx_ns`` (spectro recordings: the first photon of a
    heralded pair), else the fast component of the two-exponential PL decay fit
    (``lifetime.channels.*.tail_2exp``, kept only when clearly better than one exponential; at high
    power it is the biexciton decay) when it is at most half the one-exponential lifetime, as an
    inverse-variance mean over channels, else empty.
    """
    heralded = report.get("heralded") or {}
    if heralded.get("tau_bx_ns") is not None:
        vals = (heralded["tau_bx_ns"], heralded.get("tau_bx_err_ns"), "heralded")
    elif (fast := _fast_decay_component(report)) is not None:
        vals = (*fast, "decay fast component")
    else:
        vals = (None, None, None)
    return dict(zip(SUMMARY_KEYS, vals, strict=True))


def rows_to_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """``{column: values}`` over all rows (missing cells None), columns in first-appearance order."""
    names: dict[str, None] = dict.fromkeys(_LEAD)
    for row in rows:
        names.update(dict.fromkeys(row))
    return {n: [row.get(n) for row in rows] for n in names}


def _kind(values: Iterable[Any]) -> str:
    """bool, int, float or string: the one type a column's non-empty cells share."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "string"
    if kinds == {bool}:
        return "bool"
    if kinds == {int}:
        return "int"
    if kinds <= {int, float}:
        return "float"
    return "string"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)  # round-trips exactly
    return str(v)


def _write_csv(path: Path, columns: dict[str, list[Any]]) -> None:
    names = list(columns)
    n = len(next(iter(columns.values()), []))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for i in range(n):
            w.writerow([_cell(columns[c][i]) for c in names])


def _write_parquet(path: Path, columns: dict[str, list[Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "string": pa.string()}
    arrays = {}
    for name, values in columns.items():
        kind = _kind(values)
        if kind == "string":
            values = [None if v is None else _cell(v) for v in values]
        elif kind == "float":
            values = [None if v is None else float(v) for v in values]
        arrays[name] = pa.array(values, type=types[kind])
    table = pa.table(arrays).replace_schema_metadata({"g2live.batch": "one row per file; docs/analysis.md"})
    pq.write_table(table, path)


def write_table(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write the rows as CSV (``.csv``) or Parquet (``.parquet``, ``.pq``); returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"{path}: the table is .csv or .parquet, got {suffix or 'no extension'!r}")
    columns = rows_to_columns(rows)
    (_write_csv if suffix == ".csv" else _write_parquet)(path, columns)
    return path
