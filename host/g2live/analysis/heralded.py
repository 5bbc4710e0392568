"""Heralded spectroscopy with a SPAD line array behind a spectrometer.

Of every laser period with two or more detections (``g2live.core.pulsed`` heralded records: the
first two photons in time order), the first photon is the biexciton (BX) photon of a BX -> X
cascade and the second the exciton (X) photon (e.g. Lubin et al., Nano Lett. 21, 6756 (2021)).
Per pixel (energy) this gives the BX and X spectra, hence the biexciton binding energy
E_B = E_X - E_BX; the first photon's delay after the sync decays with tau_BX and the delay between
the two photons with tau_X.

Corrections:
- accidental pairs (the two photons come from different emission events, e.g. a background or
  dark count with an emitter photon): photons of *adjacent* periods are pairs of independent
  events, so first photons of periods i and i+1, ordered by their delays, give the spectra and
  count of independent pairs. A fraction (1 - rho^2) of those occur inside one period as
  accidentals, rho = S / (S + B) the signal fraction of all detections (the Brouri argument of
  ``g2.background_correct``); rho comes from the flat background of the decay histogram unless given.
- pixel crosstalk: an avalanche can fire a neighbouring pixel within ~100 ps. Pairs on adjacent
  pixels closer than ``crosstalk_window_ps`` are removed; the genuine pairs expected in that cut
  (from the delay distribution of non-adjacent pairs) are reported next to the excess.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .lifetime import LifetimeFit, decay_histogram, fit_tail
from .spectra import LineFit, fit_line


@dataclass
class PairRecords:
    """Two photons of one period: pixel and delay after that period's sync, first in time first."""

    pixel_first: np.ndarray
    delay_first_ps: np.ndarray
    pixel_second: np.ndarray
    delay_second_ps: np.ndarray

    def __len__(self) -> int:
        return int(self.pixel_first.size)

    def select(self, m: np.ndarray) -> PairRecords:
        return PairRecords(
            self.pixel_first[m], self.delay_first_ps[m], self.pixel_second[m], self.delay_second_ps[m]
        )


def records_from_core(heralded: np.ndarray) -> PairRecords:
    """From ``g2live.core.pulsed(...).heralded`` (fields channel_first, delay_first_ps, ...)."""
    return PairRecords(
        np.asarray(heralded["channel_first"], np.int64),
        np.asarray(heralded["delay_first_ps"], np.int64),
        np.asarray(heralded["channel_second"], np.int64),
        np.asarray(heralded["delay_second_ps"], np.int64),
    )


def adjacent_period_pairs(
    channel: np.ndarray, time_ps: np.ndarray, sync_channel: int, pulsed_window_ps: int = 0
) -> tuple[PairRecords, int]:
    """Independent-event pairs: the first photon of period i with the first photon of period i+1,
    ordered by delay. Returns them and the number of closed periods."""
    ch = np.asarray(channel)
    t = np.asarray(time_ps, dtype=np.int64)
    is_sync = ch == sync_channel
    sync_t = t[is_sync]
    if sync_t.size < 3:
        raise ValueError(f"adjacent_period_pairs: fewer than 3 syncs on channel {sync_channel}")
    pt, pc = t[~is_sync], ch[~is_sync].astype(np.int64)
    # a photon at exactly a sync time belongs to the period that sync starts (docs/semantics.md)
    per = np.searchsorted(sync_t, pt, side="right") - 1
    ok = (per >= 0) & (per < sync_t.size - 1)  # the last period is still open
    pt, pc, per = pt[ok], pc[ok], per[ok]
    delay = pt - sync_t[per]
    if pulsed_window_ps > 0:
        keep = delay < pulsed_window_ps
        pt, pc, per, delay = pt[keep], pc[keep], per[keep], delay[keep]
    first_per, idx = np.unique(per, return_index=True)  # first photon of each non-empty period
    nxt = np.nonzero(np.diff(first_per) == 1)[0]
    i, j = idx[nxt], idx[nxt + 1]
    swap = delay[j] < delay[i]
    a = np.where(swap, j, i)
    b = np.where(swap, i, j)
    return PairRecords(pc[a], delay[a], pc[b], delay[b]), int(sync_t.size - 1)


