# SPDX-License-Identifier: BSD-3-Clause
"""Issue 15, "Security": CURVE from every client and command, key files, distinct errors, and the
dashboard's door. Each test failed on the code before the fix."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import g2live
import pytest
import zmq
from g2live.client import ControlClient, Subscriber
from g2live.config import Config
from g2live.curve import CurveKeys
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource
from g2live.server import Server
from host_helpers import ANY_PORT, free_port, pulsed_hbt, run_cli

pytestmark = pytest.mark.skipif(not zmq.has("curve"), reason="this libzmq was built without CURVE")
ROOT = Path(__file__).resolve().parents[2]


def _z85(key_file: Path) -> str:
    line = next(x for x in key_file.read_text().splitlines() if "public-key" in x)
    return line.split('"')[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Server, allowed client (alice, in the clients folder) and a stranger (mallory)."""
    d = tmp_path_factory.mktemp("keys")
    out: dict[str, Path] = {"dir": d}
    for name in ("server", "alice", "mallory"):
        out[name], out[name + "_secret"] = CurveKeys.generate(d / name)
    (d / "clients").mkdir()
    (d / "clients" / "alice.key").write_bytes(out["alice"].read_bytes())
    return out


@pytest.fixture(scope="module")
def curve_server(keys: dict[str, Path]) -> Iterator[Server]:
    """A CURVE server that admits alice's key only."""
    srv = Server(
        SimDevice(ArraySource(pulsed_hbt(0.3))),
        Config(integration_s=0.05, rep_rate_hz=1e7),
        pub=ANY_PORT,
        control=ANY_PORT,
        speed=0,
        curve=CurveKeys.load(keys["server_secret"], keys["dir"] / "clients"),
        autostart=False,
    )
    th = srv.start_thread()
    yield srv
    srv.stop_event.set()
    th.join(10)


@pytest.fixture(scope="module")
def open_curve_server(keys: dict[str, Path]) -> Iterator[Server]:
    """A CURVE server that admits any client knowing its public key (ephemeral client keys)."""
    srv = Server(
        SimDevice(ArraySource(pulsed_hbt(0.3))),
        Config(integration_s=0.05, rep_rate_hz=1e7),
        pub=ANY_PORT,
        control=ANY_PORT,
        speed=0,
        curve=CurveKeys.load(keys["server_secret"]),
        autostart=False,
    )
    th = srv.start_thread()
    yield srv
    srv.stop_event.set()
    th.join(10)


@pytest.mark.parametrize("form", ["z85 str", "z85 bytes", "raw bytes", "file str", "file path"])
@pytest.mark.parametrize("restricted", [False, True])
def test_server_key_in_every_form(
    form: str, restricted: bool, keys: dict[str, Path], curve_server: Server, open_curve_server: Server
) -> None:
    """Was: UnboundLocalError ('import zmq.auth' shadowed the module) for str and bytes keys."""
    from zmq.utils import z85

    text = _z85(keys["server"])
    key = {
        "z85 str": text,
        "z85 bytes": text.encode(),
        "raw bytes": z85.decode(text.encode()),
        "file str": str(keys["server"]),
        "file path": keys["server"],
    }[form]
    srv = curve_server if restricted else open_curve_server
    alice = str(keys["alice_secret"]) if restricted else None  # None: an ephemeral key pair
    with ControlClient(srv.control_endpoint, server_key=key, client_keys=alice, timeout_s=5) as ctl:
        assert ctl.status()["state"] == "stopped"
    with Subscriber(srv.pub_endpoint, ["status"], server_key=key, client_keys=alice) as sub:
        assert sub.wait_for("status", 10).header["schema"] == 1


def test_status_with_a_z85_key_and_a_client_key(keys: dict[str, Path], curve_server: Server) -> None:
    res = run_cli(
        "status",
        "--control",
        curve_server.control_endpoint,
        "--server-key",
        _z85(keys["server"]),
        "--client-key",
        str(keys["alice_secret"]),
    )
    assert res.code == 0 and res.clean, res
    assert "state        stopped" in res.out


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("no server", "NoServerError", "nothing listens there: is `g2live serve` running?"),
        ("key not allowed", "KeyRejectedError", "the server refused our CURVE key"),
        ("wrong server key", "ServerKeyError", "--server-key is not this server's public key"),
        ("no key", "EncryptionMismatchError", "the server uses CURVE"),
    ],
)
def test_distinct_errors(
    case: str, error: str, message: str, keys: dict[str, Path], curve_server: Server, tmp_path: Path
) -> None:
    """Was: "no reply ... is g2live serve running?" for all four."""
    from g2live import protocol

    endpoint = curve_server.control_endpoint
    kw: dict[str, object] = {"server_key": str(keys["server"]), "client_keys": str(keys["alice_secret"])}
    if case == "no server":
        endpoint = f"tcp://127.0.0.1:{free_port()}"
    elif case == "key not allowed":
        kw["client_keys"] = str(keys["mallory_secret"])
    elif case == "wrong server key":
        kw["server_key"] = str(keys["mallory"])
    else:
        kw = {}
    with ControlClient(endpoint, timeout_s=1.0, **kw) as ctl:  # type: ignore[arg-type]
        with pytest.raises(getattr(protocol, error), match=message):
            ctl.status()
    res = run_cli("status", "--control", endpoint, "--timeout", "1", *_cli_keys(kw))
    assert res.one_line_error(), res
    assert message in res.err
    # record says the same (was, after main's crash-safe record: "...: is `g2live serve` running?"
    # appended to every reason)
    res = run_cli("record", "-o", str(tmp_path / "r.h5"), "--duration", "1", "--control", endpoint,
                  "--pub", curve_server.pub_endpoint, *_cli_keys(kw))
    assert res.one_line_error() and message in res.err, res
    assert case == "no server" or "is `g2live serve` running?" not in res.err, res


