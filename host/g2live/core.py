# SPDX-License-Identifier: BSD-3-Clause
"""The C twins of the on-chip blocks (``g2live.core``).

Every function here is the bit-exact software twin of an FPGA block, as defined in
``docs/semantics.md``; the RTL is checked against these functions bit for bit. The work is done
in plain C (``cext/src``) with the GIL released; this module validates inputs, gives errors that
name the array and the index, and wraps the results.

Times are ``int64`` picoseconds, channels ``uint8`` 0..63. Arrays that are already contiguous
with the right dtype are used without a copy.

Words      ``encode``/``Encoder``, ``decode``/``Decoder`` (``DecodeStats``, ``DecodedFrame``),
           ``make_tag``, ``make_rollover``, ``make_lost``, ``make_marker``, ``make_herald``,
           ``make_frame``
Blocks     ``frontend``/``Frontend``, ``correlate``/``Correlator`` (``bin_edges``),
           ``pulsed``/``PulsedCounter`` (``PulsedResult``), ``rates``, ``trace``
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from g2live import _core, contract

N_CHANNELS = 64  # 6-bit channel field of the tag word
N_CAUSES = 64  # 6-bit LOST.cause field
MAX_EPOCH = int(_core.MAX_EPOCH)  # epoch * 2**48 must stay a non-negative int64
MAX_WINDOW_PS = int(_core.MAX_WINDOW_PS)  # largest n_bins * bin_width_ps
MALFORMED_KEEP = int(_core.MALFORMED_KEEP)  # word offsets kept of the first malformed words
ALL_CHANNELS = (1 << N_CHANNELS) - 1
HERALD_DTYPE: np.dtype = _core.HERALD_DTYPE
MARKER_DTYPE: np.dtype = _core.MARKER_DTYPE
LOST_CAUSES = {c.code: c.title for c in contract.LOST_CAUSES}  # LOST.cause -> label (generated)

__all__ = [
    "ALL_CHANNELS",
    "HERALD_DTYPE",
    "LOST_CAUSES",
    "MALFORMED_KEEP",
    "MARKER_DTYPE",
    "MAX_EPOCH",
    "MAX_WINDOW_PS",
    "N_CAUSES",
    "N_CHANNELS",
    "Correlator",
    "DecodeStats",
    "DecodedFrame",
    "Decoder",
    "Encoder",
    "Frontend",
    "PulsedCounter",
    "PulsedResult",
    "SyncFilter",
    "bin_edges",
    "correlate",
    "decode",
    "encode",
    "frontend",
    "make_frame",
    "make_herald",
    "make_lost",
    "make_marker",
    "make_rollover",
    "make_tag",
    "pulsed",
    "rates",
    "sync_filter",
    "trace",
]


# ---------------------------------------------------------------------------------------------
# input validation


def _int(value: Any, name: str) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None


def _times(x: Any, name: str) -> np.ndarray:
    """int64 picoseconds, contiguous; integer dtypes only (a float time is a unit bug)."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype == np.int64:
        return np.ascontiguousarray(arr)
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer picoseconds, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        i = int(np.argmax(arr > np.iinfo(np.int64).max))
        raise ValueError(f"{name}[{i}] = {int(arr[i])} does not fit int64 picoseconds")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _channels(x: Any, name: str, n: int | None = None, limit: int = N_CHANNELS) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} entries but time_ps has {n}")
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer channel numbers, got dtype {arr.dtype}")
    # min/max, not a boolean temporary: this check runs on every chunk of every live counter
    if arr.size and (arr.dtype != np.uint8 or limit < 256) and (
        int(arr.max()) >= limit or (arr.dtype.kind == "i" and int(arr.min()) < 0)
    ):
        i = int(np.argmax((arr < 0) | (arr >= limit)))
        raise ValueError(f"{name}[{i}] = {int(arr[i])} is not a channel 0..{limit - 1}")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _require_sorted(x: np.ndarray, name: str) -> None:
    i = int(_core.first_unsorted(x))
    if i >= 0:
        raise ValueError(
            f"{name} is not sorted: {name}[{i}] = {int(x[i])} < {name}[{i - 1}] = {int(x[i - 1])}"
        )


def _window(bin_width_ps: Any, n_bins: Any, offset_ps: Any) -> tuple[int, int, int]:
    bw, nb, off = _int(bin_width_ps, "bin_width_ps"), _int(n_bins, "n_bins"), _int(offset_ps, "offset_ps")
    if bw <= 0:
        raise ValueError(f"bin_width_ps must be > 0, got {bw}")
    if nb <= 0:
        raise ValueError(f"n_bins must be > 0, got {nb}")
    if bw * nb > MAX_WINDOW_PS:
        raise ValueError(f"window n_bins * bin_width_ps = {bw * nb} ps exceeds the limit 2**62 ps")
    if not -(2**63) <= off < 2**63:
        raise ValueError(f"offset_ps = {off} does not fit int64")
    return bw, nb, off


def _fields_equal(x: Any, y: Any, names: Sequence[str]) -> bool:
    """Field-wise equality that compares numpy arrays by value (dataclass == cannot)."""
    return all(np.array_equal(getattr(x, n), getattr(y, n)) for n in names)


