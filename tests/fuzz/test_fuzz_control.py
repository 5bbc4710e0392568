# SPDX-License-Identifier: BSD-3-Clause
"""Random and adversarial requests on the control socket: sizes, depths, types, rates.

Every request must get exactly one reply, a JSON object with ``ok`` (and an ``error`` string when
it is false), within a bounded time; no request may put a traceback in the server's log; and the
server must answer ``status`` after each. Requests that happen to be valid are carried out (a
``configure`` changes the settings, a ``stop`` stops): that is part of the abuse.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
import zmq
from fuzz_helpers import COUNTS, bounded, budget
from g2live.client import ControlClient
from g2live.protocol import MAX_REQUEST_BYTES, MAX_REQUEST_DEPTH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

COMMANDS = ["status", "configure", "start", "stop", "reset", "snapshot", "set_power", "sweep", "sweep_stop"]
ARGS = ["settings", "power", "powers", "topics", "reset", "target_rel_err", "max_s", "min_s", "id", "cmd"]
SETTING_KEYS = ["channels", "delay_ps", "dead_time_ps", "bin_width_ps", "n_bins", "offset_ps", "pairs",
                "sync_channel", "pulsed_window_ps", "max_photons", "trace_bin_ps",
                "raw_tags", "analysis_pair", "analysis_k_side", "rep_rate_hz", "bogus"]

# JSON values of every type; numbers at the edges (huge ints, tiny and huge floats, -0.0)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 10**30, 0.0, -0.0, 1e-300, 1e300, 0.5]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# n_bins is drawn small: the settings allow 2**24 bins x 8 pairs (1 GiB per histogram), a load
# this suite does not put on a shared CI machine (noted in docs/protocol.md, section 3).
setting_values = st.one_of(
    scalars.filter(lambda v: not (isinstance(v, int) and not isinstance(v, bool) and v > 65536)),
    st.lists(st.integers(-2, 70), max_size=5),
    st.lists(st.lists(st.integers(-1, 9), max_size=3), max_size=9),
    st.dictionaries(st.sampled_from(["0", "1", "8", "x"]), st.integers(-5, 10**6), max_size=3),
)
# integration_s is drawn short (or invalid): a valid 60 s integration of the emulator is a minute
# of CPU, not an abuse of the control socket.
integration = st.one_of(st.sampled_from([0.0, -1, 0.0005, 0.01, 0.05, 0.2, 61, 1e300, "0.1", None, True]))
settings_objects = st.one_of(
    st.dictionaries(st.sampled_from(SETTING_KEYS), setting_values, max_size=4),
    st.fixed_dictionaries({"integration_s": integration}),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, list[bytes]]:
    """(kind, frames) of one request."""
    kinds = ["command", "command", "command", "any json", "bytes", "deep", "size", "frames", "constants"]
    kind = draw(st.sampled_from(kinds))
    if kind == "command":
        req: dict[str, Any] = {"cmd": draw(st.one_of(st.sampled_from(COMMANDS), json_values))}
        for key in draw(st.lists(st.sampled_from(ARGS), max_size=4, unique=True)):
            req[key] = draw(settings_objects if key == "settings" else json_values)
        return kind, [json.dumps(req).encode()]
    if kind == "any json":
        return kind, [json.dumps(draw(json_values)).encode()]
    if kind == "bytes":
        return kind, [draw(st.binary(max_size=200))]
    if kind == "deep":
        depth = draw(st.sampled_from([MAX_REQUEST_DEPTH, MAX_REQUEST_DEPTH + 1, 999, 1000, 5000, 100_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        inner = (opener * depth + "1" + closer * depth).encode()
        return kind, [b'{"cmd": "status", "x": ' + inner + b"}"]
    if kind == "size":
        size = MAX_REQUEST_BYTES + draw(st.sampled_from([-64, -1, 0, 1, 2, 4096, MAX_REQUEST_BYTES]))
        head = b'{"cmd": "status", "pad": "'
        return kind, [head + b"x" * max(0, size - len(head) - 2) + b'"}']
    if kind == "frames":
        return kind, [b'{"cmd": "status"}'] * draw(st.integers(0, 4)) + [b""] * draw(st.integers(0, 2))
    text = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 5000, '"\\ud800"']))
    return kind, [f'{{"cmd": "set_power", "power": {text}}}'.encode()]


def _check(reply: list[bytes], frames: list[bytes]) -> None:
    rep = json.loads(reply[0])
    assert isinstance(rep, dict) and isinstance(rep.get("ok"), bool), rep
    if not rep["ok"]:
        assert isinstance(rep["error"], str) and rep["error"], rep
        assert len(reply) == 1
    assert len(reply[0]) < 2 * MAX_REQUEST_BYTES


@settings(max_examples=budget(200), deadline=None, suppress_health_check=list(HealthCheck))
@given(req=requests())
def test_fuzz_control_requests(
    req: tuple[str, list[bytes]], live_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    kind, frames = req
    COUNTS[("control requests", kind)] += 1
    with ControlClient(live_server.control_endpoint, timeout_s=20) as ctl:
        with caplog.at_level(logging.DEBUG, logger="g2live"), bounded(60, f"{kind} request"):
            if not frames:  # an empty multipart message cannot be sent: one empty frame instead
                frames = [b""]
            _check(ctl.request_raw(frames), frames)
        assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
        caplog.clear()
        assert ctl.status()["version"]


def test_request_bursts_from_many_clients(live_server: Any) -> None:
    """Rates: 8 clients x 60 requests as fast as they go, plus 300 pipelined on one DEALER."""
    errors: list[str] = []

    def client(k: int) -> None:
        try:
            with ControlClient(live_server.control_endpoint, timeout_s=30) as ctl:
                for i in range(60):
                    raw = json.dumps({"cmd": ["status", "snapshot", "nope"][i % 3], "id": [k, i]}).encode()
                    rep = json.loads(ctl.request_raw([raw])[0])
                    if rep.get("id") != [k, i]:
                        errors.append(f"client {k}: reply {rep.get('id')} to request {i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"client {k}: {type(exc).__name__}: {exc}")

    with bounded(120, "request bursts"):
        threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
        for th in threads:
            th.start()
        ctx = zmq.Context()
        dealer = ctx.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(live_server.control_endpoint)
        for i in range(300):
            dealer.send_multipart([b"", json.dumps({"cmd": "status", "id": i}).encode()])
        ids = []
        while len(ids) < 300 and dealer.poll(30_000):
            ids.append(json.loads(dealer.recv_multipart()[1])["id"])
        dealer.close()
        ctx.term()
        for th in threads:
            th.join()
    COUNTS[("control requests", "burst")] += 8 * 60 + 300
    assert not errors, errors[:5]
    assert ids == list(range(300))
    with ControlClient(live_server.control_endpoint) as ctl:
        assert ctl.status()["version"]
