# SPDX-License-Identifier: BSD-3-Clause
"""One pure function per published topic: header (without ``schema``/``seq``) and payload.

Each function reads what it needs (the run's ``Accumulator``, one ``Integration``, the latest
estimate, a sweep point) and returns ``(header, payload)`` as docs/protocol.md section 1.2
describes the topic; none of them changes anything or sends anything. ``RunInfo`` carries the
header keys every message shares (section 1.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from g2live.config import MAX_CHANNELS, Config
from g2live.device.base import HERALD_COLUMNS, Integration
from g2live.protocol import ANALYSIS_COLUMNS, SWEEP_COLUMNS
from g2live.server.accumulator import Accumulator
from g2live.server.correlations import LiveCorrelations
from g2live.server.estimates import LiveAnalysis
from g2live.server.markers import MarkerState
from g2live.server.sweep import SweepPoint

__all__ = [
    "TopicMessage",
    "RunInfo",
    "g2",
    "pulsed",
    "status",
    "analysis",
    "rates",
    "heralded",
    "trace",
    "tags",
    "markers",
    "sweep",
    "empty_integration",
    "logcorr",
    "coincidences",
    "heralded_g2",
    "g3",
    "gated",
]

TopicMessage = tuple[dict[str, Any], np.ndarray]


@dataclass(frozen=True)
class RunInfo:
    """What every header says about where its data come from: run number, settings, device."""

    run: int
    config: Config
    device: str

    def header(
        self, t_start: float, t_stop: float, integration_s: float, units: str, accumulated: bool
    ) -> dict[str, Any]:
        """The keys of section 1.1 that every message carries (``schema``/``seq`` aside)."""
        return {
            "run": self.run,
            "t_start": t_start,
            "t_stop": t_stop,
            "integration_s": integration_s,
            "units": units,
            "accumulated": accumulated,
            "settings": self.config.to_dict(),
            "device": self.device,
        }

    def of_run(self, acc: Accumulator, units: str = "counts") -> dict[str, Any]:
        """Header of an accumulated topic: the whole run so far."""
        return self.header(acc.t_start, acc.t_stop, acc.integration_s, units, True)

    def of_integration(self, integ: Integration, now: float) -> dict[str, Any]:
        """Header of a per-integration topic that ends at wall time ``now``."""
        hdr = self.header(now - integ.duration_s, now, integ.duration_s, "counts", False)
        hdr["t_start_ps"], hdr["t_stop_ps"] = integ.t_start_ps, integ.t_stop_ps
        return hdr


# --- accumulated topics ------------------------------------------------------------------------
def g2(info: RunInfo, acc: Accumulator) -> TopicMessage:
    cfg = info.config
    hdr = {
        **info.of_run(acc),
        "pairs": [list(p) for p in cfg.pairs],
        "bin_width_ps": cfg.bin_width_ps,
        "n_bins": cfg.n_bins,
        "offset_ps": cfg.offset_ps,
        "lo_ps": cfg.lo_ps,
        "counts": [int(x) for x in acc.counts],
    }
    return hdr, acc.histograms


def pulsed(info: RunInfo, acc: Accumulator) -> TopicMessage:
    cfg = info.config
    hdr = {
        **info.of_run(acc),
        "sync_channel": cfg.sync_channel,
        "max_photons": cfg.max_photons,
        "n_periods": int(acc.photon_number.sum()),
        "pre_sync": acc.pre_sync,
        "pulsed_window_ps": cfg.pulsed_window_ps,
    }
    return hdr, acc.photon_number


def status(info: RunInfo, acc: Accumulator, fields: dict[str, Any]) -> TopicMessage:
    """``fields``: the status object of section 1.3 (what the control ``status`` command returns)."""
    return {**info.of_run(acc), **fields}, acc.lost_per_channel()


def analysis(info: RunInfo, acc: Accumulator, live: LiveAnalysis) -> TopicMessage:
    vals = np.array([np.nan if live.values[k] is None else live.values[k] for k in ANALYSIS_COLUMNS])
    hdr = {
        **info.of_run(acc, units=""),
        "columns": list(ANALYSIS_COLUMNS),
        "values": dict(live.values),
        "pair": info.config.analysis_pair,
        "source": live.source,
        "error": live.error,
        "details": live.details,
        # values that were computed but may not be reported (outside their physical range, zero
        # delay not identified): key -> why (docs/protocol.md)
        "withheld": dict(live.details.get("withheld") or {}),
    }
    return hdr, vals


# --- per-integration topics --------------------------------------------------------------------
def rates(info: RunInfo, integ: Integration, now: float) -> TopicMessage:
    dt = integ.duration_s
    rate = integ.counts.astype(np.float64) / dt if dt > 0 else np.zeros(MAX_CHANNELS)
    hdr = {
        **info.of_integration(integ, now),
        "units": "counts/s",
        "counts": [int(x) for x in integ.counts],
        "interval_s": dt,
        "lost": [int(x) for x in integ.lost_per_channel()],
        "dead": [int(x) for x in integ.dead],
    }
    return hdr, rate


def heralded(
    info: RunInfo, integ: Integration, now: float, live: dict[str, Any] | None = None
) -> TopicMessage:
    """The integration's pair records; ``live`` (``LiveHeralded.header()``) adds the run's corrected
    values (``analysis``, ``analysis_error``) and ``pixel_energy_ev`` (docs/protocol.md)."""
    hdr = {**info.of_integration(integ, now), "columns": list(HERALD_COLUMNS)}
    if integ.photon_number is not None:
        hdr["n_periods"] = int(np.sum(integ.photon_number))  # periods closed in this integration
    if live is not None:
        hdr.update(live)
    return hdr, np.ascontiguousarray(integ.heralded, np.int64)


def trace(info: RunInfo, integ: Integration, now: float) -> TopicMessage:
    cfg = info.config
    tr = integ.trace if integ.trace is not None else np.zeros(0, np.int64)
    # The last element is shorter when the integration is not a multiple of trace_bin_ps.
    last = integ.t_stop_ps - integ.t_start_ps - (len(tr) - 1) * cfg.trace_bin_ps if len(tr) else 0
    hdr = {
        **info.of_integration(integ, now),
        "trace_bin_ps": cfg.trace_bin_ps,
        "t0_ps": integ.t_start_ps,
        "last_bin_ps": last,
        "channels": list(cfg.detector_channels),
    }
    return hdr, tr


def tags(info: RunInfo, integ: Integration, now: float) -> TopicMessage:
    words = integ.tag_words if integ.tag_words is not None else np.zeros(0, np.uint64)
    return {**info.of_integration(integ, now), "units": "word", "n_tags": integ.n_tags}, words


def markers(info: RunInfo, integ: Integration, now: float, state: MarkerState) -> TopicMessage:
    """The integration's marker events (header ``events``: [marker, time_ps] rows), the run's counts
    and latest times per marker number, and with ``gate_markers`` the live gate's state; payload:
    the run's marker-gated histograms int64[n_pairs, n_bins] (empty without a gate)."""
    m = integ.markers
    events = [[int(k), int(t)] for k, t in zip(m["marker"].tolist(), m["time_ps"].tolist(), strict=True)]
    hdr = {**info.of_integration(integ, now), "units": "counts", "events": events, **state.header()}
    gate = state.gate
    payload = gate.histograms() if gate is not None else np.zeros((0, info.config.n_bins), np.int64)
    return hdr, payload


