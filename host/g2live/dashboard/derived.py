# SPDX-License-Identifier: BSD-3-Clause
"""Slow derived results (fits) computed once for all browser sessions, off the render path.

Fits take tens of milliseconds; doing them in the render callback of every session would make
the page lag. One worker thread recomputes them when their input changed, at most ``period_s``
apart, with ``g2live.analysis`` (the project's one analysis implementation, imported in this
module only, and inside the fit functions: it pulls in SciPy and lmfit, which would delay the
page's start by seconds). A failed fit is shown with its reason, never as a stale or invented number.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from .accumulators import DELAY_BIN_PS
from .feed import Feed
from .snapshot import Cursor, Derived, Want
from .worker import ThreadedWorker

__all__ = ["SLOW_FIT_S", "DerivedWorker", "blinking_fit", "heralded_fit", "peak_windows_for", "sweep_fit"]

SLOW_FIT_S = 1.0  # trace and heralded fits: their data grow slowly, once a second is plenty


class DerivedWorker(ThreadedWorker):
    """Recomputes the fits of the feed's data in one thread; sessions read ``current()``.

    Parameters
    ----------
    feed : Feed
        The receiver whose data are fitted.
    period_s : float
        Time between two looks at the feed (the peak windows follow at this rate).
    pixel_energy_ev : (float, float), optional
        Energy of array pixel 0 and eV per pixel, for the live binding energy; None when the
        spectrometer is not calibrated.
    """

    thread_name = "g2live-dashboard-fits"

    def __init__(self, feed: Feed, period_s: float = 0.5,
                 pixel_energy_ev: tuple[float, float] | None = None) -> None:
        super().__init__()
        self.feed = feed
        self.period_s = period_s
        self.pixel_energy_ev = pixel_energy_ev  # (E of pixel 0, eV per pixel), None = uncalibrated
        self._lock = threading.Lock()
        self._result = Derived()
        self._cursor = Cursor()
        self._slow_at = 0.0

    def current(self) -> Derived:
        """The newest fit results (an object that is replaced, never modified)."""
        with self._lock:
            return self._result

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.step()

    def step(self) -> bool:
        """Recompute what changed since the last call; True when something did."""
        slow = time.monotonic() - self._slow_at >= SLOW_FIT_S  # fits of slowly growing data: 1/s
        want = Want(frozenset({"g2"}), heralded=slow, trace=slow, sweep=True)
        snap = self.feed.snapshot(self._cursor, want)
        if slow:
            self._slow_at = time.monotonic()
        g2, her, trace, sweep = snap.frames.get("g2"), snap.heralded, snap.trace, snap.sweep
        if g2 is None and trace is None and her is None and sweep is None:
            return False
        old = self.current()
        windows, errors = (peak_windows_for(g2.header, g2.data) if g2 is not None
                           else (old.windows, old.windows_error))
        new = Derived(
            old.version + 1, windows, errors,
            blinking_fit(trace.counts) if trace is not None else old.blinking,
            heralded_fit(her.first, her.second, her.delay_first, her.delay_second, her.records,
                         self.pixel_energy_ev) if her is not None else old.heralded,
            sweep_fit([sweep.points[k] for k in sorted(sweep.points)]) if sweep is not None else old.sweep)
        with self._lock:
            self._result = new
        return True


def blinking_fit(counts: np.ndarray) -> dict[str, Any]:
    """ON/OFF threshold and ON fraction from the intensity histogram (``fit_poisson_mixture``).

    Parameters
    ----------
    counts : numpy.ndarray
        Photons per trace bin.

    Returns
    -------
    dict
        ``threshold``, ``on_fraction``, ``w_on`` ± ``w_on_err``, ``lam_on``, ``lam_off``,
        ``separated``, ``bins``; or ``error`` with the reason the fit failed.
    """
    from g2live.analysis.blinking import fit_poisson_mixture

    try:
        m = fit_poisson_mixture(counts)
    except ValueError as exc:
        return {"error": str(exc)}
    on = counts > m.threshold
    return {"threshold": m.threshold, "on_fraction": float(on.mean()), "w_on": m.w_on, "w_on_err": m.w_on_err,
            "lam_on": m.lam_on, "lam_off": m.lam_off, "separated": m.separated, "bins": int(counts.size)}


def heralded_fit(first: np.ndarray, second: np.ndarray, d1: np.ndarray, d2: np.ndarray, records: int,
                 calibration: tuple[float, float] | None) -> dict[str, Any]:
    """Heralded lifetimes and, with a pixel calibration, the biexciton binding energy.

    The lifetimes are tail fits of the first- and second-photon delay histograms; the binding
    energy E_X - E_BX comes from line fits of the two spectra. The stream carries the pair
    records only, not the independent-period pairs that
    ``g2live.analysis.heralded.analyze_heralded`` uses to subtract accidental pairs, so these are
    the uncorrected live values; ``g2live analyze`` on a recording gives the corrected ones.

    Parameters
    ----------
    first, second : numpy.ndarray
        Photons per array pixel of the first and the second photon of each pair.
    d1, d2 : numpy.ndarray
        Their delay-after-sync histograms (``DELAY_BIN_PS`` bins).
    records : int
        Heralded pairs accumulated.
    calibration : (float, float) or None
        Energy of pixel 0 and eV per pixel.

    Returns
    -------
    dict
        ``tau_bx_ns``/``tau_x_ns`` with ``*_err_ns`` (or ``*_error``), ``binding_mev`` with
        ``binding_err_mev`` (or ``binding_error``), ``records``; ``error`` when too few pairs.
    """
    from g2live.analysis import fit_line
    from g2live.analysis.lifetime import fit_tail

    out: dict[str, Any] = {"records": records}
    if records < 20:
        out["error"] = f"{records} heralded pairs so far: too few to fit"
        return out
    for key, hist in (("tau_bx", d1), ("tau_x", d2)):
        try:
            f = fit_tail(hist, DELAY_BIN_PS)
            out[f"{key}_ns"], out[f"{key}_err_ns"] = f.tau_ps[0] * 1e-3, f.tau_err_ps[0] * 1e-3
        except (ValueError, RuntimeError) as exc:
            out[f"{key}_error"] = str(exc)
    used = np.flatnonzero((first + second) > 0)
    if calibration is None:
        out["binding_error"] = "binding energy needs a pixel calibration (--pixel-energy E0,dE)"
    elif used.size < 4:
        out["binding_error"] = "fewer than 4 pixels hit"
    else:
        px = np.arange(used.min(), used.max() + 1)
        e0, de = calibration
        edges = e0 + (np.append(px, px[-1] + 1) - 0.5) * de
        if de < 0:  # fit_line wants increasing energies
            edges, px = edges[::-1], px[::-1]
        try:
            bx, x = fit_line(edges, first[px]), fit_line(edges, second[px])
            out["binding_mev"] = (x.centre_ev - bx.centre_ev) * 1e3
            out["binding_err_mev"] = float(np.hypot(x.centre_err_ev, bx.centre_err_ev)) * 1e3
        except (ValueError, RuntimeError) as exc:
            out["binding_error"] = str(exc)
    return out


def sweep_fit(points: list[dict[str, float]]) -> dict[str, Any]:
    """P_sat, I_sat and qy_ratio of the sweep so far (``fit_power_sweep``) and the fitted curves.

    Parameters
    ----------
    points : list of dict
        The sweep's points in order: ``power``, ``rate_cps``, ``integration_s`` and, when the
        source is pulsed, ``g2_0`` ± ``g2_0_err``.

    Returns
    -------
    dict
        The fit values with errors, ``notes`` and ``curve`` (power, rate, purity on a grid); or
        ``error`` with the reason (fewer than 3 usable points, failed fit).
    """
    from g2live.analysis.power import fit_power_sweep, g2_model, rate_model

    rows = [p for p in points if all(np.isfinite(p.get(k, np.nan)) for k in ("power", "rate_cps"))]
    if len(rows) < 3:
        return {"error": f"{len(rows)} sweep points so far: the fit needs 3"}
    power = np.array([r["power"] for r in rows])
    rate = np.array([r["rate_cps"] for r in rows])
    t = np.array([r.get("integration_s", 1.0) or 1.0 for r in rows])
    rate_err = np.sqrt(np.maximum(rate * t, 1.0)) / t  # Poisson error of the counts behind each rate
    g2 = np.array([r.get("g2_0", np.nan) for r in rows])
    g2e = np.array([r.get("g2_0_err", np.nan) for r in rows])
    use_g2 = bool(np.all(np.isfinite(g2)) and np.all(np.isfinite(g2e)) and np.all(g2e > 0))
    try:
        f = fit_power_sweep(power, rate, rate_err, g2 if use_g2 else None, g2e if use_g2 else None)
    except (ValueError, RuntimeError) as exc:
        return {"error": str(exc)}
    grid = np.linspace(0, power.max() * 1.05, 200)[1:]
    q = f.qy_ratio if f.qy_ratio is not None else 0.0
    curve_rate = rate_model(grid, f.i_sat_cps, f.p_sat, q if f.rate_model == "cascade" else 0.0)
    curve_purity = 1.0 - g2_model(grid / f.p_sat, q) if f.qy_ratio is not None else np.full(grid.size, np.nan)
    return {"p_sat": f.p_sat, "p_sat_err": f.p_sat_err, "i_sat_cps": f.i_sat_cps,
            "i_sat_cps_err": f.i_sat_cps_err, "qy_ratio": f.qy_ratio, "qy_ratio_err": f.qy_ratio_err,
            "notes": f.notes,
            "curve": {"power": grid, "rate": curve_rate, "purity": curve_purity}}


def peak_windows_for(header: dict[str, Any],
                     hists: np.ndarray) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """Zero-delay and side-peak windows of every pair, from ``g2live.analysis.pulsed_g2``.

    Uses the same settings as the published ``analysis`` (rep rate, K side peaks) so the marked
    windows are the ones the g2(0) on the page was computed from.

    Parameters
    ----------
    header : dict
        Header of a ``g2`` frame.
    hists : numpy.ndarray
        Its histograms, one row per pair.

    Returns
    -------
    windows : dict
        Pair index -> period, zero delay, window width, K, histogram range (ps) and method.
    errors : dict
        Pair index -> why that pair has no windows (CW, no coincidences, no comb found).
    """
    from g2live.analysis import CorrelationHistogram, pulsed_g2

    settings = header.get("settings") or {}
    out: dict[int, dict[str, Any]] = {}
    errors: dict[int, str] = {}
    if settings.get("sync_channel") is None:
        return out, {i: "CW (no sync): no peak windows" for i in range(len(hists))}
    rep = settings.get("rep_rate_hz")
    period = 1e12 / rep if rep else None
    n_side = int(settings.get("analysis_k_side", 4))
    for i, counts in enumerate(np.asarray(hists)):
        if counts.sum() == 0:
            errors[i] = "no coincidences yet"
            continue
        h = CorrelationHistogram(np.asarray(counts, np.int64), int(header["bin_width_ps"]),
                                 int(header.get("offset_ps", 0)))
        try:
            r = pulsed_g2(h, period_ps=period, n_side=n_side)
        except ValueError as exc:
            errors[i] = str(exc)
            continue
        out[i] = {"period_ps": r.period_ps, "zero_ps": r.delay_offset_ps, "window_ps": r.window_ps,
                  "n_side": r.n_side, "g2_0": r.g2_0, "g2_0_err": r.g2_0_err, "method": r.zero_method,
                  "lo_ps": h.lo_ps, "hi_ps": h.hi_ps}
    return out, errors

