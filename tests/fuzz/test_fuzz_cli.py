# SPDX-License-Identifier: BSD-3-Clause
"""Random command lines for every ``g2live`` command, built from each sub-parser's own actions.

For every option the strategy draws a value a user might type (a sensible one, a boundary, NaN,
garbage, an empty string) chosen by what the option is (a duration, a port, an endpoint, a file,
a KEY=VALUE, a list). The assertion is always the same: the command ends within its time bound
with a result or one clean error, never a Python traceback; and the running server the client
commands talk to still answers ``status`` afterwards.

Values that would make a legitimate run long (a 1e6 s duration, a 10 s timeout) are not drawn:
the time bound is about hangs, not about patience. Not drawn either: ``--device verilator``
(it compiles the RTL, minutes) and a real ``--scpi`` instrument.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from fuzz_helpers import COUNTS, bounded, budget
from g2live.cli import build_parser
from host_helpers import free_port, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
SLOW = {"serve", "run", "dashboard", "sweep", "record", "simulate", "analyze"}

BAD_NUMBERS = ["0", "-1", "-0", "nan", "NaN", "inf", "-inf", "1e309", "abc", "", " ", "0x10", "1,2", "１"]
BAD_TEXT = ["", " ", "garbage", "a=b=c", "\u00e9\u20ac", "x" * 300, "-", "--", "0", "nan", "../../etc"]
SMALL_TIMES = ["0.2", "0.3", "0.5", "1e-3"]
# moderate valid numbers (a run stays short) and every kind of bad one
NUMBERS = ["1", "2", "4", "0.5", "0.05", "0.1", "1000", "2147483648", "9" * 30, *BAD_NUMBERS]
PAIRS = ["0,1", "1,0", "0,0", "0", "1", "0.5", "0.9,1", "2", "nan", "a,b", "0,300", "2.55,-0.004", "1,2,3"]
RATES = ["1e6", "1e7", "2e7", "1e13", *BAD_NUMBERS]
SERVE_KEYS = ["integration_s", "n_bins", "bin_width_ps", "pairs", "channels", "sync_channel", "raw_tags"]
EMULATOR_KEYS = ["qy_ratio", "power", "urbach_mev", "n_pixels", "mode", "detector_delay_ps", "sync_channel"]


def _endpoints(server: Any, bind: bool) -> st.SearchStrategy[str]:
    bad = ["garbage", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:0", "tcp://:5", "ipc://", "inproc://x",
           "tcp://*:5", "tcp://127.0.0.1", "udp://127.0.0.1:5"]
    if bind:  # never the default ports (other test runs use them): a free one, or an invalid one
        good = st.builds(lambda: f"tcp://127.0.0.1:{free_port()}")
        return st.one_of(good, st.sampled_from(bad), st.builds(lambda: f"tcp://0.0.0.0:{free_port()}"))
    good = st.sampled_from([server.pub_endpoint, server.control_endpoint, f"tcp://127.0.0.1:{free_port()}"])
    return st.one_of(good, st.sampled_from(bad))


def _paths(files: dict[str, Path], *names: str) -> st.SearchStrategy[str]:
    d = files["dir"]
    pool = [str(files[n]) for n in names] + [str(d / "missing.h5"), str(files["folder"]), ""]
    return st.sampled_from(pool)


def _outputs(files: dict[str, Path]) -> st.SearchStrategy[str]:
    d = files["dir"]
    names = ["out.h5", "out.npz", "out.ptu", "out.txt", "out", "nodir/out.h5", "folder"]
    return st.sampled_from([str(d / n) for n in names] + [""])


def _kv(keys: list[str]) -> st.SearchStrategy[str]:
    values = st.sampled_from(["0", "1", "0.05", "-1", "1e309", "NaN", "true", "null", '"x"', "[1,2]",
                              "[[0,1],[0,0]]", "{}", "[" * 50, "word", ""])
    key = st.one_of(st.sampled_from(keys), st.sampled_from(["", "bogus", "extra", "__class__"]))
    return st.one_of(st.builds(lambda k, v: f"{k}={v}", key, values), st.sampled_from(BAD_TEXT))


def _keys(files: dict[str, Path]) -> st.SearchStrategy[str]:
    return st.one_of(_paths(files, "rec.npz", "settings.json"), st.sampled_from(["A" * 40, "é" * 40, "x"]))


def _pools(cmd: str, server: Any, files: dict[str, Path]) -> dict[str, st.SearchStrategy[str]]:
    """Option dest -> what to type, for ``cmd``."""
    inputs = _paths(files, "rec.npz", "rec.ptu", "cut.ptu", "empty.ptu", "noise.bin", "settings.json")
    times = st.sampled_from(SMALL_TIMES + BAD_NUMBERS)
    endpoint = _endpoints(server, bind=cmd in ("serve", "run"))
    port = st.one_of(st.builds(lambda: str(free_port())), st.sampled_from(["0", "-1", "65536", "abc", "nan"]))
    hosts = st.sampled_from(["127.0.0.1", "localhost", "::1", "0.0.0.0", "1.2.3.4", "", "a b", "*"])
    return {
        **dict.fromkeys(("duration", "timeout", "max_s", "chunk_s", "fps"), times),
        **dict.fromkeys(("idle_s", "poll_s", "wait_s"), times),
        "coincidences": st.sampled_from(["0,1", "0,1;0,1,8", "0,0", "0", "a;b", ";", "0,1,2,3,4,5,6,7,8"]),
        "heralded_g2": st.sampled_from(["8,0,1", "0,0,1", "0,1", "a,b,c", "300,0,1", ""]),
        **dict.fromkeys(("pub", "control", "connect"), endpoint),
        "port": port,
        **dict.fromkeys(("host", "http_host"), hosts),
        **dict.fromkeys(("input", "sweep"), inputs),
        "file": _paths(files, "rec.npz", "cut.ptu", "empty.ptu", "noise.bin") if cmd == "serve" else inputs,
        "config": _paths(files, "settings.json", "bad.json", "rec.npz"),
        **dict.fromkeys(("bitstream", "curve_secret", "server_key", "client_key"), _keys(files)),
        "curve_clients": _paths(files, "folder", "rec.npz"),
        **dict.fromkeys(("output", "curve_keygen"), _outputs(files)),
        "set": _kv(SERVE_KEYS if cmd in ("serve", "run") else EMULATOR_KEYS),
        "emulator": _kv(EMULATOR_KEYS),
        "powers": st.sampled_from(["0.1,0.2", "0.05", "1,x", "", ",", "nan,1", "1e309", "-1,2", "0," * 50]),
        **dict.fromkeys(("channels", "rho", "pixel_energy"), st.sampled_from([*PAIRS, ""])),
        **dict.fromkeys(("scpi", "scpi_set", "scpi_query", "scpi_unit"), st.sampled_from(BAD_TEXT)),
        **dict.fromkeys(("rep_rate", "rep_rate_hz"), st.sampled_from(RATES)),
        "more": _paths(files, "rec.npz", "cut.ptu", "noise.bin", "folder"),
        "table": st.sampled_from([str(files["dir"] / n) for n in ("t.csv", "t.pq", "t.txt", "no/t.csv")]),
        "figure": st.sampled_from([str(files["dir"] / n) for n in ("f.png", "f.jpg")] + [""]),
        "workers": st.sampled_from(["0", "-1", "abc", "1e3", "2000"]),
        "scheduler": st.sampled_from(["tcp://127.0.0.1:1", "127.0.0.1:99999", "garbage", "udp://x:5", ""]),
        "chunk_records": st.sampled_from(["1000", "65536", "1e6", "16777217", *BAD_NUMBERS]),
    }


def _value(action: argparse.Action, pools: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    """What to type for one option: its pool, its choices, or numbers."""
    if action.choices is not None:
        choices = [str(c) for c in action.choices if c != "verilator"]  # what is typed is text
        return st.one_of(st.sampled_from(choices), st.sampled_from(["", "bogus"]))
    return pools.get(action.dest, st.sampled_from(NUMBERS))


def _bounding(cmd: str, argv: list[str], server: Any) -> list[str]:
    """Options that keep a valid command short, added when the drawn line does not set them."""
    extra: list[str] = []
    if cmd in ("serve", "run") and "--duration" not in argv:
        extra += ["--duration", "0.3"]
    if cmd in ("serve", "run") and "--wait-s" not in argv:
        extra += ["--wait-s", "0.5"]  # --device follow on a file that never comes waits this long
    if cmd == "run":
        extra += ["--terminal"]  # the browser view would serve until interrupted
    if cmd in ("serve", "run"):
        for opt in ("--pub", "--control"):
            if opt not in argv:
                extra += [opt, f"tcp://127.0.0.1:{free_port()}"]
    if cmd in ("watch", "record") and "--duration" not in argv and "--once" not in argv:
        extra += ["--duration", "0.3"]
    if cmd == "watch" and "--timeout" not in argv:
        extra += ["--timeout", "0.5"]
    if cmd in ("status", "sweep") and "--timeout" not in argv:
        extra += ["--timeout", "2"]
    if cmd == "sweep" and "--max-s" not in argv:
        extra += ["--max-s", "0.2"]
    if cmd in ("record", "sweep", "watch") and "--pub" not in argv:
        extra += ["--pub", server.pub_endpoint]
    if cmd in ("record", "sweep", "status") and "--control" not in argv:
        extra += ["--control", server.control_endpoint]
    if cmd == "analyze" and "--workers" not in argv and "--scheduler" not in argv:
        extra += ["--workers", "0"]  # many files serially: a local Dask cluster per case is minutes
    if cmd == "simulate" and "--duration" not in argv:
        extra += ["--duration", "0.05"]
    if cmd == "simulate" and "--quiet" not in argv:
        extra += ["--quiet"]
    return extra


@st.composite
def command_line(draw: st.DrawFn, cmd: str, server: Any, files: dict[str, Path]) -> list[str]:
    parser = build_parser()._subparsers._group_actions[0].choices[cmd]  # type: ignore[union-attr]
    pools = _pools(cmd, server, files)
    argv: list[str] = [cmd]
    for action in parser._actions:
        if action.dest in ("help", "debug", "parser") or not draw(st.booleans()):
            continue
        if not action.option_strings:  # a positional
            argv.append(draw(_value(action, pools)))
            continue
        opt = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            argv.append(opt)
            continue
        for _ in range(draw(st.integers(1, 2)) if isinstance(action, argparse._AppendAction) else 1):
            argv += [opt, draw(_value(action, pools))]
    if draw(st.integers(0, 9)) == 0:
        argv.insert(draw(st.integers(1, len(argv))), draw(st.sampled_from(["--bogus", "-x", "extra", "--"])))
    return argv + _bounding(cmd, argv, server)


def _examples(cmd: str) -> int:
    if cmd in ("dashboard", "run", "sweep"):
        return budget(8, most=150)
    return budget(15, most=300) if cmd in SLOW else budget(30, most=2000)


@pytest.fixture(autouse=True)
def _quiet_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard serves until interrupted: here it starts (Bokeh server bound, receiver and fit
    threads running) and stops again at once."""
    from g2live.dashboard import webserver

    monkeypatch.setattr(webserver, "_run_until_stopped", lambda server: None)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_fuzz_command_line(cmd: str, live_server: Any, files: dict[str, Path]) -> None:
    from g2live.client import ControlClient

    @settings(max_examples=_examples(cmd), deadline=None)
    @given(argv=command_line(cmd, live_server, files))
    def case(argv: list[str]) -> None:
        COUNTS[("command lines", cmd)] += 1
        with bounded(90, " ".join(argv)):
            res = run_cli(*argv)
        assert res.clean, (argv, res)
        assert isinstance(res.code, int), (argv, res)
        if res.code not in (0, 3):  # an error: exactly one line on stderr says it
            assert len([x for x in res.err.splitlines() if " error: " in x]) == 1, (argv, res)
        with ControlClient(live_server.control_endpoint, timeout_s=10) as ctl:
            assert ctl.status()["version"]

    case()