def empty_integration(acc: Accumulator) -> Integration:
    """A zero-length integration: what ``rates`` reports before the first one finished."""
    return Integration(0, 0, acc.histograms * 0, np.zeros(MAX_CHANNELS, np.int64))


# --- sweep -------------------------------------------------------------------------------------
def sweep(
    info: RunInfo,
    acc: Accumulator,
    point: SweepPoint,
    power_unit: str | None,
    analysis_error: str,
    withheld: dict[str, str] | None = None,
) -> TopicMessage:
    """One finished sweep point, measured over the run ``acc`` holds."""
    payload = np.array(
        [np.nan if point.values[k] is None else point.values[k] for k in SWEEP_COLUMNS], np.float64
    )
    hdr = {
        **info.header(acc.t_start, acc.t_stop, acc.integration_s, "", False),
        "columns": list(SWEEP_COLUMNS),
        "values": point.values,
        "point": point.index,
        "n_points": point.n_points,
        "sweep_id": point.sweep_id,
        "done": point.last,
        "power_unit": power_unit,
        "target_rel_err": point.target_rel_err,
        "analysis_error": analysis_error,
        "withheld": dict(withheld or {}),  # key -> why it is None (physical range, zero delay unknown)
    }
    return hdr, payload


# --- live taggers' measurements (settings log_corr, coincidences, heralded_g2, g3, on_state) -----
def _live(info: RunInfo, acc: Accumulator, live: LiveCorrelations) -> dict[str, Any]:
    """Keys of every live-correlation frame: the run, what the counters saw, what the device lost."""
    return {**info.of_run(acc), **live.common(), "lost_total": acc.lost_total}


