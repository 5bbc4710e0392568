# SPDX-License-Identifier: BSD-3-Clause
"""Encoder / decoder (docs/semantics.md "Decoder", docs/tag_word.md)."""

from __future__ import annotations

import numpy as np
import pytest
from g2live import contract, core
from hypothesis import given, settings
from hypothesis import strategies as st

EPOCH = 2**48


def kind(word: int) -> int:
    return contract.KIND.get(int(word))


def test_encode_layout_matches_contract():
    w = core.encode([5, 63], [EPOCH * 3 + 17, EPOCH * 3 + EPOCH - 1])
    assert [kind(x) for x in w] == [contract.KIND_ROLLOVER, contract.KIND_TAG, contract.KIND_TAG]
    assert contract.ROLLOVER_EPOCH.get(int(w[0])) == 3
    assert contract.TAG_CHANNEL.get(int(w[1])) == 5 and contract.TAG_TIME_PS.get(int(w[1])) == 17
    assert contract.TAG_CHANNEL.get(int(w[2])) == 63 and contract.TAG_TIME_PS.get(int(w[2])) == EPOCH - 1
    assert contract.TAG_FLAGS.get(int(w[1])) == 0
    assert w.dtype == np.uint64
    assert int(w[1]) == core.make_tag(5, 17)
    assert int(w[0]) == core.make_rollover(3)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_rollover_at_every_position(n):
    # the epoch changes between tag p-1 and tag p, for every p (p = 0: before the first tag)
    for p in range(n + 1):
        for e in (1, 7, core.MAX_EPOCH - 1):
            t = np.array([e * EPOCH - (p - i) if i < p else e * EPOCH + (i - p) for i in range(n)], np.int64)
            ch = (np.arange(n) % 64).astype(np.uint8)
            w = core.encode(ch, t)
            n_roll = 1 + (0 < p < n)
            assert len(w) == n + n_roll
            rc, rt, stats = core.decode(w)
            np.testing.assert_array_equal(rt, t)
            np.testing.assert_array_equal(rc, ch)
            assert stats.rollovers == n_roll and stats.malformed == 0 and stats.out_of_order == 0
            # streaming encoder, one tag a call: same words
            enc = core.Encoder()
            one_by_one = [enc.encode(ch[i:i + 1], t[i:i + 1]) for i in range(n)]
            np.testing.assert_array_equal(np.concatenate(one_by_one), w)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 63), st.integers(0, 2**63 - 1)), max_size=40))
def test_round_trip_any_times(tags):
    ch = np.array([c for c, _ in tags], np.uint8)
    t = np.array([x for _, x in tags], np.int64)
    w = core.encode(ch, t)
    rc, rt, stats = core.decode(w)
    np.testing.assert_array_equal(rc, ch)
    np.testing.assert_array_equal(rt, t)
    assert stats.n_tags == len(tags)
    assert stats.out_of_order == int(np.sum(np.diff(t) < 0))
    assert stats.rollovers == len(w) - len(tags)


def test_encoder_errors():
    with pytest.raises(ValueError, match=r"time_ps\[1\] = -1 is negative"):
        core.encode([0, 0], [0, -1])
    with pytest.raises(ValueError, match=r"channel\[0\] = 64"):
        core.encode([64], [0])
    with pytest.raises(ValueError, match="channel has 1 entries but time_ps has 2"):
        core.encode([0], [0, 1])
    with pytest.raises(ValueError, match="delay_second_ps"):
        core.make_herald(0, 1, 0, 2, 2**30)
    with pytest.raises(ValueError, match="count"):
        core.make_lost(0, 0, 2**32)


# ---- a reference stream of records, for malformed-word and chunk-split tests ----

