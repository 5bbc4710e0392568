# SPDX-License-Identifier: BSD-3-Clause
"""What a reader asks the feed for (``Want``), what it has seen (``Cursor``) and what it gets (``Snapshot``).

``Feed.snapshot(cursor, want)`` copies, under the feed's lock, the parts named in ``want`` that
changed since ``cursor`` and moves the cursor on. Readers (every browser session, the fit worker)
then work on the copies without any lock. ``Derived`` is the fit worker's result, which the
session attaches to the snapshot it hands to the views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .wire import Message

__all__ = ["Cursor", "Derived", "HeraldedCopy", "Snapshot", "StreamHealth", "SweepCopy", "TraceCopy", "Want"]


@dataclass(frozen=True)
class Want:
    """The parts of the feed one snapshot should carry (only those that changed are copied).

    Attributes
    ----------
    topics : frozenset of str
        Newest frame of each of these topics.
    history : bool
        New rows of the ``analysis`` and ``rates`` histories.
    heralded, trace, sweep : bool
        A copy of that accumulator.
    """

    topics: frozenset[str] = frozenset()
    history: bool = False
    heralded: bool = False
    trace: bool = False
    sweep: bool = False

    def __or__(self, other: Want) -> Want:
        """Everything either of the two wants."""
        return Want(self.topics | other.topics, self.history or other.history,
                    self.heralded or other.heralded, self.trace or other.trace, self.sweep or other.sweep)


@dataclass
class Cursor:
    """What one reader has already taken from the feed; ``Feed.snapshot`` moves it on.

    Attributes
    ----------
    versions : dict
        Message of each topic taken.
    analysis_index, rates_index : int
        Next row wanted of the two histories.
    heralded, trace, sweep : int
        Version of each accumulator taken (-1: none yet).
    """

    versions: dict[str, int] = field(default_factory=dict)
    analysis_index: int = 0
    rates_index: int = 0
    heralded: int = -1
    trace: int = -1
    sweep: int = -1

    def forget(self, topics: Iterable[str]) -> None:
        """Forget ``topics``: the next snapshot that wants them carries their newest frames again."""
        for topic in topics:
            self.versions.pop(topic, None)

    def rewind(self, topics: Iterable[str] = ()) -> None:
        """Forget ``topics`` and the accumulators: the next snapshot carries them again."""
        self.forget(topics)
        self.heralded = self.trace = self.sweep = -1


@dataclass(frozen=True)
class HeraldedCopy:
    """Copy of the heralded accumulator: spectra, delay histograms and counters of one run."""

    first: np.ndarray
    second: np.ndarray
    delay_first: np.ndarray
    delay_second: np.ndarray
    records: int
    overflow: int
    run: int
    corrected: dict[str, Any] = field(default_factory=dict)  # the server's corrected values
    corrected_error: str = ""


@dataclass(frozen=True)
class TraceCopy:
    """Copy of the intensity-trace ring: bin start times (s, device clock), counts, bin width (s)."""

    t_s: np.ndarray
    counts: np.ndarray
    bin_s: float


@dataclass(frozen=True)
class SweepCopy:
    """Copy of the newest power sweep's points (point index -> values)."""

    points: dict[int, dict[str, float]]
    n_points: int
    done: bool
    sweep_id: Any


@dataclass(frozen=True)
class StreamHealth:
    """The receiver's counters: frames per topic, ``seq`` gaps, malformed messages, newest frame time."""

    gaps: dict[str, int]
    received: dict[str, int]
    malformed: int
    last_error: str
    last_frame: float | None  # time.monotonic() of the newest frame, None before the first


@dataclass
class Derived:
    """Fit results computed by the fit worker for all sessions; ``version`` grows with every change."""

    version: int = 0
    windows: dict[int, dict[str, Any]] = field(default_factory=dict)  # pair index -> pulsed_g2 summary
    windows_error: dict[int, str] = field(default_factory=dict)
    blinking: dict[str, Any] = field(default_factory=dict)  # threshold, on_fraction(_err) or error
    heralded: dict[str, Any] = field(default_factory=dict)  # tau_bx/tau_x (+ binding energy) or errors
    sweep: dict[str, Any] = field(default_factory=dict)  # p_sat, i_sat_cps, qy_ratio, fitted curves


@dataclass
class Snapshot:
    """What changed for one reader since its last snapshot, copied out of the feed.

    Attributes
    ----------
    frames : dict
        Newest frame of each wanted topic whose version moved.
    analysis_rows, rate_rows : list of dict
        New rows of the ``analysis`` and ``rates`` histories.
    heralded, trace, sweep : copy or None
        The accumulator, when wanted and changed.
    health : StreamHealth
        The receiver's counters (always present).
    fits : Derived or None
        Fit results when they changed since the reader last looked (set by the session).
    """

    frames: dict[str, Message]
    analysis_rows: list[dict[str, float]]
    rate_rows: list[dict[str, float]]
    heralded: HeraldedCopy | None
    trace: TraceCopy | None
    sweep: SweepCopy | None
    health: StreamHealth
    fits: Derived | None = None

    @property
    def has_data(self) -> bool:
        """True when any frame, history row or accumulator copy came with it (fits not counted)."""
        return bool(self.frames or self.analysis_rows or self.rate_rows or self.heralded is not None
                    or self.trace is not None or self.sweep is not None)
