# SPDX-License-Identifier: BSD-3-Clause
"""The server's ``markers`` topic and live marker gate (``Config.gate_markers``): an emulated run
whose frame markers open (0) and close (1) windows; the run's gated histogram equals a numpy
count of the pairs whose two photons both lie inside a window, over the photons the device gave."""

from __future__ import annotations

import json

import numpy as np
import pytest
from g2live.config import Config, ConfigError
from g2live.device.sim import SimDevice
from g2live.emulator import EmulatorConfig
from g2live.protocol import pack_header
from g2live.server import Server
from host_helpers import ANY_PORT


def numpy_gated(ch: np.ndarray, t: np.ndarray, markers: np.ndarray, cfg: Config) -> np.ndarray:
    """Windows by hand (each 0 up to the next 1), photons inside by hand, every pair counted."""
    opens = markers["time_ps"][markers["marker"] == 0]
    closes = markers["time_ps"][markers["marker"] == 1]
    inside = np.zeros(t.size, bool)
    for s in opens:
        later = closes[closes > s]
        assert later.size, "the run must end with every window closed (the reference drops none)"
        inside |= (t >= s) & (t < later[0])
    a, b = cfg.pairs[0]
    ta, tb = t[inside & (ch == a)], t[inside & (ch == b)]
    lo, n, bw = cfg.lo_ps, cfg.n_bins, cfg.bin_width_ps
    counts = np.zeros(n, np.int64)
    for x in ta:
        d = tb[(tb >= x + lo) & (tb < x + lo + n * bw)] - x
        np.add.at(counts, (d - lo) // bw, 1)
    return counts


def test_live_marker_gate_equals_numpy_reference() -> None:
    emu = EmulatorConfig(power=1.0, records="t2", marker_period_s=0.01, marker_duty=0.5)
    cfg = Config(integration_s=0.02, rep_rate_hz=1e7, pairs=((0, 1),), gate_markers=(0, 1))
    srv = Server(SimDevice(emulator_config=emu, seed=5), cfg, pub=ANY_PORT, control=ANY_PORT, speed=0)
    try:
        integs = [srv.step_integration() for _ in range(5)]
        assert all(i is not None for i in integs)
        hdr, hist = srv.message("markers", integs[-1])
    finally:
        srv.close()
    ch = np.concatenate([i.stream[0] for i in integs])  # type: ignore[union-attr, index]
    t = np.concatenate([i.stream[1] for i in integs])  # type: ignore[union-attr, index]
    marks = np.concatenate([i.markers for i in integs])  # type: ignore[union-attr]
    assert marks.size == 20 and hdr["marker_counts"][:2] == [10, 10]
    assert hdr["gate_windows"] == 10 and not hdr["gate_open"] and hdr["gate_error"] == ""
    assert hdr["gate_time_s"] == pytest.approx(0.05)
    ref = numpy_gated(ch, t, marks, cfg)
    assert ref.sum() > 100, "the windows must hold pairs"
    np.testing.assert_array_equal(hist[0], ref)
    # the message is well formed and says which markers this integration had
    head, arr = pack_header("markers", hist, {**hdr, "seq": 0})
    full = json.loads(head)
    assert full["events"] == [[int(k), int(x)] for k, x in zip(integs[-1].markers["marker"],  # type: ignore[union-attr]
                                                                 integs[-1].markers["time_ps"], strict=True)]
    assert list(arr.shape) == [1, cfg.n_bins]


def test_gate_markers_setting_is_checked() -> None:
    assert Config.from_dict({"gate_markers": [2, 3]}).gate_markers == (2, 3)
    assert Config(gate_markers=(0, 1)).to_dict()["gate_markers"] == [0, 1]
    with pytest.raises(ConfigError, match="gate_markers"):
        Config.from_dict({"gate_markers": [0, 99]})
    with pytest.raises(ConfigError, match="gate_markers"):
        Config.from_dict({"gate_markers": 3})


def test_record_path_keeps_the_markers(tmp_path) -> None:
    """What ``g2live record`` does with each ``tags`` frame (decode, append to Photon-HDF5) keeps
    the device's markers: the file gives back every marker of the integrations, in order."""
    from g2live import io
    from g2live.io.photon_hdf5 import Recorder
    from g2live.photons import Meta, PhotonData
    from g2live.recording import decode_tags

    emu = EmulatorConfig(rep_rate_hz=1e6, records="t2", marker_period_s=0.02, power_marker=True)
    dev = SimDevice(emulator_config=emu, seed=2)  # emulator chunks of 0.1 s: the step acts at one
    dev.configure(Config(integration_s=0.05, rep_rate_hz=1e6, raw_tags=True))
    dev.start()
    path = tmp_path / "rec.h5"
    want = []
    with Recorder(path, Meta(source="test")) as rec:
        for k in range(6):
            if k == 1:
                dev.set_source_power(0.5)
            integ = dev.acquire()
            assert integ is not None and integ.tag_words is not None
            ch, t, bad, markers = decode_tags(integ.tag_words)
            assert bad == 0
            rec.append(PhotonData(ch, t, markers=markers))
            want.append(integ.markers)
    _data, got = io.read_with_markers(path)
    w = np.concatenate(want)
    assert w.size >= 29 and w["marker"].tolist().count(2) == 1, "frame markers 0, 1 and a power-step marker 2"
    np.testing.assert_array_equal(got["marker"], w["marker"])
    np.testing.assert_array_equal(got["time_ps"], w["time_ps"])


@pytest.mark.parametrize("ext", [".ptu", ".h5"])
def test_replay_carries_the_files_markers(ext: str, tmp_path) -> None:
    """A replayed recording's markers reach the device as marker numbers: a PTU file's marker bits
    (bit k = marker k, what the PTU writer writes) and a g2live Photon-HDF5 file's numbers."""
    from g2live import io
    from g2live.device.replay import open_replay
    from g2live.emulator import Emulator

    data = Emulator(EmulatorConfig(rep_rate_hz=1e6, records="t2", marker_period_s=0.01), seed=1).run(0.1)
    path = tmp_path / f"framed{ext}"
    io.write(path, data)
    dev = open_replay(path)
    dev.configure(Config(integration_s=0.02, rep_rate_hz=1e6))
    dev.start()
    got = [i.markers for i in iter(dev.acquire, None)]
    m = np.concatenate(got)
    assert data.markers is not None and m.size == data.markers.size == 20
    np.testing.assert_array_equal(m["marker"], data.markers["marker"])
    np.testing.assert_array_equal(m["time_ps"], data.markers["time_ps"])
