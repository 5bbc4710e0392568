# SPDX-License-Identifier: BSD-3-Clause
"""Issue 15, "Control socket": every request gets a reply, and no client input puts a traceback in
the server's log. Each test failed on the code before the fix."""

from __future__ import annotations

import json
import logging

import pytest
from g2live.client import ControlClient
from g2live.server import Server

MAX_REQUEST_BYTES = 1 << 20  # the limits docs/protocol.md states (checked against the code below)
MAX_REQUEST_DEPTH = 32


def _reply(ctl: ControlClient, raw: bytes) -> dict:
    return json.loads(ctl.request_raw([raw], timeout_s=10)[0])


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


def test_oversize_request_is_answered(array_server: Server, caplog: pytest.LogCaptureFixture) -> None:
    """Was: no reply at all (ZeroMQ dropped it at MAXMSGSIZE), so a client without a timeout hung."""
    ctl = ControlClient(array_server.control_endpoint)
    with caplog.at_level(logging.DEBUG, logger="g2live"):
        for size in (MAX_REQUEST_BYTES + 1, 4 * MAX_REQUEST_BYTES):
            rep = _reply(ctl, json.dumps({"cmd": "status", "pad": "x" * size}).encode())
            assert rep["ok"] is False
            assert f"exceeds the limit of {MAX_REQUEST_BYTES} bytes" in rep["error"]
        assert ctl.status()["state"] == "stopped"
    _no_tracebacks(caplog)
    ctl.close()


def test_request_over_the_hard_limit_closes_the_connection(array_server: Server) -> None:
    """Beyond HARD_LIMIT_BYTES ZeroMQ drops the message and the connection: the client says so."""
    from g2live.protocol import ConnectionClosedError
    from g2live.server.control import HARD_LIMIT_BYTES

    ctl = ControlClient(array_server.control_endpoint)
    with pytest.raises(ConnectionClosedError, match="closed the connection"):
        ctl.request_raw([b"x" * (HARD_LIMIT_BYTES + 1)], timeout_s=3)
    assert ctl.status()["state"] == "stopped"  # and the next request works
    ctl.close()


def test_client_refuses_to_send_an_oversize_request(array_server: Server) -> None:
    ctl = ControlClient(array_server.control_endpoint)
    before = array_server.control.n_requests
    with pytest.raises(ValueError, match=f"exceeds the {MAX_REQUEST_BYTES}-byte limit"):
        ctl.call("status", pad="x" * MAX_REQUEST_BYTES)
    assert array_server.control.n_requests == before
    ctl.close()


@pytest.mark.parametrize("depth", [MAX_REQUEST_DEPTH + 1, 2_000, 100_000])
def test_deep_request_is_answered(depth: int, array_server: Server, caplog: pytest.LogCaptureFixture) -> None:
    """Was: 'RecursionError: maximum recursion depth exceeded' as the reply, a traceback in the log."""
    ctl = ControlClient(array_server.control_endpoint)
    with caplog.at_level(logging.DEBUG, logger="g2live"):
        for raw in (
            b"[" * depth + b"]" * depth,
            b'{"cmd": "status", "x": ' + b"[" * depth + b"]" * depth + b"}",
        ):
            rep = _reply(ctl, raw)
            assert rep["ok"] is False
            assert rep["error"] == f"request is nested deeper than the limit of {MAX_REQUEST_DEPTH} levels"
            assert "Recursion" not in rep["error"]
        assert ctl.status()["state"] == "stopped"
    _no_tracebacks(caplog)
    ctl.close()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"cmd": "set_power", "power": NaN}', "NaN is not a JSON number"),
        (b'{"cmd": "set_power", "power": Infinity}', "Infinity is not a JSON number"),
        (b'{"cmd": "set_power", "power": ' + b"9" * 400 + b"}", "power must be a finite number"),
        # found by tests/fuzz: more digits than Python reads into an int (ValueError, a traceback)
        (b'{"cmd": "set_power", "power": ' + b"9" * 5000 + b"}", "an integer of more than 4300 digits"),
        (b'{"cmd": "sweep", "powers": [1e400]}', "powers must be a non-empty list of numbers"),
        (b'{"cmd": "' + b"z" * 10_000 + b'"}', "unknown command"),
    ],
)
def test_odd_values_are_refused_by_name(
    raw: bytes, message: str, array_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    ctl = ControlClient(array_server.control_endpoint)
    with caplog.at_level(logging.DEBUG, logger="g2live"):
        rep = _reply(ctl, raw)
    assert rep["ok"] is False and message in rep["error"], rep
    assert len(rep["error"]) < 300  # what was sent is echoed in part, not all of it
    assert "set_int_max_str_digits" not in rep["error"] and "cannot read: request" not in rep["error"]
    _no_tracebacks(caplog)
    ctl.close()


def test_limits_are_documented(repo_root) -> None:
    from g2live import protocol
    from g2live.server.control import HARD_LIMIT_BYTES

    assert (protocol.MAX_REQUEST_BYTES, protocol.MAX_REQUEST_DEPTH) == (MAX_REQUEST_BYTES, MAX_REQUEST_DEPTH)
    text = (repo_root / "docs" / "protocol.md").read_text()
    assert f"{MAX_REQUEST_BYTES >> 20} MiB ({MAX_REQUEST_BYTES} bytes)" in text
    assert f"{MAX_REQUEST_DEPTH} levels" in text and f"{HARD_LIMIT_BYTES >> 20} MiB" in text
