"""Vectorised decoder of PicoQuant 32-bit TTTR records (shared by PTU and the legacy formats).

One ``RecordDecoder`` per file carries the overflow state across chunks, so a file decoded in
any split gives the one-call result. Record layouts (PicoQuant TTTR documentation):

* PicoHarp T2: time 28 bit | channel 4 bit. Channel 15 is special: low 4 time bits = marker
  mask, 0 = overflow (+210698240 ticks).
* PicoHarp T3: nsync 16 | dtime 12 | channel 4. Channels 1..4 are inputs; 15 is special:
  dtime 0 = overflow (+65536 syncs), else dtime low 4 bits = markers. Channel 0 is invalid.
* HydraHarp / TimeHarp 260 / MultiHarp / PicoHarp 330 T2: time 25 | channel 6 | special 1.
  Special channel 63 = overflow: version 1 adds 33552000 ticks per record, later versions add
  33554432 x time field (0 counts as 1); special channel 0 = sync event; 1..15 = markers.
* the same instruments in T3: nsync 10 | dtime 15 | channel 6 | special 1; overflow adds 1024
  (version 1) or 1024 x nsync (0 counts as 1); special 1..15 = markers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from g2live.io._common import (
    MAX_TIME_PS,
    SYNC_CHANNEL,
    FormatError,
    RecordError,
    Reorderer,
    channels_present,
    chunk_ranges,
    finish,
    jsonable,
    limit_text,
    ticks_to_ps,
    time_limit_ps,
)
from g2live.photons import Meta, PhotonData


@dataclass(frozen=True)
class RecordType:
    code: int
    name: str  # instrument and mode as shown to users
    family: str  # "PH" (PicoHarp 300) or "HH" (HydraHarp-style layout)
    t3: bool
    version: int  # HH overflow semantics: 1 = one wrap per record, 2 = counted wraps


RECORD_TYPES: dict[int, RecordType] = {
    r.code: r
    for r in (
        RecordType(0x00010203, "PicoHarp 300 T2", "PH", False, 1),
        RecordType(0x00010303, "PicoHarp 300 T3", "PH", True, 1),
        RecordType(0x00010204, "HydraHarp 400 T2 (v1 records)", "HH", False, 1),
        RecordType(0x00010304, "HydraHarp 400 T3 (v1 records)", "HH", True, 1),
        RecordType(0x01010204, "HydraHarp 400 T2 (v2 records)", "HH", False, 2),
        RecordType(0x01010304, "HydraHarp 400 T3 (v2 records)", "HH", True, 2),
        RecordType(0x00010205, "TimeHarp 260 N T2", "HH", False, 2),
        RecordType(0x00010305, "TimeHarp 260 N T3", "HH", True, 2),
        RecordType(0x00010206, "TimeHarp 260 P T2", "HH", False, 2),
        RecordType(0x00010306, "TimeHarp 260 P T3", "HH", True, 2),
        RecordType(0x00010207, "Generic T2 (MultiHarp 150/160, PicoHarp 330)", "HH", False, 2),
        RecordType(0x00010307, "Generic T3 (MultiHarp 150/160, PicoHarp 330)", "HH", True, 2),
    )
}

PH_T2_WRAP = 210698240
PH_T3_WRAP = 65536
HH_T2_WRAP_V1 = 33552000
HH_T2_WRAP_V2 = 33554432
HH_T3_WRAP = 1024
MAX_DTIME_PS = 10**9


def channel_count(rtype: RecordType, declared: int | None) -> int:
    """Photon channels a record type can carry: PicoHarp 300 T2 0..4 (input 0 and the four
    router channels), T3 routing 1..4 (0..3 here); the HydraHarp family the inputs the header
    declares (1..64), all 64 of its 6-bit field when it does not say."""
    if rtype.family == "PH":
        return 4 if rtype.t3 else 5
    if declared is not None and 1 <= declared <= 64:
        return int(declared)
    return 64


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
        if reach[-1] > MAX_TIME_PS:
            k = int(ovf_idx[np.argmax(reach > MAX_TIME_PS)])
            raise RecordError(
                k, f"overflow records push the time past {MAX_TIME_PS} ticks (corrupted records?)"
            )
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
        self._check(ticks, channel, photon)
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
        self._check(ticks, channel, keep)  # a sync record's channel field is 0
        if sync_idx.size:
            channel[ph >= np.uint32(0x80000000)] = SYNC_CHANNEL
        if t3:
            dtime = ((ph >> np.uint32(10)) & np.uint32(0x7FFF)).astype(np.int64)
            return Decoded(channel, ticks, dtime)
        return Decoded(channel, ticks, None)

    def _check(self, ticks: np.ndarray, channel: np.ndarray, selected: np.ndarray) -> None:
        """Refuse the first photon beyond the instrument's channels or the file's time span."""
        if not ticks.size:
            return
        late = int(ticks.max()) > self.max_ticks
        wide = int(channel.max()) >= self.n_channels
        if not (late or wide):
            return
        bad = (ticks > self.max_ticks) | (channel >= self.n_channels)
        k = int(np.argmax(bad))
        index = int(np.flatnonzero(selected)[k])
        if channel[k] >= self.n_channels:
            raise RecordError(
                index,
                f"channel {int(channel[k])} does not exist on a {self.rtype.name} "
                f"(channels 0..{self.n_channels - 1}; corrupted record?)",
            )
        what = "sync index" if self.rtype.t3 else "time"
        raise RecordError(
            index, f"{what} {int(ticks[k])} ticks is past {limit_text(self.limit_ps)} (corrupted record?)"
        )

    def counters(self) -> dict[str, int]:
        return {
            "records": self.records,
            "overflow_records": self.overflows,
            "marker_records": self.markers,
            "sync_records": self.syncs,
            "invalid_records": self.invalid,
        }


@dataclass
class PqLayout:
    """What a header says about the records that follow it."""

    path: Path
    rtype: RecordType
    data_offset: int
    n_records: int
    unit_ps: float | int  # T2: time tick; T3: sync period
    dtime_ps: float | int | None  # T3 micro-time bin
    meta: Meta
    n_channels: int = 64  # detector inputs the header declares (HydraHarp family), else the format's

    def __post_init__(self) -> None:
        # T3 micro-times: 15-bit (12-bit PicoHarp) bins; a bin over 1 ms is no TCSPC (and its
        # products would leave int64).
        if self.dtime_ps is not None and not 0 < self.dtime_ps <= MAX_DTIME_PS:
            raise ValueError(f"micro-time bin of {self.dtime_ps} ps is not a TCSPC resolution")

    def decoder(self) -> RecordDecoder:
        """A decoder bounded by what this instrument and this file can hold: channels below
        ``n_channels`` and times within the measurement time the header states."""
        limit = time_limit_ps(self.meta.acquisition_s)
        return RecordDecoder(self.rtype, int(limit // self.unit_ps), self.n_channels, limit)


def layout_extra(rtype: RecordType, unit_ps: float | int, dtime_ps: float | int | None,
                 data_offset: int) -> dict[str, object]:
    """The ``meta.extra`` entries every PicoQuant header gives (PTU and the legacy formats)."""
    return {
        "record_type": f"0x{rtype.code:08X}",
        "record_type_name": rtype.name,
        "tick_ps": unit_ps,
        "dtime_ps": dtime_ps,
        "header_bytes": data_offset,
    }


def check_records(layout: PqLayout, size: int, allow_truncated: bool) -> PqLayout:
    """Compare the header's record count with the bytes present; mismatch is an error or a note."""
    room = size - layout.data_offset
    if room < 0:
        raise FormatError(
            layout.path, size, f"file ends before the records start at byte {layout.data_offset}"
        )
    held = room // 4
    if held < layout.n_records:
        msg = f"header claims {layout.n_records} records, file holds {held} complete ones"
        if not allow_truncated:
            raise FormatError(
                layout.path, layout.data_offset + 4 * held, msg + " (allow_truncated=True reads them)"
            )
        layout.meta.notes.append(f"truncated file: {msg}; read {held}")
        layout.n_records = held
    elif room != 4 * layout.n_records:
        layout.meta.notes.append(
            f"{room - 4 * layout.n_records} bytes after the {layout.n_records} records the header "
            "declares: ignored"
        )
    return layout


