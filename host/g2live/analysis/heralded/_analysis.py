# SPDX-License-Identifier: BSD-3-Clause
"""Heralded spectra, binding energy and lifetimes from pair records and singles (``analyze_heralded``).

Of every laser period with two or more detections the first photon is the biexciton (BX) photon
of a BX -> X cascade and the second the exciton (X) photon (Lubin et al., Nano Lett. 21, 6756
(2021)). Per pixel (energy) this gives the BX and X spectra, hence the biexciton binding energy
E_B = E_X - E_BX; the first photon's delay after the pulse decays with tau_BX and the delay between
the two photons with tau_X. What a real SPAD array adds, and how it is handled (docs/analysis.md):

1. crosstalk (``fit_crosstalk``): counted by pixel distance and delay; only pairs at least the
   window w apart are used, and the genuine pairs below w are restored from the exciton decay;
2. accidental pairs (``accidentals``): predicted from the singles of every pixel (emitter part x
   independent part), over the run's periods, and subtracted from every histogram;
3. same-pixel pairs (dead time, afterpulses): the diagonal of the pixel matrix is not used
   (``quasi_independent_spectra``);
4. the timing response: tau_BX is fitted with the response convolved, the response itself from
   the singles (``fit_first_photon``); tau_X beyond w needs none (``fit_separation``);
5. the binding energy is the difference of the two spectra's mean energies, with a bootstrap
   error (``centroid_shift``); the line fits are reported next to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import numpy as np

from ..lifetime._jitter import Jitter
from ._accidentals import Accidentals, accidentals, independent_levels
from ._afterpulses import Afterpulsing, afterpulse_shapes, fit_afterpulsing
from ._crosstalk import Crosstalk, fit_crosstalk
from ._decays import DecayFit, fit_first_photon, fit_separation, singles_edge
from ._lines import fit_line
from ._pairs import PairRecords, pair_matrix
from ._records import HeraldedData
from ._spectra import centroid_shift

__all__ = ["HeraldedResult", "analyze_heralded"]

T = TypeVar("T")


@dataclass
class HeraldedResult:
    """Result of ``analyze_heralded`` (keys: docs/analysis.md, "Heralded spectroscopy")."""

    binding_energy_mev: float | None
    binding_energy_err_mev: float | None
    tau_bx_ns: float | None
    tau_bx_err_ns: float | None
    tau_x_ns: float | None
    tau_x_err_ns: float | None
    n_pairs: int  # pair records used (different pixels, at least the window apart)
    n_accidental_expected: float  # accidental pairs among them
    accidental_fraction: float | None
    rho: float  # emitter share S / (S + B) of all detections
    crosstalk_removed: int  # records at pixel distance 1-2 closer than the window
    crosstalk_excess: float  # crosstalk pairs (fitted), distances 1 and 2
    spectrum_first: list[float]  # genuine BX spectrum per pixel
    spectrum_second: list[float]  # genuine X spectrum per pixel
    pixel_energy_ev: list[float]
    sync_shift_ps: float = 0.0  # the period starts this much after the sync (<= 0: before)
    accidental_scale_fit: float | None = None  # (kept for compatibility: no free scale any more)
    accidental_scale_err: float | None = None
    line_bx: dict[str, Any] | None = None
    line_x: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    # added with the crosstalk, accidental and timing-response models
    n_records: int = 0  # all pair records
    n_genuine: float | None = None  # genuine cascade pairs on different pixels (all separations)
    n_genuine_err: float | None = None
    crosstalk_excess_err: float | None = None
    crosstalk_window_ps: float | None = None
    crosstalk: dict[str, Any] | None = None
    jitter: dict[str, Any] | None = None  # the fitted timing response
    afterpulsing: dict[str, Any] | None = None  # measured on the same-pixel pairs
    mean_energy_bx_ev: float | None = None
    mean_energy_bx_err_ev: float | None = None
    mean_energy_x_ev: float | None = None
    mean_energy_x_err_ev: float | None = None
    binding_energy_fit_mev: float | None = None  # from the line fits' centres
    binding_energy_fit_err_mev: float | None = None
    binding_energy_method: str = "mean energies"
    n_periods: int = 0
    withheld: dict[str, str] = field(default_factory=dict)  # key -> why it is None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


def _attempt(notes: list[str], what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``fn(*args, **kwargs)``, or None with "what: reason" in ``notes`` when it cannot be computed."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, np.linalg.LinAlgError) as exc:
        notes.append(f"{what}: {exc}")
        return None


def _irf_window(j: Jitter | None, width: float, tau_x_ps: float) -> float:
    """Separation past which the timing response no longer shapes the pairs: the difference of
    two responses is below 1e-3 of the exciton decay's density (Gaussian: 5 sigma sqrt 2; tail:
    f tau_t / tau_x exp(-w / tau_t) < 1e-3)."""
    sigma = j.sigma_ps if j is not None else width
    w = 5 * np.sqrt(2) * sigma
    if j is not None and j.tail_fraction > 0 and j.tail_ps > 0:
        w = max(w, j.tail_ps * np.log(max(j.tail_fraction * j.tail_ps / (1e-3 * tau_x_ps), 1.0)))
    return float(w)


@dataclass
class _State:
    """What the passes of the analysis share."""

    data: HeraldedData
    different: np.ndarray
    dt: np.ndarray
    singles: np.ndarray
    edge: int
    width: float
    notes: list[str]
    tau_x_ps: float


def _first_tau_x(dt: np.ndarray) -> float:
    """A starting exciton decay: mean separation beyond 1 ns (accidentals make it a bit long)."""
    far = dt[dt > 1000]
    return float(np.clip(np.mean(far) - 1000 if far.size > 10 else 5000.0, 200.0, 50_000.0))


def _afterpulsing(st: _State) -> Afterpulsing:
    pr, same = st.data.pairs, ~st.different
    # per pixel: a same-pixel accidental pairs a photon with an independent event of its own pixel
    return fit_afterpulsing(
        st.dt[same],
        pr.delay_first_ps[same],
        st.data.singles,
        st.data.bin_ps,
        st.data.period_ps,
        st.tau_x_ps,
        n_periods=st.data.n_periods,
    )


def _independent(st: _State, ap: Afterpulsing) -> np.ndarray:
    """Per pixel and bin, the detections independent of the period's pulse: a flat level (dark
    counts, background light; fitted on the late part of the period) and the afterpulses of
    earlier periods' avalanches."""
    data, b = st.data, st.data.bin_ps
    earlier, same = afterpulse_shapes(data.singles, ap, b, data.period_ps, data.n_periods)
    start = min(st.edge + int(4 * st.tau_x_ps / b), int(0.6 * st.singles.size))
    flat = independent_levels(data.singles - earlier - same, start, st.tau_x_ps / b)
    return flat[:, None] + earlier