def _cli_keys(kw: dict[str, object]) -> list[str]:
    out = []
    if "server_key" in kw:
        out += ["--server-key", str(kw["server_key"])]
    if "client_keys" in kw:
        out += ["--client-key", str(kw["client_keys"])]
    return out


def test_an_unencrypted_server_is_named(keys: dict[str, Path], array_server: Server) -> None:
    from g2live.protocol import EncryptionMismatchError

    with ControlClient(array_server.control_endpoint, timeout_s=1.0, server_key=str(keys["server"])) as ctl:
        with pytest.raises(EncryptionMismatchError, match="does not use CURVE: drop --server-key"):
            ctl.status()


def test_a_handshake_closed_without_detail_is_told_apart(
    keys: dict[str, Path], array_server: Server, open_curve_server: Server
) -> None:
    """A plain server can close on a CURVE client's greeting before its ERROR arrives (seen under
    load: the test above then got "--server-key is not this server's public key"). That state,
    forced here, is told apart from a wrong key by a plain handshake."""
    from g2live.link import LinkMonitor
    from g2live.protocol import EncryptionMismatchError, ServerKeyError

    ctx = zmq.Context.instance()
    for endpoint, expected in ((array_server.control_endpoint, EncryptionMismatchError),
                               (open_curve_server.control_endpoint, ServerKeyError)):
        sock = ctx.socket(zmq.DEALER)
        mon = LinkMonitor(sock, encrypted=True)
        try:
            mon.state.failure = zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
            err = mon.error(endpoint, 1.0)
        finally:
            mon.close()
            sock.close(linger=0)
        assert type(err) is expected, (endpoint, err)


def test_keygen_secret_is_private_and_kept(tmp_path: Path) -> None:
    """Was: mode 644, and a second --curve-keygen silently replaced the pair."""
    res = run_cli("serve", "--curve-keygen", str(tmp_path / "srv"))
    assert res.code == 0, res
    pub, sec = tmp_path / "srv.key", tmp_path / "srv.key_secret"  # the names docs/protocol.md gives
    assert stat.S_IMODE(sec.stat().st_mode) == 0o600
    assert stat.S_IMODE(pub.stat().st_mode) & 0o044  # the public one is meant to be handed out
    before = sec.read_bytes()
    res = run_cli("serve", "--curve-keygen", str(tmp_path / "srv"))
    assert res.one_line_error() and "--force" in res.err, res
    assert sec.read_bytes() == before
    res = run_cli("serve", "--curve-keygen", str(tmp_path / "srv"), "--force")
    assert res.code == 0 and sec.read_bytes() != before
    assert stat.S_IMODE(sec.stat().st_mode) == 0o600
    keys = CurveKeys.load(sec)  # what serve --curve-secret reads
    assert keys.public.decode() == _z85(pub)
    protocol_md = (ROOT / "docs" / "protocol.md").read_text()
    said = " ".join(protocol_md.split())  # the doc names the files written, as written
    assert "`BASE.key` public" in said and "`BASE.key_secret` secret" in said and "FILE.pub" not in said


def test_insecure_serve_warns(caplog: pytest.LogCaptureFixture) -> None:
    """Was: `serve --insecure` on 0.0.0.0 said nothing."""
    with caplog.at_level(logging.WARNING, logger="g2live.server"):
        srv = Server(
            SimDevice(ArraySource(pulsed_hbt(0.01))),
            Config(),
            pub="tcp://0.0.0.0:0",
            control=ANY_PORT,
            insecure=True,
            autostart=False,
        )
        srv.close()
    assert any("without encryption or authentication" in r.getMessage() for r in caplog.records)


# --- the dashboard's door ---------------------------------------------------------------------------


def _get(url: str, cookie: str | None = None) -> tuple[int, str, str]:
    """(status, body, Set-Cookie) of one GET, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a: object, **k: object) -> None:
            return None

    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as r:
            return r.status, r.read().decode(), r.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), ""


def _dashboard(*argv: str) -> tuple[subprocess.Popen, str]:
    """Start `g2live dashboard ARGV`; return it and its first stdout line (the URL)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "g2live.cli", "dashboard", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(Path(g2live.__file__).parents[1])},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line


