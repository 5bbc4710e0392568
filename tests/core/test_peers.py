"""``correlate`` against independent peers on the same data: exact equality of the integer
histograms (pycorrelate ``pcorrelate``, tttrlib ``Correlator``; /work/shared/PEERS.md)."""

from __future__ import annotations

import numpy as np
import pytest
from g2live import core

pycorrelate = pytest.importorskip("pycorrelate")
tttrlib = pytest.importorskip("tttrlib")


def pycorrelate_hist(a: np.ndarray, b: np.ndarray, bw: int, nb: int, off: int) -> np.ndarray:
    edges = core.bin_edges(bw, nb, off)
    # pcorrelate returns counts divided by the bin width: multiply back (exact in float64 here)
    return np.rint(pycorrelate.pcorrelate(a, b, edges) * np.diff(edges)).astype(np.int64)


def tttrlib_lags(a: np.ndarray, b: np.ndarray, w: int) -> np.ndarray:
    """Counts of b - a = 0..w in 1-unit lags (felekyan, n_casc=1, unit weights)."""
    c = tttrlib.Correlator(method="felekyan", n_bins=w, n_casc=1)
    c.set_events(a.astype(np.uint64), np.ones(a.size), b.astype(np.uint64), np.ones(b.size))
    x, y = np.asarray(c.get_x_axis()), np.asarray(c.get_corr())
    assert x[0] == 0 and x[-1] == w  # linear lags 0..w
    return np.rint(y).astype(np.int64)


def tttrlib_hist(a: np.ndarray, b: np.ndarray, bw: int, nb: int, off: int) -> np.ndarray:
    """One run per sign of the delay (swap the channels for d < 0), then sum unit lags into bins."""
    edges = core.bin_edges(bw, nb, off)
    lo, hi = int(edges[0]), int(edges[-1])
    w = max(abs(lo), abs(hi))
    pos = tttrlib_lags(a, b, w)  # d = 0..w
    neg = tttrlib_lags(b, a, w)  # -d = 0..w
    d = np.concatenate([-np.arange(w, 0, -1), np.arange(0, w + 1)])
    counts = np.concatenate([neg[:0:-1], pos])
    inside = (d >= lo) & (d < hi)
    return np.bincount((d[inside] - lo) // bw, weights=counts[inside], minlength=nb).astype(np.int64)


def synthetic(seed: int, n: int = 20000, period: int = 12500) -> tuple[np.ndarray, np.ndarray]:
    """Pulsed HBT-like tags: one photon in random laser periods, ~1 ns decay, shared clock."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        pulses = np.cumsum(rng.geometric(0.05, n)).astype(np.int64)
        out.append(np.sort(pulses * period + rng.exponential(800, n).astype(np.int64)))
    return out[0], out[1]


@pytest.mark.parametrize("bw,nb,off", [(100, 400, 0), (64, 301, -1234), (1, 200, 7)])
def test_agrees_with_pycorrelate_and_tttrlib(bw, nb, off):
    a, b = synthetic(bw)
    ours = core.correlate(a, b, bw, nb, off)
    assert ours.sum() > 50 and np.count_nonzero(ours) > 20  # a real histogram, not an empty one
    np.testing.assert_array_equal(ours, pycorrelate_hist(a, b, bw, nb, off))
    np.testing.assert_array_equal(ours, tttrlib_hist(a, b, bw, nb, off))


def test_real_hbt_file_agrees_with_peers(realdata):
    ptufile = pytest.importorskip("ptufile")
    path = realdata / "eta_kth" / "200204_HH400_T2_320MHz_HBT.timeres"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    with ptufile.PtuFile(path) as f:
        assert f.global_resolution == 1e-12
        rec = f.decode_records()
    rec = rec[rec["marker"] == 0]
    t = rec["time"].astype(np.int64)
    a, b = np.sort(t[rec["channel"] == 0]), np.sort(t[rec["channel"] == 1])
    bw, nb, off = 250, 160, 20000  # [0, 40) ns: the zero-delay peak sits at the ~23.9 ns cable delay
    ours = core.correlate(a, b, bw, nb, off)
    np.testing.assert_array_equal(ours, pycorrelate_hist(a, b, bw, nb, off))
    np.testing.assert_array_equal(ours, tttrlib_hist(a, b, bw, nb, off))
    # 320 MHz comb (3.125 ns) with the zero-delay peak missing: antibunching (SOURCE.md)
    centre = ours[(23900 - 1500) // bw:(23900 + 1500) // bw].sum()
    side = ours[(23900 + 3125 - 1500) // bw:(23900 + 3125 + 1500) // bw].sum()
    assert side > 200 and centre < 0.05 * side


def test_log_binned_agrees_with_pycorrelate_and_tttrlib():
    """Log bins 1..5000 units: counts and pycorrelate's normalised G identical; tttrlib's
    unit lags summed into the same bins identical (its laurence method is not used: in 0.26.2 it
    subtracts unsigned times, so partners before the anchor wrap)."""
    from g2live import logcorr

    a, b = synthetic(5, n=5000, period=500)
    edges = logcorr.log_edges(1, 5000, 12)
    ours = logcorr.correlate_edges(a, b, edges)
    assert ours.sum() > 2000 and np.count_nonzero(ours) > 30
    counts = np.rint(pycorrelate.pcorrelate(a, b, edges) * np.diff(edges)).astype(np.int64)
    np.testing.assert_array_equal(ours, counts)
    np.testing.assert_array_equal(logcorr.log_correlation(a, b, edges),
                                  pycorrelate.pcorrelate(a, b, edges, normalize=True))
    lags = tttrlib_lags(a, b, int(edges[-1]))  # d = 0..W
    d = np.arange(lags.size)
    k = np.searchsorted(edges, d, side="right") - 1
    inside = (d >= edges[0]) & (d < edges[-1])
    np.testing.assert_array_equal(ours, np.bincount(k[inside], weights=lags[inside], minlength=ours.size))
