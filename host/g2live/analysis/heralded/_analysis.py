# SPDX-License-Identifier: BSD-3-Clause
"""Heralded spectra, binding energy and lifetimes from two-photon records (``analyze_heralded``).

Of every laser period with two or more detections the first photon is the biexciton (BX) photon
of a BX -> X cascade and the second the exciton (X) photon (e.g. Lubin et al., Nano Lett. 21, 6756
(2021)). Per pixel (energy) this gives the BX and X spectra, hence the biexciton binding energy
E_B = E_X - E_BX; the first photon's delay after the sync decays with tau_BX and the delay between
the two photons with tau_X.

Corrections:
- accidental pairs (the two photons come from different emission events, e.g. a background or
  dark count with an emitter photon): photons of *adjacent* periods are pairs of independent
  events, so first photons of periods i and i+1, ordered by their delays, give the spectra and
  count of independent pairs. A fraction (1 - rho^2) of those occur inside one period as
  accidentals, rho = S / (S + B) the signal fraction of all detections (the Brouri argument of
  ``background_correct``); rho comes from the flat background of the decay histogram unless given.
- pixel crosstalk: an avalanche can fire a neighbouring pixel within ~100 ps. Pairs on adjacent
  pixels closer than ``crosstalk_window_ps`` are removed; the genuine pairs expected in that cut
  (from the delay distribution of non-adjacent pairs) are reported next to the excess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import numpy as np

from ..lifetime import LifetimeFit, decay_histogram, fit_tail
from ._binned import ADJACENT, FAR_PIXELS, PairBins
from ._lines import LineFit, fit_line
from ._pairs import PairRecords, crosstalk_mask
from ._spectra import quasi_independent_spectra

__all__ = ["HeraldedResult", "analyze_heralded", "analyze_heralded_bins"]

T = TypeVar("T")


@dataclass
class HeraldedResult:
    """Result of ``analyze_heralded``."""

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
        """The fields as a dict."""
        return asdict(self)


@dataclass(frozen=True)
class _Cut:
    """Pairs (binned) with what the crosstalk cut removed."""

    good: PairBins  # the same-period pairs; ``kept`` after the cut
    independent: PairBins  # the adjacent-period pairs; ``kept`` after the cut
    removed: int
    excess: float  # removed pairs beyond the genuine ones expected in the cut

    @property
    def n_good(self) -> int:
        return int(self.good.kept.sum())

    @property
    def n_independent(self) -> int:
        return int(self.independent.kept.sum())


def _cut_crosstalk(pairs: PairBins, independent: PairBins) -> _Cut:
    """Remove adjacent-pixel pairs at near-zero separation; the genuine pairs expected among them
    from the fraction f_w of non-adjacent pairs that close."""
    far_near = int(pairs.near[FAR_PIXELS].sum())
    far_all = far_near + int(pairs.far[FAR_PIXELS].sum())
    f_w = far_near / far_all if far_all else 0.0
    adjacent_kept = float(pairs.far[ADJACENT].sum())
    expect_genuine = adjacent_kept * f_w / (1 - f_w) if f_w < 1 else float("nan")
    removed = pairs.crosstalk_removed
    return _Cut(pairs, independent, removed, float(removed - expect_genuine))


def _signal_fraction(
    rho: float | None, singles_delay_ps: np.ndarray | None, period_ps: float | None, bin_ps: int,
    singles_hist: np.ndarray | None = None,
) -> tuple[float, str | None]:
    """rho = S/(S+B) as given, or from the flat background of the singles' decay (delays, or
    their histogram over one period); 1 (no subtraction) with a note when it cannot be had."""
    if rho is not None:
        return rho, None
    if singles_hist is not None:
        h = np.asarray(singles_hist, np.int64)
    elif singles_delay_ps is None or period_ps is None:
        return 1.0, "rho unknown (no singles decay): accidental pairs not subtracted"
    else:
        h = decay_histogram(singles_delay_ps, bin_ps, period_ps)
    try:
        tf = fit_tail(h, bin_ps)
    except ValueError as exc:
        return 1.0, f"rho from the decay failed ({exc}): accidentals not subtracted"
    return float(np.clip(1 - tf.background_per_bin * h.size / h.sum(), 0.0, 1.0)), None


def _attempt(notes: list[str], what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``fn(*args, **kwargs)``, or None with "what: reason" in ``notes`` when it cannot be computed."""
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        notes.append(f"{what}: {exc}")
        return None