@dataclass
class HeraldedResult:
    binding_energy_mev: float | None
    binding_energy_err_mev: float | None
    tau_bx_ns: float | None
    tau_bx_err_ns: float | None
    tau_x_ns: float | None
    tau_x_err_ns: float | None
    n_pairs: int
    n_accidental_expected: float
    accidental_fraction: float
    rho: float
    crosstalk_removed: int
    crosstalk_excess: float
    spectrum_first: list[float]  # corrected BX spectrum per pixel
    spectrum_second: list[float]  # corrected X spectrum per pixel
    pixel_energy_ev: list[float]
    sync_shift_ps: float = 0.0  # the sync was moved by this much to the quiet point of the period
    accidental_scale_fit: float | None = None  # accidental template scale found by the tau_bx fit (1 = rho's)
    accidental_scale_err: float | None = None
    line_bx: dict[str, Any] | None = None
    line_x: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _edges(pixel_energy_ev: np.ndarray) -> np.ndarray:
    e = np.asarray(pixel_energy_ev, dtype=float)
    mid = 0.5 * (e[1:] + e[:-1])
    return np.concatenate(([e[0] - (mid[0] - e[0])], mid, [e[-1] + (e[-1] - mid[-1])]))


def _pair_matrix(r: PairRecords, pix: np.ndarray) -> np.ndarray:
    """Counts of pairs by (pixel of the first photon, pixel of the second), pixels in ``pix`` order."""
    lut = np.full(
        max(int(pix.max()), int(r.pixel_first.max(initial=0)), int(r.pixel_second.max(initial=0))) + 1,
        -1,
        dtype=np.int64,
    )
    lut[pix] = np.arange(pix.size)
    i, j = lut[r.pixel_first], lut[r.pixel_second]
    ok = (i >= 0) & (j >= 0)
    m = np.zeros((pix.size, pix.size))
    np.add.at(m, (i[ok], j[ok]), 1.0)
    return m


