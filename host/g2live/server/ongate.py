# SPDX-License-Identifier: BSD-3-Clause
"""The live ON-state gate: the analysis pair's correlation histogram of the tags inside ON bins only.

The detector tags are binned in ``trace_bin_ps`` bins (absolute device time, bin k covers
``[k w, (k + 1) w)``); a bin is ON when its photons exceed ``threshold_cps * w``. A bin is decided
once the stream has passed its end; the tags of ON bins go on to a ``g2live.core.Correlator``, so
the histogram is ``g2live.analysis.gated_histogram`` of the whole run with those bins as windows.
Without a configured threshold the first ``LEARN_BINS`` bins (at most ``LEARN_S`` seconds, at
least ``MIN_LEARN_BINS`` bins) are held back, their counts fitted by the blinking analysis'
two-level Poisson mixture, and the threshold found is fixed for the run. The tags held while
learning are bounded by ``MAX_HELD``: past it the threshold is learned from the bins so far.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from g2live.core import Correlator

__all__ = ["LEARN_BINS", "LEARN_S", "MAX_HELD", "MIN_LEARN_BINS", "OnGate"]

LEARN_BINS = 200  # bins held back to learn the threshold (2 s at the default 10 ms)
LEARN_S = 10.0  # ... but not longer than this (long bins)
MIN_LEARN_BINS = 10  # what fit_poisson_mixture needs
MAX_HELD = 10_000_000  # tags held while learning (~90 MB)


class OnGate:
    """Gate of pair ``(a, b)`` over ``detectors`` (their photons decide ON/OFF), bins of ``bin_ps``."""

    def __init__(self, a: int, b: int, detectors: tuple[int, ...], bin_ps: int, bin_width_ps: int,
                 n_bins: int, offset_ps: int, threshold_cps: float | None) -> None:
        self.a, self.b, self.bin_ps = a, b, int(bin_ps)
        self._det = np.zeros(64, bool)
        self._det[list(detectors)] = True
        self._corr = Correlator([(a, b)], bin_width_ps, n_bins, offset_ps)
        self.threshold_cps = threshold_cps
        self.learned = threshold_cps is None
        self.learn_bins = max(MIN_LEARN_BINS, min(LEARN_BINS, int(LEARN_S * 1e12) // self.bin_ps))
        self.error = "learning the ON/OFF threshold" if threshold_cps is None else ""
        self.n_gate_bins = 0
        self.n_on_bins = 0
        self.counts_ab = [0, 0]  # a and b tags inside ON bins
        self._held: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.uint8), np.zeros(0, np.int64))
        self._next_bin: int | None = None  # first bin not decided yet (None: before the first tag)

    @property
    def histogram(self) -> np.ndarray:
        """The gated histogram of the pair (int64[n_bins])."""
        return self._corr.histograms()[0]

    @property
    def next_bin(self) -> int | None:
        """The first gate bin not decided yet (None before the first tag)."""
        return self._next_bin

    @property
    def on_time_s(self) -> float:
        return self.n_on_bins * self.bin_ps * 1e-12

    def add(self, channel: np.ndarray, time_ps: np.ndarray, t_stop_ps: int) -> None:
        """The tags of one integration, which ends at ``t_stop_ps`` (the bins before it are decided)."""
        ch = np.concatenate([self._held[0], channel])
        t = np.concatenate([self._held[1], time_ps])
        if self._next_bin is None:
            if t.size == 0:
                return
            self._next_bin = int(t[0]) // self.bin_ps
        end_bin = int(t_stop_ps) // self.bin_ps  # bins < end_bin are complete
        if self.threshold_cps is None:
            n_learn = min(end_bin - self._next_bin, self.learn_bins)
            if n_learn < self.learn_bins and t.size <= MAX_HELD:
                self._held = (ch, t)
                return
            self._learn(ch, t, self._next_bin + n_learn)
        cut = int(np.searchsorted(t, end_bin * self.bin_ps, side="left"))
        self._gate(ch[:cut], t[:cut], end_bin)
        self._held = (ch[cut:], t[cut:])

    def _bin_counts(self, ch: np.ndarray, t: np.ndarray, end_bin: int) -> np.ndarray:
        k = t[self._det[ch]] // self.bin_ps - self._next_bin
        return np.bincount(k, minlength=end_bin - self._next_bin)

    def _learn(self, ch: np.ndarray, t: np.ndarray, end_bin: int) -> None:
        """Fit the first bins' counts; the threshold is then fixed (or the gate stays shut, saying why)."""
        from g2live.analysis.blinking import fit_poisson_mixture

        if end_bin - self._next_bin < MIN_LEARN_BINS:
            self.threshold_cps = float("inf")
            self.error = (f"more than {MAX_HELD} tags in fewer than {MIN_LEARN_BINS} gate bins: "
                          "set on_threshold_cps (or a shorter trace_bin_ps)")
            return
        counts = self._bin_counts(ch[t < end_bin * self.bin_ps], t[t < end_bin * self.bin_ps], end_bin)
        try:
            fit = fit_poisson_mixture(counts)
        except (ValueError, FloatingPointError) as exc:
            self.threshold_cps, self.error = float("inf"), f"no ON/OFF threshold: {exc}"
            return
        self.threshold_cps = float(fit.threshold) / (self.bin_ps * 1e-12)
        self.error = "" if fit.separated else "ON and OFF levels not separated: the gate is not an ON state"

    def _gate(self, ch: np.ndarray, t: np.ndarray, end_bin: int) -> None:
        """Decide bins ``_next_bin .. end_bin - 1`` and feed the tags of the ON ones."""
        if end_bin <= self._next_bin:
            return
        assert self.threshold_cps is not None
        counts = self._bin_counts(ch, t, end_bin)
        on = counts > self.threshold_cps * self.bin_ps * 1e-12
        keep = on[t // self.bin_ps - self._next_bin]
        keep &= (ch == self.a) | (ch == self.b)
        self._corr.update(ch[keep], t[keep])
        self.counts_ab[0] += int(np.count_nonzero(ch[keep] == self.a))
        self.counts_ab[1] += int(np.count_nonzero(ch[keep] == self.b))
        self.n_gate_bins += int(on.size)
        self.n_on_bins += int(on.sum())
        self._next_bin = end_bin

    def summary(self) -> dict[str, Any]:
        """What the ``gated`` topic says about the gate."""
        thr = self.threshold_cps
        return {"threshold_cps": None if thr is None or not np.isfinite(thr) else thr,
                "threshold_learned": self.learned, "gate_bin_ps": self.bin_ps,
                "n_gate_bins": self.n_gate_bins, "n_on_bins": self.n_on_bins, "on_time_s": self.on_time_s,
                "counts_on": list(self.counts_ab), "gate_error": self.error}
