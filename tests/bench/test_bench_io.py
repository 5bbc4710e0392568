"""File-reading throughput of g2live.io against the library readers, measured in the same run.

Run with ``make bench`` (pytest -m bench -s), or this file alone:
``.venv/bin/python -m pytest -m bench -s tests/bench/test_bench_io.py``. For every real file and
for two large synthetic ones (>= 16 M records) the table gives g2live.io.read and each peer that
reads the format, in M records/s (records of the file, whatever they hold), and g2live's ratio to
the fastest peer. Calls take turns (g2live, peer 1, peer 2, ...) and the best of each is kept,
so a busy shared machine slows all alike. What each peer returns (not what g2live returns):

* ptufile ``PtuFile(path).decode_records()``: one structured array of every record (overflow
  and marker records included), times in ticks, no photon selection, no ps, no order check.
* tttrlib ``TTTR(path, kind)`` then ``.macro_times``: the decoded events with macro times in
  ticks (micro times and channels stay inside the object).
* phconvert ``pqreader.load_ptu/load_ht3``: timestamps, detectors, nanotimes in ticks (numpy);
  for SPC its ``bhreader._read_spc1xx_8xx`` (``load_spc`` needs the .set file, absent here).

g2live.io.read returns the photons only, times converted to ps, T3 sync indices and micro-times
in ps, in stream order (sorted where the file is not), with every record checked against what
its instrument can produce, and the metadata. The like-for-like row "ptufile + photons in ps"
adds to ptufile's call what it takes to get io.read's result.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.io import _records, ptu
from g2live.io.photon_hdf5 import Recorder
from g2live.photons import Meta, PhotonData

pytestmark = pytest.mark.bench

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from _io_expected import FILES, file_id, ptu_t3_file  # noqa: E402

KIND = {"ptu": "PTU", "legacy": "HT3", "spc": "SPC-130"}


def timed(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best wall time of each function; the functions take turns, after one warm-up call each."""
    best = {}
    for name, fn in fns.items():
        try:
            fn()
            best[name] = float("inf")
        except Exception as exc:  # a peer that cannot read the file: say so, do not skip it
            best[name] = exc
    for _ in range(rounds):
        for name, fn in fns.items():
            if isinstance(best[name], Exception):
                continue
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def peers(path: Path, fmt: str) -> dict[str, Callable[[], object]]:
    out: dict[str, Callable[[], object]] = {}
    if fmt == "ptu":
        import ptufile

        out["ptufile decode_records"] = lambda: ptufile.PtuFile(path).decode_records()
    if fmt in KIND:
        import tttrlib

        out["tttrlib"] = lambda: tttrlib.TTTR(str(path), KIND[fmt]).macro_times
        import phconvert.bhreader as bh
        import phconvert.pqreader as pq

        if fmt == "ptu":
            out["phconvert"] = lambda: pq.load_ptu(str(path))
        elif fmt == "legacy":
            out["phconvert"] = lambda: pq.load_ht3(str(path))
        else:
            def spc() -> object:
                with open(path, "rb") as fh:
                    return bh._read_spc1xx_8xx(fh)

            out["phconvert"] = spc
    return out


def ptufile_photons_ps(path: Path) -> tuple[np.ndarray, ...]:
    """ptufile's records turned into io.read's arrays: photons only, ps, T3 sync and micro-times."""
    import ptufile

    with ptufile.PtuFile(path) as p:
        r = p.decode_records()
        unit = p.global_resolution * 1e12
        res = p.tags.get("MeasDesc_Resolution", 0) * 1e12
        t3 = p.is_t3
    ph = r[r["channel"] >= 0]
    ticks = ph["time"].astype(np.int64)
    if not t3:
        return ph["channel"].astype(np.uint8), ticks * np.int64(round(unit))
    micro = np.rint(ph["dtime"].astype(np.float64) * res).astype(np.int64)
    return ph["channel"].astype(np.uint8), np.rint(ticks * unit).astype(np.int64) + micro, ticks, micro


ROWS: list[tuple[str, int, dict[str, float | Exception], str]] = []


