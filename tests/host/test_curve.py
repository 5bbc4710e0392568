# SPDX-License-Identifier: BSD-3-Clause
"""CURVE encryption on loopback: only clients holding the server's public key get data."""

from __future__ import annotations

import pytest
import zmq
from g2live.client import ControlClient, Subscriber
from g2live.config import Config
from g2live.curve import CurveKeys
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource
from g2live.protocol import check_bind
from g2live.server import Server
from host_helpers import ANY_PORT, pulsed_hbt

pytestmark = pytest.mark.skipif(not zmq.has("curve"), reason="this libzmq was built without CURVE")


def test_non_loopback_bind_needs_curve_or_insecure() -> None:
    with pytest.raises(ValueError, match="--curve-secret"):
        check_bind("tcp://0.0.0.0:5555", None, insecure=False)
    check_bind("tcp://0.0.0.0:5555", None, insecure=True)
    check_bind("tcp://127.0.0.1:5555", None, insecure=False)
    check_bind("tcp://[::1]:5555", None, insecure=False)
    check_bind("tcp://localhost:5555", None, insecure=False)


@pytest.mark.parametrize("restrict_clients", [False, True])
def test_curve_on_loopback(tmp_path, restrict_clients: bool) -> None:
    server_pub, server_sec = CurveKeys.generate(tmp_path / "server")
    client_dir = tmp_path / "clients"
    client_pub, client_sec = CurveKeys.generate(client_dir / "alice")
    keys = CurveKeys.load(server_sec, client_dir if restrict_clients else None)
    srv = Server(
        SimDevice(ArraySource(pulsed_hbt(0.3))),
        Config(integration_s=0.05, rep_rate_hz=1e7),
        pub=ANY_PORT,
        control=ANY_PORT,
        speed=0,
        curve=keys,
        autostart=False,
    )
    th = srv.start_thread()
    try:
        good = Subscriber(
            srv.pub_endpoint, ["status"], server_key=str(server_pub), client_keys=str(client_sec)
        )
        plain = Subscriber(srv.pub_endpoint, ["status"])  # no encryption: the handshake fails
        ctl = ControlClient(srv.control_endpoint, server_key=str(server_pub), client_keys=str(client_sec))
        assert ctl.status()["state"] == "stopped"
        f = good.wait_for("status", 10)
        assert f.header["schema"] == 1
        assert plain.recv(timeout_s=1.0) is None
        if restrict_clients:  # a valid CURVE client whose key is not in the folder is refused
            stranger = Subscriber(srv.pub_endpoint, ["status"], server_key=str(server_pub))
            assert stranger.recv(timeout_s=1.5) is None
            stranger.close()
        else:  # any client that knows the server key may connect, with an ephemeral key pair
            anyone = Subscriber(srv.pub_endpoint, ["status"], server_key=str(server_pub))
            assert anyone.wait_for("status", 10).header["schema"] == 1
            anyone.close()
        unkeyed_ctl = ControlClient(srv.control_endpoint, timeout_s=1.0)
        with pytest.raises(TimeoutError):
            unkeyed_ctl.status()
        unkeyed_ctl.close()
        good.close()
        plain.close()
        ctl.close()
    finally:
        srv.stop_event.set()
        th.join(10)