def _t_max(st: _State) -> float:
    """Longest separation fitted: a genuine pair's second photon must arrive before the period
    ends, so separations are fitted only up to where that truncates none of them (the first photon
    is at most ~10 tau_BX after the pulse edge; at least half the rest of the period is kept)."""
    b, period = st.data.bin_ps, st.data.period_ps
    d1 = st.data.pairs.delay_first_ps[st.different].astype(float) - st.edge * b
    near = d1[(d1 > 0) & (d1 < 5000)]
    tau_bx = float(np.mean(near)) if near.size else 1000.0
    rest = period - st.edge * b
    return float(max(rest - 10 * tau_bx - 5 * st.width, 0.5 * rest))


@dataclass(frozen=True)
class _Pass:
    window_ps: float
    crosstalk: Crosstalk
    acc: Accidentals
    clean: np.ndarray
    sep: DecayFit | None
    first: DecayFit | None
    afterpulsing: Afterpulsing


def _one_pass(
    st: _State, jitter: Jitter | None, given: Jitter | None, start: DecayFit | None = None
) -> _Pass:
    data, b = st.data, st.data.bin_ps
    w_irf = _irf_window(jitter, st.width, st.tau_x_ps)
    pairs = data.pairs.select(st.different)
    xt = fit_crosstalk(pairs, st.tau_x_ps, w_irf)
    w = float(np.ceil(xt.window_ps / b) * b)
    clean = st.different & (st.dt >= w)
    ap = _afterpulsing(st)
    x = float(np.clip(xt.total / max(float(data.singles.sum()), 1.0), 0.0, 0.5))  # crosstalk per avalanche
    acc = accidentals(data.singles, _independent(st, ap), data.n_periods, int(round(w / b)), x)
    t_max = _t_max(st)
    sep = _attempt(
        st.notes, "tau_x fit", fit_separation, st.dt[clean], acc.separation, b, w, t_max, st.tau_x_ps
    )
    if sep is not None:
        st.tau_x_ps = sep.tau_ps
    first = _attempt(
        st.notes,
        "tau_bx fit",
        fit_first_photon,
        st.singles,
        data.pairs.delay_first_ps[clean],
        acc.first_delay,
        b,
        data.period_ps,
        data.period_ps - w,
        given,
        st.tau_x_ps,
        start,
    )
    return _Pass(w, xt, acc, clean, sep, first, ap)


