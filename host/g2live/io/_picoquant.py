"""PicoQuant 32-bit TTTR records (shared by PTU and the legacy formats), decoded by the C core.

One ``RecordDecoder`` per file carries the overflow state across chunks, so a file decoded in
any split gives the one-call result (cext/src/g2l_records.c; the numpy decoder it replaced is
the reference in tests/io/_reference.py). Record layouts (PicoQuant TTTR documentation):

* PicoHarp T2: time 28 bit | channel 4 bit. Channel 15 is special: low 4 time bits = marker
  mask, 0 = overflow (+210698240 ticks).
* PicoHarp T3: nsync 16 | dtime 12 | channel 4. Channels 1..4 are inputs; 15 is special:
  dtime 0 = overflow (+65536 syncs), else dtime low 4 bits = markers. Channel 0 is invalid.
* HydraHarp / TimeHarp 260 / MultiHarp / PicoHarp 330 T2: time 25 | channel 6 | special 1.
  Special channel 63 = overflow: version 1 adds 33552000 ticks per record, later versions add
  33554432 x time field (0 counts as 1); special channel 0 = sync event; 1..15 = markers.
* the same instruments in T3: nsync 10 | dtime 15 | channel 6 | special 1; overflow adds 1024
  (version 1) or 1024 x nsync (0 counts as 1); special 1..15 = markers.

Markers are returned apart from the photons (``read_layout(..., markers=...)``, see
``g2live.io.read_with_markers``): the record index, the time (T3: the start of the sync period)
and the marker bits.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from g2live import _core
from g2live.io._common import (
    MAX_TIME_PS,
    SYNC_CHANNEL,
    FormatError,
    Reorderer,
    channels_present,
    chunk_ranges,
    finish,
    jsonable,
    limit_text,
    ticks_to_ps,
    time_limit_ps,
)
from g2live.io._records import Decoder, decode_records, no_markers, open_at
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


class RecordDecoder:
    """The C decoder of one file's records, in file order. ``max_ticks`` (T2 time, T3 sync
    index) and ``n_channels`` (photon channels 0..n_channels-1) are what the instrument can
    produce: a record beyond them raises ``RecordError`` with its index in the block. ``unit_ps``
    (T2 tick, T3 sync period) and ``dtime_ps`` (T3 bin) give the times in ps."""

    COUNTERS = ("records", "overflow_records", "marker_records", "sync_records", "invalid_records")

    def __init__(
        self,
        rtype: RecordType,
        max_ticks: int = MAX_TIME_PS,
        n_channels: int = 64,
        limit_ps: int = MAX_TIME_PS,
        unit_ps: float | int = 1,
        dtime_ps: float | int | None = 1,
        records: int = 0,
    ) -> None:
        self.rtype = rtype
        self.n_channels = n_channels
        self.limit_ps = limit_ps
        layout = f"{rtype.family}_{'T3' if rtype.t3 else 'T2'}"
        micro = dtime_ps or 1
        self.dec = Decoder(
            layout, rtype.version, n_channels, max_ticks, unit_ps, micro, self._message, records
        )

    def _message(self, status: int, value: int) -> str:
        if status == _core.ERR_CHANNEL:
            return (f"channel {value} does not exist on a {self.rtype.name} "
                    f"(channels 0..{self.n_channels - 1}; corrupted record?)")
        if status == _core.ERR_TIME:
            what = "sync index" if self.rtype.t3 else "time"
            return f"{what} {value} ticks is past {limit_text(self.limit_ps)} (corrupted record?)"
        return f"overflow records push the time past {MAX_TIME_PS} ticks (corrupted records?)"

    def decode(self, rec: np.ndarray) -> Decoded:
        """One block as ticks (a decoder made with the default 1 ps units): for tests and tools."""
        rec = np.ascontiguousarray(rec, dtype="<u4")
        outs = self.dec.outputs(rec.size)
        k = self.dec.into(rec, outs, 0)
        if self.rtype.t3:
            return Decoded(outs[0][:k], outs[2][:k], outs[3][:k])
        return Decoded(outs[0][:k], outs[1][:k], None)

    def markers(self) -> np.ndarray:
        """Markers of the last block (``MARKER_DTYPE``)."""
        return self.dec.c.markers()

    def counters(self) -> dict[str, int]:
        return self.dec.counters(self.COUNTERS)

    @property
    def overflows(self) -> int:
        return self.counters()["overflow_records"]

    @property
    def markers_seen(self) -> int:
        return self.counters()["marker_records"]

    @property
    def invalid(self) -> int:
        return self.counters()["invalid_records"]

    @property
    def syncs(self) -> int:
        return self.counters()["sync_records"]


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
        return RecordDecoder(
            self.rtype, int(limit // self.unit_ps), self.n_channels, limit, self.unit_ps, self.dtime_ps,
            self.n_records,
        )


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


def meta_with_counters(layout: PqLayout, decoder: RecordDecoder, copy_meta: bool = True) -> Meta:
    meta = copy.deepcopy(layout.meta) if copy_meta else layout.meta
    counters = decoder.counters()
    meta.extra.update(counters)
    if counters["invalid_records"]:
        meta.notes.append(
            f"{counters['invalid_records']} records with a reserved channel code were skipped (counted)"
        )
    return meta


def roles(data: PhotonData, present: list[int] | None = None) -> PhotonData:
    """Channel roles of the events present (``present``: known already, ascending): SYNC_CHANNEL
    is the sync (rate from the header when the T2 header left it unset), every other channel a
    detector input."""
    if present is None:
        present = channels_present(data.channel)
    roles = {c: "sync" if c == SYNC_CHANNEL else f"detector input {c}" for c in present}
    data.meta.channel_roles = roles
    if SYNC_CHANNEL in roles:
        data.meta.sync_channel = SYNC_CHANNEL
        if data.meta.sync_rate_hz is None and data.meta.extra.get("header_sync_rate_hz"):
            data.meta.sync_rate_hz = float(data.meta.extra["header_sync_rate_hz"])
    return data


def _present(decoder: RecordDecoder) -> list[int]:
    return decoder.dec.present() + ([SYNC_CHANNEL] if decoder.syncs else [])


def read_layout(layout: PqLayout, markers: list[np.ndarray] | None = None) -> PhotonData:
    """All records of the file ``layout`` describes, with channel roles (``read`` of PTU and legacy).

    One pass: the C decoder writes the photons into arrays sized for every record (photons are
    fewer); the result is a prefix of each. It also tells whether they are in stream order, so
    only a file that is not gets sorted. Marker records go to ``markers`` when given."""
    decoder = layout.decoder()
    with open_at(layout.path, layout.data_offset) as fh:
        arrays = decode_records(fh, layout.path, layout.data_offset, layout.n_records, decoder.dec, markers)
    meta = meta_with_counters(layout, decoder, copy_meta=False)  # the layout is this call's own
    ordered = decoder.dec.c.in_order
    t = arrays[1]
    if t.size >= 2:
        check_span(meta, int(t[-1] - t[0]) if ordered else int(t.max() - t.min()))
    # the header parsers put JSON types only into meta.extra (tags, counters, numbers, strings)
    t3 = arrays[2:] if layout.rtype.t3 else ()
    data = finish(*arrays[:2], meta, *t3, ordered=ordered, json_extra=True, in_place=True)
    return roles(data, _present(decoder))


def check_span(meta: Meta, span_ps: int) -> None:
    """Keep the header's acquisition time only when the events (spanning ``span_ps``) fit it
    (split files do not)."""
    if meta.acquisition_s is None:
        return
    span = float(span_ps) * 1e-12
    if span < 0.5 * meta.acquisition_s or span > 1.01 * meta.acquisition_s:
        meta.extra["header_acquisition_s"] = meta.acquisition_s
        meta.notes.append(
            f"header acquisition time {meta.acquisition_s:g} s does not match the {span:g} s the events "
            "span (a piece of a longer recording?): acquisition_s left unset"
        )
        meta.acquisition_s = None


def iter_watermark(layout: PqLayout, arrays: list[np.ndarray]) -> int | None:
    """Lower bound on the time of every later event: the last photon's time (T3: the start of its
    sync period, as micro-times may exceed the period)."""
    if arrays[1].size == 0:
        return None
    if not layout.rtype.t3:
        return int(arrays[1][-1])
    return int(ticks_to_ps(arrays[2][-1:], layout.unit_ps)[0])


def iter_layout(layout: PqLayout, chunk_records: int, with_markers: bool = False) -> Iterator[Any]:
    """The records in chunks of ``chunk_records``, with channel roles (``iter_chunks`` of PTU and
    legacy); with ``with_markers`` each item is (PhotonData, markers of its records)."""
    decoder = layout.decoder()
    order = Reorderer()
    last: tuple[int, int] | None = None
    ranges = list(chunk_ranges(layout.n_records, chunk_records))
    with open_at(layout.path, layout.data_offset) as fh:
        for i, (start, stop) in enumerate(ranges):
            marks: list[np.ndarray] | None = [] if with_markers else None
            offset = layout.data_offset + 4 * start
            held = order.held()
            converted = decode_records(fh, layout.path, offset, stop - start, decoder.dec, marks, held)
            final = i == len(ranges) - 1
            new = converted if held is None else [a[held[0].size :] for a in converted]
            mark = None if final else iter_watermark(layout, new)
            if mark is None and not final:
                mark = -(2**63)  # nothing decoded in this chunk: hold everything back
            # the decoder knows whether every photon so far came in stream order
            arrays = order.push(converted, mark, ordered=decoder.dec.c.in_order or None, with_held=True)
            if arrays[1].size == 0 and not (with_markers and marks):
                continue
            if arrays[1].size:
                head = (int(arrays[1][0]), int(arrays[0][0]))
                if last is not None and head < last:
                    raise FormatError(
                        layout.path,
                        offset,
                        "records run backwards in time across a chunk boundary; read() sorts the whole file",
                    )
                last = (int(arrays[1][-1]), int(arrays[0][-1]))
            meta = meta_with_counters(layout, decoder)
            meta.extra["chunk_records"] = [start, stop]
            if order.moved:
                meta.notes.append(f"records were not in time order: {order.moved} events reordered so far")
            meta.extra = jsonable(meta.extra)
            data = roles(PhotonData(arrays[0], arrays[1], meta, *(arrays[2:] if layout.rtype.t3 else ())))
            if with_markers:
                yield data, (np.concatenate(marks) if marks else no_markers())
            else:
                yield data