def _to_arrays(layout: PqLayout, dec: Decoded) -> list[np.ndarray]:
    # The decoder bounds ticks to the time limit (<= 2**62 ps): the products below stay in int64.
    if layout.rtype.t3:
        assert dec.dtime is not None and layout.dtime_ps is not None
        sync_ps = ticks_to_ps(dec.ticks, layout.unit_ps)
        micro = ticks_to_ps(dec.dtime, layout.dtime_ps)
        return [dec.channel, sync_ps + micro, dec.ticks, micro]
    return [dec.channel, ticks_to_ps(dec.ticks, layout.unit_ps)]


def _watermark(layout: PqLayout, decoder: RecordDecoder, dec: Decoded) -> int | None:
    """Lower bound on the time of every later event: the last ticks seen (T3: its sync start)."""
    if dec.ticks.size == 0:
        return None
    last = np.array([dec.ticks[-1]], dtype=np.int64)
    return int(ticks_to_ps(last, layout.unit_ps)[0])


def _meta_with_counters(layout: PqLayout, decoder: RecordDecoder) -> Meta:
    meta = copy.deepcopy(layout.meta)
    meta.extra.update(decoder.counters())
    if decoder.invalid:
        meta.notes.append(f"{decoder.invalid} records with a reserved channel code were skipped (counted)")
    return meta


