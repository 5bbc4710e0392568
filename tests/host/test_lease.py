# SPDX-License-Identifier: BSD-3-Clause
"""Raw-tag leases (docs/protocol.md section 2.1) on a server stepped by hand, through its control
commands: grant, renew, release, expiry, several holders, and an operator's explicit setting."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from g2live.config import Config
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource
from g2live.server import Server
from g2live.server.lease import RawTagLeases
from host_helpers import ANY_PORT, pulsed_hbt


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server(SimDevice(ArraySource(pulsed_hbt(0.3))), Config(integration_s=0.05), pub=ANY_PORT,
                 control=ANY_PORT, speed=0)
    yield srv
    srv.close()


def call(srv: Server, **req: object) -> dict:
    """One control request handled as the socket would, decoded."""
    import json

    return json.loads(srv.control.handle([json.dumps(req).encode()])[0])


def test_grant_renew_release_restore(server: Server) -> None:
    run0 = server.run
    r = call(server, cmd="raw_tags_lease", ttl_s=5)["result"]
    assert r["raw_tags"] is True and server.config.raw_tags and r["run"] == server.run == run0 + 1
    assert server.status()["raw_tags_leases"]["active"] == 1
    lease = r["lease"]
    assert call(server, cmd="raw_tags_lease", lease=lease, ttl_s=5)["ok"]
    other = call(server, cmd="raw_tags_lease", ttl_s=5)["result"]
    assert other["run"] == server.run  # already on: the run goes on
    assert call(server, cmd="raw_tags_release", lease=lease)["result"]["raw_tags"] is True  # one left
    res = call(server, cmd="raw_tags_release", lease=other["lease"])["result"]
    assert res == {"released": True, "raw_tags": False, "run": server.run}
    assert not server.config.raw_tags
    assert call(server, cmd="raw_tags_release", lease=lease)["result"]["released"] is False
    bad = call(server, cmd="raw_tags_lease", lease=lease, ttl_s=5)
    assert not bad["ok"] and bad["field"] == "lease" and "expired or was released" in bad["error"]


def test_expiry_restores_the_setting(server: Server) -> None:
    call(server, cmd="raw_tags_lease", ttl_s=0.05)
    assert server.config.raw_tags
    time.sleep(0.1)
    server.tick()  # the loop ends expired leases between integrations
    st = server.status()
    assert not server.config.raw_tags and st["raw_tags_leases"]["expired"] == 1
    assert st["raw_tags_leases"]["active"] == 0


def test_setting_found_on_stays_on(server: Server) -> None:
    server.apply_config(server.config.updated(raw_tags=True))
    lease = call(server, cmd="raw_tags_lease", ttl_s=5)["result"]["lease"]
    call(server, cmd="raw_tags_release", lease=lease)
    assert server.config.raw_tags


def test_operator_setting_wins(server: Server) -> None:
    lease = call(server, cmd="raw_tags_lease", ttl_s=5)["result"]["lease"]
    call(server, cmd="configure", settings={"raw_tags": False})
    call(server, cmd="configure", settings={"raw_tags": True})  # the operator wants them on
    call(server, cmd="raw_tags_release", lease=lease)
    assert server.config.raw_tags


@pytest.mark.parametrize(
    ("req", "field"),
    [
        ({"ttl_s": 0}, "ttl_s"),
        ({"ttl_s": 1e9}, "ttl_s"),
        ({"ttl_s": "5"}, "ttl_s"),
        ({"ttl_s": 5, "lease": 3}, "lease"),
    ],
)
def test_bad_lease_requests_change_nothing(server: Server, req: dict, field: str) -> None:
    rep = call(server, cmd="raw_tags_lease", **req)
    assert not rep["ok"] and rep["field"] == field
    assert not server.config.raw_tags and server.leases.active == 0
    rep = call(server, cmd="raw_tags_release")
    assert not rep["ok"] and rep["field"] == "lease"


def test_leases_bookkeeping() -> None:
    leases = RawTagLeases()
    a = leases.grant(1.0, now=0.0, raw_tags=False)
    b = leases.grant(5.0, now=0.5, raw_tags=True)  # the first lease's setting is the one kept
    assert a != b and leases.active == 2
    assert leases.expire(now=1.0) == [a] and leases.take_restore() is None  # b still held
    assert leases.renew(b, 1.0, now=2.0) and not leases.renew(a, 1.0, now=2.0)
    assert leases.expire(now=3.0) == [b] and leases.expired == 2
    assert leases.take_restore() is False and leases.take_restore() is None  # once
