"""PicoQuant record decoding (the C decoder behind g2live.io._picoquant.RecordDecoder) against
hand-built records, the ptufile C decoder and the numpy reference decoder (tests/io/_reference.py)
on random record streams, chunk-split invariance, and the marker records it returns."""

from __future__ import annotations

import _reference
import numpy as np
import pytest
from _io_expected import budget
from g2live.io import SYNC_CHANNEL
from g2live.io._picoquant import RECORD_TYPES, RecordDecoder
from hypothesis import given, settings
from hypothesis import strategies as st


def hh(special: int, ch: int, value: int, dtime: int | None = None) -> int:
    if dtime is None:  # T2: time 25 bits
        return (special << 31) | (ch << 25) | value
    return (special << 31) | (ch << 25) | (dtime << 10) | value


def decode(code: int, words: list[int], split: int | None = None) -> tuple[RecordDecoder, list]:
    dec = RecordDecoder(RECORD_TYPES[code])
    rec = np.array(words, dtype=np.uint32)
    parts = [rec] if split is None else [rec[:split], rec[split:]]
    out = [dec.decode(p) for p in parts]
    ch = np.concatenate([o.channel for o in out]).tolist()
    ticks = np.concatenate([o.ticks for o in out]).tolist()
    dt = None if out[0].dtime is None else np.concatenate([o.dtime for o in out]).tolist()
    return dec, [ch, ticks, dt]


@pytest.mark.parametrize("split", [None, 1, 2, 3])
def test_hh_v2_t2_counted_overflow_sync_marker(split: int | None) -> None:
    words = [hh(0, 1, 5), hh(1, 63, 1040), hh(1, 0, 9), hh(1, 4, 11), hh(0, 0, 7), hh(1, 63, 0), hh(0, 2, 3)]
    dec, (ch, ticks, _) = decode(0x01010204, words, split)
    w = 2**25
    assert ch == [1, SYNC_CHANNEL, 0, 2]
    assert ticks == [5, 1040 * w + 9, 1040 * w + 7, 1041 * w + 3]  # 0 counts as one wrap
    assert dec.counters() == {
        "records": 7,
        "overflow_records": 2,
        "marker_records": 1,
        "sync_records": 1,
        "invalid_records": 0,
    }


def test_hh_v1_t2_overflow_is_one_wrap_of_33552000() -> None:
    words = [hh(1, 63, 77), hh(0, 3, 1), hh(1, 63, 0), hh(0, 3, 2)]
    _, (ch, ticks, _) = decode(0x00010204, words)
    assert ch == [3, 3] and ticks == [33552000 + 1, 2 * 33552000 + 2]


@pytest.mark.parametrize("code,wrap", [(0x00010304, None), (0x01010304, 1024), (0x00010307, 1024)])
def test_hh_t3(code: int, wrap: int | None) -> None:
    words = [hh(0, 0, 5, 100), hh(1, 63, 3), hh(1, 2, 9), hh(0, 5, 7, 32767), hh(1, 20, 0)]
    dec, (ch, ticks, dt) = decode(code, words)
    per = 1024 if wrap is None else 3 * 1024  # v1: one wrap per record; v2: the count (3)
    assert ch == [0, 5] and ticks == [5, per + 7] and dt == [100, 32767]
    assert dec.markers_seen == 1 and dec.invalid == 1 and dec.overflows == 1


def test_picoharp_t2_and_t3() -> None:
    ph2 = [(1 << 28) | 5, (15 << 28) | 0, (15 << 28) | 3, (4 << 28) | 9]
    dec, (ch, ticks, _) = decode(0x00010203, ph2)
    assert ch == [1, 4] and ticks == [5, 210698240 + 9] and dec.markers_seen == 1 and dec.overflows == 1
    ph3 = [
        (1 << 28) | (10 << 16) | 5,
        (15 << 28),
        (15 << 28) | (2 << 16) | 1,
        (4 << 28) | (4095 << 16) | 9,
        (0 << 28) | 7,
    ]
    dec, (ch, ticks, dt) = decode(0x00010303, ph3)
    assert ch == [0, 3] and ticks == [5, 65536 + 9] and dt == [10, 4095]
    assert dec.markers_seen == 1 and dec.invalid == 1