def records() -> list[np.ndarray]:
    """Each record is a run of words that decodes on its own."""
    enc = core.Encoder()
    r = [enc.encode([0], [10]), enc.encode([1, 2], [20, 20])]
    r.append(np.array([core.make_lost(3, 1, 7)], np.uint64))
    r.append(np.array([core.make_marker(4, 25)], np.uint64))
    r.append(core.make_herald(9, 1, 5, 2, 2**30 - 1))
    # zero words inside a payload are data, not INVALID words
    r.append(core.make_frame(contract.FRAME_HISTOGRAM, 2, [0, 1, 2**64 - 1, 0]))
    r.append(enc.encode([5], [EPOCH + 3]))  # rollover + tag
    r.append(core.make_frame(contract.FRAME_RATES, 0, []))
    r.append(np.array([core.make_lost(3, 1, 2**32 - 1), core.make_lost(63, 63, 1)], np.uint64))
    r.append(core.make_frame(contract.FRAME_LOSSES, 1, np.arange(3)))
    r.append(enc.encode([0], [EPOCH + 2]))  # out of order (earlier than the previous tag)
    return r


def check_reference_stats(ch, t, s: core.DecodeStats) -> None:
    assert ch.tolist() == [0, 1, 2, 5, 0]
    assert t.tolist() == [10, 20, 20, EPOCH + 3, EPOCH + 2]
    assert s.out_of_order == 1 and s.rollovers == 2 and s.n_tags == 5
    assert s.lost[3, 1] == 7 + 2**32 - 1 and s.lost[63, 63] == 1 and s.lost.sum() == 7 + 2**32
    assert s.lost_total[3] == 7 + 2**32 - 1
    assert s.markers.tolist() == [(4, 25)]
    assert s.heralded.tolist() == [(9, 1, 5, 2, 2**30 - 1)]
    assert [(f.frame_kind, f.index, f.payload.tolist()) for f in s.frames] == [
        (contract.FRAME_HISTOGRAM, 2, [0, 1, 2**64 - 1, 0]), (contract.FRAME_RATES, 0, []),
        (contract.FRAME_LOSSES, 1, [0, 1, 2])]


def test_reference_stream():
    ch, t, s = core.decode(np.concatenate(records()))
    check_reference_stats(ch, t, s)
    assert s.malformed == 0 and s.malformed_offsets == []


BAD_WORDS = {
    "invalid": 0,
    "kind 7": 7 << 60,
    "kind 15": (15 << 60) | 123,
    "tag with flags": core.make_tag(1, 5) | (1 << 48),
    "rollover spare bits": core.make_rollover(1) | (1 << 50),
    "rollover past int64": core.make_rollover(core.MAX_EPOCH),
    "lost spare bits": core.make_lost(1, 0, 1) | (1 << 40),
    "delays without herald": int(core.make_herald(0, 0, 0, 0, 0)[1]),
}


@pytest.mark.parametrize("bad", list(BAD_WORDS))
def test_malformed_word_at_every_record_boundary(bad):
    recs = records()
    for pos in range(len(recs) + 1):
        parts = [*recs[:pos], np.array([BAD_WORDS[bad]], np.uint64), *recs[pos:]]
        offset = sum(len(r) for r in recs[:pos])
        ch, t, s = core.decode(np.concatenate(parts))
        check_reference_stats(ch, t, s)
        assert s.malformed == 1 and s.malformed_offsets == [offset], (bad, pos)


def test_herald_without_delays_and_cut_frame():
    h = core.make_herald(1, 2, 3, 4, 5)
    tag = core.encode([1], [7])
    # HERALD followed by a TAG: the HERALD is malformed, the TAG decoded
    ch, t, s = core.decode(np.concatenate([tag, h[:1], tag[1:]]))
    assert t.tolist() == [7, 7] and s.malformed == 1 and s.malformed_offsets == [2] and len(s.heralded) == 0
    # HERALD at the very end, and a frame cut short: counted at the header offset, no payload returned
    _, _, s = core.decode(np.concatenate([tag, h[:1]]))
    assert s.malformed_offsets == [2]
    frame = core.make_frame(contract.FRAME_HISTOGRAM, 0, [1, 2, 3])
    _, _, s = core.decode(np.concatenate([tag, frame[:3]]))
    assert s.malformed == 1 and s.malformed_offsets == [2] and s.frames == []
    # the first MALFORMED_KEEP offsets are kept, all are counted
    _, _, s = core.decode(np.zeros(100, np.uint64))
    assert s.malformed == 100 and s.malformed_offsets == list(range(core.MALFORMED_KEEP))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 200), max_size=6), st.sampled_from(list(BAD_WORDS.values())),
       st.integers(0, 60))
