# SPDX-License-Identifier: BSD-3-Clause
"""The live path end to end, against reading the file alone and against ``core.correlate``, all
measured in the same run (``make bench``; ``pytest -m bench -s tests/bench/test_bench_live.py``).

* ``serve --device replay --speed 0`` (the ``Server`` loop in this process: device, accumulator,
  running analysis every 0.2 s, publishing every topic) on emulated recordings of one 10 MHz dot
  (``--collection 0.17``: ~70 kcps of photons): T3 (Photon-HDF5 and PTU) and the same emulation
  recorded T2 (a sync event per pulse, PTU).
* ``serve --device sim --speed 0``: the emulator feeding the C twins, T3 and T2.

Tags counted end to end are the events the on-chip blocks see: photons plus sync edges (for T3
sources the syncs are implied by the periods and never built; ``Accumulator.counts`` holds both).
``read`` is ``io.iter_chunks`` over the whole file; ``correlate`` is ``core.correlate`` of the two
detector channels in memory (+-500 ns in 1 ns bins, the peers' window of docs/performance.md).
Printed, not asserted as times: only ratios measured here are asserted, loosely.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from g2live import core, io
from g2live.cli import main as cli_main
from g2live.config import Config
from g2live.device import open_device

pytestmark = pytest.mark.bench

T3_S = 20.0  # emulated seconds of the T3 recordings (2e8 sync periods, 1.4e6 photons)
T2_S = 5.0  # of the T2 recording (5e7 sync events)
SIM_S = 6.0  # wall seconds of each sim-device run


def best_of(fn: Callable[[], object], repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("live")
    common = ["--collection", "0.17", "--seed", "3", "--quiet"]
    out = {"T3 .h5": d / "t3.h5", "T3 .ptu": d / "t3.ptu", "T2 .ptu": d / "t2.ptu"}
    for label, path in out.items():
        extra = (
            ["--duration", str(T2_S), "--records", "t2"]
            if label.startswith("T2")
            else ["--duration", str(T3_S)]
        )
        assert cli_main(["simulate", "-o", str(path), *extra, *common]) == 0
    return out


def _read(path: Path) -> int:
    return sum(len(c) for c in io.iter_chunks(path))


def _serve(device, **config) -> tuple[float, int]:  # noqa: ANN001 - a Device
    """Wall time of the server loop until the source ends (or SIM_S), and the tags it counted."""
    from g2live.server import Server

    srv = Server(
        device,
        Config(**config),
        pub="tcp://127.0.0.1:0",
        control="tcp://127.0.0.1:0",
        speed=0,
        exit_at_end=True,
    )
    t0 = time.perf_counter()
    srv.serve(max_s=SIM_S)
    return time.perf_counter() - t0, int(srv.acc.counts.sum())


def _correlate_rate(path: Path) -> float:
    """Mtags/s of core.correlate on the file's two detector channels, best of 3."""
    a, b = [], []
    for c in io.iter_chunks(path):
        a.append(c.time_ps[c.channel == 0])
        b.append(c.time_ps[c.channel == 1])
    ta, tb = np.concatenate(a), np.concatenate(b)
    t = best_of(lambda: core.correlate(ta, tb, 1000, 1000), 3)
    return (ta.size + tb.size) / t / 1e6


def test_replay_end_to_end(recordings: dict[str, Path]) -> None:
    rows = {}
    for label, path in recordings.items():
        n_rec = _read(path)
        t_read = best_of(lambda p=path: _read(p))
        t_e2e, tags = _serve(open_device("replay", path=path), rep_rate_hz=1e7)
        rows[label] = (n_rec, t_read, tags, t_e2e, _correlate_rate(path))
    print("\nreplay --speed 0 end to end (Server loop, every topic published)")
    print(
        f"{'file':8} {'records':>11} {'read Mrec/s':>11} {'tags e2e':>11} {'e2e Mtags/s':>11} "
        f"{'e2e time / read time':>20} {'e2e / correlate':>15}"
    )
    for label, (n_rec, t_read, tags, t_e2e, corr) in rows.items():
        e2e = tags / t_e2e / 1e6
        print(
            f"{label:8} {n_rec:11,d} {n_rec / t_read / 1e6:11.1f} {tags:11,d} {e2e:11.1f} "
            f"{t_e2e / t_read:20.2f} {e2e / corr:15.2f}   (correlate {corr:.0f} Mtags/s)"
        )
    t3 = rows["T3 .h5"][2] / rows["T3 .h5"][3]
    t2 = rows["T2 .ptu"][2] / rows["T2 .ptu"][3]
    assert t3 > 3 * t2, "T3 replay must beat the same stream as T2 sync events by far"


def test_sim_device_end_to_end() -> None:
    from g2live.emulator import Emulator, EmulatorConfig

    rows = {}
    for rec in ("t3", "t2"):
        ecfg = EmulatorConfig(collection_efficiency=0.17, records=rec)
        dev = open_device("sim", emulator_config=ecfg, seed=1)
        t_e2e, tags = _serve(dev, rep_rate_hz=1e7)
        emulated_s = tags / 1.007e7  # ~1e7 syncs + ~7e4 photons per emulated second
        em = Emulator(ecfg, seed=1)
        t_emu = best_of(lambda em=em, s=emulated_s: sum(len(c) for c in em.chunks(s, chunk_s=0.1)), 1)
        rows[rec] = (tags, t_e2e, t_emu)
    print("\nserve --device sim --speed 0 (emulator -> C twins -> Server loop)")
    for rec, (tags, t_e2e, t_emu) in rows.items():
        print(
            f"{rec}: {tags:,d} tags in {t_e2e:.2f} s = {tags / t_e2e / 1e6:.1f} Mtags/s end to end; "
            f"the emulator alone makes them in {t_emu:.2f} s (e2e time / emulator time {t_e2e / t_emu:.2f})"
        )
    assert rows["t3"][0] / rows["t3"][1] > 3 * rows["t2"][0] / rows["t2"][1]


# the live taggers' measurements (docs/protocol.md section 3), all heralded/anchored on the sync
LIVE_SETTINGS = {
    "log_corr": {"log_corr": True},
    "coincidences": {"coincidences": ((0, 1), (0, 1, 8))},
    "heralded_g2": {"heralded_g2": (8, 0, 1), "herald_window_ps": 100_000},
    "g3": {"g3": (8, 0, 1)},
    "on_state": {"on_state": True},
}


def test_live_correlations_cost(recordings: dict[str, Path]) -> None:
    """The server loop on the T3 recording with each live topic on, all of them, and none."""
    path = recordings["T3 .h5"]
    every = {k: v for d in LIVE_SETTINGS.values() for k, v in d.items()}
    runs = {"none": {}, **LIVE_SETTINGS, "all": every}
    rates = {}
    for label, extra in runs.items():
        t, tags = _serve(open_device("replay", path=path), rep_rate_hz=1e7, **extra)
        rates[label] = tags / t / 1e6
    print("\nreplay --speed 0 with the live taggers' topics (Mtags/s; tags include the 10 MHz syncs)")
    for label, r in rates.items():
        print(f"{label:14} {r:7.1f}   {r / rates['none']:5.2f} x none")
    # the sync-anchored g3 / heralded g2 walk every sync: the only ones that may cost several times
    assert rates["log_corr"] > 0.5 * rates["none"] and rates["coincidences"] > 0.3 * rates["none"]
    assert rates["all"] > 0.05 * rates["none"]
