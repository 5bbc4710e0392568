"""The numpy record decoders g2live had before the C core decoded records (issue 19), kept as the
reference the identity tests compare the C decoders with (tests/io/test_io_identity.py).

Headers are parsed by g2live.io itself (Python both then and now); everything after the header,
record decoding, overflow and marker handling, the validation rules of issue 18, ordering and the
metadata, is the numpy code as it was, copied here so the comparison is with an independent
implementation, not with the code under test. Two changes: marker records are held to the same
time limit as photons, and of several bad records in a block the first in file order is the one
reported (the C decoder stops there), so the two agree on bad files too.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from g2live import io
from g2live.io import legacy, ptu
from g2live.io import spc as spc_module
from g2live.io._common import (
    MAX_TIME_PS,
    SYNC_CHANNEL,
    FormatError,
    RecordError,
    jsonable,
    limit_text,
    ticks_to_ps,
    time_limit_ps,
)
from g2live.io._picoquant import (
    HH_T2_WRAP_V1,
    HH_T2_WRAP_V2,
    HH_T3_WRAP,
    PH_T2_WRAP,
    PH_T3_WRAP,
    PqLayout,
    RecordType,
)
from g2live.photons import Meta, PhotonData

BLOCK = 1 << 18
WRAP = 4096
ADC_MAX = 4095
QUTAG_HEADER = 40
QUTAG_MAGIC = bytes.fromhex("87b391fa")
QUTAG_RECORD = np.dtype([("time", "<i8"), ("channel", "<u2")])
QUTAG_MAX_CHANNEL = 63


@dataclass
class Decoded:
    """Photon records of one chunk: channel, ticks (T2 time or T3 sync index), T3 dtime."""

    channel: np.ndarray  # uint8
    ticks: np.ndarray  # int64, overflow-corrected
    dtime: np.ndarray | None  # int64, T3 only


@dataclass
class RecordDecoder:
    """Decodes blocks of records in file order. ``max_ticks`` (T2 time, T3 sync index) and
    ``n_channels`` (photon channels 0..n_channels-1) are what the instrument can produce: a
    record beyond them raises ``RecordError`` with its index in the block."""

    rtype: RecordType
    max_ticks: int = MAX_TIME_PS
    n_channels: int = 64
    limit_ps: int = MAX_TIME_PS  # the time bound behind max_ticks, for the message
    offset: int = 0  # overflow correction carried into the next chunk, in ticks
    records: int = 0
    overflows: int = 0  # overflow records (each may stand for several wraps)
    markers: int = 0
    syncs: int = 0  # T2 sync events (HH family), returned on SYNC_CHANNEL
    invalid: int = 0  # records with a reserved channel code: counted, not returned

    def decode(self, rec: np.ndarray) -> Decoded:
        rec = np.asarray(rec, dtype=np.uint32)
        self._fail: tuple[int, str] | None = None  # overflow sum past 2**62 at this record
        self.records += rec.size
        if rec.size == 0:
            empty = np.empty(0, np.int64)
            return Decoded(np.empty(0, np.uint8), empty, empty.copy() if self.rtype.t3 else None)
        if self.rtype.family == "PH":
            return self._ph(rec)
        return self._hh(rec)

    def _offsets(self, n: int, ovf_idx: np.ndarray, inc: np.ndarray) -> np.ndarray | int:
        """Overflow correction of each of ``n`` records: the carried offset plus the increments of
        the overflow records at ``ovf_idx`` (each counts from its own record on). A scalar when
        the block has no overflow record."""
        start = self.offset
        if ovf_idx.size == 0:
            return start
        reach = start + np.cumsum(inc, dtype=np.float64)  # float: the int64 sum may wrap
        if reach[-1] > MAX_TIME_PS:  # reported by _check unless an earlier record is bad
            k = int(ovf_idx[np.argmax(reach > MAX_TIME_PS)])
            self._fail = (k, f"overflow records push the time past {MAX_TIME_PS} ticks (corrupted records?)")
        level = np.empty(ovf_idx.size + 1, dtype=np.int64)
        level[0] = start
        np.cumsum(inc, dtype=np.int64, out=level[1:])
        level[1:] += start
        self.offset = int(level[-1])
        bounds = np.empty(ovf_idx.size + 2, dtype=np.int64)
        bounds[0] = 0
        bounds[1:-1] = ovf_idx
        bounds[-1] = n
        return np.repeat(level, np.diff(bounds))

    def _ph(self, rec: np.ndarray) -> Decoded:
        # Only the few special records (channel 15) are classified one by one.
        special = rec >= np.uint32(0xF0000000)
        sp_idx = np.flatnonzero(special)
        sp = rec[sp_idx]
        if self.rtype.t3:
            ovf_sel = (sp & np.uint32(0x0FFF0000)) == 0
            wrap, low_mask = PH_T3_WRAP, np.uint32(0xFFFF)
        else:
            ovf_sel = (sp & np.uint32(0xF)) == 0
            wrap, low_mask = PH_T2_WRAP, np.uint32(0x0FFFFFFF)
        ovf_idx = sp_idx[ovf_sel]
        self.overflows += int(ovf_idx.size)
        self.markers += int(sp.size - ovf_idx.size)
        offs = self._offsets(rec.size, ovf_idx, np.full(ovf_idx.size, wrap, dtype=np.int64))
        if self.rtype.t3:
            top = rec >> np.uint32(28)
            invalid = top == 0
            n_invalid = int(np.count_nonzero(invalid))
            self.invalid += n_invalid
            photon = ~special & ~invalid if n_invalid else ~special
        else:
            photon = ~special
        ph = rec[photon]
        ticks = (ph & low_mask).astype(np.int64)
        ticks += offs[photon] if isinstance(offs, np.ndarray) else np.int64(offs)
        channel = (ph >> np.uint32(28)).astype(np.uint8)
        if self.rtype.t3:
            channel -= np.uint8(1)
        self._check(ticks, channel, photon, self._marker_ticks(rec, sp_idx[~ovf_sel], low_mask, offs))
        if self.rtype.t3:
            dtime = ((ph >> np.uint32(16)) & np.uint32(0xFFF)).astype(np.int64)
            return Decoded(channel, ticks, dtime)
        return Decoded(channel, ticks, None)

    def _hh(self, rec: np.ndarray) -> Decoded:
        t3 = self.rtype.t3
        low_mask = np.uint32(0x3FF if t3 else 0x1FFFFFF)
        special = rec >= np.uint32(0x80000000)
        sp_idx = np.flatnonzero(special)
        sp = rec[sp_idx]
        ch = (sp >> np.uint32(25)) & np.uint32(0x3F)
        ovf_sel = ch == 63
        ovf_idx = sp_idx[ovf_sel]
        if self.rtype.version == 1:
            inc = np.full(ovf_idx.size, HH_T3_WRAP if t3 else HH_T2_WRAP_V1, dtype=np.int64)
        else:  # counted overflows: the low field holds the number of wraps (0 means 1)
            count = (sp[ovf_sel] & low_mask).astype(np.int64)
            inc = np.maximum(count, 1) * (HH_T3_WRAP if t3 else HH_T2_WRAP_V2)
        offs = self._offsets(rec.size, ovf_idx, inc)
        self.overflows += int(ovf_idx.size)
        n_marker = int(np.count_nonzero((ch >= 1) & (ch <= 15)))
        self.markers += n_marker
        sync_idx = sp_idx[ch == 0] if not t3 else sp_idx[:0]
        self.syncs += int(sync_idx.size)
        self.invalid += int(sp.size - ovf_idx.size - n_marker - sync_idx.size)
        keep = ~special
        if sync_idx.size:
            keep[sync_idx] = True
        ph = rec[keep]
        ticks = (ph & low_mask).astype(np.int64)
        ticks += offs[keep] if isinstance(offs, np.ndarray) else np.int64(offs)
        channel = ((ph >> np.uint32(25)) & np.uint32(0x3F)).astype(np.uint8)
        marks = self._marker_ticks(rec, sp_idx[(ch >= 1) & (ch <= 15)], low_mask, offs)
        self._check(ticks, channel, keep, marks)  # a sync record's channel field is 0
        if sync_idx.size:
            channel[ph >= np.uint32(0x80000000)] = SYNC_CHANNEL
        if t3:
            dtime = ((ph >> np.uint32(10)) & np.uint32(0x7FFF)).astype(np.int64)
            return Decoded(channel, ticks, dtime)
        return Decoded(channel, ticks, None)

    @staticmethod
    def _marker_ticks(rec: np.ndarray, idx: np.ndarray, low_mask: np.uint32, offs) -> tuple:
        ticks = (rec[idx] & low_mask).astype(np.int64)
        ticks += offs[idx] if isinstance(offs, np.ndarray) else np.int64(offs)
        return idx, ticks

    def _check(self, ticks: np.ndarray, channel: np.ndarray, selected: np.ndarray, marks: tuple) -> None:
        """Refuse the first record (in file order) that is a photon beyond the instrument's channels
        or the file's time span, a marker past that span, or an overflow past 2**62."""
        what = "sync index" if self.rtype.t3 else "time"
        fails = [self._fail] if self._fail else []
        if ticks.size and (int(ticks.max()) > self.max_ticks or int(channel.max()) >= self.n_channels):
            bad = (ticks > self.max_ticks) | (channel >= self.n_channels)
            k = int(np.argmax(bad))
            index = int(np.flatnonzero(selected)[k])
            if channel[k] >= self.n_channels:
                fails.append((index, f"channel {int(channel[k])} does not exist on a {self.rtype.name} "
                                     f"(channels 0..{self.n_channels - 1}; corrupted record?)"))
            else:
                fails.append((index, f"{what} {int(ticks[k])} ticks is past {limit_text(self.limit_ps)} "
                                     "(corrupted record?)"))
        m_idx, m_ticks = marks
        if m_ticks.size and int(m_ticks.max()) > self.max_ticks:
            k = int(np.argmax(m_ticks > self.max_ticks))
            late = f"{what} {int(m_ticks[k])} ticks is past {limit_text(self.limit_ps)} (corrupted record?)"
            fails.append((int(m_idx[k]), late))
        if fails:
            raise RecordError(*min(fails))

    def counters(self) -> dict[str, int]:
        return {
            "records": self.records,
            "overflow_records": self.overflows,
            "marker_records": self.markers,
            "sync_records": self.syncs,
            "invalid_records": self.invalid,
        }