def _fit_tau_bx(cut: _Cut, scale: float, bin_ps: int) -> LifetimeFit:
    """tau_BX from the first photon's delay; accidental pairs enter as a template (the independent
    pairs' histogram) whose scale is fitted: its shape (mostly exciton-first) differs from tau_bx.
    Pairs on one pixel are left out: a pixel's dead time removes them at short separations and
    afterpulses add some."""
    hb = cut.good.first_delay
    tb = cut.independent.first_delay * scale
    return fit_tail(hb, bin_ps, template=tb if tb.sum() > 0 else None)


def _fit_tau_x(
    cut: _Cut, scale: float, bin_ps: int, window_ps: int, accidental_scale: float | None
) -> LifetimeFit:
    """tau_X from the delay between the two photons, from after the crosstalk cut (which removes
    some genuine adjacent-pixel pairs there). The separation of accidental pairs looks like tau_x:
    their scale comes from the tau_bx fit."""
    hx = cut.good.separation
    tx = cut.independent.separation * scale
    return fit_tail(
        hx,
        bin_ps,
        start_ps=float(max(window_ps, 3 * bin_ps)),
        template=tx if tx.sum() > 0 else None,
        template_scale=accidental_scale if accidental_scale is not None else 1.0,
    )


def _spectra(cut: _Cut, pix: np.ndarray, spec_scale: float) -> tuple[np.ndarray, ...]:
    """BX and X spectra with the accidental pairs' spectra subtracted, and their variances."""
    sel = np.ix_(pix, pix)
    sf_raw, ss_raw = quasi_independent_spectra(cut.good.kept[sel].astype(float))
    sf_acc, ss_acc = quasi_independent_spectra(cut.independent.kept[sel].astype(float))
    sf, ss = sf_raw - spec_scale * sf_acc, ss_raw - spec_scale * ss_acc
    var_f = np.maximum(sf_raw + spec_scale**2 * sf_acc, 1.0)
    var_s = np.maximum(ss_raw + spec_scale**2 * ss_acc, 1.0)
    return sf, ss, var_f, var_s


def _accidental_scale(scale: float, k: float | None, k_err: float | None) -> float:
    """The accidental level: the tau_bx fit measures it on the pairs actually used (different
    pixels; rho also counts same-pixel afterpulses, which never pair across pixels); rho's when
    that measurement is missing or poor."""
    if k is not None and k_err is not None and np.isfinite(k_err) and k_err < 0.5 * max(k, 0.1):
        return scale * k
    return scale


def _edges(pixel_energy_ev: np.ndarray) -> np.ndarray:
    e = np.asarray(pixel_energy_ev, dtype=float)
    mid = 0.5 * (e[1:] + e[:-1])
    return np.concatenate(([e[0] - (mid[0] - e[0])], mid, [e[-1] + (e[-1] - mid[-1])]))


def _fit_lines(
    energies: np.ndarray, sf: np.ndarray, ss: np.ndarray, var_f: np.ndarray, var_s: np.ndarray
) -> tuple[LineFit, LineFit]:
    """Line fits of the BX and X spectra (pixels sorted by energy)."""
    order = np.argsort(energies)
    edges = _edges(energies[order])
    lb: LineFit = fit_line(edges, sf[order], var_f[order])
    lx: LineFit = fit_line(edges, ss[order], var_s[order])
    return lb, lx