def _per_channel(value: Any, name: str) -> np.ndarray:
    """A scalar (all channels), a sequence indexed by channel, or a {channel: value} mapping."""
    out = np.zeros(N_CHANNELS, dtype=np.int64)
    if isinstance(value, Mapping):
        for ch, v in value.items():
            c = _int(ch, f"{name} channel")
            if not 0 <= c < N_CHANNELS:
                raise ValueError(f"{name}: channel {c} is not 0..{N_CHANNELS - 1}")
            out[c] = _int(v, f"{name}[{c}]")
        return out
    if np.ndim(value) == 0:
        out[:] = _int(value, name)
        return out
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.size > N_CHANNELS:
        raise ValueError(f"{name} must be a scalar or <= {N_CHANNELS} per-channel values, got {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer picoseconds, got dtype {arr.dtype}")
    out[: arr.size] = arr
    return out


# ---------------------------------------------------------------------------------------------
# words: encoder and helpers (docs/tag_word.md)


class Encoder:
    """Streaming twin of the word formatter (docs/semantics.md "Decoder", docs/tag_word.md).

    Emits a ROLLOVER word before the first TAG and whenever the epoch (``time_ps >> 48``)
    changes, then TAG words. The epoch is kept across calls, so any split of the tags gives the
    same words.
    """

    def __init__(self) -> None:
        self._enc = _core.Encoder()

    @property
    def epoch(self) -> int:
        """Epoch of the last ROLLOVER emitted, -1 before the first."""
        return int(self._enc.epoch)

    def encode(self, channel: Any, time_ps: Any, markers: bool = False) -> np.ndarray:
        """Words (uint64) for the next tags of the stream; with ``markers``, channel
        ``contract.MARKER_CHANNEL + m`` is marker input m and becomes a MARKER word (the chip's raw
        stream, where markers travel the merge as those channels)."""
        t = _times(time_ps, "time_ps")
        ch = _channels(channel, "channel", t.size)
        status, err, words = self._enc.encode(ch, t)
        if status == _core.ERR_TIME:
            raise ValueError(f"time_ps[{err}] = {int(t[err])} is negative: words carry times >= 0")
        if status < 0:  # channels were checked above
            raise RuntimeError(f"g2live encoder: status {status} at index {err}")
        return _as_markers(words) if markers else words


def _as_markers(words: np.ndarray) -> np.ndarray:
    """TAG words of channel MARKER_CHANNEL + m rewritten as MARKER words of marker m (same field
    positions: the number sits where TAG keeps the channel)."""
    kind = (words >> np.uint64(contract.KIND.lsb)) & np.uint64(contract.KIND.mask)
    chan = (words >> np.uint64(contract.TAG_CHANNEL.lsb)) & np.uint64(contract.TAG_CHANNEL.mask)
    sel = (kind == contract.KIND_TAG) & (chan >= contract.MARKER_CHANNEL)
    if not sel.any():
        return words
    out = words.copy()
    keep = np.uint64(contract.TAG_TIME_PS.mask << contract.TAG_TIME_PS.lsb)
    marker = chan[sel] - np.uint64(contract.MARKER_CHANNEL)
    out[sel] = ((words[sel] & keep) | np.uint64(contract.KIND_MARKER << contract.KIND.lsb)
                | (marker << np.uint64(contract.MARKER_MARKER.lsb)))
    return out


def encode(channel: Any, time_ps: Any, markers: bool = False) -> np.ndarray:
    """Words for a tag stream: ROLLOVER first and at each epoch change, then TAGs.

    Parameters
    ----------
    channel : array_like
        Channels 0..63.
    time_ps : array_like
        Integer times (ps, >= 0) in stream order.
    markers : bool
        Channels ``contract.MARKER_CHANNEL + m`` become MARKER words of marker m (the chip's
        raw stream with marker inputs).

    Returns
    -------
    numpy.ndarray
        uint64 words (docs/tag_word.md; docs/semantics.md "Decoder" for the encoder's decisions).
    """
    return Encoder().encode(channel, time_ps, markers)


def _word(kind: int, *fields: tuple[contract.Field, int, str]) -> int:
    w = kind << contract.KIND.lsb
    for f, value, name in fields:
        v = _int(value, name)
        if not 0 <= v <= f.mask:
            raise ValueError(f"{name} = {v} does not fit {f.width} bits (0..{f.mask})")
        w |= v << f.lsb
    return w


def make_tag(channel: int, time_ps: int) -> int:
    """One TAG word (docs/tag_word.md).

    Parameters
    ----------
    channel : int
        Channel 0..63.
    time_ps : int
        Time within the current epoch (< 2**48).

    Returns
    -------
    int
        The word.
    """
    return _word(contract.KIND_TAG, (contract.TAG_CHANNEL, channel, "channel"),
                 (contract.TAG_TIME_PS, time_ps, "time_ps"))


def make_rollover(epoch: int) -> int:
    """One ROLLOVER word (docs/tag_word.md).

    Parameters
    ----------
    epoch : int
        The new epoch (absolute time >> 48).

    Returns
    -------
    int
        The word.
    """
    return _word(contract.KIND_ROLLOVER, (contract.ROLLOVER_EPOCH, epoch, "epoch"))


