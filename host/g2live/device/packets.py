# SPDX-License-Identifier: BSD-3-Clause
"""Where the tag-word stream is cut into DMA packets: the twin of ``hw/rtl/g2l_axis_packetizer.sv``.

A packet ends (tlast) on a word that ends a record, once the packet holds PACKET_WORDS words or
has been open PACKET_TIMEOUT_CYCLES clocks (0 = at every record end). Records follow from the
word kinds (docs/tag_word.md): a FRAME header and its ``length`` payload words are one record, a
HERALD and the HERALD_DELAYS after it are one, every other word is one. The host sizes its DMA
buffers with :func:`max_packet_words`: the AXI DMA in simple mode must never see a packet longer
than the buffer (PG021: DMAIntErr).
"""

from __future__ import annotations

import numpy as np

from g2live import contract as C

__all__ = ["max_packet_words", "max_record_words", "packet_ends", "packet_words_for", "record_ends"]


def record_ends(words: np.ndarray) -> np.ndarray:
    """True for every word that ends a record (a stream that stops inside a record ends False)."""
    w = np.ascontiguousarray(words, np.uint64)
    kind = (w >> np.uint64(C.KIND.lsb)) & np.uint64(C.KIND.mask)
    ends = np.ones(w.size, bool)  # a word of any other kind is a record of its own
    frame, herald = int(C.KIND_FRAME), int(C.KIND_HERALD)
    outside = 0  # first index not inside a multi-word record
    for s in np.flatnonzero((kind == frame) | (kind == herald)):
        s = int(s)
        if s < outside:
            continue  # frame payload that happens to look like a header
        last = s + (C.FRAME_LENGTH.get(int(w[s])) if int(kind[s]) == frame else 1)
        ends[s: min(last, w.size)] = False
        outside = last + 1
    return ends


def packet_ends(words: np.ndarray, packet_words: int, timeout_cycles: int,
                age_at_offer: np.ndarray | None = None) -> np.ndarray:
    """The tlast flags the packetiser gives ``words``.

    ``age_at_offer[k]``: clocks from the cycle the first word of word k's packet was taken in to
    the cycle word k was first offered (only the timeout needs it; None = the timeout never fires
    except with ``timeout_cycles == 0``). A packet starts after every tlast, the first at word 0.
    """
    ends = record_ends(words)
    out = np.zeros(ends.size, bool)
    count = 0
    for k in range(ends.size):
        count += 1
        if ends[k]:
            aged = timeout_cycles == 0 or (
                age_at_offer is not None and int(age_at_offer[k]) >= timeout_cycles)
            if count >= packet_words or aged:
                out[k] = True
                count = 0
    return out


def max_record_words(n_bins_log2: int, n_channels: int, max_photons: int) -> int:
    """The longest record a core of these sizes emits: its largest frame with the header."""
    payload = max(1 << n_bins_log2, n_channels + 1, max_photons + 1, 2)
    return 1 + payload


def max_packet_words(packet_words: int, max_record: int) -> int:
    """Upper bound on a packet's length: N - 1 words that end no packet, then the longest record."""
    return max(packet_words, 1) - 1 + max_record


def packet_words_for(buffer_words: int, max_record: int) -> int:
    """The largest PACKET_WORDS whose packets always fit a DMA buffer of ``buffer_words``."""
    n = buffer_words + 1 - max_record
    if n < 1:
        raise ValueError(
            f"a DMA buffer of {buffer_words} words cannot hold the core's longest record "
            f"({max_record} words): use at least {max_record}"
        )
    return n
