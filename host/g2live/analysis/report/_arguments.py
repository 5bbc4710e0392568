# SPDX-License-Identifier: BSD-3-Clause
"""The report's arguments, checked at the edge: ranges, and channels that hold events.

``analyze_photons`` calls ``check_arguments`` before any step runs, so an impossible request
(a channel without events, a NaN window, a signal fraction of 2) is a ValueError naming it,
not a report of empty results; the command line checks the same ranges as its options.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MAX_N_SIDE", "check_arguments"]

MAX_N_SIDE = 1000  # side peaks per side: the overlap correction's memory grows with its square


def _positive(name: str, v: Any) -> None:
    if v is None:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {v!r}")


def _with_events(what: str, ch: Any, counts: dict[int, int]) -> None:
    if isinstance(ch, bool) or not isinstance(ch, int):
        raise ValueError(f"{what} must be a channel number, got {ch!r}")
    if counts.get(ch, 0) == 0:
        have = ", ".join(str(c) for c in sorted(counts)) or "none"
        raise ValueError(f"{what} {ch} has no events in this recording (channels with events: {have})")


def _check_ranges(n_side: Any, bin_width_ps: Any, rho: Any, positive: dict[str, Any]) -> None:
    if isinstance(n_side, bool) or not isinstance(n_side, int) or not 1 <= n_side <= MAX_N_SIDE:
        raise ValueError(f"n_side must be an integer in 1..{MAX_N_SIDE}, got {n_side!r}")
    for name, v in positive.items():
        _positive(name, v)
    if bin_width_ps is not None and (
        isinstance(bin_width_ps, bool) or not isinstance(bin_width_ps, int) or bin_width_ps < 1
    ):
        raise ValueError(f"bin_width_ps must be an integer >= 1, got {bin_width_ps!r}")
    if rho is not None and (
        not isinstance(rho, (tuple, list))
        or len(rho) != 2
        or not all(isinstance(r, (int, float)) and 0 < r <= 1 for r in rho)
    ):
        raise ValueError(f"rho must be two signal fractions in (0, 1], got {rho!r}")


def _check_channels(counts: dict[int, int], channels: Any, sync_channel: Any, detected_sync: Any) -> None:
    if sync_channel is not None:
        _with_events("sync channel", sync_channel, counts)
    sync_channel = sync_channel if sync_channel is not None else detected_sync
    if channels is None:
        return
    if not isinstance(channels, (tuple, list)) or len(channels) != 2 or channels[0] == channels[1]:
        raise ValueError(f"channels must be two different detector channels, got {channels!r}")
    for ch in channels:
        _with_events("channel", ch, counts)
        if ch == sync_channel:
            raise ValueError(f"channel {ch} is the sync channel, not a detector")


def check_arguments(counts: dict[int, int], detected_sync: int | None, **args: Any) -> None:
    """Raise ValueError naming the first argument ``analyze_photons`` cannot honour.

    ``counts``: events per channel of the recording (channels without events absent);
    ``detected_sync``: the sync channel found when none is given; ``args``:
    ``analyze_photons``'s ``channels``, ``sync_channel``, ``n_side``, ``window_ps``,
    ``bin_width_ps``, ``half_range_ps``, ``rho``, ``trace_bin_s``, ``rep_rate_hz``.
    """
    positive = {k: args[k] for k in ("window_ps", "half_range_ps", "trace_bin_s", "rep_rate_hz")}
    _check_ranges(args["n_side"], args["bin_width_ps"], args["rho"], positive)
    _check_channels(counts, args["channels"], args["sync_channel"], detected_sync)