def make_lost(channel: int, cause: int, count: int) -> int:
    """One LOST word (docs/tag_word.md).

    Parameters
    ----------
    channel : int
        Channel whose events were lost.
    cause : int
        Why (``LOST_CAUSES``).
    count : int
        How many.

    Returns
    -------
    int
        The word.
    """
    return _word(contract.KIND_LOST, (contract.LOST_CHANNEL, channel, "channel"),
                 (contract.LOST_CAUSE, cause, "cause"), (contract.LOST_COUNT, count, "count"))


def make_marker(marker: int, time_ps: int) -> int:
    """One MARKER word (docs/tag_word.md).

    Parameters
    ----------
    marker : int
        Marker number.
    time_ps : int
        Time within the current epoch.

    Returns
    -------
    int
        The word.
    """
    return _word(contract.KIND_MARKER, (contract.MARKER_MARKER, marker, "marker"),
                 (contract.MARKER_TIME_PS, time_ps, "time_ps"))


def make_herald(period: int, channel_first: int, delay_first_ps: int, channel_second: int,
                delay_second_ps: int) -> np.ndarray:
    """The two words of a heralded-pair record: HERALD then HERALD_DELAYS.

    Parameters
    ----------
    period : int
        Period number.
    channel_first, delay_first_ps : int
        First photon of the period: channel and delay after the sync.
    channel_second, delay_second_ps : int
        Second photon of the period.

    Returns
    -------
    numpy.ndarray
        Two uint64 words (docs/tag_word.md; docs/semantics.md "Pulsed mode against the sync").
    """
    head = _word(contract.KIND_HERALD, (contract.HERALD_CHANNEL_FIRST, channel_first, "channel_first"),
                 (contract.HERALD_CHANNEL_SECOND, channel_second, "channel_second"),
                 (contract.HERALD_PERIOD, period, "period"))
    delays = _word(contract.KIND_HERALD_DELAYS,
                   (contract.HERALD_DELAYS_DELAY_FIRST_PS, delay_first_ps, "delay_first_ps"),
                   (contract.HERALD_DELAYS_DELAY_SECOND_PS, delay_second_ps, "delay_second_ps"))
    return np.array([head, delays], dtype=np.uint64)


def make_frame(frame_kind: int, index: int, payload: Any) -> np.ndarray:
    """A FRAME header followed by its payload words (docs/tag_word.md).

    Parameters
    ----------
    frame_kind, index : int
        The frame's kind and index.
    payload : array_like
        Payload words.

    Returns
    -------
    numpy.ndarray
        uint64 words, header first.
    """
    body = np.ascontiguousarray(payload, dtype=np.uint64).reshape(-1)
    head = _word(contract.KIND_FRAME, (contract.FRAME_FRAME_KIND, frame_kind, "frame_kind"),
                 (contract.FRAME_INDEX, index, "index"), (contract.FRAME_LENGTH, body.size, "length"))
    return np.concatenate([np.array([head], dtype=np.uint64), body])


# ---------------------------------------------------------------------------------------------
# decoder (docs/semantics.md "Decoder")


class DecodedFrame(NamedTuple):
    """One FRAME record of a decoded word stream (docs/tag_word.md)."""

    frame_kind: int
    index: int
    payload: np.ndarray  # uint64[length]


@dataclass
class DecodeStats:
    """What a decoder saw besides the tags (one call, or several combined).

    ``lost[channel, cause]`` are exact sums of LOST words; ``malformed_offsets`` are the stream
    offsets (words since the start of the stream) of the first ``MALFORMED_KEEP`` malformed words.
    """

    n_tags: int = 0
    lost: np.ndarray = field(default_factory=lambda: np.zeros((N_CHANNELS, N_CAUSES), np.int64))
    malformed: int = 0
    malformed_offsets: list[int] = field(default_factory=list)
    out_of_order: int = 0
    rollovers: int = 0
    markers: np.ndarray = field(default_factory=lambda: np.zeros(0, MARKER_DTYPE))
    heralded: np.ndarray = field(default_factory=lambda: np.zeros(0, HERALD_DTYPE))
    frames: list[DecodedFrame] = field(default_factory=list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecodeStats):
            return NotImplemented
        names = ("n_tags", "lost", "malformed", "malformed_offsets", "out_of_order", "rollovers", "markers",
                 "heralded")
        same_frames = len(self.frames) == len(other.frames) and all(
            (f.frame_kind, f.index) == (g.frame_kind, g.index) and np.array_equal(f.payload, g.payload)
            for f, g in zip(self.frames, other.frames, strict=True))
        return same_frames and _fields_equal(self, other, names)

    @property
    def lost_total(self) -> np.ndarray:
        """Lost events per channel, all causes."""
        return self.lost.sum(axis=1)

    @classmethod
    def _from_core(cls, d: dict[str, Any]) -> DecodeStats:
        d = dict(d)
        d["frames"] = [DecodedFrame(int(k), int(i), p) for k, i, p in d["frames"]]
        return cls(**d)

    @classmethod
    def combine(cls, parts: Iterable[DecodeStats]) -> DecodeStats:
        """The stats of consecutive parts of one stream, as if decoded in one call."""
        out = cls()
        markers, heralded = [out.markers], [out.heralded]
        for p in parts:
            out.n_tags += p.n_tags
            out.lost = out.lost + p.lost
            out.malformed += p.malformed
            out.malformed_offsets.extend(p.malformed_offsets)
            out.out_of_order += p.out_of_order
            out.rollovers += p.rollovers
            markers.append(p.markers)
            heralded.append(p.heralded)
            out.frames.extend(p.frames)
        out.malformed_offsets = out.malformed_offsets[:MALFORMED_KEEP]
        out.markers = np.concatenate(markers)
        out.heralded = np.concatenate(heralded)
        return out