def test_decoder_any_chunk_split(cuts, bad, bad_pos):
    words = np.concatenate(records())
    words = np.insert(words, min(bad_pos, len(words)), np.uint64(bad))  # may land inside a frame or herald
    ch1, t1, s1 = core.decode(words)
    dec = core.Decoder()
    bounds = [0, *sorted(min(c, len(words)) for c in cuts), len(words)]
    outs = [dec.decode(words[bounds[k]:bounds[k + 1]]) for k in range(len(bounds) - 1)]
    s2 = core.DecodeStats.combine([o[2] for o in outs] + [dec.finish()])
    np.testing.assert_array_equal(np.concatenate([o[0] for o in outs]), ch1)
    np.testing.assert_array_equal(np.concatenate([o[1] for o in outs]), t1)
    for name in ("n_tags", "malformed", "malformed_offsets", "out_of_order", "rollovers"):
        assert getattr(s2, name) == getattr(s1, name), name
    np.testing.assert_array_equal(s2.lost, s1.lost)
    np.testing.assert_array_equal(s2.markers, s1.markers)
    np.testing.assert_array_equal(s2.heralded, s1.heralded)
    assert [(f.frame_kind, f.index, f.payload.tolist()) for f in s2.frames] == \
        [(f.frame_kind, f.index, f.payload.tolist()) for f in s1.frames]
    assert dec.offset == len(words)
    assert s2 == s1


def test_decode_input_checks():
    with pytest.raises(TypeError, match="uint64"):
        core.decode(np.array([1.0]))
    with pytest.raises(ValueError, match=r"words\[1\] = -1 is negative"):
        core.decode(np.array([0, -1], np.int64))
    ch, t, s = core.decode(np.zeros(0, np.uint64))
    assert len(ch) == len(t) == 0 and s.n_tags == 0


def test_tag_before_any_rollover_uses_epoch_zero():
    ch, t, s = core.decode(np.array([core.make_tag(3, 99)], np.uint64))
    assert ch.tolist() == [3] and t.tolist() == [99] and s.rollovers == 0


def test_marker_words_round_trip_across_epochs() -> None:
    """``encode(..., markers=True)``: channels MARKER_CHANNEL + m become MARKER words (the chip's
    raw stream with marker inputs), the epoch rules are the TAG rules, and the C decoder gives the
    tags and the markers back apart, bit for bit."""
    from g2live.markers import marker_array, merge_markers, split_markers

    rng = np.random.default_rng(21)
    t = np.sort(rng.integers(2**48 - 10**6, 2**48 + 10**6, 2000))
    ch = rng.integers(0, 9, t.size).astype(np.uint8)
    mk = marker_array(rng.integers(0, 4, 40), np.sort(rng.integers(2**48 - 10**6, 2**48 + 10**6, 40)))
    mch, mt = merge_markers(ch, t, mk)
    words = core.encode(mch, mt, markers=True)
    kinds = words >> np.uint64(contract.KIND.lsb)
    assert int((kinds == contract.KIND_MARKER).sum()) == 40
    assert int((kinds == contract.KIND_ROLLOVER).sum()) == 2
    for w in words[kinds == contract.KIND_MARKER][:5]:
        w = int(w)
        assert w == core.make_marker(contract.MARKER_MARKER.get(w), contract.MARKER_TIME_PS.get(w))
    dch, dt, res = core.decode(words)
    tch, tt, tm = split_markers(mch, mt)
    np.testing.assert_array_equal(dch, tch)
    np.testing.assert_array_equal(dt, tt)
    np.testing.assert_array_equal(res.markers["marker"], tm["marker"])
    np.testing.assert_array_equal(res.markers["time_ps"], tm["time_ps"])
    assert res.malformed == 0 and res.out_of_order == 0
    # without markers=True those channels stay TAG words (the default encoder is unchanged)
    plain = core.encode(mch, mt)
    assert not np.any((plain >> np.uint64(contract.KIND.lsb)) == contract.KIND_MARKER)
