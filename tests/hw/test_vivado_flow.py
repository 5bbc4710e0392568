# SPDX-License-Identifier: BSD-3-Clause
"""The Vivado flow without Vivado: ``make bitstream``, ``build.sh`` and ``build.tcl``'s decisions.

- ``make bitstream`` with no ``vivado`` on PATH stops with status 2 and says what is missing;
  with a stand-in ``vivado`` it runs build.sh, which calls ``vivado -mode batch -source build.tcl``
  in the board folder and passes its exit status through.
- ``build.tcl`` under ``tclsh`` with every Vivado command stubbed (a no-op unless the test scripts
  it): missing board files, an incomplete run, negative WNS, negative WHS and an unwaived critical
  warning each end it with status 1, a message naming the cause (the board-file message the
  commands that install them) and no g2live.bit/g2live.hwh left behind; a waived warning and met
  timing give status 0 with the bitstream, the .hwh and both summaries beside them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BOARD = REPO / "hw" / "boards" / "pynq-z2"

STUBS = r"""
proc unknown {args} { return "" }
proc get_board_parts {args} {
    if {$::env(STUB_BOARD) eq "1"} { return "tul.com.tw:pynq-z2:part0:1.0" }
    return ""
}
proc get_runs {name} { return $name }
proc get_timing_paths {args} {
    if {[lsearch -exact $args max] >= 0} { return $::env(STUB_WNS) }
    return $::env(STUB_WHS)
}
proc get_property {name obj} {
    switch -- $name {
        PROGRESS { return [expr {$obj eq $::env(STUB_FAILED_RUN) ? "42%" : "100%"}] }
        DIRECTORY { return [file join $::env(STUB_RUNS) $obj] }
        SLACK { return $obj }
        CONFIG.N_CHANNELS { return 9 }
        CONFIG.N_MARKERS { return 4 }
        default { return "" }
    }
}
proc report_utilization {args} { _stub_write [lindex $args end] "utilisation" }
proc report_timing_summary {args} { _stub_write [lindex $args end] "timing" }
proc _stub_write {path text} { set f [open $path w]; puts $f $text; close $f }
source $::env(STUB_SCRIPT)
"""


def tclsh() -> str:
    exe = shutil.which("tclsh") or shutil.which("tclsh8.6")
    if exe is None:
        pytest.skip("tclsh is not installed")
    return exe


@pytest.fixture
def board(tmp_path: Path) -> Path:
    """A copy of the board folder in a repository layout whose hw/rtl is the real one."""
    root = tmp_path / "repo"
    dst = root / "hw" / "boards" / "pynq-z2"
    dst.mkdir(parents=True)
    (root / "hw" / "rtl").symlink_to(REPO / "hw" / "rtl")
    for name in ("build.tcl", "g2live_bd.tcl", "critical_warnings_waived.txt"):
        shutil.copy(BOARD / name, dst / name)
    runs = tmp_path / "runs"
    for run in ("synth_1", "impl_1"):
        (runs / run).mkdir(parents=True)
        (runs / run / "runme.log").write_text("INFO: [Common 17-206] Exiting Vivado\n")
    (runs / "impl_1" / "g2live_wrapper.bit").write_bytes(b"bitstream")
    hwh = dst / "build" / "vivado" / "g2live.gen" / "sources_1" / "bd" / "g2live" / "hw_handoff"
    hwh.mkdir(parents=True)
    (hwh / "g2live.hwh").write_text("<hwh/>")
    (tmp_path / "stubs.tcl").write_text(STUBS)
    return dst


def run_tcl(board: Path, **env: str) -> subprocess.CompletedProcess:
    # stale outputs of an earlier build: a failing build must remove them
    (board / "g2live.bit").write_bytes(b"old")
    (board / "g2live.hwh").write_text("old")
    e = dict(os.environ, STUB_SCRIPT=str(board / "build.tcl"), STUB_RUNS=str(board.parents[3] / "runs"),
             STUB_BOARD="1", STUB_WNS="0.412", STUB_WHS="0.031", STUB_FAILED_RUN="")
    e.update(env)
    return subprocess.run([tclsh(), str(board.parents[3] / "stubs.tcl")], env=e, capture_output=True,
                          text=True, timeout=60)


def assert_failed(res: subprocess.CompletedProcess, board: Path, *words: str) -> None:
    assert res.returncode == 1, res.stdout + res.stderr
    assert "build.tcl: FAILED:" in res.stderr
    for w in words:
        assert w in res.stderr, res.stderr
    assert not (board / "g2live.bit").exists() and not (board / "g2live.hwh").exists(), "stale outputs left"


def test_build_tcl_succeeds_with_met_timing(board: Path) -> None:
    res = run_tcl(board)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (board / "g2live.bit").read_bytes() == b"bitstream"
    assert (board / "g2live.hwh").read_text() == "<hwh/>"
    assert (board / "g2live_utilization.txt").exists() and (board / "g2live_timing.txt").exists()
    assert "timing met, WNS = 0.412 ns, WHS = 0.031 ns" in res.stdout


def test_build_tcl_refuses_without_board_files(board: Path) -> None:
    res = run_tcl(board, STUB_BOARD="0")
    assert_failed(res, board, "board files", "xhub::install", "board_files", "PYNQ_Z2_BOARD_FILES")


def test_build_tcl_fails_on_an_incomplete_run(board: Path) -> None:
    assert_failed(run_tcl(board, STUB_FAILED_RUN="synth_1"), board, "synth_1 did not complete", "runme.log")


@pytest.mark.parametrize("env, words", [
    ({"STUB_WNS": "-0.087"}, ("setup timing not met", "WNS = -0.087")),
    ({"STUB_WHS": "-0.004"}, ("hold timing not met", "WHS = -0.004")),
])
def test_build_tcl_fails_on_negative_slack(board: Path, env: dict[str, str], words: tuple[str, ...]) -> None:
    res = run_tcl(board, **env)
    assert_failed(res, board, *words, "g2live_timing.txt")
    assert (board / "g2live_timing.txt").exists(), "the timing summary is written for the diagnosis"


def test_build_tcl_fails_on_a_critical_warning_unless_waived(board: Path) -> None:
    log = board.parents[3] / "runs" / "impl_1" / "runme.log"
    log.write_text("CRITICAL WARNING: [Timing 38-282] The design failed to meet the timing requirements.\n")
    assert_failed(run_tcl(board), board, "1 critical warning(s)", "Timing 38-282")
    with (board / "critical_warnings_waived.txt").open("a") as f:
        f.write("Timing 38-282  # a test waiver\n")
    assert run_tcl(board).returncode == 0


def fake_vivado(tmp_path: Path, rc: int) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "vivado_called"
    script = bindir / "vivado"
    script.write_text(f'#!/bin/sh\necho "$PWD|$*|$G2L_VIVADO_LOG" > {record}\nexit {rc}\n')
    script.chmod(0o755)
    return dict(os.environ, PATH=f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin")


def make_bitstream(env: dict[str, str]) -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return subprocess.run(["make", "-s", "-o", ".venv/.setup-done", "bitstream"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def test_make_bitstream_without_vivado_says_what_is_missing() -> None:
    res = make_bitstream(dict(os.environ, PATH=f"/usr/bin{os.pathsep}/bin"))
    assert res.returncode != 0
    assert "Vivado is not on PATH" in res.stderr and "settings64.sh" in res.stderr


@pytest.mark.parametrize("rc", [0, 1])
def test_make_bitstream_runs_build_sh_and_passes_vivados_status(tmp_path: Path, rc: int) -> None:
    res = make_bitstream(fake_vivado(tmp_path, rc))
    assert (res.returncode == 0) == (rc == 0), res.stdout + res.stderr
    cwd, args, log = (tmp_path / "vivado_called").read_text().strip().split("|")
    assert Path(cwd) == BOARD
    assert args.split() == ["-mode", "batch", "-nojournal", "-log", str(BOARD / "build" / "vivado.log"),
                            "-source", "build.tcl"]
    assert log == str(BOARD / "build" / "vivado.log")