class Decoder:
    """Streaming decoder (docs/semantics.md "Decoder"): keeps the epoch, the previous TAG time,
    a HERALD waiting for its HERALD_DELAYS and a partial frame across chunks, so any split of a
    word stream gives the same tags and (combined) stats. Call ``finish()`` at the end of the
    stream: a waiting HERALD or a cut-short frame is then counted as malformed.
    """

    def __init__(self) -> None:
        self._dec = _core.Decoder()

    @property
    def offset(self) -> int:
        """Words consumed since the start of the stream."""
        return int(self._dec.offset)

    def decode(self, words: Any) -> tuple[np.ndarray, np.ndarray, DecodeStats]:
        """Decode the next words: ``(channel uint8, time_ps int64, DecodeStats)`` of this chunk."""
        w = np.asarray(words)
        if w.ndim != 1:
            raise ValueError(f"words must be 1-D, got shape {w.shape}")
        if w.size and w.dtype != np.uint64:
            if w.dtype.kind not in "iu":
                raise TypeError(f"words must be uint64, got dtype {w.dtype}")
            if w.dtype.kind == "i" and (w < 0).any():
                i = int(np.argmax(w < 0))
                raise ValueError(f"words[{i}] = {int(w[i])} is negative; pass the raw uint64 words")
        w = np.ascontiguousarray(w, dtype=np.uint64)
        ch, t, d = self._dec.decode(w)
        return ch, t, DecodeStats._from_core(d)

    def finish(self) -> DecodeStats:
        """End of the stream: a waiting HERALD or a cut-short frame is counted as malformed."""
        return DecodeStats._from_core(self._dec.finish())


def decode(words: Any) -> tuple[np.ndarray, np.ndarray, DecodeStats]:
    """Decode a complete word stream (docs/semantics.md "Decoder").

    Parameters
    ----------
    words : array_like
        uint64 words; their end is the end of the stream (a waiting HERALD or a cut-short frame
        there is counted as malformed).

    Returns
    -------
    channel : numpy.ndarray
        uint8 channel of each TAG.
    time_ps : numpy.ndarray
        int64 absolute time of each TAG.
    stats : DecodeStats
        Everything else the stream held.
    """
    dec = Decoder()
    ch, t, stats = dec.decode(words)
    return ch, t, DecodeStats.combine([stats, dec.finish()])


# ---------------------------------------------------------------------------------------------
# correlation (docs/semantics.md "Correlation histogram", "Integrations")


