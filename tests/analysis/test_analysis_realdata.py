"""Measured files in ../shared/realdata: expected values from their SOURCE.md files."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_helpers import load
from g2live.analysis import correlation_histogram, fcs_correlation, pulsed_g2, read_picoquant_cor

# file, channels (a, b), then SOURCE.md's table: comb period ps, zero delay ps, zero-peak counts,
# mean side peak, side/Poisson
HBT = [
    ("200213_HH400_T3_80MHz_HBT.timeres", (0, 1), 12_500, 23_900, 1, 379, 4.0),
    ("200204_HH400_T2_320MHz_HBT.timeres", (0, 1), 3_125, 23_900, 2, 515, 4.6),
    ("19_qutag_80MHz_HBT_sync_filtered.qutag", (1, 2), 12_500, -1_200, 0, 41, 2.2),
    ("200204_qutag_320MHz_HBT_sync_filtered.qutag", (1, 2), 3_125, 23_000, 0, 131, 4.4),
]


@pytest.mark.parametrize(
    "name,chans,period,zero,c0,side,bunch", HBT, ids=[h[0].split("_HBT")[0] for h in HBT]
)
def test_pulsed_hbt_antibunching(realdata, name, chans, period, zero, c0, side, bunch) -> None:
    d = load(realdata / "eta_kth" / name)
    a, b = d.channel_times(chans[0]), d.channel_times(chans[1])
    h = correlation_histogram(a, b, 16, 25_000)  # +-200 ns: the cable delay is found, not given
    r = pulsed_g2(h, counts_ab=(a.size, b.size), duration_s=d.duration_s())
    assert r.zero_method == "dip"
    assert abs(r.period_ps - period) < 0.01 * period  # the "320 MHz" comb is really 3.128 ns
    assert abs(r.delay_offset_ps - zero) < 200  # SOURCE.md quotes +23.9 / -1.2 / +23.0 ns
    assert abs(r.center_area - c0) <= 1
    # mean side peak: same pairs, up to our window choice (full period) vs theirs; Poisson error of the mean
    assert abs(r.side_mean - side) < 4 * np.sqrt(side / (2 * r.n_side)) + 0.02 * side
    # g2(0) consistent with C0 / <C_side> from SOURCE.md, and the exact upper limit below 0.07
    assert r.g2_0_ci[0] <= c0 / side <= r.g2_0_ci[1] + 1e-9 or abs(r.g2_0 - c0 / side) < 0.002
    assert r.g2_0_ci[1] < 0.07
    assert abs(r.side_over_poisson - bunch) < 0.15 * bunch


def test_fcs_matches_vendor_export(realdata) -> None:
    """G(A,B) of picoharp_v30_t2.ptu against the PicoHarp software's own .cor export, 5 us - 2.3 ms.

    The vendor's multi-tau windows are not documented, so ours ([tau, tau + w), w = the lag spacing)
    differ in which pairs they hold: allow SOURCE.md's +-0.007 plus 4 sigma of our window's pair count."""
    folder = realdata / "picoquant_sample_data"
    cor = read_picoquant_cor(folder / "picoharp_v30.cor")
    d = load(folder / "picoharp_v30_t2.ptu")
    span = int(round(float(cor["header"]["Time span [s]"]) * 1e12))
    res = int(round(float(cor["header"]["Tau resolution [s]"]) * 1e12))
    tau = cor["taustep"].astype(np.int64) * res
    w = np.diff(np.concatenate(([tau[0] - res], tau)))
    # routing: A = channel 1, B = channel 0
    a, b = d.channel_times(1), d.channel_times(0)
    assert abs(int((a < span).sum()) - int(cor["header"]["Counts A"])) <= 10
    assert abs(int((b < span).sum()) - int(cor["header"]["Counts B"])) <= 10
    sel = (tau >= 5_000_000) & (tau <= 2_300_000_000)
    g = fcs_correlation(a, b, tau[sel], w[sel], span)
    ref = cor["G(A,B)"][sel]
    n_pairs = (1 + g) * float((a < span).sum()) * float((b < span).sum()) * w[sel] / span
    sigma = (1 + g) / np.sqrt(n_pairs)
    diff = np.abs(g - ref)
    assert np.all(diff <= 0.007 + 4 * sigma), f"worst {np.max(diff - 4 * sigma):.4f} above 4 sigma"
    assert np.median(diff) <= 0.007
    # the FCS amplitude ~ 0.13-0.15 at 10-30 us (SOURCE.md)
    assert 0.12 < np.median(g[(tau[sel] > 1e7) & (tau[sel] < 3e7)]) < 0.16
