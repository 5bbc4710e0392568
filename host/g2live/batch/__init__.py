# SPDX-License-Identifier: BSD-3-Clause
"""Many recordings at once: ``g2live analyze DIR|FILES... --table results.csv``.

Every file goes through the same per-file analysis as ``g2live analyze FILE``
(``g2live.analysis.analyze_file``), on Dask: a local cluster of processes by default, or an
existing cluster by its scheduler address; with no cluster, one file after another in this
process. The result is one row per file with the ``--json`` keys flattened to stable column names;
a file that fails becomes a row with its error, never the end of the batch.

find_recordings     the files to analyse from files and folders
analyze_many        run the analysis of every file (serial, local cluster or scheduler)
rows_to_columns     the table: column names and typed columns
write_table         CSV or Parquet
summary_figure      PNG: g2(0) vs tau_BX, purity vs brightness, histogram of g2(0)

Column names and the summary columns: docs/analysis.md "Many recordings".
"""

from ._figures import summary_figure
from ._files import find_recordings
from ._run import BatchResult, analyze_many, analyze_one
from ._table import SUMMARY_KEYS, flatten, rows_to_columns, summary_values, write_table

__all__ = [
    "SUMMARY_KEYS",
    "BatchResult",
    "analyze_many",
    "analyze_one",
    "find_recordings",
    "flatten",
    "rows_to_columns",
    "summary_figure",
    "summary_values",
    "write_table",
]
