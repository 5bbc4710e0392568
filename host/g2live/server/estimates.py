# SPDX-License-Identifier: BSD-3-Clause
"""The running g2(0) estimate the ``analysis`` topic publishes, and how often it is recomputed.

``live_analysis`` is the pure part: g2(0), purity and their errors of the analysed pair of an
``Accumulator``, from ``g2live.analysis.live_g2``. ``LiveAnalysis`` keeps the latest result and
decides when to recompute it: only when new data arrived, and never so often that the fits
slow acquisition down.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np

from g2live.protocol import ANALYSIS_COLUMNS
from g2live.server.accumulator import Accumulator

__all__ = ["HERALDED_KEYS", "LiveAnalysis", "LiveHeralded", "live_analysis"]

SOURCE = "g2live.analysis.live_g2"


def live_analysis(acc: Accumulator) -> tuple[dict[str, float | None], str, str, dict[str, Any]]:
    """Running g2(0), purity and errors of the analysed pair, from ``g2live.analysis``.

    Returns (values of ANALYSIS_COLUMNS, source, status: "ok" or why no g2(0) yet, details).
    A value outside its physical range is None in ``values``; ``details["withheld"]`` says why.
    """
    cfg = acc.config
    values: dict[str, float | None] = dict.fromkeys(ANALYSIS_COLUMNS)
    if acc.integration_s > 0:
        n_det = sum(int(acc.counts[c]) for c in cfg.detector_channels)
        values["rate_cps"] = float(n_det / acc.integration_s)
    a, b = cfg.pairs[cfg.analysis_pair]
    hist = acc.histograms[cfg.analysis_pair]
    if hist.sum() == 0:
        return values, "none", "no coincidences yet", {}
    # Imported here: scipy and lmfit take seconds, and a server without them still streams data.
    from g2live.analysis import live_g2

    d = live_g2(
        hist,
        bin_width_ps=cfg.bin_width_ps,
        offset_ps=cfg.offset_ps,
        n_side=cfg.analysis_k_side,
        counts_ab=(int(acc.counts[a]), int(acc.counts[b])),
        duration_s=acc.integration_s,
        rep_rate_hz=cfg.rep_rate_hz,
    )
    for k in ("g2_0", "g2_0_err", "purity", "purity_err", "g2_0_poisson_norm"):
        values[k] = d.get(k)
    if values["g2_0"] is None and values["g2_0_err"] is None and d.get("g2_0_hi") is not None:
        # withheld at its physical bound: the interval's half width still says how well it is known
        values["g2_0_err"] = 0.5 * (d["g2_0_hi"] - d["g2_0_lo"])
    values["n_center"] = d.get("center_area")
    clean = {k: (None if v is None or not math.isfinite(float(v)) else float(v)) for k, v in values.items()}
    details = {k: v for k, v in d.items() if isinstance(v, (int, float, str)) or v is None}
    details["withheld"] = {str(k): str(v) for k, v in (d.get("withheld") or {}).items()}
    return clean, SOURCE, str(d.get("status", "ok")), details


class LiveAnalysis:
    """The latest ``live_analysis`` result and the policy of when to recompute it.

    ``values`` (None where not computable), ``source``, ``error`` (empty, or why there is no
    g2(0) yet), ``details`` and ``time_s`` (how long the last computation took) are what the
    ``analysis`` topic and ``status`` report.
    """

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.values: dict[str, float | None] = dict.fromkeys(ANALYSIS_COLUMNS)
        self.source = "none"
        self.error = ""
        self.details: dict[str, Any] = {}
        self.time_s = 0.0
        self._stale = True
        self._next_at = 0.0
        try:  # import the analysis (scipy, lmfit: seconds) now, not in the middle of the first integration
            import g2live.analysis.correlation  # noqa: F401
        except ImportError as exc:
            self.error = f"g2live.analysis unavailable: {exc}"

    @property
    def stale(self) -> bool:
        """New data arrived since the last computation."""
        return self._stale

    def mark_stale(self) -> None:
        self._stale = True

    def new_run(self) -> None:
        """A new run begins: nothing is known yet."""
        self.values = dict.fromkeys(ANALYSIS_COLUMNS)
        self._stale = True

    def refresh(self, acc: Accumulator, force: bool = False) -> bool:
        """Recompute from ``acc`` when due (or ``force``); True when it did (publish it then)."""
        now = time.monotonic()
        if not force and (not self._stale or now < self._next_at):
            return False
        self._stale = False
        try:
            self.values, self.source, status, self.details = live_analysis(acc)
            self.error = "" if status == "ok" else status
        except (ImportError, ValueError, ZeroDivisionError, FloatingPointError) as exc:
            self.values = dict.fromkeys(ANALYSIS_COLUMNS)
            self.error = f"{type(exc).__name__}: {exc}"
        took = time.monotonic() - now
        # At most ~1/5 of the loop goes to the analysis (its fits can take 0.1 s), so it never
        # slows acquisition down; at least every interval_s when it is cheap.
        self._next_at = now + max(self.interval_s, 5 * took)
        self.time_s = took
        return True


# keys of a heralded result the ``heralded`` topic carries (docs/protocol.md)
HERALDED_KEYS = (
    *("tau_bx_ns", "tau_bx_err_ns", "tau_x_ns", "tau_x_err_ns"),
    *("binding_energy_mev", "binding_energy_err_mev"),
    *("n_records", "n_pairs", "n_genuine", "n_genuine_err", "n_accidental_expected", "accidental_fraction"),
    *("crosstalk_excess", "crosstalk_excess_err", "crosstalk_window_ps", "rho", "n_periods"),
    *("mean_energy_bx_ev", "mean_energy_x_ev", "spectrum_first", "spectrum_second", "pixel_energy_ev"),
    *("jitter", "notes", "withheld"),
)


class LiveHeralded:
    """Corrected heralded values of the run, as ``g2live analyze`` computes them.

    The tags of every integration (devices that have them in this process: sim, replay) feed a
    ``g2live.analysis.HeraldedStream``; every ``interval_s`` (at most) its records and singles are
    analysed by ``analyze_heralded`` in a background thread, so the fits never hold up the loop.
    ``header()`` is what the ``heralded`` topic adds to its messages.
    """

    def __init__(self, interval_s: float = 2.0, min_pairs: int = 200) -> None:
        self.interval_s = interval_s
        self.min_pairs = min_pairs
        self.pixel_energy_ev: list[float] | None = None
        self.values: dict[str, Any] = {}
        self.error = "no heralded analysis yet"
        self._stream: Any = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._next_at = 0.0
        self._generation = 0

    def configure(self, config: Any, pixel_energy_ev: list[float] | None) -> None:
        """A new run with these settings (sync channel, pixels, repetition rate)."""
        self._generation += 1
        self.values, self._stream = {}, None
        self.pixel_energy_ev = list(pixel_energy_ev) if pixel_energy_ev is not None else None
        if config.sync_channel is None or not config.rep_rate_hz:
            self.error = "heralded analysis needs a sync channel and the repetition rate"
            return
        if self.pixel_energy_ev is None:
            self.error = "heralded analysis needs the pixels' energies (a spectro source)"
            return
        from g2live.analysis import HeraldedStream

        pixels = np.arange(len(self.pixel_energy_ev))
        self._stream = HeraldedStream(config.sync_channel, pixels, 1e12 / config.rep_rate_hz)
        self.error = "collecting heralded pairs"

    @property
    def stream(self) -> Any:
        """The ``HeraldedStream`` of the run (None when the run cannot be analysed)."""
        return self._stream

    def wait(self, timeout_s: float | None = None) -> None:
        """Wait for a running background analysis to finish."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def add(self, stream: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Feed one integration's tags."""
        if self._stream is not None and stream is not None:
            self._stream.update(*stream)

    def refresh(self) -> None:
        """Start a background analysis when due and none is running."""
        now = time.monotonic()
        data = None if self._stream is None else self._stream.data
        busy = self._thread is not None and self._thread.is_alive()
        if data is None or busy or now < self._next_at:
            return
        if int(np.sum(data.pairs.pixel_first != data.pairs.pixel_second)) < self.min_pairs:
            self.error = f"{len(data.pairs)} heralded records so far: collecting"
            return
        self._next_at = now + self.interval_s
        args = (data, list(self.pixel_energy_ev or []), self._generation)
        self._thread = threading.Thread(target=self._analyse, args=args, daemon=True, name="g2live-heralded")
        self._thread.start()

    def _analyse(self, data: Any, energies: list[float], generation: int) -> None:
        from g2live.analysis import analyze_heralded, check_heralded, json_safe

        t0 = time.monotonic()
        try:
            d = json_safe(analyze_heralded(data, np.asarray(energies)).to_dict())
            check_heralded(d)
            values, error = {k: d.get(k) for k in HERALDED_KEYS}, ""
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            values, error = {}, f"{type(exc).__name__}: {exc}"
        with self._lock:
            if generation == self._generation:  # a run that ended meanwhile is not reported
                self.values, self.error = values, error
        # the fit's cost paces the next one: at most ~1/3 of one core
        self._next_at = max(self._next_at, time.monotonic() + 2 * (time.monotonic() - t0))

    def header(self) -> dict[str, Any]:
        """What the ``heralded`` topic adds: the corrected values (or why there are none) and the
        pixels' energies."""
        with self._lock:
            values, error = dict(self.values), self.error
        return {"analysis": values, "analysis_error": error, "pixel_energy_ev": self.pixel_energy_ev}
