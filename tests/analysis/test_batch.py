# SPDX-License-Identifier: BSD-3-Clause
"""Many recordings at once (``g2live analyze DIR --table``): the same rows serially and on a Dask
``LocalCluster``, a failing file as a row with its error, the table's flattening and files, and
the summary figure. Small emulated dots keep it fast."""

from __future__ import annotations

import csv
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.batch import (
    SUMMARY_KEYS,
    analyze_many,
    find_recordings,
    flatten,
    summary_figure,
    summary_values,
    write_table,
)
from g2live.emulator import Emulator, EmulatorConfig

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = {"trace_bin_s": 0.01}


@pytest.fixture(scope="module")
def dots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four short emulated dots (1 MHz laser, bright), a text file, and a broken recording."""
    folder = tmp_path_factory.mktemp("dots")
    for i, (power, qy_ratio) in enumerate([(0.3, 0.05), (1.0, 0.1), (2.0, 0.3), (0.6, 0.2)]):
        cfg = EmulatorConfig(power=power, qy_ratio=qy_ratio, rep_rate_hz=1e6, collection_efficiency=0.3)
        io.write(folder / f"dot{i}.h5", Emulator(cfg, seed=i).run(0.4))
    (folder / "notes.txt").write_text("not a recording: skipped in a folder")
    (folder / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))  # HDF5 magic, nothing else
    return folder


def test_find_recordings(dots: Path) -> None:
    files = find_recordings([dots])
    assert [f.name for f in files] == ["broken.h5", "dot0.h5", "dot1.h5", "dot2.h5", "dot3.h5"]
    assert find_recordings([dots / "notes.txt", dots / "dot1.h5", dots / "dot1.h5"]) == [
        dots / "notes.txt", dots / "dot1.h5"]  # named files always, once
    with pytest.raises(ValueError, match="no such file"):
        find_recordings([dots / "missing.h5"])
    with pytest.raises(ValueError, match="no recordings"):
        find_recordings([dots / "empty"]) if (dots / "empty").mkdir() is None else None


def test_local_cluster_gives_the_serial_rows(dots: Path, tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    files = find_recordings([dots, dots / "notes.txt"])
    serial = analyze_many(files, OPTIONS, workers=0)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        parallel = analyze_many(files, OPTIONS, scheduler=cluster.scheduler_address)
    assert "2 workers" in parallel.where
    assert parallel.rows == serial.rows  # bit for bit, in the order of the files
    by_name = {Path(r["file"]).name: r for r in serial.rows}
    assert by_name["broken.h5"]["error"] and by_name["notes.txt"]["error"]  # rows, not the end
    assert serial.n_failed == 2
    for name in ("dot0.h5", "dot1.h5", "dot2.h5", "dot3.h5"):
        row = by_name[name]
        # a g2(0) that is not a result (dot0: 0.4 s at qy_ratio 0.05) is withheld with its reason
        why = [row[k] for k in row if k.startswith("withheld") and "g2_0" in k and row[k]]
        assert row["error"] == "" and (row["g2_0"] is not None or why) and row["file"] == str(dots / name)
        assert row["truth.power"] is not None and "rates_cps.0" in row
    a = write_table(tmp_path / "serial.csv", serial.rows)
    assert a.read_bytes() == write_table(tmp_path / "dask.csv", parallel.rows).read_bytes()


def test_cli_table_parquet_and_figure(dots: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "results.parquet"
    res = subprocess.run(
        [sys.executable, "-m", "g2live", "analyze", str(dots), "--table", str(out), "--workers", "0"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "5 files, 1 failed" in res.stderr and "broken.h5: error:" in res.stdout
    table = pq.read_table(out)
    assert table.num_rows == 5 and table.column_names[:5] == ["file", "error", *SUMMARY_KEYS]
    assert str(table.schema.field("g2_0").type) == "double"
    assert str(table.schema.field("g2.center_area").type) == "int64"
    png = tmp_path / "results_summary.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--table", "out.xlsx"], "give a .csv or .parquet file"),
        (["--table", "/nonexistent/out.csv"], "does not exist or is not writable"),
        (["--table", "out.csv", "--figure", "f.pdf"], "give a .png file"),
    ],
)
def test_bad_outputs_fail_before_any_analysis(
    dots: Path, args: list[str], message: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from g2live.cli import main

    monkeypatch.setattr("g2live.batch.analyze_many", lambda *a, **k: pytest.fail("analysis started"))
    assert main(["analyze", str(dots), *args]) == 1
    assert message in capsys.readouterr().err


def test_bad_workers_fail_on_the_command_line(
    dots: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad --workers is a bad command line (exit 2, one line naming it), before any analysis."""
    from g2live.cli import main

    monkeypatch.setattr("g2live.batch.analyze_many", lambda *a, **k: pytest.fail("analysis started"))
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(dots), "--workers", "-1"])
    assert exc.value.code == 2
    assert "argument --workers: must be an integer in [0, 1024], got '-1'" in capsys.readouterr().err