def _quasi_independent_spectra(m: np.ndarray, iterations: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Row and column spectra of a pair matrix whose diagonal is missing: a_p sum(b), b_q sum(a)."""
    n = m.shape[0]
    off = ~np.eye(n, dtype=bool)
    rows, cols = (m * off).sum(axis=1), (m * off).sum(axis=0)
    a, b = rows.copy() + 1e-12, cols.copy() + 1e-12
    for _ in range(iterations):
        a_new = rows / np.maximum(b.sum() - b, 1e-300)
        b_new = cols / np.maximum(a_new.sum() - a_new, 1e-300)
        done = np.allclose(a_new, a, rtol=1e-10, atol=1e-12) and np.allclose(b_new, b, rtol=1e-10, atol=1e-12)
        a, b = a_new, b_new
        if done:
            break
    total = float((m * off).sum())
    fitted = float(np.sum(np.outer(a, b) * off))
    k = total / fitted if fitted > 0 else 0.0
    # with the diagonal restored: row p holds a_p sum(b) pairs
    return a * b.sum() * k, b * a.sum() * k


def _crosstalk_mask(r: PairRecords, window_ps: int) -> np.ndarray:
    return (np.abs(r.pixel_second - r.pixel_first) == 1) & (
        (r.delay_second_ps - r.delay_first_ps) < window_ps
    )


def analyze_heralded(
    pairs: PairRecords,
    independent: PairRecords,
    n_periods: int,
    pixel_energy_ev: np.ndarray,
    pixels: np.ndarray | None = None,
    rho: float | None = None,
    delay_bin_ps: int = 32,
    period_ps: float | None = None,
    crosstalk_window_ps: int = 200,
    singles_delay_ps: np.ndarray | None = None,
) -> HeraldedResult:
    """Heralded spectra, binding energy and lifetimes.

    pairs: same-period records; independent: adjacent-period pairs (``adjacent_period_pairs``);
    pixel_energy_ev: energy of each pixel (channel ``pixels[k]`` has energy ``pixel_energy_ev[k]``,
    default pixels = 0..n-1). rho: signal fraction S/(S+B) (None: from the flat background of the
    singles' decay histogram ``singles_delay_ps``, needing ``period_ps``)."""
    energies = np.asarray(pixel_energy_ev, dtype=float)
    pix = np.arange(energies.size) if pixels is None else np.asarray(pixels, dtype=np.int64)
    if pix.size != energies.size:
        raise ValueError(f"{pix.size} pixels but {energies.size} pixel energies")
    if len(pairs) == 0:
        raise ValueError("analyze_heralded: no two-photon periods")
    notes: list[str] = []
    # crosstalk: cut adjacent-pixel pairs at near-zero separation
    xt = _crosstalk_mask(pairs, crosstalk_window_ps)
    dt = pairs.delay_second_ps - pairs.delay_first_ps
    adjacent = np.abs(pairs.pixel_second - pairs.pixel_first) == 1
    far = np.abs(pairs.pixel_second - pairs.pixel_first) >= 2
    f_w = float(np.mean(dt[far] < crosstalk_window_ps)) if far.any() else 0.0
    expect_genuine = float(np.sum(adjacent & ~xt)) * f_w / (1 - f_w) if f_w < 1 else float("nan")
    xt_removed = int(xt.sum())
    good = pairs.select(~xt)
    ind = independent.select(~_crosstalk_mask(independent, crosstalk_window_ps))

    if rho is None:
        if singles_delay_ps is None or period_ps is None:
            rho = 1.0
            notes.append("rho unknown (no singles decay): accidental pairs not subtracted")
        else:
            h = decay_histogram(singles_delay_ps, delay_bin_ps, period_ps)
            try:
                tf = fit_tail(h, delay_bin_ps)
                rho = float(np.clip(1 - tf.background_per_bin * h.size / h.sum(), 0.0, 1.0))
            except ValueError as exc:
                rho = 1.0
                notes.append(f"rho from the decay failed ({exc}): accidentals not subtracted")
    # independent pairs per period pair -> expected accidentals in the same period
    n_ind_periods = max(n_periods - 1, 1)
    scale = (1 - rho**2) * n_periods / n_ind_periods
    n_acc = scale * len(ind)

    res = HeraldedResult(
        None,
        None,
        None,
        None,
        None,
        None,
        len(good),
        n_acc,
        n_acc / len(good) if len(good) else float("nan"),
        float(rho),
        xt_removed,
        float(xt_removed - expect_genuine),
        [],
        [],
        energies.tolist(),
        notes=notes,
    )
    # lifetimes: BX from the first photon's delay, X from the delay between the two photons. Pairs
    # on different pixels only (a pixel's dead time removes same-pixel pairs at short separations,
    # afterpulses add same-pixel ones). Accidental pairs enter as a template (the independent
    # pairs' histogram) whose scale is fitted: its shape (mostly exciton-first) differs from tau_bx.
    span = float(period_ps) if period_ps else float(max(good.delay_second_ps.max(), 1))
    dp, dpi = good.pixel_first != good.pixel_second, ind.pixel_first != ind.pixel_second
    try:
        hb = decay_histogram(good.delay_first_ps[dp], delay_bin_ps, span)
        tb = decay_histogram(ind.delay_first_ps[dpi], delay_bin_ps, span) * scale
        fb: LifetimeFit = fit_tail(hb, delay_bin_ps, template=tb if tb.sum() > 0 else None)
        res.tau_bx_ns, res.tau_bx_err_ns = fb.tau_ps[0] / 1e3, fb.tau_err_ps[0] / 1e3
        if fb.template_scale is not None:
            res.accidental_scale_fit, res.accidental_scale_err = fb.template_scale, fb.template_scale_err
    except ValueError as exc:
        notes.append(f"tau_bx fit failed: {exc}")
    try:
        # start after the crosstalk cut, which removes some genuine adjacent-pixel pairs there
        sep = good.delay_second_ps[dp] - good.delay_first_ps[dp]
        sep_i = ind.delay_second_ps[dpi] - ind.delay_first_ps[dpi]
        hx = decay_histogram(sep, delay_bin_ps, span)
        tx = decay_histogram(sep_i, delay_bin_ps, span) * scale
        # the separation of accidental pairs looks like tau_x: take their scale from the tau_bx fit
        k = res.accidental_scale_fit if res.accidental_scale_fit is not None else 1.0
        fx = fit_tail(
            hx,
            delay_bin_ps,
            start_ps=float(max(crosstalk_window_ps, 3 * delay_bin_ps)),
            template=tx if tx.sum() > 0 else None,
            template_scale=k,
        )
        res.tau_x_ns, res.tau_x_err_ns = fx.tau_ps[0] / 1e3, fx.tau_err_ps[0] / 1e3
    except ValueError as exc:
        notes.append(f"tau_x fit failed: {exc}")
    # Same-pixel pairs are lost to the pixel's dead time (and afterpulses add false ones): drop
    # the diagonal of the (first pixel, second pixel) matrix and recover both spectra from the
    # off-diagonal cells under quasi-independence (Goodman, JASA 63, 1091 (1968)), fitted by
    # iterative proportional fitting: N_pq = a_p b_q for p != q.
    sf_raw, ss_raw = _quasi_independent_spectra(_pair_matrix(good, pix))
    sf_acc, ss_acc = _quasi_independent_spectra(_pair_matrix(ind, pix))
    # accidental level: the tau_bx fit measures it on the pairs actually used (different pixels;
    # rho also counts same-pixel afterpulses, which never pair across pixels); rho's when unmeasured
    k = res.accidental_scale_fit
    k_err = res.accidental_scale_err
    spec_scale = (
        scale * k
        if k is not None and k_err is not None and np.isfinite(k_err) and k_err < 0.5 * max(k, 0.1)
        else scale
    )
    res.n_accidental_expected = spec_scale * len(ind)
    res.accidental_fraction = res.n_accidental_expected / len(good)
    sf, ss = sf_raw - spec_scale * sf_acc, ss_raw - spec_scale * ss_acc
    var_f = np.maximum(sf_raw + spec_scale**2 * sf_acc, 1.0)
    var_s = np.maximum(ss_raw + spec_scale**2 * ss_acc, 1.0)

    order = np.argsort(energies)
    edges = _edges(energies[order])
    res.spectrum_first, res.spectrum_second = sf.tolist(), ss.tolist()
    try:
        lb: LineFit = fit_line(edges, sf[order], var_f[order])
        lx: LineFit = fit_line(edges, ss[order], var_s[order])
        res.line_bx, res.line_x = lb.to_dict(), lx.to_dict()
        res.binding_energy_mev = (lx.centre_ev - lb.centre_ev) * 1e3
        res.binding_energy_err_mev = float(np.hypot(lx.centre_err_ev, lb.centre_err_ev) * 1e3)
    except ValueError as exc:
        notes.append(f"line fit failed: {exc}")
    return res


def heralded_from_photons(
    channel: np.ndarray,
    time_ps: np.ndarray,
    sync_channel: int,
    pixel_energy_ev: np.ndarray,
    pixels: np.ndarray | None = None,
    period_ps: float | None = None,
    rho: float | None = None,
    delay_bin_ps: int = 32,
    crosstalk_window_ps: int = 200,
) -> HeraldedResult:
    """Heralded analysis of a spectro recording (pixels + sync on ``sync_channel``).

    The sync is moved to the quietest point of the period (``lifetime.quiet_bin``) before periods
    are formed, so prompt photons time-stamped just before their own sync stay in their period."""
    from g2live import core

    from .lifetime import decay_histogram, quiet_bin

    ch = np.asarray(channel, dtype=np.uint8)
    t = np.asarray(time_ps, dtype=np.int64)
    is_sync = ch == sync_channel
    sync_t = t[is_sync]
    if sync_t.size < 3:
        raise ValueError(f"heralded: fewer than 3 syncs on channel {sync_channel}")
    if period_ps is None:
        period_ps = float(np.median(np.diff(sync_t)))
    per = np.searchsorted(sync_t, t[~is_sync], side="right") - 1
    ok = per >= 0
    delays = t[~is_sync][ok] - sync_t[per[ok]]
    h = decay_histogram(np.mod(delays, period_ps), delay_bin_ps, period_ps)
    q = quiet_bin(h) * delay_bin_ps
    shift = int(round(q - period_ps)) if q > 0 else 0  # move each sync earlier by period - q
    if shift:
        t2 = t.copy()
        t2[is_sync] += shift
        order = np.lexsort((ch, t2))
        ch, t = ch[order], t2[order]
    pr = core.pulsed(ch, t, sync_channel, 4)
    pairs = records_from_core(pr.heralded)
    ind, n_periods = adjacent_period_pairs(ch, t, sync_channel)
    is_sync = ch == sync_channel
    sync_t = t[is_sync]
    per = np.searchsorted(sync_t, t[~is_sync], side="right") - 1
    ok = per >= 0
    singles = t[~is_sync][ok] - sync_t[per[ok]]
    res = analyze_heralded(
        pairs,
        ind,
        n_periods,
        pixel_energy_ev,
        pixels=pixels,
        rho=rho,
        delay_bin_ps=delay_bin_ps,
        period_ps=period_ps,
        crosstalk_window_ps=crosstalk_window_ps,
        singles_delay_ps=singles,
    )
    res.sync_shift_ps = float(shift)
    return res
