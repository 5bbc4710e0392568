"""File-reading throughput of g2live.io against the library readers, measured in the same run.

Run with ``make bench`` (pytest -m bench -s). Every figure is printed as a ratio to its peer:
ptufile (PtuFile.decode_records) for PTU, tttrlib for HT3 and SPC, np.save for the recorder.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.io import ptu
from g2live.io.photon_hdf5 import Recorder
from g2live.photons import Meta, PhotonData

pytestmark = pytest.mark.bench

REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from _io_expected import ptu_t3_file  # noqa: E402

LARGEST = REALDATA / "picoquant_sample_data" / "picoharp_v30_t2.ptu"


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    fn()  # warm the page cache and imports
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def ptufile_photons(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The library's equivalent of io.read for T2: decode, keep photons, convert to ps."""
    import ptufile

    with ptufile.PtuFile(path) as p:
        r = p.decode_records()
        unit_ps = round(p.global_resolution * 1e12)
    ph = r["channel"] >= 0
    return r["channel"][ph].astype(np.uint8), r["time"][ph].astype(np.int64) * unit_ps


def compare_ptu(path: Path, label: str) -> float:
    import ptufile

    n = ptu.layout(path).n_records
    t_ours = best_of(lambda: io.read(path))
    t_dec = best_of(lambda: ptufile.PtuFile(path).decode_records())
    line = (
        f"{label}: {n / 1e6:.2f} M records; g2live.io.read {n / t_ours / 1e6:.0f} Mrec/s, "
        f"ptufile decode_records {n / t_dec / 1e6:.0f} Mrec/s (ratio {t_dec / t_ours:.2f})"
    )
    if not ptufile.PtuFile(path).is_t3:
        t_eq = best_of(lambda: ptufile_photons(path))
        line += f", ptufile + photon selection to ps {n / t_eq / 1e6:.0f} Mrec/s (ratio {t_eq / t_ours:.2f})"
    print("\n" + line)
    return t_dec / t_ours


def test_largest_real_file_vs_ptufile() -> None:
    if not LARGEST.is_file():
        pytest.skip(f"{LARGEST} not present")
    ours = io.read(LARGEST)
    ch, t = ptufile_photons(LARGEST)
    assert np.array_equal(ours.channel, ch) and np.array_equal(ours.time_ps, t)
    compare_ptu(LARGEST, LARGEST.name)


@pytest.fixture(scope="module")
def big_t2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2**24 events on 4 channels at ~10 Mcps, 1 ps ticks: gaps stay below 128 wraps so
    ptufile decodes it correctly too (see g2live.io.ptu on its 32-bit overflow product)."""
    rng = np.random.default_rng(1)
    n = 1 << 24
    t = np.cumsum(rng.exponential(1e5, n).astype(np.int64))
    ch = rng.integers(0, 4, n).astype(np.uint8)
    order = np.lexsort((ch, t))  # stream order, so the reader has nothing to sort
    d = PhotonData(ch[order], t[order], Meta(source="synthetic"))
    path = tmp_path_factory.mktemp("bench") / "big_t2.ptu"
    io.write(path, d)
    return path


@pytest.fixture(scope="module")
def big_t3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2**24 HydraHarp-v2 T3 records (80 MHz sync, 16 ps bins) with a PTU header."""
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
    path.write_bytes(ptu_t3_file(out))
    return path


def test_large_synthetic_t2_vs_ptufile(big_t2: Path) -> None:
    compare_ptu(big_t2, "synthetic Generic T2")


def test_large_synthetic_t3_vs_ptufile(big_t3: Path) -> None:
    import ptufile

    ours = io.read(big_t3)
    with ptufile.PtuFile(big_t3) as p:
        r = p.decode_records()
    assert len(ours) == int(np.count_nonzero(r["channel"] >= 0))
    assert np.array_equal(ours.sync_index, r["time"][r["channel"] >= 0].astype(np.int64))
    compare_ptu(big_t3, "synthetic HydraHarp T3")


def test_replay_chunks_vs_read(big_t2: Path) -> None:
    n = ptu.layout(big_t2).n_records
    t_read = best_of(lambda: io.read(big_t2), 3)
    t_iter = best_of(lambda: sum(len(c) for c in io.iter_chunks(big_t2, chunk_records=1 << 20)), 3)
    print(
        f"\niter_chunks(2**20) {n / t_iter / 1e6:.0f} Mrec/s vs read {n / t_read / 1e6:.0f} Mrec/s "
        f"(ratio {t_read / t_iter:.2f})"
    )


@pytest.mark.parametrize(
    "rel,kind", [("tttrlib_hhu/Split_rh110_sm-000000.ht3", "HT3"), ("tttrlib_hhu/BH_SPC132.spc", "SPC-130")]
)
def test_legacy_and_spc_vs_tttrlib(rel: str, kind: str) -> None:
    tttrlib = pytest.importorskip("tttrlib")
    path = REALDATA / rel
    if not path.is_file():
        pytest.skip(f"{path} not present")
    n = io.info(path)["records"]
    t_ours = best_of(lambda: io.read(path))
    t_lib = best_of(lambda: tttrlib.TTTR(str(path), kind).macro_times)
    print(
        f"\n{path.name}: g2live.io.read {n / t_ours / 1e6:.0f} Mrec/s, tttrlib {n / t_lib / 1e6:.0f} Mrec/s "
        f"(ratio {t_lib / t_ours:.2f})"
    )


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

    t_plain = best_of(plain, 3)
    for level in (0, 1):
        t = best_of(lambda level=level: record(level), 3)
        print(
            f"\nRecorder gzip={level}: {n / t / 1e6:.1f} Mevents/s, np.savez {n / t_plain / 1e6:.1f} "
            f"Mevents/s (ratio {t_plain / t:.2f})"
        )
