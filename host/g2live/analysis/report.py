"""``analyze``: everything g2live can say about one recording, as a JSON-ready dict.

Keys (stable; documented in docs/analysis.md): ``g2_0``, ``g2_0_err``, ``g2_0_ci``,
``g2_0_poisson_norm``, ``g2_0_poisson_norm_err``, ``side_over_poisson``, ``purity``,
``purity_err``, ``rates_cps``, ``lifetime_ns``, ``lifetime_err_ns``, ``on_fraction``,
``delay_offset_ps``, ``period_ps``, ``mode`` and, for spectro recordings, ``heralded`` with
``binding_energy_mev``, ``tau_bx_ns``, ``tau_x_ns`` (and their ``_err``). Details of each step
are under ``g2``, ``cw``, ``lifetime``, ``blinking``. Anything that could not be computed is None
with the reason in ``notes``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from g2live.photons import PhotonData

from . import blinking, cw, g2, heralded, lifetime
from .histogram import correlate

SCHEMA = 1


class _Skipped(Exception):
    pass


MAX_BINS = 1 << 16


def _counts(data: PhotonData) -> dict[int, int]:
    n = np.bincount(data.channel, minlength=1)  # uint8 channels: much faster than np.unique
    return {int(c): int(n[c]) for c in np.nonzero(n)[0]}


def detect_sync(data: PhotonData, counts: dict[int, int] | None = None) -> int | None:
    """The sync channel: from the metadata, a role naming it, or a channel whose intervals are whole
    multiples of its shortest interval (a laser sync, also when filtered) to within 100 ps."""
    m = data.meta
    if m.sync_channel is not None:
        return int(m.sync_channel)
    for ch, role in m.channel_roles.items():
        if "sync" in str(role).lower():
            return int(ch)
    for ch, n in (counts or _counts(data)).items():
        if n < 100:
            continue
        d = np.diff(data.channel_times(ch)[:200_000]).astype(np.float64)
        d = d[d > 0]
        if d.size < 50:
            continue
        d_min = float(d.min())
        if d_min <= 1000:  # photons (or a sync faster than 1 GHz): not a laser sync
            continue
        for m in range(1, 9):  # a filtered sync's shortest interval may be several periods
            p = d_min / m
            near = d[d < 50 * p]
            if near.size < 20:
                continue
            k = np.rint(near / p)
            p = float(np.median(near / k))  # refined period
            if np.mean(np.abs(near - np.rint(near / p) * p) < 100) > 0.99:
                return int(ch)
    return None


def _clean(x: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(float(x)) else None
    return x


def analyze_photons(
    data: PhotonData,
    *,
    channels: tuple[int, int] | None = None,
    sync_channel: int | None = None,
    n_side: int = 4,
    window_ps: float | None = None,
    bin_width_ps: int | None = None,
    half_range_ps: float | None = None,
    rho: tuple[float, float] | None = None,
    trace_bin_s: float = 0.01,
    source: str = "",
    rep_rate_hz: float | None = None,
    steps: tuple[str, ...] = ("g2", "lifetime", "blinking", "heralded"),
) -> dict[str, Any]:
    """Analyse a recording: rates, g2(0) (pulsed: both estimators; CW: fit), purity, delay offset,
    lifetime, blinking, and the heralded results of spectro recordings (``steps`` selects; rates
    and g2 always run)."""
    notes: list[str] = []
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "file": source,
        "source": data.meta.source,
        "format": data.meta.format,
        "notes": notes,
    }
    if len(data) == 0:
        raise ValueError(f"{source or 'data'}: no events")
    dur = data.duration_s()
    out["duration_s"] = dur
    counts = _counts(data)
    sync = detect_sync(data, counts) if sync_channel is None else sync_channel
    detectors = sorted(c for c in counts if c != sync)
    out["sync_channel"] = sync
    out["rates_cps"] = {str(c): counts[c] / dur if dur > 0 else None for c in sorted(counts)}
    out["detector_rate_cps"] = sum(counts[c] for c in detectors) / dur if dur > 0 else None
    truth = data.meta.extra.get("truth") if isinstance(data.meta.extra, dict) else None
    pixel_e = data.meta.extra.get("pixel_energy_ev") if isinstance(data.meta.extra, dict) else None
    spectro = pixel_e is not None and len(detectors) > 2
    out["mode"] = "spectro" if spectro else "hbt"
    rate = rep_rate_hz or data.meta.sync_rate_hz
    period = 1e12 / rate if rate else None

    # --- correlation of the two detectors ---------------------------------------------------
    if channels is None:
        if len(detectors) < 2:
            raise ValueError(
                f"{source or 'data'}: need two detector channels, found {detectors}"
                f" (sync = {sync}); pass channels explicitly"
            )
        busiest = sorted(detectors, key=lambda c: -counts[c])[:2]
        channels = (min(busiest), max(busiest))
    a_ch, b_ch = channels
    out["channels"] = [a_ch, b_ch]
    ta, tb = data.channel_times(a_ch), data.channel_times(b_ch)
    if ta.size == 0 or tb.size == 0:
        raise ValueError(f"{source or 'data'}: channel {a_ch if ta.size == 0 else b_ch} has no events")
    half = half_range_ps or max(200_000.0, (n_side + 1.5) * (period or 0.0) + 60_000.0)
    bw = bin_width_ps or max(int(math.ceil(2 * half / MAX_BINS)), int(max(data.meta.resolution_ps, 1)), 16)
    nb = int(2 * half // bw)
    h = correlate(ta, tb, bw, nb)
    comb = g2.find_comb(h, period)
    is_comb = period is not None or g2.comb_contrast(h, comb) > 3.0
    if period is None and is_comb and (n_side + 1.5) * comb.period_ps + 60_000 > half:
        # long period found: widen the histogram to hold n_side side peaks around any cable delay
        half = (n_side + 1.5) * comb.period_ps + 60_000.0
        bw = bin_width_ps or max(int(math.ceil(2 * half / MAX_BINS)), 16)
        nb = int(2 * half // bw)
        h = correlate(ta, tb, bw, nb)
    pulsed = is_comb
    out["excitation"] = "pulsed" if pulsed else "cw"
    keys = (
        "g2_0",
        "g2_0_err",
        "g2_0_ci",
        "g2_0_poisson_norm",
        "g2_0_poisson_norm_err",
        "side_over_poisson",
        "purity",
        "purity_err",
        "delay_offset_ps",
        "delay_offset_err_ps",
        "period_ps",
    )
    out.update(dict.fromkeys(keys))
    if pulsed:
        try:
            r = g2.pulsed_g2(
                h,
                period_ps=period,
                window_ps=window_ps,
                n_side=n_side,
                counts_ab=(ta.size, tb.size),
                duration_s=dur,
                rho=rho,
            )
            out["g2"] = r.to_dict()
            out.update(
                g2_0=r.g2_0,
                g2_0_err=r.g2_0_err,
                g2_0_ci=list(r.g2_0_ci),
                g2_0_poisson_norm=r.g2_0_poisson_norm,
                g2_0_poisson_norm_err=r.g2_0_poisson_norm_err,
                side_over_poisson=r.side_over_poisson,
                delay_offset_ps=r.delay_offset_ps,
                delay_offset_err_ps=r.delay_offset_err_ps,
                period_ps=r.period_ps,
            )
            period = r.period_ps
        except ValueError as exc:
            notes.append(f"g2: {exc}")
    else:
        try:
            c = cw.fit_cw(h, counts_ab=(ta.size, tb.size), duration_s=dur)
            out["cw"] = c.to_dict()
            out.update(
                g2_0=c.g2_0,
                g2_0_err=c.g2_0_err,
                g2_0_poisson_norm=c.g2_0_poisson_norm,
                delay_offset_ps=c.tau0_ps,
                delay_offset_err_ps=c.tau0_err_ps,
            )
        except ValueError as exc:
            notes.append(f"cw g2 fit: {exc}")
    if out["g2_0"] is not None:
        out["purity"], out["purity_err"] = 1.0 - out["g2_0"], out["g2_0_err"]
    if rho is not None and "g2" in out:
        out["g2_0_corrected"] = out["g2"]["g2_0_corrected"]
        out["g2_0_corrected_err"] = out["g2"]["g2_0_corrected_err"]
        out["rho"] = list(rho)

    # --- lifetime ------------------------------------------------------------------------------
    out["lifetime_ns"] = out["lifetime_err_ns"] = None
    is_det = np.zeros(256, dtype=bool)
    is_det[detectors] = True
    det_mask = is_det[data.channel]
    delays = chans = None
    if "lifetime" not in steps:
        pass
    elif data.microtime_ps is not None:
        delays, chans = data.microtime_ps[det_mask], data.channel[det_mask]
    elif sync is not None and counts.get(sync, 0) > 2:
        if period is None:
            period = float(np.percentile(np.diff(data.channel_times(sync)), 0.5))
        delays, chans = _sync_delays(data, det_mask, sync, period)
    if "lifetime" not in steps:
        pass
    elif delays is not None and delays.size > 100 and period:
        try:
            out["lifetime"] = _lifetimes(delays, chans, float(data.meta.resolution_ps), float(period))
            out["lifetime_ns"] = out["lifetime"]["tau_ns"]
            out["lifetime_err_ns"] = out["lifetime"]["tau_err_ns"]
        except ValueError as exc:
            notes.append(f"lifetime: {exc}")
    else:
        notes.append("lifetime: no micro-times and no sync channel")

    # background correction with rho estimated from the decays, unless rho was given
    life_ch = (out.get("lifetime") or {}).get("channels", {})
    if rho is None and "g2" in out and str(a_ch) in life_ch and str(b_ch) in life_ch:
        rho_est = (life_ch[str(a_ch)]["signal_fraction"], life_ch[str(b_ch)]["signal_fraction"])
        out["rho"] = list(rho_est)
        try:
            out["g2_0_corrected"], out["g2_0_corrected_err"] = g2.background_correct(
                out["g2_0"], out["g2_0_err"], *rho_est, side_over_poisson=out["side_over_poisson"]
            )
        except ValueError as exc:
            notes.append(f"background correction: {exc}")

    # --- blinking -----------------------------------------------------------------------------
    out["on_fraction"] = None
    try:
        if "blinking" not in steps:
            raise _Skipped
        bl = blinking.analyze_blinking(data.time_ps[det_mask], int(trace_bin_s * 1e12))
        out["blinking"] = bl.to_dict()
        out["blinking"].pop("segments", None)
        out["on_fraction"] = bl.on_fraction
    except _Skipped:
        pass
    except ValueError as exc:
        notes.append(f"blinking: {exc}")

    # --- heralded (spectro) -------------------------------------------------------------------
    if spectro and "heralded" in steps:
        if sync is None:
            notes.append("heralded: a spectro recording without a sync channel")
        else:
            try:
                hr = heralded.heralded_from_photons(
                    data.channel,
                    data.time_ps,
                    sync,
                    np.asarray(pixel_e),
                    pixels=np.arange(len(pixel_e)),
                    period_ps=period,
                )
                out["heralded"] = hr.to_dict()
            except ValueError as exc:
                notes.append(f"heralded: {exc}")
    if truth is not None:
        out["truth"] = {
            k: truth.get(k)
            for k in ("g2_0_emitter", "tau_x_ns", "tau_bx_ns", "on_fraction", "power", "qy_ratio")
            if k in truth
        }
        if "config" in truth:
            out["truth"]["binding_bx_mev"] = truth["config"].get("binding_bx_mev")
    return _clean(out)


def _sync_delays(
    data: PhotonData, det_mask: np.ndarray, sync: int, period: float
) -> tuple[np.ndarray, np.ndarray]:
    """Delay of each detector photon after the latest sync; with a filtered sync only photons within
    1.5 periods of a recorded sync are kept. Returns (delays, channels)."""
    st = data.channel_times(sync)
    pt, pc = data.time_ps[det_mask], data.channel[det_mask]
    per = np.searchsorted(st, pt, side="right") - 1
    ok = per >= 0
    delays = pt[ok] - st[per[ok]]
    keep = delays < 1.5 * period
    return delays[keep], pc[ok][keep]


def _lifetimes(
    delays: np.ndarray,
    chans: np.ndarray,
    resolution_ps: float,
    period: float,
    max_channels: int = 8,
    min_photons: int = 1000,
) -> dict[str, Any]:
    """Tail fit per detector channel (their cable delays differ, so decays are not summed); the
    reported lifetime is the inverse-variance mean over channels."""
    from scipy import stats

    lbw = max(resolution_ps, period / 4096.0, 1.0)
    vals, n = np.unique(chans, return_counts=True)
    busiest = [int(c) for c, k in sorted(zip(vals, n, strict=True), key=lambda x: -x[1]) if k >= min_photons]
    busiest = busiest[:max_channels]
    if not busiest:
        raise ValueError(f"no detector channel has {min_photons} photons with a delay")
    per: dict[str, Any] = {}
    taus, errs = [], []
    for c in busiest:
        hist, start = lifetime.periodic_decay(delays[chans == c], lbw, period)
        one = lifetime.fit_tail(hist, lbw, t0_ps=start)
        # flat background of the decay = photons not correlated with the laser (dark counts, stray
        # light, afterpulses): 1 - its share is the signal fraction rho = S / (S + B)
        rho_c = float(np.clip(1.0 - one.background_per_bin * hist.size / max(hist.sum(), 1), 0.0, 1.0))
        entry: dict[str, Any] = {"tail": one.to_dict(), "signal_fraction": rho_c}
        try:
            two = lifetime.fit_tail(hist, lbw, t0_ps=start, n_exp=2)
            if one.deviance - two.deviance > stats.chi2.isf(1e-6, 2):  # two components clearly better
                entry["tail_2exp"] = two.to_dict()
        except ValueError:
            pass
        per[str(c)] = entry
        if np.isfinite(one.tau_err_ps[0]) and one.tau_err_ps[0] > 0:
            taus.append(one.tau_ps[0])
            errs.append(one.tau_err_ps[0])
    if not taus:
        raise ValueError("no lifetime fit converged with an error estimate")
    w = 1.0 / np.square(errs)
    tau = float(np.sum(w * taus) / w.sum())
    err = float(1.0 / np.sqrt(w.sum()))
    chi2 = float(np.sum(w * (np.array(taus) - tau) ** 2))
    method = "inverse-variance mean over channels"
    if len(taus) > 1 and stats.chi2.sf(chi2, len(taus) - 1) < 1e-3:
        # the channels disagree (polarisation, different detectors): no common lifetime; report the busiest
        tau, err, method = taus[0], errs[0], f"channel {busiest[0]} (channels disagree)"
    return {
        "tau_ns": tau / 1e3,
        "tau_err_ns": err / 1e3,
        "bin_width_ps": lbw,
        "method": method,
        "channels_chi2": chi2,
        "channels": per,
    }


def analyze_file(path: str | Path, **kwargs: Any) -> dict[str, Any]:
    from g2live import io

    data = io.read(path)
    return analyze_photons(data, source=str(path), **kwargs)


def recording_power(data: PhotonData) -> float | None:
    """The excitation power a recording was taken at, from its metadata."""
    ex = data.meta.extra if isinstance(data.meta.extra, dict) else {}
    for src in (ex, ex.get("settings") or {}, ex.get("truth") or {}):
        if isinstance(src, dict) and src.get("power") is not None:
            return float(src["power"])
    return None