BLOCK = 1 << 18  # records per decode step: keeps the temporaries in cache (2x faster than one pass)


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
    decoder = layout.decoder()
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


def iter_layout(layout: PqLayout, chunk_records: int) -> Iterator[PhotonData]:
    """The records in chunks of ``chunk_records``, with channel roles (``iter_chunks`` of PTU and legacy)."""
    decoder = layout.decoder()
    order = Reorderer()
    last: tuple[int, int] | None = None
    with open(layout.path, "rb") as fh:
        ranges = list(chunk_ranges(layout.n_records, chunk_records))
        for i, (start, stop) in enumerate(ranges):
            fh.seek(layout.data_offset + 4 * start)
            rec = np.fromfile(fh, dtype="<u4", count=stop - start)
            if rec.size != stop - start:
                raise FormatError(
                    layout.path, layout.data_offset + 4 * (start + rec.size), "file shrank while reading"
                )
            try:
                dec = decoder.decode(rec)
                converted = _to_arrays(layout, dec)
            except RecordError as exc:
                raise FormatError(
                    layout.path, layout.data_offset + 4 * (start + exc.index), str(exc)
                ) from None
            final = i == len(ranges) - 1
            mark = None if final else _watermark(layout, decoder, dec)
            if mark is None and not final:
                mark = -(2**63)  # nothing decoded in this chunk: hold everything back
            arrays = order.push(converted, mark)
            if arrays[1].size == 0:
                continue
            head = (int(arrays[1][0]), int(arrays[0][0]))
            if last is not None and head < last:
                raise FormatError(
                    layout.path,
                    layout.data_offset + 4 * start,
                    "records run backwards in time across a chunk boundary; read() sorts the whole file",
                )
            last = (int(arrays[1][-1]), int(arrays[0][-1]))
            meta = _meta_with_counters(layout, decoder)
            meta.extra["chunk_records"] = [start, stop]
            if order.moved:
                meta.notes.append(f"records were not in time order: {order.moved} events reordered so far")
            meta.extra = jsonable(meta.extra)
            yield roles(PhotonData(arrays[0], arrays[1], meta, *(arrays[2:] if layout.rtype.t3 else ())))