def compare(label: str, path: Path, rounds: int, note: str = "", like_for_like: bool = False) -> float:
    fmt = io.detect_format(path)
    n = int(io.info(path)["records"])
    fns: dict[str, Callable[[], object]] = {"g2live.io.read": lambda: io.read(path)}
    fns.update(peers(path, fmt))
    if like_for_like:
        fns["ptufile + photons in ps"] = lambda: ptufile_photons_ps(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # phconvert's and ptufile's header remarks
        best = timed(fns, rounds)
    ROWS.append((label, n, best, note))
    rates = {k: n / v / 1e6 for k, v in best.items() if isinstance(v, float)}
    ours = rates.pop("g2live.io.read")
    real = {k: v for k, v in rates.items() if k != "ptufile + photons in ps"}
    ratio = ours / max(real.values()) if real else float("nan")
    cells = ", ".join(f"{k} {v:.0f}" for k, v in rates.items())
    fails = ", ".join(f"{k} cannot read it ({type(v).__name__})" for k, v in best.items()
                      if isinstance(v, Exception))
    peers_text = (cells or "no peer reads it") + (f"; {fails}" if fails else "")
    print(f"\n{label} {note}: {n / 1e6:.2f} M records; g2live.io.read {ours:.0f} Mrec/s; {peers_text}; "
          f"ratio to the fastest peer {ratio:.2f}")
    return ratio


@pytest.mark.parametrize("e", FILES, ids=file_id)
def test_real_file_vs_peers(e, realdata: Path) -> None:
    path = realdata / e.rel
    ratio = compare(path.name, path, rounds=15, like_for_like=e.format == "ptu")
    if e.format != "qutag":  # no peer reads quTAG files (tttrlib, ptufile, phconvert)
        assert ratio >= 1.0


@pytest.fixture(scope="module")
def big_t2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2**24 events on 4 channels at ~10 Mcps, 1 ps ticks, written by g2live (Generic T2): gaps
    stay below 128 wraps so ptufile decodes it correctly too (see g2live.io.ptu)."""
    rng = np.random.default_rng(1)
    n = 1 << 24
    t = np.cumsum(rng.exponential(1e5, n).astype(np.int64))
    ch = rng.integers(0, 4, n).astype(np.uint8)
    order = np.lexsort((ch, t))  # stream order, so the reader has nothing to sort
    path = tmp_path_factory.mktemp("bench") / "big_t2.ptu"
    io.write(path, PhotonData(ch[order], t[order], Meta(source="synthetic")))
    return path


@pytest.fixture(scope="module")
def big_t3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2**24 HydraHarp-v2 T3 photons (80 MHz sync, 16 ps bins) and their overflow records."""
    rng = np.random.default_rng(2)
    n = 1 << 24
    nsync = np.cumsum(rng.geometric(0.05, n))  # ~4 Mcps at 80 MHz
    wraps = nsync // 1024
    rec = (rng.integers(0, 2, n).astype(np.uint32) << 25) | (rng.integers(0, 780, n).astype(np.uint32) << 10)
    rec |= (nsync % 1024).astype(np.uint32)
    step = np.diff(wraps, prepend=0)
    n_ovf = (step > 0).astype(np.int64)
    out = np.empty(n + int(n_ovf.sum()), np.uint32)
    pos = np.arange(n) + np.cumsum(n_ovf)
    out[pos] = rec
    mask = np.ones(out.size, bool)
    mask[pos] = False
    out[mask] = np.uint32(0xFE000000) | step[step > 0].astype(np.uint32)
    path = tmp_path_factory.mktemp("bench") / "big_t3.ptu"
    acq_ms = int(nsync[-1] * 12.5e-9 * 1e3) + 1
    path.write_bytes(ptu_t3_file(out, acq_ms=acq_ms))
    return path


@pytest.mark.parametrize("which", ["big_t2", "big_t3"])
def test_large_synthetic_vs_peers(which: str, request: pytest.FixtureRequest,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import ptufile

    path = request.getfixturevalue(which)
    ours = io.read(path)
    with ptufile.PtuFile(path) as p:
        r = p.decode_records()
    ph = r[r["channel"] >= 0]
    assert len(ours) == ph.size and np.array_equal(ours.channel, ph["channel"].astype(np.uint8))
    label = "synthetic Generic T2" if which == "big_t2" else "synthetic HydraHarp T3"
    threads = _records.threads_now()
    note = f"({threads} thread{'s' * (threads > 1)})"
    ratio = compare(label, path, rounds=5, note=note, like_for_like=True)
    if threads > 1:  # the same in one thread, for the record
        monkeypatch.setattr(_records, "THREADS", 1)
        compare(label, path, rounds=5, note="(1 thread)")
    assert ratio >= 1.0


def test_replay_chunks_vs_read(big_t2: Path) -> None:
    n = ptu.layout(big_t2).n_records
    best = timed({"read": lambda: io.read(big_t2),
                  "iter": lambda: sum(len(c) for c in io.iter_chunks(big_t2, chunk_records=1 << 20))}, 3)
    print(f"\niter_chunks(2**20) {n / best['iter'] / 1e6:.0f} Mrec/s vs read {n / best['read'] / 1e6:.0f} "
          f"Mrec/s (ratio {best['read'] / best['iter']:.2f})")


def test_print_table() -> None:
    """The rows above as the Markdown table of docs/performance.md (runs last in this file)."""
    if not ROWS:
        pytest.skip("no rows measured")
    names = sorted({k for _, _, best, _ in ROWS for k in best if k != "g2live.io.read"})
    head = " | ".join(names)
    print(f"\n\n| file | records | g2live.io.read Mrec/s | {head} | g2live / fastest peer |")
    print("|---|---:|---:|" + "---:|" * len(names) + "---:|")
    for label, n, best, note in ROWS:
        ours = n / best["g2live.io.read"] / 1e6
        cells, real = [], []
        for k in names:
            v = best.get(k)
            if v is None:
                cells.append("-")
            elif isinstance(v, Exception):
                cells.append("cannot read")
            else:
                cells.append(f"{n / v / 1e6:.0f}")
                if k != "ptufile + photons in ps":
                    real.append(n / v / 1e6)
        ratio = f"**{ours / max(real):.2f}**" if real else "no peer"
        print(f"| {label} {note} | {n:,} | {ours:.0f} | " + " | ".join(cells) + f" | {ratio} |")


def test_recorder_vs_np_save(tmp_path: Path) -> None:
    n = 1 << 22
    rng = np.random.default_rng(0)
    d = PhotonData(rng.integers(0, 4, n).astype(np.uint8), np.cumsum(rng.integers(0, 10**5, n)))
    step = 1 << 18

    def record(level: int) -> None:
        with Recorder(tmp_path / "r.h5", Meta(), chunk_records=step, compression=level) as rec:
            for a in range(0, n, step):
                rec.append(d.select(slice(a, a + step)))

    def plain() -> None:
        np.savez(tmp_path / "p.npz", channel=d.channel, time_ps=d.time_ps)

    best = timed({"plain": plain, "gzip0": lambda: record(0), "gzip1": lambda: record(1)}, 3)
    for level in (0, 1):
        t = best[f"gzip{level}"]
        print(
            f"\nRecorder gzip={level}: {n / t / 1e6:.1f} Mevents/s, np.savez {n / best['plain'] / 1e6:.1f} "
            f"Mevents/s (ratio {best['plain'] / t:.2f})"
        )