def test_flatten_rules() -> None:
    flat = flatten({"a": 1, "b": {"c": None, "d": {"e": True}}, "ci": [0.1, 0.2], "s": "x"})
    assert flat == {"a": 1, "b.c": None, "b.d.e": True, "ci": "[0.1, 0.2]", "s": "x"}


def test_summary_tau_bx_sources() -> None:
    one = {"tau_ps": [8000.0]}
    two = {"tau_ps": [8000.0, 500.0], "tau_err_ps": [40.0, 20.0]}
    other = {"tau_ps": [520.0, 8100.0], "tau_err_ps": [20.0, 50.0]}
    slow_tail = {"tau_ps": [8040.0, 54000.0], "tau_err_ps": [30.0, 900.0]}  # not a biexciton: ignored
    report = {"lifetime": {"channels": {
        "0": {"tail": one, "tail_2exp": two}, "1": {"tail": one, "tail_2exp": other}, "2": {"tail": one},
        "3": {"tail": {"tau_ps": [8200.0]}, "tail_2exp": slow_tail}}}}
    s = summary_values(report)
    assert s["summary.tau_bx_method"] == "decay fast component"
    assert s["summary.tau_bx_ns"] == pytest.approx(0.51) and s["summary.tau_bx_err_ns"] == pytest.approx(
        0.02 / np.sqrt(2))
    report["heralded"] = {"tau_bx_ns": 0.7, "tau_bx_err_ns": 0.05}
    assert summary_values(report) == dict(zip(SUMMARY_KEYS, (0.7, 0.05, "heralded"), strict=True))
    assert summary_values({}) == dict.fromkeys(SUMMARY_KEYS)
    del report["heralded"], report["lifetime"]["channels"]["0"], report["lifetime"]["channels"]["1"]
    assert summary_values(report) == dict.fromkeys(SUMMARY_KEYS)


def test_csv_cells_and_columns(tmp_path: Path) -> None:
    rows = [{"file": "a", "error": "", "x": 0.1, "flag": True}, {"file": "b", "error": "E: bad", "y": 2}]
    path = write_table(tmp_path / "t.csv", rows)
    got = list(csv.reader(path.open()))
    assert got[0] == ["file", "error", *SUMMARY_KEYS, "x", "flag", "y"]
    assert got[1] == ["a", "", "", "", "", "0.1", "true", ""]
    assert got[2] == ["b", "E: bad", "", "", "", "", "", "2"]
    png = summary_figure(rows, tmp_path / "s.png")  # nothing to plot: notes instead, no error
    assert png.stat().st_size > 1000
    odd = [{"file": "c", "error": "", "g2_0": -0.3, "g2_0_err": -0.1, "purity": 1.3, "purity_err": -0.1,
            "detector_rate_cps": 1e4}]  # an estimator's impossible answer is left out of the plot
    assert summary_figure(odd + rows, tmp_path / "odd.png").stat().st_size > 1000