def _new_result(
    cut: _Cut, n_acc: float, rho: float, energies: np.ndarray, notes: list[str]
) -> HeraldedResult:
    n = cut.n_good
    return HeraldedResult(
        None,
        None,
        None,
        None,
        None,
        None,
        n,
        n_acc,
        n_acc / n if n else float("nan"),
        float(rho),
        cut.removed,
        cut.excess,
        [],
        [],
        energies.tolist(),
        notes=notes,
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
    singles_hist: np.ndarray | None = None,
) -> HeraldedResult:
    """Heralded spectra, binding energy and lifetimes.

    Parameters
    ----------
    pairs : PairRecords
        Same-period records (first two photons of each period).
    independent : PairRecords
        Adjacent-period pairs (``adjacent_period_pairs``).
    n_periods : int
        Closed periods the records come from.
    pixel_energy_ev : numpy.ndarray
        Energy of each pixel: channel ``pixels[k]`` has energy ``pixel_energy_ev[k]``.
    pixels : numpy.ndarray, optional
        Channel of each pixel (default 0..n-1).
    rho : float, optional
        Signal fraction S/(S+B) (None: from the flat background of the singles' decay histogram
        ``singles_delay_ps``, which needs ``period_ps``).
    delay_bin_ps : int, optional
        Bin width of the delay histograms.
    period_ps : float, optional
        Laser period.
    crosstalk_window_ps : int, optional
        Adjacent-pixel pairs closer than this are crosstalk.
    singles_delay_ps : numpy.ndarray, optional
        Delays after the sync of all detections.
    singles_hist : numpy.ndarray, optional
        Their histogram over one period in ``delay_bin_ps`` bins instead (what a streaming pass
        accumulates).

    Returns
    -------
    HeraldedResult
        Binding energy, tau_BX, tau_X with errors, corrected spectra, accidentals, crosstalk.
    """
    if len(pairs) == 0:
        raise ValueError("analyze_heralded: no two-photon periods")
    if period_ps:
        span = float(period_ps)
    else:  # the latest second photon of the pairs the crosstalk cut keeps
        kept = pairs.select(~crosstalk_mask(pairs, crosstalk_window_ps))
        span = float(max(int(kept.delay_second_ps.max(initial=1)), 1))
    return analyze_heralded_bins(
        PairBins.of(pairs, crosstalk_window_ps, delay_bin_ps, span),
        PairBins.of(independent, crosstalk_window_ps, delay_bin_ps, span),
        n_periods, pixel_energy_ev, pixels=pixels, rho=rho, period_ps=period_ps,
        singles_delay_ps=singles_delay_ps, singles_hist=singles_hist,
    )


def analyze_heralded_bins(
    pairs: PairBins,
    independent: PairBins,
    n_periods: int,
    pixel_energy_ev: np.ndarray,
    pixels: np.ndarray | None = None,
    rho: float | None = None,
    period_ps: float | None = None,
    singles_delay_ps: np.ndarray | None = None,
    singles_hist: np.ndarray | None = None,
) -> HeraldedResult:
    """``analyze_heralded`` of binned pairs (``PairBins``, what a pass over a recording
    accumulates; their window, bin and span are the analysis's)."""
    energies = np.asarray(pixel_energy_ev, dtype=float)
    pix = np.arange(energies.size) if pixels is None else np.asarray(pixels, dtype=np.int64)
    if pix.size != energies.size:
        raise ValueError(f"{pix.size} pixels but {energies.size} pixel energies")
    if pairs.total == 0:
        raise ValueError("analyze_heralded: no two-photon periods")
    notes: list[str] = []
    bin_ps, window_ps = pairs.bin_ps, pairs.window_ps
    cut = _cut_crosstalk(pairs, independent)
    rho, note = _signal_fraction(rho, singles_delay_ps, period_ps, bin_ps, singles_hist)
    if note:
        notes.append(note)
    # independent pairs per period pair -> expected accidentals in the same period
    scale = (1 - rho**2) * n_periods / max(n_periods - 1, 1)
    res = _new_result(cut, scale * cut.n_independent, rho, energies, notes)
    fb = _attempt(notes, "tau_bx fit failed", _fit_tau_bx, cut, scale, bin_ps)
    if fb is not None:
        res.tau_bx_ns, res.tau_bx_err_ns = fb.tau_ps[0] / 1e3, fb.tau_err_ps[0] / 1e3
        if fb.template_scale is not None:
            res.accidental_scale_fit, res.accidental_scale_err = fb.template_scale, fb.template_scale_err
    fit_x = (cut, scale, bin_ps, window_ps, res.accidental_scale_fit)
    fx = _attempt(notes, "tau_x fit failed", _fit_tau_x, *fit_x)
    if fx is not None:
        res.tau_x_ns, res.tau_x_err_ns = fx.tau_ps[0] / 1e3, fx.tau_err_ps[0] / 1e3
    spec_scale = _accidental_scale(scale, res.accidental_scale_fit, res.accidental_scale_err)
    res.n_accidental_expected = spec_scale * cut.n_independent
    res.accidental_fraction = res.n_accidental_expected / cut.n_good
    sf, ss, var_f, var_s = _spectra(cut, pix, spec_scale)
    res.spectrum_first, res.spectrum_second = sf.tolist(), ss.tolist()
    lines = _attempt(notes, "line fit failed", _fit_lines, energies, sf, ss, var_f, var_s)
    if lines is not None:
        lb, lx = lines
        res.line_bx, res.line_x = lb.to_dict(), lx.to_dict()
        res.binding_energy_mev = (lx.centre_ev - lb.centre_ev) * 1e3
        res.binding_energy_err_mev = float(np.hypot(lx.centre_err_ev, lb.centre_err_ev) * 1e3)
    return res