def _ptufile_photons(code: int, rec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    ptufile = pytest.importorskip("ptufile")
    from ptufile._ptufile import decode_t2_records, decode_t3_records

    t3 = RECORD_TYPES[code].t3
    out = np.zeros(rec.size, ptufile.T3_RECORD_DTYPE if t3 else ptufile.T2_RECORD_DTYPE)
    (decode_t3_records if t3 else decode_t2_records)(out, rec, code)
    ph = out[out["channel"] >= 0]
    return ph["channel"].astype(np.uint8), ph["time"].astype(np.int64), ph["dtime"] if t3 else None


def _valid_words(draw: st.DrawFn, code: int, n: int) -> np.ndarray:
    """Random streams of well-formed records: photons, markers, overflows (counts < 128)."""
    rt = RECORD_TYPES[code]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = rng.choice(4, n, p=[0.8, 0.05, 0.15, 0.0])
    if rt.family == "PH":
        if rt.t3:
            photon = (
                (rng.integers(1, 5, n).astype(np.uint32) << 28)
                | (rng.integers(0, 4096, n).astype(np.uint32) << 16)
                | rng.integers(0, 65536, n)
            )
            marker = (
                (np.uint32(15) << 28)
                | (rng.integers(1, 16, n).astype(np.uint32) << 16)
                | rng.integers(0, 65536, n)
            )
            ovf = np.full(n, np.uint32(15) << 28)
        else:
            photon = (rng.integers(0, 5, n).astype(np.uint32) << 28) | rng.integers(0, 2**28, n)
            marker = (
                (np.uint32(15) << 28)
                | (rng.integers(0, 2**24, n).astype(np.uint32) << 4)
                | rng.integers(1, 16, n)
            )
            ovf = (np.uint32(15) << 28) | (rng.integers(0, 2**24, n).astype(np.uint32) << 4)
    else:
        low_bits = 10 if rt.t3 else 25
        photon = (rng.integers(0, 63, n).astype(np.uint32) << 25) | rng.integers(0, 2**low_bits, n)
        if rt.t3:
            photon |= rng.integers(0, 2**15, n).astype(np.uint32) << 10
        marker = (
            (np.uint32(1) << 31)
            | (rng.integers(1, 16, n).astype(np.uint32) << 25)
            | rng.integers(0, 2**low_bits, n)
        )
        ovf = np.uint32(0xFE000000) | rng.integers(0, 128, n).astype(np.uint32)
    return np.where(kind == 0, photon, np.where(kind == 1, marker, ovf)).astype(np.uint32)


@settings(max_examples=budget(25))
@given(data=st.data(), code=st.sampled_from(sorted(RECORD_TYPES)), n=st.integers(1, 3000))
def test_random_streams_match_ptufile_and_any_split(data: st.DataObject, code: int, n: int) -> None:
    rec = _valid_words(data.draw, code, n)
    ch, ticks, dt = _ptufile_photons(code, rec)
    dec = RecordDecoder(RECORD_TYPES[code])
    whole = dec.decode(rec)
    assert np.array_equal(whole.channel, ch) and np.array_equal(whole.ticks, ticks)
    if dt is not None:
        assert np.array_equal(whole.dtime, dt.astype(np.int64))
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
    dec2 = RecordDecoder(RECORD_TYPES[code])
    parts = [dec2.decode(p) for p in np.split(rec, cuts)]
    assert np.array_equal(np.concatenate([p.ticks for p in parts]), whole.ticks)
    assert np.array_equal(np.concatenate([p.channel for p in parts]), whole.channel)
    assert dec2.counters() == dec.counters()


@settings(max_examples=budget(40))
@given(
    words=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=400),
    code=st.sampled_from(sorted(RECORD_TYPES)),
    cut=st.integers(0, 400),
)
def test_arbitrary_words_split_invariant(words: list[int], code: int, cut: int) -> None:
    """Any 32-bit words (reserved codes included): counted, never crash, split does not matter."""
    rec = np.array(words, dtype=np.uint32)
    whole = RecordDecoder(RECORD_TYPES[code])
    a = whole.decode(rec)
    ref_dec = _reference.RecordDecoder(RECORD_TYPES[code])
    ref = ref_dec.decode(rec)
    assert np.array_equal(a.channel, ref.channel) and np.array_equal(a.ticks, ref.ticks)
    if ref.dtime is not None:
        assert np.array_equal(a.dtime, ref.dtime)
    assert whole.counters() == ref_dec.counters()
    b_dec = RecordDecoder(RECORD_TYPES[code])
    parts = [b_dec.decode(p) for p in (rec[:cut], rec[cut:])]
    assert np.array_equal(np.concatenate([p.ticks for p in parts]), a.ticks)
    c = b_dec.counters()
    photons = a.ticks.size - c["sync_records"]
    assert (
        photons + c["sync_records"] + c["overflow_records"] + c["marker_records"] + c["invalid_records"]
        == rec.size
    )


@settings(max_examples=budget(15))
@given(seed=st.integers(0, 2**32 - 1), chunk=st.integers(1, 500))
def test_t3_microtimes_beyond_the_period_stream_in_order(seed: int, chunk: int, tmp_path_factory) -> None:
    """Micro-times up to 3 sync periods reorder events across records and chunk boundaries:
    iter_chunks must give exactly read()'s stream order."""
    from _io_expected import ptu_t3_file
    from g2live import io

    rng = np.random.default_rng(seed)
    n = 2000
    nsync = np.cumsum(rng.integers(0, 3, n))
    rec = (rng.integers(0, 3, n).astype(np.uint32) << 25) | (rng.integers(0, 2400, n).astype(np.uint32) << 10)
    rec |= (nsync % 1024).astype(np.uint32)
    wraps = np.diff(nsync // 1024, prepend=0)
    words = []
    for r, w in zip(rec.tolist(), wraps.tolist(), strict=True):
        if w:
            words.append(0xFE000000 | w)
        words.append(r)
    path = tmp_path_factory.mktemp("t3") / "reorder.ptu"
    path.write_bytes(ptu_t3_file(np.array(words, dtype=np.uint32)))
    d = io.read(path)
    assert any("not in time order" in x for x in d.meta.notes)
    assert np.array_equal(np.sort(d.sync_index), nsync)
    parts = list(io.iter_chunks(path, chunk_records=chunk))
    for name in ("channel", "time_ps", "sync_index", "microtime_ps"):
        assert np.array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(d, name)), name