def test_dashboard_beyond_loopback_needs_the_token(array_server: Server) -> None:
    """Was: `g2live dashboard --host 0.0.0.0` served the page and its controls to anyone."""
    port = free_port()
    proc, line = _dashboard(
        "--host", "0.0.0.0", "--port", str(port), "--connect", array_server.pub_endpoint,
        "--control", array_server.control_endpoint,
    )
    try:
        assert "?token=" in line, line
        assert "0.0.0.0" not in line, line  # the wildcard cannot be opened from another machine
        token = line.split("?token=")[1].split()[0]
        base = f"http://127.0.0.1:{port}/"
        code, _, _ = _get(base)
        assert code in (302, 403)  # to the page that says where the token is
        code, body, _ = _get(base + "g2live-token-needed")
        assert code == 403 and "token" in body
        assert _get(base + "?token=wrong")[0] in (302, 403)
        code, body, cookie = _get(f"{base}?token={token}")
        assert code == 200 and "g2live_token=" in cookie and "httponly" in cookie.lower()
        assert _get(base, cookie=f"g2live_token={token}")[0] == 200
        # the WebSocket (what the controls talk through): refused before the upgrade without it
        ws = f"ws://127.0.0.1:{port}/ws"
        assert _websocket(ws) == "refused: HTTP 403"
        assert _websocket(ws, cookie=f"g2live_token={token}") == "ACK"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err and "Uncaught exception" not in err, err


def _websocket(url: str, cookie: str | None = None) -> str:
    """What a Bokeh client opening a session on ``url`` gets: its first message type or the refusal."""
    import asyncio
    import json

    from bokeh.settings import settings as bokeh_settings
    from bokeh.util.token import generate_jwt_token, generate_session_id
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    token = generate_jwt_token(generate_session_id(), secret_key=bokeh_settings.secret_key_bytes(),
                               signed=bokeh_settings.sign_sessions(), expiration=300)
    headers = {"Origin": url.replace("ws://", "http://").rsplit("/ws", 1)[0]}
    if cookie:
        headers["Cookie"] = cookie

    async def probe() -> str:
        try:
            conn = await websocket_connect(HTTPRequest(url, headers=headers), subprotocols=["bokeh", token])
        except HTTPClientError as exc:
            return f"refused: HTTP {exc.code}"
        msg = await asyncio.wait_for(conn.read_message(), 30)
        conn.close()
        return "closed" if msg is None else json.loads(msg)["msgtype"]

    return asyncio.run(probe())


def test_dashboard_insecure_warns(array_server: Server) -> None:
    port = free_port()
    proc, line = _dashboard(
        "--host", "0.0.0.0", "--port", str(port), "--insecure", "--connect", array_server.pub_endpoint,
        "--control", array_server.control_endpoint,
    )
    try:
        assert "?token=" not in line and f":{port}/" in line
        assert _get(f"http://127.0.0.1:{port}/")[0] == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "without a token (--insecure)" in err


def test_public_url_names_an_openable_address() -> None:
    import socket

    from g2live.dashboard.webserver import public_url

    assert public_url("127.0.0.1", 5006) == "http://127.0.0.1:5006/"
    assert public_url("::1", 5006, "t") == "http://[::1]:5006/?token=t"
    for wildcard in ("0.0.0.0", "::"):
        url = public_url(wildcard, 5006, "t")
        assert wildcard not in url.split("//")[1].split(":5006")[0]
        host = url.split("//")[1].rsplit(":5006", 1)[0].strip("[]")
        assert host in (socket.gethostname(), socket.getfqdn())


def test_dashboard_api_refuses_an_open_address() -> None:
    from g2live.dashboard.access import check_access

    with pytest.raises(ValueError, match="needs a token"):
        check_access("0.0.0.0", None, insecure=False)
    check_access("0.0.0.0", "t0ken", insecure=False)
    check_access("0.0.0.0", None, insecure=True)
    for host in ("127.0.0.1", "localhost", "::1"):
        check_access(host, None, insecure=False)


def test_view_only_refuses_commands_server_side(array_server: Server) -> None:
    """--view-only: the page's Commander sends nothing, whatever the browser asks for."""
    from g2live.dashboard.commander import VIEW_ONLY, Commander

    before = array_server.control.n_requests
    cmd = Commander(array_server.control_endpoint, view_only=True)
    try:
        for name, args in (("start", {}), ("configure", {"settings": {"n_bins": 512}}), ("stop", {})):
            rep = cmd.submit(name, args).result(timeout=10)
            assert rep["ok"] is False and rep["error"] == VIEW_ONLY
    finally:
        cmd.close()
    time.sleep(0.2)
    assert array_server.control.n_requests == before and cmd.sent == 0
    assert not array_server.running


def test_view_only_controls_are_off() -> None:
    from bokeh.document import Document
    from g2live.dashboard.commander import Commander
    from g2live.dashboard.controls import Controls
    from g2live.dashboard.widgets import PageKit

    cmd = Commander("tcp://127.0.0.1:1", view_only=True)
    try:
        c = Controls(PageKit(), Document(), cmd)
        assert c.start_btn.disabled and c.apply_btn.disabled and c.power_btn.disabled and c.in_bin.disabled
    finally:
        cmd.close()