def bin_edges(bin_width_ps: int, n_bins: int, offset_ps: int = 0) -> np.ndarray:
    """The edges of a correlation window (docs/semantics.md "Correlation histogram").

    Parameters
    ----------
    bin_width_ps, n_bins, offset_ps : int
        The window: bin ``n_bins // 2`` starts at ``offset_ps``.

    Returns
    -------
    numpy.ndarray
        ``n_bins + 1`` int64 edges (ps): bin k is ``[edges[k], edges[k+1])``.
    """
    bw, nb, off = _window(bin_width_ps, n_bins, offset_ps)
    lo = off - (nb // 2) * bw
    if not (-(2**63) <= lo and lo + nb * bw < 2**63):
        raise ValueError(f"window [{lo}, {lo + nb * bw}) ps does not fit int64")
    return lo + bw * np.arange(nb + 1, dtype=np.int64)


def correlate(a_ps: Any, b_ps: Any, bin_width_ps: int, n_bins: int, offset_ps: int = 0) -> np.ndarray:
    """All-pairs histogram of ``d = b - a`` (docs/semantics.md "Correlation histogram").

    Bin k counts ``lo + k*w <= d < lo + (k+1)*w`` with ``lo = offset_ps - (n_bins // 2) * w``.
    Passing the same array twice is an auto-correlation: a tag is never paired with itself.
    Differences are exact over the whole int64 range.

    Parameters
    ----------
    a_ps, b_ps : array_like
        Sorted (non-decreasing) integer times in ps.
    bin_width_ps, n_bins, offset_ps : int
        The window.

    Returns
    -------
    numpy.ndarray
        ``int64[n_bins]`` pair counts.
    """
    bw, nb, off = _window(bin_width_ps, n_bins, offset_ps)
    a = _times(a_ps, "a_ps")
    b = _times(b_ps, "b_ps")
    _require_sorted(a, "a_ps")
    _require_sorted(b, "b_ps")
    status, hist = _core.correlate(a, b, bw, nb, off)
    if status < 0:
        raise ValueError(f"invalid window bin_width_ps={bw} n_bins={nb} offset_ps={off}")
    if a.size and a.size == b.size and a.ctypes.data == b.ctypes.data:
        # same tags on both sides: remove the n self-pairs at d = 0
        lo = off - (nb // 2) * bw
        if lo <= 0 < lo + nb * bw:
            hist[(0 - lo) // bw] -= a.size
    return hist


class Correlator:
    """Streaming correlation of one merged, time-ordered stream into several pair histograms.

    ``pairs`` is a sequence of ``(a, b)`` channel pairs; histogram ``p`` counts ``t_b - t_a``
    with the window of ``correlate``. Each pair is counted when its later tag arrives, so any
    chunk split gives the one-call result, and ``histograms(clear=True)`` ends an integration:
    a pair whose later tag falls in the next integration is counted there
    (docs/semantics.md "Integrations"). For ``a == b`` a tag is never paired with itself.
    """

    def __init__(
        self, pairs: Sequence[tuple[int, int]], bin_width_ps: int, n_bins: int, offset_ps: int = 0
    ) -> None:
        bw, nb, off = _window(bin_width_ps, n_bins, offset_ps)
        p = np.asarray(pairs)
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
            raise ValueError(f"pairs must be a non-empty sequence of (a, b) channel pairs, got {pairs!r}")
        pa = _channels(p[:, 0], "pairs[:, 0] (a)")
        pb = _channels(p[:, 1], "pairs[:, 1] (b)")
        self.pairs: list[tuple[int, int]] = [(int(x), int(y)) for x, y in zip(pa, pb, strict=True)]
        self.bin_width_ps, self.n_bins, self.offset_ps = bw, nb, off
        self._c = _core.Correlator(pa, pb, bw, nb, off)
        if self._c.status == _core.ERR_NOMEM:
            raise MemoryError(f"g2live Correlator: no memory for {len(self.pairs)} x {nb} bins")
        if self._c.status < 0:
            raise ValueError(f"cannot build correlator (status {self._c.status})")

    def update(self, channel: Any, time_ps: Any) -> None:
        """Add tags (stream order: time non-decreasing, also across calls). On an error nothing
        of this call is added."""
        t = _times(time_ps, "time_ps")
        ch = _channels(channel, "channel", t.size)
        last = self._c.last_time
        status, err = self._c.update(ch, t)
        if status == _core.ERR_UNSORTED:
            prev = int(t[err - 1]) if err > 0 else int(last)
            where = f"time_ps[{err - 1}]" if err > 0 else "the last time of the previous update"
            raise ValueError(
                f"time_ps is not in stream order: time_ps[{err}] = {int(t[err])} < {where} = {prev} "
                "(nothing of this update was added)"
            )
        if status == _core.ERR_NOMEM:
            raise MemoryError("g2live Correlator: out of memory")
        if status < 0:
            raise RuntimeError(f"g2live Correlator: status {status} at index {err}")

    def histograms(self, clear: bool = False) -> np.ndarray:
        """``int64[n_pairs, n_bins]``; ``clear=True`` also ends the integration (keeps history)."""
        return self._c.histograms(bool(clear))

    def clear(self) -> None:
        """Full reset: histograms, counters and the tag history (COMMAND.clear)."""
        self._c.clear()

    @property
    def n_tags(self) -> int:
        """Tags seen since creation or the last ``clear()``."""
        return int(self._c.n_tags)

    @property
    def counts(self) -> np.ndarray:
        """Tags per channel in the current integration (int64[64])."""
        return self._c.counts

    @property
    def edges_ps(self) -> np.ndarray:
        """The window's bin edges (``bin_edges``)."""
        return bin_edges(self.bin_width_ps, self.n_bins, self.offset_ps)


# ---------------------------------------------------------------------------------------------
# channel front-end (docs/semantics.md "Channel front-end")


class Frontend:
    """Streaming channel front-end (docs/semantics.md "Channel front-end").

    ``dead_time_ps`` and ``delay_ps`` are a scalar (every channel), per-channel values indexed by
    channel, or a ``{channel: value}`` mapping; ``enable_mask`` has bit c set for channel c. The
    dead time state (last accepted raw edge per channel) is kept across ``process`` calls, so
    any split of the raw stream gives the same accepted edges. Each call's output is in stream
    order; merging the outputs of successive calls is the caller's job, because a later raw
    edge on a channel with a smaller delay can land before this call's last output.
    """

    def __init__(self, dead_time_ps: Any = 0, delay_ps: Any = 0, enable_mask: int = ALL_CHANNELS) -> None:
        self.dead_time_ps = _per_channel(dead_time_ps, "dead_time_ps")
        self.delay_ps = _per_channel(delay_ps, "delay_ps")
        mask = _int(enable_mask, "enable_mask")
        if not 0 <= mask <= ALL_CHANNELS:
            raise ValueError(f"enable_mask = {mask:#x} must be a 64-bit channel mask")
        self.enable_mask = mask
        self._f = _core.Frontend(self.dead_time_ps, self.delay_ps, mask)
        if self._f.status < 0:
            c = int(self._f.err_index)
            raise ValueError(f"dead_time_ps[{c}] = {int(self.dead_time_ps[c])} is negative")
        self.dead_count = np.zeros(N_CHANNELS, dtype=np.int64)  # cumulative

    def process(self, channel: Any, time_ps: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw edges (per channel non-decreasing, also across calls) -> accepted, delayed tags in
        (time, channel) order, and the edges discarded by the dead time in this call (int64[64]).
        On an error nothing is processed."""
        t = _times(time_ps, "time_ps")
        ch = _channels(channel, "channel", t.size)
        status, err, och, ot, dead = self._f.process(ch, t)
        if status == _core.ERR_UNSORTED:
            c = int(ch[err])
            raise ValueError(f"raw times of channel {c} decrease at time_ps[{err}] = {int(t[err])}")
        if status == _core.ERR_OVERFLOW:
            c = int(ch[err])
            raise ValueError(
                f"time_ps[{err}] = {int(t[err])} + delay_ps[{c}] = {int(self.delay_ps[c])} overflows int64")
        if status < 0:
            raise RuntimeError(f"g2live frontend: status {status} at index {err}")
        self.dead_count += dead
        return och, ot, dead


def frontend(channel: Any, time_ps: Any, dead_time_ps: Any = 0, delay_ps: Any = 0,
             enable_mask: int = ALL_CHANNELS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Enable mask, dead time on the raw times, signed delay, merge into stream order
    (docs/semantics.md "Channel front-end").

    Parameters
    ----------
    channel, time_ps : array_like
        Raw edges, per channel non-decreasing.
    dead_time_ps, delay_ps : int, sequence or mapping, optional
        Per channel (see ``Frontend``).
    enable_mask : int, optional
        Bit c enables channel c.

    Returns
    -------
    channel, time_ps : numpy.ndarray
        Accepted, delayed tags ordered by (time, channel).
    dead_count : numpy.ndarray
        int64[64] edges discarded by the dead time.
    """
    return Frontend(dead_time_ps, delay_ps, enable_mask).process(channel, time_ps)


# ---------------------------------------------------------------------------------------------
# pulsed mode (docs/semantics.md "Pulsed mode against the sync")


@dataclass
class PulsedResult:
    """Closed periods: ``period_counts`` (uint16 per period, saturating), ``photon_number``
    (int64[max_photons + 1], last bin = that many or more), ``heralded`` (HERALD_DTYPE),
    ``pre_sync`` photons before the first sync, ``out_of_window`` photons later than
    ``pulsed_window_ps`` after their sync (not counted in the period)."""

    period_counts: np.ndarray
    photon_number: np.ndarray
    heralded: np.ndarray
    pre_sync: int = 0
    out_of_window: int = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PulsedResult):
            return NotImplemented
        names = ("period_counts", "photon_number", "heralded", "pre_sync", "out_of_window")
        return _fields_equal(self, other, names)

    @classmethod
    def combine(cls, parts: Sequence[PulsedResult]) -> PulsedResult:
        """The result of consecutive parts of one stream, as if counted in one call."""
        if not parts:
            raise ValueError("combine needs at least one PulsedResult")
        return cls(
            np.concatenate([p.period_counts for p in parts]),
            np.sum([p.photon_number for p in parts], axis=0),
            np.concatenate([p.heralded for p in parts]),
            sum(p.pre_sync for p in parts),
            sum(p.out_of_window for p in parts),
        )


def _divider_log2(sync_divider: Any) -> int:
    d = _int(sync_divider, "sync_divider")
    if d < 1 or d > 1 << MAX_SYNC_DIVIDER_LOG2 or d & (d - 1):
        raise ValueError(f"sync_divider = {d} must be 1, 2, 4, 8 or 16 (a power of two <= "
                         f"{1 << MAX_SYNC_DIVIDER_LOG2}, the on-chip prescaler)")
    return d.bit_length() - 1


MAX_SYNC_DIVIDER_LOG2 = 4  # SYNC_DIVIDER.log2 acts up to 4 (divide by 16)
PERIOD_AVG_LOG2 = 8  # g2l_top's PERIOD_AVG_LOG2: the laser period is measured over 2**8 recorded syncs


class PulsedCounter:
    """Streaming pulsed-mode block (docs/semantics.md "Pulsed mode against the sync").

    ``update()`` returns the periods closed by that call's syncs, ``flush()`` closes the open
    period; any chunk split gives the one-call result. Photons after a ``flush()`` and before the
    next sync count as ``pre_sync``; period numbering continues until ``clear()``.

    ``sync_divider`` (1, 2, 4, 8, 16): the sync tags are every ``sync_divider``-th laser pulse (the
    on-chip prescaler, SYNC_DIVIDER); the laser periods in between are reconstructed from the
    period measured over blocks of up to ``2**period_avg_log2`` sync intervals (docs/semantics.md
    "Sync prescaler"), and every laser period is counted.

    ``keep_period_counts=False`` leaves ``period_counts`` empty (the chip reports only the
    histogram and the pair records; a 10 MHz sync would otherwise give 2 MB of counts a second).
    """

    def __init__(self, sync_channel: int, max_photons: int, pulsed_window_ps: int = 0,
                 sync_divider: int = 1, period_avg_log2: int = PERIOD_AVG_LOG2,
                 keep_period_counts: bool = True) -> None:
        sc, mp, win = (_int(sync_channel, "sync_channel"), _int(max_photons, "max_photons"),
                       _int(pulsed_window_ps, "pulsed_window_ps"))
        if not 0 <= sc < N_CHANNELS:
            raise ValueError(f"sync_channel = {sc} is not a channel 0..{N_CHANNELS - 1}")
        if not 1 <= mp <= 1 << 20:
            raise ValueError(f"max_photons = {mp} must be 1..{1 << 20}")
        if not 0 <= win < 2**63:
            raise ValueError(f"pulsed_window_ps = {win} must be >= 0 (0 = whole period)")
        dl = _divider_log2(sync_divider)
        avg = _int(period_avg_log2, "period_avg_log2")
        if not 0 <= avg <= 16:
            raise ValueError(f"period_avg_log2 = {avg} must be 0..16")
        self.sync_channel, self.max_photons, self.pulsed_window_ps = sc, mp, win
        self.sync_divider, self.period_avg_log2 = 1 << dl, avg
        self._p = _core.PulsedCounter(sc, mp, win, dl, avg, bool(keep_period_counts))
        self._last = np.iinfo(np.int64).min
        self.photon_number = np.zeros(mp + 1, dtype=np.int64)  # cumulative since clear()

    def _result(self, d: dict[str, Any]) -> PulsedResult:
        r = PulsedResult(**d)
        self.photon_number += r.photon_number
        return r

    def update(self, channel: Any, time_ps: Any) -> PulsedResult:
        """Add tags in stream order; returns the periods closed by this call's syncs. On an error
        nothing of this call is taken."""
        t = _times(time_ps, "time_ps")
        ch = _channels(channel, "channel", t.size)
        status, err, d = self._p.update(ch, t)
        if status == _core.ERR_UNSORTED:
            prev = f"time_ps[{err - 1}] = {int(t[err - 1])}" if err > 0 else "the previous update's last time"
            raise ValueError(f"time_ps is not in stream order: time_ps[{err}] = {int(t[err])} < {prev}")
        if status == _core.ERR_NOMEM:
            raise MemoryError("g2live PulsedCounter: out of memory")
        if status < 0:
            raise RuntimeError(f"g2live PulsedCounter: status {status} at index {err}")
        return self._result(d)

    def update_periodic(self, channel: Any, time_ps: Any, first_sync_ps: int, period_ps: int,
                        n_sync: int) -> PulsedResult:
        """Photons only, with this call's syncs at ``first_sync_ps + j * period_ps`` for
        ``j < n_sync`` (a periodic sync, e.g. rebuilt from T3 data): the result ``update`` gives
        on the merged stream, in O(photons + runs of empty periods) instead of O(syncs).

        Parameters
        ----------
        channel, time_ps : array_like
            Photons in stream order, none on the sync channel.
        first_sync_ps, period_ps, n_sync : int
            The syncs of this call; the first may not precede the stream so far.
        """
        t = _times(time_ps, "time_ps")
        ch = _channels(channel, "channel", t.size)
        s0, q, m = (_int(first_sync_ps, "first_sync_ps"), _int(period_ps, "period_ps"),
                    _int(n_sync, "n_sync"))
        if q < 1 or m < 0:
            raise ValueError(f"period_ps = {q} must be >= 1 and n_sync = {m} >= 0")
        status, err, d = self._p.update_periodic(ch, t, s0, q, m)
        if status == _core.ERR_UNSORTED:
            what = f"the first sync ({s0} ps)" if err < 0 else f"time_ps[{err}] = {int(t[err])}"
            raise ValueError(f"{what} is earlier than the stream so far (stream order)")
        if status == _core.ERR_CHANNEL:
            raise ValueError(f"channel[{err}] = {int(ch[err])}: a photon on the sync channel or beyond 63")
        if status == _core.ERR_NOMEM:
            raise MemoryError("g2live PulsedCounter: out of memory")
        if status < 0:
            raise RuntimeError(f"g2live PulsedCounter: status {status} at index {err}")
        return self._result(d)

    def flush(self) -> PulsedResult:
        """Close the open period (end of a stream or an integration)."""
        status, d = self._p.flush()
        if status < 0:
            raise MemoryError("g2live PulsedCounter: out of memory")
        return self._result(d)

    def clear(self) -> None:
        """Drop the open period, restart period numbering and the period measurement (COMMAND.clear)."""
        self._p.clear()
        self.photon_number[:] = 0

    @property
    def n_syncs(self) -> int:
        """Sync tags seen since creation or the last ``clear()``."""
        return int(self._p.n_syncs)

    @property
    def period_ps(self) -> float:
        """The measured laser period (0.0 before the first measurement): SYNC_PERIOD / 256."""
        return self._p.period_q8 / 256.0

    @property
    def period_q8(self) -> int:
        """The SYNC_PERIOD register's value: the measured laser period in units of 2**-8 ps."""
        return int(self._p.period_q8)


def pulsed(channel: Any, time_ps: Any, sync_channel: int, max_photons: int,
           pulsed_window_ps: int = 0, sync_divider: int = 1,
           period_avg_log2: int = PERIOD_AVG_LOG2) -> PulsedResult:
    """One-call pulsed mode (docs/semantics.md "Pulsed mode against the sync").

    Parameters
    ----------
    channel, time_ps : array_like
        Tags in stream order, syncs included.
    sync_channel : int
        Channel of the laser sync.
    max_photons : int
        Photon-number histogram size (last bin: that many or more).
    pulsed_window_ps : int, optional
        Count only photons this soon after their sync (0: the whole period).
    sync_divider : int, optional
        The syncs are every ``sync_divider``-th laser pulse (1, 2, 4, 8, 16); the periods in
        between are reconstructed (docs/semantics.md "Sync prescaler").
    period_avg_log2 : int, optional
        The laser period is measured over blocks of up to ``2**period_avg_log2`` sync intervals.

    Returns
    -------
    PulsedResult
        Every period closed, the last one by a final flush.
    """
    pc = PulsedCounter(sync_channel, max_photons, pulsed_window_ps, sync_divider, period_avg_log2)
    return PulsedResult.combine([pc.update(channel, time_ps), pc.flush()])


# ---------------------------------------------------------------------------------------------
# conditional sync filter (docs/semantics.md "Conditional filter")


class SyncFilter:
    """The raw stream's conditional filter (CONTROL.sync_filter): a sync tag is kept only if a tag
    of another channel follows it before the next sync tag. Streaming: a sync at the end of one
    call is held until a later call decides; ``filtered`` counts the dropped ones (SYNC_FILTERED).
    """

    def __init__(self, sync_channel: int, enable: bool = True):
        sc = _int(sync_channel, "sync_channel")
        if not 0 <= sc < N_CHANNELS:
            raise ValueError(f"sync_channel = {sc} is not a channel 0..{N_CHANNELS - 1}")
        self.sync_channel = sc
        self._f = _core.SyncFilter(sc, bool(enable))

    def update(self, channel: Any, time_ps: Any) -> tuple[np.ndarray, np.ndarray]:
        """Stream-ordered tags in, the tags of the raw stream out (a held sync may come first)."""
        t = _times(time_ps, "time_ps")
        ch = _channels(channel, "channel", t.size)
        return self._f.run(ch, t)

    def set_enable(self, enable: bool) -> None:
        """Disabling passes every later tag, and a held sync before them."""
        self._f.set_enable(bool(enable))

    @property
    def filtered(self) -> int:
        return int(self._f.filtered)

    @property
    def held(self) -> bool:
        """A sync tag waits for a later tag to decide."""
        return bool(self._f.held)


def sync_filter(channel: Any, time_ps: Any, sync_channel: int) -> tuple[np.ndarray, np.ndarray, int]:
    """One-call conditional filter: the kept tags and the number of sync tags dropped (a sync
    not followed by another channel's tag before the stream ends is dropped too)."""
    f = SyncFilter(sync_channel)
    ch, t = f.update(channel, time_ps)
    return ch, t, f.filtered + int(f.held)


# ---------------------------------------------------------------------------------------------
# rates and trace (docs/semantics.md "Rates and trace")


def rates(channel: Any, n_channels: int) -> np.ndarray:
    """Events per channel (docs/semantics.md "Rates and trace").

    Parameters
    ----------
    channel : array_like
        Channels; one >= ``n_channels`` is an error.
    n_channels : int
        1..64.

    Returns
    -------
    numpy.ndarray
        ``int64[n_channels]`` counts.
    """
    n = _int(n_channels, "n_channels")
    if not 1 <= n <= N_CHANNELS:
        raise ValueError(f"n_channels = {n} must be 1..{N_CHANNELS}")
    ch = _channels(channel, "channel", limit=n)
    status, err, counts = _core.rates(ch, n)
    if status < 0:
        raise ValueError(f"channel[{err}] = {int(ch[err])} is not a channel 0..{n - 1}")
    return counts


def trace(time_ps: Any, bin_width_ps: int, t0_ps: int = 0, n_bins: int | None = None) -> np.ndarray:
    """Intensity trace (docs/semantics.md "Rates and trace"): bin k counts events with
    ``floor((t - t0_ps) / bin_width_ps) == k``.

    Parameters
    ----------
    time_ps : array_like
        Integer times (ps).
    bin_width_ps, t0_ps : int
        Bin width and start of bin 0.
    n_bins : int, optional
        Bins (None: every event at or after ``t0_ps``). Events outside
        ``[t0_ps, t0_ps + n_bins * bin_width_ps)`` are not binned.

    Returns
    -------
    numpy.ndarray
        int64 counts per bin.
    """
    t = _times(time_ps, "time_ps")
    bw, t0 = _int(bin_width_ps, "bin_width_ps"), _int(t0_ps, "t0_ps")
    if bw <= 0:
        raise ValueError(f"bin_width_ps must be > 0, got {bw}")
    if n_bins is None:
        nb = 0 if t.size == 0 or int(t.max()) < t0 else (int(t.max()) - t0) // bw + 1
    else:
        nb = _int(n_bins, "n_bins")
        if nb < 0:
            raise ValueError(f"n_bins must be >= 0, got {nb}")
    hist, _outside = _core.trace(t, bw, t0, nb)
    return hist