def channels_present(channel: np.ndarray) -> list[int]:
    """Channel numbers that occur, in O(n) (np.unique sorts)."""
    return [int(c) for c in np.flatnonzero(np.bincount(channel, minlength=256))]


def channel_counts(channel: np.ndarray) -> dict[int, int]:
    counts = np.bincount(channel, minlength=256)
    return {int(c): int(counts[c]) for c in np.flatnonzero(counts)}


def in_order(channel: np.ndarray, time_ps: np.ndarray) -> bool:
    """True when events are already in stream order (time, then channel for equal times)."""
    if time_ps.size < 2:
        return True
    earlier, later = time_ps[:-1], time_ps[1:]
    if (later < earlier).any():
        return False
    ties = np.flatnonzero(later == earlier)
    return not ties.size or not (channel[ties + 1] < channel[ties]).any()


def stream_order(channel: np.ndarray, time_ps: np.ndarray) -> np.ndarray:
    """Stable permutation into stream order (time_ps, then channel)."""
    return np.lexsort((channel, time_ps))


def finish(
    channel: np.ndarray,
    time_ps: np.ndarray,
    meta: Meta,
    sync_index: np.ndarray | None = None,
    microtime_ps: np.ndarray | None = None,
    what: str = "records",
) -> PhotonData:
    """Build PhotonData in stream order; a reorder is recorded in ``meta.notes``, never silent."""
    if not in_order(channel, time_ps):
        order = stream_order(channel, time_ps)
        moved = int(np.count_nonzero(order != np.arange(order.size)))
        meta.notes.append(
            f"{what} were not in time order: sorted stably by (time_ps, channel); {moved} events moved"
        )
        channel = channel[order]
        time_ps = time_ps[order]
        if sync_index is not None:
            sync_index = sync_index[order]
        if microtime_ps is not None:
            microtime_ps = microtime_ps[order]
    meta.extra = jsonable(meta.extra)
    return PhotonData(channel, time_ps, meta, sync_index, microtime_ps)