def _genuine_total(sep: DecayFit, window_ps: float, range_ps: tuple[float, float]) -> tuple[float, float]:
    """Genuine pairs at all separations from those in the fitted range (exponential in tau_X)."""
    tau = sep.tau_ps
    frac = np.exp(-range_ps[0] / tau) - np.exp(-range_ps[1] / tau)
    n = sep.n_genuine / frac
    # d frac / d tau, for the error propagation
    dfrac = (range_ps[0] * np.exp(-range_ps[0] / tau) - range_ps[1] * np.exp(-range_ps[1] / tau)) / tau**2
    err = float(np.hypot(sep.n_genuine_err / frac, n * dfrac / frac * sep.tau_err_ps))
    return float(n), err


def _edges(e: np.ndarray) -> np.ndarray:
    mid = 0.5 * (e[1:] + e[:-1])
    return np.concatenate(([e[0] - (mid[0] - e[0])], mid, [e[-1] + (e[-1] - mid[-1])]))


def _line_fits(
    res: HeraldedResult,
    energies: np.ndarray,
    sf: np.ndarray,
    ss: np.ndarray,
    var_f: np.ndarray,
    var_s: np.ndarray,
) -> None:
    order = np.argsort(energies)
    edges = _edges(energies[order])
    lb = _attempt(res.notes, "BX line fit", fit_line, edges, sf[order], var_f[order])
    lx = _attempt(res.notes, "X line fit", fit_line, edges, ss[order], var_s[order])
    if lb is None or lx is None:
        return
    res.line_bx, res.line_x = lb.to_dict(), lx.to_dict()
    err = float(np.hypot(lx.centre_err_ev, lb.centre_err_ev) * 1e3)
    if np.isfinite(err) and err < 1e3 * (energies.max() - energies.min()):
        res.binding_energy_fit_mev = (lx.centre_ev - lb.centre_ev) * 1e3
        res.binding_energy_fit_err_mev = err
    else:
        res.withheld["binding_energy_fit_mev"] = "line fit did not determine the centres (error unbounded)"


def _spectra(res: HeraldedResult, st: _State, p: _Pass, energies: np.ndarray) -> None:
    data = st.data
    m_raw = pair_matrix(data.pairs.select(p.clean), data.pixels)
    np.fill_diagonal(m_raw, 0.0)
    cs = _attempt(res.notes, "spectra", centroid_shift, m_raw, p.acc.matrix, energies)
    if cs is None:
        return
    sf, ss = np.asarray(cs["spectrum_first"]), np.asarray(cs["spectrum_second"])
    res.spectrum_first, res.spectrum_second = sf.tolist(), ss.tolist()
    res.mean_energy_bx_ev, res.mean_energy_bx_err_ev = cs["mean_first_ev"], cs["mean_first_err_ev"]
    res.mean_energy_x_ev, res.mean_energy_x_err_ev = cs["mean_second_ev"], cs["mean_second_err_ev"]
    res.binding_energy_mev = float(cs["shift_ev"]) * 1e3
    res.binding_energy_err_mev = float(cs["shift_err_ev"]) * 1e3
    var_f = np.maximum(m_raw.sum(axis=1) + p.acc.matrix.sum(axis=1), 1.0)
    var_s = np.maximum(m_raw.sum(axis=0) + p.acc.matrix.sum(axis=0), 1.0)
    _line_fits(res, energies, sf, ss, var_f, var_s)


