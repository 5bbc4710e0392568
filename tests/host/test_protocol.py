# SPDX-License-Identifier: BSD-3-Clause
"""End to end over real loopback sockets, checked with a client that knows only docs/protocol.md."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import zmq
from g2live import core
from g2live.client import ControlClient, ControlError, Subscriber
from g2live.config import Config
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource, PhotonSource
from g2live.photons import PhotonData
from g2live.server import Publisher, Server
from host_helpers import ANY_PORT, load_example, pulsed_hbt

TIMEOUT_S = 30.0


def req(ctx: zmq.Context, endpoint: str, obj: object) -> dict:
    """One plain REQ round trip, as a client in any language would do it."""
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    s.send(json.dumps(obj).encode())
    assert s.poll(5000), f"no reply to {obj}"
    rep = json.loads(s.recv())
    s.close()
    return rep


def test_plain_subscriber_follows_protocol(array_server: Server, hbt_data: PhotonData) -> None:
    ex = load_example("subscriber.py")
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)  # keep everything: this test wants every frame
    sub.connect(array_server.pub_endpoint)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    time.sleep(0.3)  # slow joiner: let the subscription reach the publisher before starting
    assert req(ctx, array_server.control_endpoint, {"cmd": "start", "id": 7}) == {
        "ok": True,
        "cmd": "start",
        "id": 7,
        "result": {"state": "running"},
    }
    frames: dict[str, list] = {}
    deadline = time.monotonic() + TIMEOUT_S
    done = False
    while not done and time.monotonic() < deadline:
        assert sub.poll(5000), "publisher went quiet"
        parts = sub.recv_multipart()
        assert len(parts) == 3
        topic, header, data = ex.decode(parts)
        assert header["topic"] == topic and header["schema"] == 1
        assert data.nbytes == len(parts[2])
        for key in (
            "seq",
            "run",
            "t_start",
            "t_stop",
            "integration_s",
            "units",
            "accumulated",
            "settings",
            "device",
        ):
            assert key in header, f"{topic} header lacks {key}"
        frames.setdefault(topic, []).append((header, data.copy()))
        done = topic == "status" and header["source_done"]
    assert done, "the recording was not played to its end in time"
    for topic, fr in frames.items():
        seqs = [h["seq"] for h, _ in fr]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"{topic}: seq has gaps {seqs[:10]}"
    assert {"g2", "rates", "pulsed", "heralded", "trace", "analysis", "status"} <= frames.keys()
    # the last accumulated g2 frame is the whole recording's histogram, bit for bit
    cfg = array_server.config
    h, g2 = frames["g2"][-1]
    assert h["pairs"] == [[0, 1]] and g2.shape == (1, cfg.n_bins) and h["dtype"] == "<i8"
    a, b = hbt_data.channel_times(0), hbt_data.channel_times(1)
    np.testing.assert_array_equal(g2[0], core.correlate(a, b, cfg.bin_width_ps, cfg.n_bins, cfg.offset_ps))
    # heralded and trace frames hold what was new; together they are the whole recording
    her = np.concatenate([d for _, d in frames["heralded"]])
    ref = core.pulsed(hbt_data.channel, hbt_data.time_ps, 8, cfg.max_photons)
    assert len(her) == len(ref.heralded) > 0
    assert sum(int(d.sum()) for _, d in frames["trace"]) == int(np.sum(hbt_data.channel != 8))
    # g2(0) from the frames agrees with the truth of the stream within 5 sigma
    g2_0, err = ex.pulsed_g2_0(g2[0], h)
    truth = hbt_data.meta.extra["truth"]["g2_0"]
    assert abs(g2_0 - truth) < 5 * err, (g2_0, err, truth)
    an = frames["analysis"][-1][0]["values"]
    assert abs(an["g2_0"] - truth) < 5 * an["g2_0_err"]
    st = frames["status"][-1][0]
    assert st["lost_total"] == 0 and st["publisher_dropped"] == {}
    sub.close()
    ctx.term()


def test_seq_gaps_are_reported() -> None:
    ctx = zmq.Context()
    pub = Publisher(ANY_PORT, ctx=ctx, sndhwm=2)
    sub = Subscriber(pub.endpoint, ["g2"], ctx=ctx, rcvhwm=2)
    payload = np.zeros(1 << 18, np.int64)  # 2 MB: the socket buffers hold only a few
    deadline = time.monotonic() + 5
    while pub.subscriptions == 0 and time.monotonic() < deadline:
        pub.publish("status", np.zeros(0, np.int64), {})
        time.sleep(0.02)
    n = 200
    for i in range(n):
        pub.publish("g2", payload, {"i": i})  # nobody reads: most must be dropped, none blocks
    assert pub.stats.dropped["g2"] > 0
    got = list(sub.messages(timeout_s=1.0))
    pub.publish("g2", payload, {"i": n})  # the queue has room again: this one arrives, after the gap
    got += list(sub.messages(timeout_s=1.0))
    assert 0 < len(got) < n + 1 and got[-1].header["i"] == n
    assert sub.gaps["g2"] > 0
    first = got[0].seq
    assert got[-1].seq + 1 - first == len(got) + sub.gaps["g2"]  # every frame is received or reported lost
    assert sub.gaps["g2"] >= pub.stats.dropped["g2"] - 1  # (the first drop may precede the first frame)
    assert sum(f.gap for f in got) == sub.gaps["g2"]
    sub.close()
    pub.close()
    ctx.term()


def test_stalled_subscriber_does_not_stall_the_server() -> None:
    data = pulsed_hbt(1.0, seed=3)
    cfg = Config(
        integration_s=0.01,
        n_bins=1 << 16,
        bin_width_ps=16,
        pairs=((0, 1), (1, 0), (0, 0), (1, 1)),
        rep_rate_hz=1e7,
    )  # 4 x 65536 bins: 2 MB per g2 frame, 100 of them
    srv = Server(
        SimDevice(ArraySource(data)),
        cfg,
        pub=ANY_PORT,
        control=ANY_PORT,
        speed=0,
        sndhwm=4,
        autostart=False,
        exit_at_end=True,
    )
    ctx = zmq.Context()
    stalled = ctx.socket(zmq.SUB)  # connected and subscribed, never reads
    stalled.setsockopt(zmq.RCVHWM, 1)
    stalled.setsockopt(zmq.RCVBUF, 4096)
    stalled.connect(srv.pub_endpoint)
    stalled.setsockopt(zmq.SUBSCRIBE, b"")
    live = Subscriber(srv.pub_endpoint, ["status"], ctx=ctx)
    time.sleep(0.3)
    th = srv.start_thread()
    t0 = time.monotonic()
    ControlClient(srv.control_endpoint, ctx=ctx).start()
    last = live.wait_for("status", TIMEOUT_S, lambda f: f.header["source_done"])
    th.join(timeout=TIMEOUT_S)
    elapsed = time.monotonic() - t0
    assert not th.is_alive() and elapsed < TIMEOUT_S
    assert last.header["n_integrations"] == 100  # all of the recording, despite the stalled reader
    assert sum(last.header["publisher_dropped"].values()) > 0  # and the drops are counted
    assert live.gaps.get("status", 0) == 0  # the reader that keeps up lost nothing
    stalled.close()
    live.close()
    ctx.term()


def test_subscriber_restart_mid_stream(array_server: Server) -> None:
    ctl = ControlClient(array_server.control_endpoint)
    first = Subscriber(array_server.pub_endpoint, ["g2"])
    time.sleep(0.2)
    ctl.start()
    a = first.wait_for("g2", TIMEOUT_S)
    first.close()
    second = Subscriber(array_server.pub_endpoint, ["g2"])
    b = second.wait_for("g2", TIMEOUT_S, lambda f: f.seq > a.seq)
    assert b.run == a.run and b.header["integration_s"] > a.header["integration_s"]
    assert np.all(b.data >= a.data)  # accumulated: the newcomer misses nothing of the run
    assert second.gaps.get("g2", 0) == 0  # a first frame is not a gap
    second.close()
    ctl.close()


BAD_REQUESTS = [
    ([b"\xff\xfe"], "UTF-8", None),
    ([b"not json"], "not valid JSON", None),
    ([b"[1, 2]"], "JSON object", None),
    ([b"{}"], "'cmd'", "cmd"),
    ([b'{"cmd": 5}'], "'cmd'", "cmd"),
    ([b'{"cmd": "explode"}'], "unknown command", "cmd"),
    ([b'{"cmd": "status"}', b"extra"], "one frame", None),
    ([b'{"cmd": "configure"}'], "settings", "settings"),
    ([b'{"cmd": "configure", "settings": {"bin_width_ps": 0}}'], "bin_width_ps", "bin_width_ps"),
    ([b'{"cmd": "configure", "settings": {"pairs": [[0, 7]]}}'], "not enabled", "pairs[0]"),
    ([b'{"cmd": "configure", "settings": {"wavelength": 5}}'], "unknown setting", "wavelength"),
    ([b'{"cmd": "set_power", "power": 1}'], "no power actuator", "power"),
    ([b'{"cmd": "snapshot", "topics": ["nope"]}'], "cannot be snapshot", "topics"),
    ([b'{"cmd": "snapshot", "topics": "g2"}'], "list", "topics"),
    ([b'{"cmd": "sweep", "powers": []}'], "non-empty", "powers"),
    ([b'{"cmd": "sweep", "powers": [1, "x"]}'], "numbers", "powers"),
]


def test_malformed_control_messages(array_server: Server) -> None:
    ctl = ControlClient(array_server.control_endpoint)
    sub = Subscriber(array_server.pub_endpoint, ["g2"])
    time.sleep(0.2)
    ctl.start()
    before = sub.wait_for("g2", TIMEOUT_S)
    ctl.stop()
    st0 = ctl.status()
    for parts, message, field in BAD_REQUESTS:
        reply = json.loads(ctl.request_raw(parts)[0])
        assert reply["ok"] is False, parts
        assert message in reply["error"], (parts, reply)
        assert reply["field"] == field, (parts, reply)
    st1 = ctl.status()  # still answering, and nothing accumulated was lost or changed
    assert (
        st1["run"] == st0["run"]
        and st1["integration_s"] == st0["integration_s"] >= before.header["integration_s"]
    )
    assert st1["settings"] == st0["settings"]
    snap = ctl.snapshot(["g2"])
    np.testing.assert_array_equal(snap["g2"][1].sum() >= before.data.sum(), True)
    with pytest.raises(ControlError) as exc:
        ctl.configure(n_bins=-1)
    assert exc.value.field == "n_bins"
    sub.close()
    ctl.close()


def test_configure_reset_snapshot(array_server: Server) -> None:
    ctl = ControlClient(array_server.control_endpoint)
    sub = Subscriber(array_server.pub_endpoint, ["g2", "status"])
    time.sleep(0.2)
    res = ctl.configure(bin_width_ps=512, n_bins=2048, pairs=[[0, 1], [1, 0]])
    run = res["run"]
    assert res["settings"]["bin_width_ps"] == 512
    ctl.start()
    f = sub.wait_for("g2", TIMEOUT_S, lambda f: f.run == run)
    assert f.data.shape == (2, 2048) and f.header["bin_width_ps"] == 512
    ctl.stop()
    snap = ctl.snapshot()
    assert set(snap) == {"g2", "pulsed", "rates", "analysis", "status"}
    g2h, g2 = snap["g2"]
    assert g2h["run"] == run and g2.shape == (2, 2048) and g2.sum() >= f.data.sum()
    assert ctl.reset()["run"] == run + 1
    assert ctl.snapshot(["g2"])["g2"][1].sum() == 0
    sub.close()
    ctl.close()


def test_device_failure_keeps_the_server_up() -> None:
    good = pulsed_hbt(0.05, seed=4)
    back_in_time = PhotonData(good.channel[:10], good.time_ps[:10])  # a source that goes back in time
    src = PhotonSource([good, back_in_time], t0_ps=0)
    srv = Server(SimDevice(src), Config(integration_s=0.01), pub=ANY_PORT, control=ANY_PORT, speed=0)
    th = srv.start_thread()
    ctl = ControlClient(srv.control_endpoint)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not (st := ctl.status())["device_error"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "before the previous chunk's end" in st["device_error"] and st["state"] == "stopped"
        assert st["integration_s"] > 0  # what came before the failure is kept
        assert ctl.snapshot(["g2"])["g2"][1].sum() > 0
    finally:
        srv.stop_event.set()
        th.join(10)
        ctl.close()


def test_busy_port_is_a_clear_error() -> None:
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUB)
    s.bind(ANY_PORT)
    busy = s.getsockopt_string(zmq.LAST_ENDPOINT)
    with pytest.raises(OSError, match=f"publisher: cannot bind {busy}"):
        Server(SimDevice(ArraySource(pulsed_hbt(0.01))), Config(), pub=busy, control=ANY_PORT)
    with pytest.raises(OSError, match=f"control: cannot bind {busy}"):
        Server(SimDevice(ArraySource(pulsed_hbt(0.01))), Config(), pub=ANY_PORT, control=busy)
    s.close()
    ctx.term()


def test_subscriber_conflates_to_newest_per_topic() -> None:
    ctx = zmq.Context()
    pub = Publisher(ANY_PORT, ctx=ctx)
    sub = Subscriber(pub.endpoint, ["g2", "rates"], ctx=ctx)
    deadline = time.monotonic() + 5
    while pub.subscriptions < 2 and time.monotonic() < deadline:
        pub.publish("status", np.zeros(0, np.int64), {})
        time.sleep(0.02)
    for i in range(50):
        pub.publish("g2", np.full((2, 8), i, np.int64), {"i": i})
        pub.publish("rates", np.full(64, float(i)), {"i": i})
    time.sleep(0.3)
    newest = sub.latest(timeout_s=2)
    assert set(newest) == {"g2", "rates"}
    assert newest["g2"].header["i"] == 49 and newest["g2"].data[0, 0] == 49
    assert newest["rates"].seq == 49 and newest["rates"].data.dtype == np.float64
    assert sub.gaps == {"g2": 0, "rates": 0} and sub.received == {"g2": 50, "rates": 50}
    assert sub.latest(timeout_s=0.05) == {}
    sub.close()
    pub.close()
    ctx.term()