def decoder_for(layout: PqLayout) -> RecordDecoder:
    limit = time_limit_ps(layout.meta.acquisition_s)
    return RecordDecoder(layout.rtype, int(limit // layout.unit_ps), layout.n_channels, limit)


def _to_arrays(layout: PqLayout, dec: Decoded) -> list[np.ndarray]:
    # The decoder bounds ticks to the time limit (<= 2**62 ps): the products below stay in int64.
    if layout.rtype.t3:
        assert dec.dtime is not None and layout.dtime_ps is not None
        sync_ps = ticks_to_ps(dec.ticks, layout.unit_ps)
        micro = ticks_to_ps(dec.dtime, layout.dtime_ps)
        return [dec.channel, sync_ps + micro, dec.ticks, micro]
    return [dec.channel, ticks_to_ps(dec.ticks, layout.unit_ps)]


def _meta_with_counters(layout: PqLayout, decoder: RecordDecoder) -> Meta:
    meta = copy.deepcopy(layout.meta)
    meta.extra.update(decoder.counters())
    if decoder.invalid:
        meta.notes.append(f"{decoder.invalid} records with a reserved channel code were skipped (counted)")
    return meta


def roles(data: PhotonData) -> PhotonData:
    """Channel roles of the events present: SYNC_CHANNEL is the sync (rate from the header when
    the T2 header left it unset), every other channel a detector input."""
    present = channels_present(data.channel)
    roles = {c: "sync" if c == SYNC_CHANNEL else f"detector input {c}" for c in present}
    data.meta.channel_roles = roles
    if SYNC_CHANNEL in roles:
        data.meta.sync_channel = SYNC_CHANNEL
        if data.meta.sync_rate_hz is None and data.meta.extra.get("header_sync_rate_hz"):
            data.meta.sync_rate_hz = float(data.meta.extra["header_sync_rate_hz"])
    return data


def read_layout(layout: PqLayout) -> PhotonData:
    """All records of the file ``layout`` describes, with channel roles (``read`` of PTU and legacy)."""
    rec = np.fromfile(layout.path, dtype="<u4", count=layout.n_records, offset=layout.data_offset)
    if rec.size != layout.n_records:
        raise FormatError(layout.path, layout.data_offset + 4 * rec.size, "file shrank while reading")
    decoder = decoder_for(layout)
    # Decoded blocks go straight into arrays sized for every record (photons are fewer): no
    # list of parts and no concatenation copy; the result is a contiguous prefix of each.
    dtypes = [np.uint8, np.int64, np.int64, np.int64][: 4 if layout.rtype.t3 else 2]
    outs = [np.empty(rec.size, dtype=dt) for dt in dtypes]
    filled = 0
    for i in range(0, rec.size, BLOCK):
        try:
            block = _to_arrays(layout, decoder.decode(rec[i : i + BLOCK]))
        except RecordError as exc:
            raise FormatError(layout.path, layout.data_offset + 4 * (i + exc.index), str(exc)) from None
        k = block[0].size
        for out, arr in zip(outs, block, strict=True):
            out[filled : filled + k] = arr
        filled += k
    arrays = [out[:filled] for out in outs]
    meta = _meta_with_counters(layout, decoder)
    check_span(meta, arrays[1])
    return roles(finish(*arrays[:2], meta, *(arrays[2:] if layout.rtype.t3 else ())))


def check_span(meta: Meta, time_ps: np.ndarray) -> None:
    """Keep the header's acquisition time only when the events fit it (split files do not)."""
    if meta.acquisition_s is None or time_ps.size < 2:
        return
    span = float(time_ps.max() - time_ps.min()) * 1e-12
    if span < 0.5 * meta.acquisition_s or span > 1.01 * meta.acquisition_s:
        meta.extra["header_acquisition_s"] = meta.acquisition_s
        meta.notes.append(
            f"header acquisition time {meta.acquisition_s:g} s does not match the {span:g} s the events "
            "span (a piece of a longer recording?): acquisition_s left unset"
        )
        meta.acquisition_s = None


class _State:
    def __init__(self, period_ps: int) -> None:
        self.offset = 0
        # macro-time overflows may carry the clock only as far as 2**62 ps (53 days)
        self.max_offset = MAX_TIME_PS // period_ps - 2 * WRAP
        self.counters = {
            "records": 0,
            "overflow_records": 0,
            "invalid_records": 0,
            "gap_records": 0,
            "marker_records": 0,
        }

    def decode(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (channel, macro ticks, adc) of the valid photons in ``w``."""
        self.counters["records"] += w.size
        invalid = (w & np.uint32(1 << 31)) != 0
        mtov = (w & np.uint32(1 << 30)) != 0
        gap = (w & np.uint32(1 << 29)) != 0
        mark = (w & np.uint32(1 << 28)) != 0
        multi = invalid & mtov & ~mark
        inc = np.where(multi, (w & np.uint32(0x0FFFFFFF)).astype(np.int64) * WRAP, 0)
        inc += np.where(mtov & ~invalid, WRAP, 0)
        if w.size and self.offset + float(np.sum(inc, dtype=np.float64)) > self.max_offset:
            k = int(np.argmax(self.offset + np.cumsum(inc, dtype=np.float64) > self.max_offset))
            raise RecordError(
                k, f"macro-time overflow records push the time past {MAX_TIME_PS} ps (corrupted file?)"
            )
        run = np.cumsum(inc)
        macro = (w & np.uint32(0xFFF)).astype(np.int64) + run + self.offset
        if w.size:
            self.offset += int(run[-1])
        photon = ~invalid & ~mark
        self.counters["overflow_records"] += int(np.count_nonzero(multi))
        self.counters["invalid_records"] += int(np.count_nonzero(invalid & ~mtov & ~mark))
        self.counters["gap_records"] += int(np.count_nonzero(gap))
        self.counters["marker_records"] += int(np.count_nonzero(mark))
        channel = ((w >> np.uint32(12)) & np.uint32(0xF)).astype(np.uint8)[photon]
        adc = ((w >> np.uint32(16)) & np.uint32(0xFFF)).astype(np.int64)[photon]
        return channel, macro[photon], adc


def _arrays(channel: np.ndarray, macro: np.ndarray, adc: np.ndarray, period: int, micro: float) -> list:
    micro_ps = ticks_to_ps(ADC_MAX - adc, micro)
    return [channel, macro * np.int64(period) + micro_ps, macro, micro_ps]


def _notes(meta: Meta, state: _State) -> None:
    if state.counters["gap_records"]:
        meta.notes.append(
            f"{state.counters['gap_records']} FIFO overflows (GAP flags): photons were lost there"
        )


def read_spc(path, microtime_resolution_ps=None, allow_truncated=False) -> PhotonData:
    path = Path(path)
    meta, n, micro, period = spc_module._open(path, microtime_resolution_ps, allow_truncated)
    w = np.fromfile(path, dtype="<u4", count=n, offset=4)
    state = _State(period)
    try:
        arrays = _arrays(*state.decode(w), period, micro)
    except RecordError as exc:
        raise FormatError(path, 4 + 4 * exc.index, str(exc)) from None
    meta.extra.update(state.counters)
    _notes(meta, state)
    data = finish(arrays[0], arrays[1], meta, arrays[2], arrays[3])
    data.meta.channel_roles = {c: f"routing channel {c}" for c in channels_present(data.channel)}
    return data


def read_qutag(
    path: str | os.PathLike[str], allow_truncated: bool = False, sync_channel: int | None = None
) -> PhotonData:
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(QUTAG_HEADER)
        if len(head) < QUTAG_HEADER:
            raise FormatError(path, len(head), f"file ends inside the {QUTAG_HEADER}-byte quTAG header")
        if head[:4] != QUTAG_MAGIC:
            raise FormatError(
                path, 0, f"not a quTAG binary file: magic {head[:4].hex()}, expected {QUTAG_MAGIC.hex()}"
            )
        n, rest = divmod(size - QUTAG_HEADER, QUTAG_RECORD.itemsize)
        meta = Meta(source="qutools quTAG", format="quTAG", resolution_ps=1.0)
        if rest:
            msg = f"{rest} bytes of an incomplete record at the end"
            if not allow_truncated:
                msg += " (allow_truncated=True reads the rest)"
                raise FormatError(path, QUTAG_HEADER + n * QUTAG_RECORD.itemsize, msg)
            meta.notes.append(f"truncated file: {msg} ignored")
        rec = np.fromfile(fh, dtype=QUTAG_RECORD, count=n)
    if rec.size != n:
        raise FormatError(path, QUTAG_HEADER + rec.size * QUTAG_RECORD.itemsize, "file shrank while reading")
    check_qutag(path, rec)
    channel = rec["channel"].astype(np.uint8)
    time_ps = np.ascontiguousarray(rec["time"])
    meta.extra = {
        "header_hex": head.hex(),
        "records": int(n),
        "first_record_time_ps": int(time_ps[0]) if n else None,
    }
    meta.sync_channel = sync_channel
    data = finish(channel, time_ps, meta)
    data.meta.channel_roles = {
        c: "sync" if c == sync_channel else ("start input" if c == 0 else f"stop input {c}")
        for c in channels_present(data.channel)
    }
    return data


def check_qutag(path: Path, rec: np.ndarray, first: int = 0) -> None:
    """Refuse the first record no quTAG can write (``first``: its index in the file)."""
    if not rec.size:
        return
    t, ch = rec["time"], rec["channel"]
    bad = (ch > QUTAG_MAX_CHANNEL) | (t < 0) | (t > MAX_TIME_PS)
    if not bad.any():
        return
    k = int(np.argmax(bad))  # the first bad record; its channel is checked first
    if ch[k] > QUTAG_MAX_CHANNEL:
        raise FormatError(
            path,
            QUTAG_HEADER + (first + k) * QUTAG_RECORD.itemsize + 8,
            f"channel {int(ch[k])} > {QUTAG_MAX_CHANNEL}: no quTAG has that input (corrupted record?)",
        )
    raise FormatError(
        path,
        QUTAG_HEADER + (first + k) * QUTAG_RECORD.itemsize,
        f"time stamp {int(t[k])} ps is outside 0..{MAX_TIME_PS} ps (corrupted record?)",
    )


def read(path: str | os.PathLike[str], **options) -> PhotonData:
    """The reference reader of every format with records (npz and Photon-HDF5 have none), with
    ``io.read``'s own T3 sync-period rule on top (that rule is not a decoding step)."""
    return io.with_sync_period(_decode(path, **options))


def _decode(path: str | os.PathLike[str], **options) -> PhotonData:
    fmt = io.detect_format(path)
    if fmt == "ptu":
        return read_layout(ptu.layout(path, **options))
    if fmt == "legacy":
        return read_layout(legacy.layout(path, **options))
    if fmt == "spc":
        return read_spc(path, **options)
    if fmt == "qutag":
        return read_qutag(path, **options)
    raise ValueError(f"no reference decoder for {fmt}")