def _new_result(data: HeraldedData, energies: np.ndarray, notes: list[str]) -> HeraldedResult:
    return HeraldedResult(
        None,
        None,
        None,
        None,
        None,
        None,
        0,
        0.0,
        None,
        1.0,
        0,
        0.0,
        [],
        [],
        energies.tolist(),
        sync_shift_ps=float(data.shift_ps),
        notes=notes,
        n_records=len(data.pairs),
        n_periods=data.n_periods,
    )


def _fill(res: HeraldedResult, st: _State, p: _Pass) -> None:
    xt = p.crosstalk
    res.n_pairs = int(p.clean.sum())
    res.n_accidental_expected = p.acc.total
    res.accidental_fraction = p.acc.total / res.n_pairs if res.n_pairs else None
    total = float(st.data.singles.sum())
    res.rho = float(np.clip(1 - p.acc.levels.sum() * st.singles.size / total, 0, 1)) if total else 1.0
    dist = np.abs(st.data.pairs.pixel_second - st.data.pairs.pixel_first)
    res.crosstalk_removed = int(np.sum(st.different & (dist <= 2) & (st.dt < p.window_ps)))
    res.crosstalk_excess, res.crosstalk_excess_err = xt.total, xt.total_err
    res.crosstalk_window_ps, res.crosstalk = p.window_ps, xt.to_dict()
    res.afterpulsing = asdict(p.afterpulsing)
    res.notes.extend(xt.notes)
    if p.sep is not None:
        res.tau_x_ns, res.tau_x_err_ns = p.sep.tau_ps / 1e3, p.sep.tau_err_ps / 1e3
        res.n_genuine, res.n_genuine_err = _genuine_total(p.sep, p.window_ps, p.sep.fit_range_ps)
    if p.first is not None:
        res.tau_bx_ns, res.tau_bx_err_ns = p.first.tau_ps / 1e3, p.first.tau_err_ps / 1e3
        res.jitter = p.first.jitter.to_dict() if p.first.jitter is not None else None


def analyze_heralded(
    data: HeraldedData,
    pixel_energy_ev: np.ndarray,
    *,
    jitter: Jitter | None = None,
) -> HeraldedResult:
    """Heralded spectra, binding energy and lifetimes of a SPAD-array recording.

    Parameters
    ----------
    data : HeraldedData
        Pair records and singles histograms (``heralded_data``, ``heralded_data_from_tags``).
    pixel_energy_ev : numpy.ndarray
        Energy of each pixel, in the order of ``data.pixels``.
    jitter : Jitter, optional
        A known timing response (shape fixed, offset fitted); default: fitted from the singles.

    Returns
    -------
    HeraldedResult
        Binding energy, tau_BX, tau_X with errors; genuine spectra; accidentals; crosstalk; the
        timing response. Values that cannot be determined are None, with the reason in ``notes``.
    """
    energies = np.asarray(pixel_energy_ev, dtype=float)
    if energies.size != data.pixels.size:
        raise ValueError(f"{data.pixels.size} pixels but {energies.size} pixel energies")
    if len(data.pairs) == 0:
        raise ValueError("analyze_heralded: no two-photon periods")
    pr: PairRecords = data.pairs
    different = pr.pixel_first != pr.pixel_second
    if not different.any():
        raise ValueError("analyze_heralded: every two-photon period has both photons on one pixel")
    dt = (pr.delay_second_ps - pr.delay_first_ps).astype(np.int64)
    singles = data.singles.sum(axis=0)
    edge, width = singles_edge(singles, data.bin_ps)
    st = _State(data, different, dt, singles, edge, width, [], _first_tau_x(dt[different]))
    p = _one_pass(st, jitter, jitter)
    if p.first is not None and p.first.jitter is not None and jitter is None:
        # the window depends on the response, which the first pass measured: once more with it
        p2 = _one_pass(st, p.first.jitter, None, p.first)
        p = p2 if p2.window_ps >= p.window_ps or p2.first is not None else p
    res = _new_result(data, energies, st.notes)
    _fill(res, st, p)
    _spectra(res, st, p, energies)
    return res