def logcorr(info: RunInfo, acc: Accumulator, live: LiveCorrelations) -> TopicMessage:
    assert live.logcorr is not None
    g = live.logcorr_g()
    hdr = {
        **_live(info, acc, live),
        "pair": list(live.pair),
        "edges_ps": [int(e) for e in live.logcorr.edges_ps],
        "g": [None if not np.isfinite(x) else float(x) for x in g],  # null: no tags at that lag yet
        "normalization": "pycorrelate",
    }
    return hdr, live.logcorr.histograms()[0]


def coincidences(info: RunInfo, acc: Accumulator, live: LiveCorrelations) -> TopicMessage:
    assert live.coinc is not None
    c = live.coinc
    hdr = {**_live(info, acc, live), "sets": [list(s) for s in c.sets], "window_ps": c.window_ps}
    return hdr, live.coinc.counts()


def heralded_g2(info: RunInfo, acc: Accumulator, live: LiveCorrelations) -> TopicMessage:
    h = live.herald
    assert h is not None
    from g2live.analysis._physical import check  # the rule `g2live analyze` withholds by

    r = h.result()
    c = check("heralded_g2", r.g2, r.g2_error)
    g2, err = c.value, (c.err if c.value is not None else None)
    hdr = {
        **_live(info, acc, live),
        "channels": [h.herald, h.a, h.b],
        "window_ps": h.window_ps,
        "offset_ps": h.offset_ps,
        "columns": ["n_herald", "n_a", "n_b", "n_ab"],
        "values": {"g2_h0": g2, "g2_h0_err": err},
        "withheld": {} if g2 is not None else {"g2_h0": c.reason or "withheld"},
        "pending": h.pending,  # heralds whose window is still open (not counted yet)
        "error": live.error or ("" if r.n_a and r.n_b else "no heralded detection on a or b yet"),
    }
    return hdr, np.array([r.n_herald, r.n_a, r.n_b, r.n_ab], np.int64)


def g3(info: RunInfo, acc: Accumulator, live: LiveCorrelations) -> TopicMessage:
    g = live.g3
    assert g is not None
    hdr = {
        **_live(info, acc, live),
        "channels": [g.a, g.b, g.c],
        "bin_width_ps": g.bin_width_ps,
        "n_bins": g.n_bins,
        "offset_ps": g.offset_ps,
        "lo_ps": int(g.edges_ps[0]),
        "n_anchors": g.n_anchors,
    }
    return hdr, g.histogram()


def gated(info: RunInfo, acc: Accumulator, live: LiveCorrelations, ungated: LiveAnalysis) -> TopicMessage:
    gate = live.gate
    assert gate is not None
    cfg = info.config
    est = live.gated  # recomputed by the loop (LiveCorrelations.refresh_gated) before it publishes
    hdr = {
        **_live(info, acc, live),
        "pair": list(live.pair),
        "bin_width_ps": cfg.bin_width_ps,
        "n_bins": cfg.n_bins,
        "offset_ps": cfg.offset_ps,
        "lo_ps": cfg.lo_ps,
        **gate.summary(),
        # the ungated value beside it: the `analysis` topic's g2(0) of the same pair
        "values": {**est.values, "g2_0": ungated.values.get("g2_0"),
                   "g2_0_err": ungated.values.get("g2_0_err")},
        "withheld": {**est.details["withheld"],
                     **{k: v for k, v in (ungated.details.get("withheld") or {}).items() if k == "g2_0"}},
        "estimate_status": est.details["status"],
    }
    return hdr, gate.histogram
