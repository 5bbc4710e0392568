# SPDX-License-Identifier: BSD-3-Clause
"""Issue 15, "Commands": every finding of the hostile tester, as the user typed it.

Each case failed on the code before the fix (a traceback, an exit 0 with empty results, a port
silently changed, a hint naming an option that did not exist); now each is one line on stderr
naming the option, with a non-zero exit, before anything runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import g2live
import pytest
from host_helpers import free_port, pulsed_hbt, run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small pulsed HBT recording (channels 0, 1 and the sync on 8)."""
    from g2live import io

    path = tmp_path_factory.mktemp("rec") / "hbt.npz"
    io.write(path, pulsed_hbt(0.2))
    return path


def _endpoints() -> list[str]:
    return ["--pub", f"tcp://127.0.0.1:{free_port()}", "--control", f"tcp://127.0.0.1:{free_port()}"]


# --- tracebacks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["serve", "--emulator", "bogus=1", "--duration", "0.2"], "--emulator"),
        (["serve", "--device", "pynq", "--duration", "0.2"], "pynq"),
        (["analyze", "{rec}", "--trace-bin-ms", "0"], "--trace-bin-ms"),
        (["analyze", "{rec}", "--n-side", "100000"], "--n-side"),  # was: allocate 298 GiB
    ],
)
def test_no_traceback(argv: list[str], names: str, recording: Path) -> None:
    argv = [a.replace("{rec}", str(recording)) for a in argv]
    if argv[0] == "serve":
        argv += _endpoints()
    res = run_cli(*argv)
    assert res.one_line_error(), res
    assert names in res.err, res


def test_broken_pipe_is_quiet(array_server) -> None:
    """`g2live status --json | head`: the reader goes away; no message, exit 141 (SIGPIPE)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "g2live.cli", "status", "--json", "--control", array_server.control_endpoint],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(Path(g2live.__file__).parents[1])},  # this g2live
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # what `| true` does: the reader is gone before the status arrives
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert err == ""


# --- accepted with exit 0 (and all-null results), or silently ignored ----------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--rho", "2"),
        ("--rho", "nan"),
        ("--window-ns", "nan"),
        ("--n-side", "0"),
        ("--channels", "0,0"),
        ("--bin-ps", "0"),
        ("--rep-rate", "0"),
        ("--trace-bin-ms", "-1"),
    ],
)
def test_analyze_refuses_impossible_options(option: str, value: str, recording: Path) -> None:
    res = run_cli("analyze", str(recording), option, value, "--json")
    assert res.code == 2 and res.one_line_error(), res
    assert f"argument {option}:" in res.err and res.out == "", res


def test_analyze_refuses_a_sync_channel_without_events(recording: Path) -> None:
    res = run_cli("analyze", str(recording), "--sync", "99", "--json")
    assert res.one_line_error(), res
    assert "sync channel 99 has no events" in res.err and "0, 1, 8" in res.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--duration", "-1"], "argument --duration: must be > 0"),
        (["--duration", "nan"], "argument --duration: expected a finite number"),
        (["--speed", "nan", "--duration", "0.2"], "argument --speed: expected a finite number"),
        (["--pub", "tcp://127.0.0.1:99999", "--duration", "0.2"], "port '99999' is not in 1..65535"),
        (["--pub", "garbage", "--duration", "0.2"], "'garbage' is not an endpoint"),
    ],
)
def test_serve_refuses_impossible_options(argv: list[str], message: str) -> None:
    if "--pub" not in argv:
        argv += _endpoints()
    else:
        argv += ["--control", f"tcp://127.0.0.1:{free_port()}"]
    res = run_cli("serve", *argv)
    assert res.code == 2 and res.one_line_error(), res
    assert message in res.err, res
    assert "not a loopback address" not in res.err


# --- results that cannot be computed ---------------------------------------------------------------


def test_a_result_that_cannot_be_computed_is_not_exit_0(recording: Path) -> None:
    """A window wider than the laser period: g2(0) cannot be computed (exit 3, unless asked)."""
    res = run_cli("analyze", str(recording), "--window-ns", "1000", "--json")
    assert res.code == 3 and res.clean, res
    assert "g2(0) could not be computed" in res.err and "--allow-partial" in res.err
    assert '"g2_0": null' in res.out  # the partial report is still printed
    res = run_cli("analyze", str(recording), "--window-ns", "1000", "--json", "--allow-partial")
    assert res.code == 0 and res.clean, res


# --- hints a user can act on -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def truncated_ptu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PTU file cut short: its header promises more records than it holds."""
    from g2live import io

    d = tmp_path_factory.mktemp("ptu")
    io.write(d / "full.ptu", pulsed_hbt(0.05))
    blob = (d / "full.ptu").read_bytes()
    (d / "cut.ptu").write_bytes(blob[: len(blob) - 4000])
    return d / "cut.ptu"


def test_truncated_file_hint_names_an_option_that_exists(truncated_ptu: Path) -> None:
    res = run_cli("analyze", str(truncated_ptu))
    assert res.one_line_error(), res
    assert "(--allow-truncated reads them)" in res.err and "allow_truncated=True" not in res.err
    res = run_cli("analyze", str(truncated_ptu), "--allow-truncated", "--allow-partial", "--json")
    assert res.code == 0 and res.clean, res  # the option the hint names exists and works
    replay = ["--device", "replay", "--file", str(truncated_ptu)]
    res = run_cli("serve", *replay, "--duration", "1", *_endpoints())
    assert res.one_line_error(), res  # serve has no such option: the hint is left out
    assert "allow_truncated" not in res.err and "--allow-truncated" not in res.err


def test_output_format_hint_names_an_option_that_exists(tmp_path: Path, recording: Path) -> None:
    res = run_cli("convert", str(recording), str(tmp_path / "out.txt"))
    assert res.one_line_error(), res
    assert "--format" in res.err and "format=" not in res.err
    res = run_cli("record", "-o", str(tmp_path / "out.txt"), "--duration", "1")
    assert res.code == 1 and res.one_line_error(), res  # refused before recording anything (a file error)
    assert "format=" not in res.err


def test_simulate_names_a_missing_output_folder(tmp_path: Path) -> None:
    """Found checking from the user's side: `simulate -o nodir/x.h5` printed h5py's errno text."""
    res = run_cli("simulate", "-o", str(tmp_path / "nodir" / "x.h5"), "--quiet")
    assert res.one_line_error() and "-o" in res.err and "does not exist" in res.err, res
    assert "Errno" not in res.err and "synchronously" not in res.err


def test_empty_file_says_empty(tmp_path: Path) -> None:
    (tmp_path / "empty.ptu").write_bytes(b"")
    for cmd in ("info", "analyze"):
        res = run_cli(cmd, str(tmp_path / "empty.ptu"))
        assert res.one_line_error(), res
        assert "empty file" in res.err and "first bytes" not in res.err


def test_explicit_format_that_contradicts_the_file(tmp_path: Path) -> None:
    from g2live import io

    io.write(tmp_path / "x.ptu", pulsed_hbt(0.01))
    res = run_cli("info", str(tmp_path / "x.ptu"), "--format", "npz")
    assert res.one_line_error(), res
    assert "(ptu), not npz" in res.err and "pickled" not in res.err


# --- the top-level handler --------------------------------------------------------------------------


def test_debug_shows_the_traceback(recording: Path) -> None:
    res = run_cli("analyze", str(recording), "--sync", "99", "--debug")
    assert res.raised is None and res.code == 1
    assert "Traceback" in res.err and "sync channel 99" in res.err


def test_every_client_command_has_client_key() -> None:
    from g2live.cli import build_parser

    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for cmd in ("status", "watch", "record", "sweep", "dashboard"):
        options = {o for a in choices[cmd]._actions for o in a.option_strings}
        assert {"--server-key", "--client-key"} <= options, cmd


def test_hints_of_the_library_are_all_known_to_the_cli() -> None:
    """Every Python-spelled hint in the library's messages has its command-line wording."""
    import re

    from g2live.cli._errors import HINTS

    known = {h.api for h in HINTS}
    found = set()
    for path in (ROOT / "host" / "g2live").rglob("*.py"):
        if "cli" in path.parts:
            continue
        text = path.read_text()
        found |= set(re.findall(r'\(([a-z_]+=True)[^()"]*\)"', text))
        found |= set(re.findall(r"pass ([a-z_]+=)", text))
        found |= set(re.findall(r"pass ([a-z_]+) explicitly", text))
    assert {"allow_truncated=True", "format=", "channels"} <= found <= known, found - known


def test_constants_shared_with_the_library() -> None:
    from g2live import io
    from g2live.analysis.report._arguments import MAX_N_SIDE
    from g2live.cli import analyze, convert, info

    assert analyze.MAX_N_SIDE == MAX_N_SIDE
    assert set(convert.WRITE_SUFFIXES) == set(io._WRITE_EXT)
    assert set(info.READ_FORMATS) == set(io.FORMATS)
    assert set(convert.WRITE_FORMATS) == {k for k, v in io.FORMATS.items() if v[2]}


def test_time_options_refuse_nan_everywhere() -> None:
    """No duration, timeout or rate option anywhere takes NaN (found in serve; checked for all)."""
    from g2live.cli import build_parser

    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    timed = 0
    for parser in choices.values():
        for action in parser._actions:
            opt = next((o for o in action.option_strings if o.startswith("--")), None)
            if opt is None or not any(w in opt for w in ("duration", "timeout", "speed", "fps", "-s")):
                continue
            if action.type is None or action.nargs == 0:
                continue
            timed += 1
            with pytest.raises(Exception, match="finite|number|NaN|nan"):
                action.type("nan")
    assert timed >= 10

