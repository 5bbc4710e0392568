# SPDX-License-Identifier: BSD-3-Clause
# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Thin binding of the g2live C core (cext/src). Validation and friendly errors live in
g2live.core; this module only moves contiguous numpy buffers in and out with the GIL released.
Functions that can fail return a status (0 or a negative G2L_ERR_* code) and the offending index.
The C declarations are in g2l_core.pxd (one block per header of cext/src); the type stub of this
module is host/g2live/_core.pyi.
"""

from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport memcpy

from g2l_core cimport *  # the C declarations, one block per header of cext/src

import numpy as np

cimport numpy as cnp

cnp.import_array()


ERR_NOMEM = G2L_ERR_NOMEM
ERR_CHANNEL = G2L_ERR_CHANNEL
ERR_TIME = G2L_ERR_TIME
ERR_UNSORTED = G2L_ERR_UNSORTED
ERR_OVERFLOW = G2L_ERR_OVERFLOW
ERR_ARG = G2L_ERR_ARG
MALFORMED_KEEP = G2L_MALFORMED_KEEP
MAX_EPOCH = G2L_MAX_EPOCH
MAX_WINDOW_PS = G2L_MAX_WINDOW_PS

# numpy views of the C records: offsets and sizes measured on the C structs, never copied.
cdef g2l_herald _herald
cdef g2l_frame _frame
cdef g2l_marker _marker


cdef Py_ssize_t _at(const void *field, const void *record) noexcept:
    return <const char *>field - <const char *>record


# g2l_herald (g2l_common.h): field order as documented.
HERALD_DTYPE = np.dtype({
    "names": ["period", "channel_first", "delay_first_ps", "channel_second", "delay_second_ps"],
    "formats": [np.int64, np.uint8, np.int64, np.uint8, np.int64],
    "offsets": [_at(&_herald.period, &_herald), _at(&_herald.channel_first, &_herald),
                _at(&_herald.delay_first_ps, &_herald), _at(&_herald.channel_second, &_herald),
                _at(&_herald.delay_second_ps, &_herald)],
    "itemsize": sizeof(g2l_herald),
})
FRAME_DTYPE = np.dtype({
    "names": ["frame_kind", "index", "length", "payload_start"],
    "formats": [np.int64] * 4,
    "offsets": [_at(&_frame.frame_kind, &_frame), _at(&_frame.index, &_frame), _at(&_frame.length, &_frame),
                _at(&_frame.payload_start, &_frame)],
    "itemsize": sizeof(g2l_frame),
})
# g2l_marker: (marker, time_ps), the marker number read from the low byte of its int64 (little endian).
MARKER_DTYPE = np.dtype({"names": ["marker", "time_ps"], "formats": [np.uint8, np.int64],
                         "offsets": [_at(&_marker.marker, &_marker), _at(&_marker.time_ps, &_marker)],
                         "itemsize": sizeof(g2l_marker)})

cdef inline const uint8_t *_u8(const uint8_t[::1] a) noexcept nogil:
    return &a[0] if a.shape[0] else NULL

cdef inline const int64_t *_i64(const int64_t[::1] a) noexcept nogil:
    return &a[0] if a.shape[0] else NULL


cdef object _buf_array(g2l_buf *b, object dtype):
    """Copy a C buffer of b.len items into a new numpy array."""
    out = np.empty(b.len, dtype=dtype)
    if out.dtype.itemsize != b.item:
        raise RuntimeError(f"g2live._core: dtype {out.dtype} does not match the C item size {b.item}")
    cdef cnp.ndarray arr = out
    if b.len:
        memcpy(cnp.PyArray_DATA(arr), b.data, <size_t>(b.len * b.item))
    return out


# ---------------------------------------------------------------------------------------------
# encoder

cdef class Encoder:
    cdef g2l_encoder e

    def __cinit__(self):
        g2l_encoder_init(&self.e)

    @property
    def epoch(self):
        return self.e.epoch

    def encode(self, const uint8_t[::1] channel, const int64_t[::1] time_ps):
        """Returns (status, err_index, words)."""
        cdef int64_t n = time_ps.shape[0], err = -1, m, k
        with nogil:
            m = g2l_encode_count(&self.e, _u8(channel), _i64(time_ps), n, &err)
        if m < 0:
            return m, err, None
        out = np.empty(m, dtype=np.uint64)
        cdef uint64_t[::1] o = out
        if m:
            with nogil:
                k = g2l_encode(&self.e, _u8(channel), _i64(time_ps), n, &o[0])
        return 0, -1, out


# ---------------------------------------------------------------------------------------------
# decoder

cdef class Decoder:
    cdef g2l_decoder d

    def __cinit__(self):
        g2l_decoder_init(&self.d)

    def __dealloc__(self):
        g2l_decoder_free(&self.d)

    @property
    def offset(self):
        return self.d.offset

    @property
    def epoch(self):
        return self.d.epoch

    @property
    def pending(self):
        """(herald waiting for HERALD_DELAYS, inside a frame)."""
        return bool(self.d.herald_pending), bool(self.d.in_frame)

    def decode(self, const uint64_t[::1] words):
        """Returns (channel, time_ps, outputs dict) for this call."""
        cdef int64_t n = words.shape[0], nt
        ch = np.empty(n, dtype=np.uint8)
        t = np.empty(n, dtype=np.int64)
        cdef uint8_t[::1] chv = ch
        cdef int64_t[::1] tv = t
        g2l_decoder_begin(&self.d)
        if n:
            with nogil:
                nt = g2l_decode(&self.d, &words[0], n, &chv[0], &tv[0])
            if nt < 0:
                raise MemoryError("g2live decoder: out of memory")
        else:
            nt = 0
        if nt < n // 2:  # do not keep a large mostly-empty buffer alive
            ch, t = ch[:nt].copy(), t[:nt].copy()
        else:
            ch, t = ch[:nt], t[:nt]
        return ch, t, self._outputs()

    def finish(self):
        g2l_decoder_begin(&self.d)
        g2l_decoder_finish(&self.d)
        return self._outputs()

    cdef dict _outputs(self):
        cdef int64_t k
        nkeep = min(self.d.malformed, G2L_MALFORMED_KEEP)
        lost = np.empty(G2L_N_CHANNELS * G2L_N_CAUSES, dtype=np.int64)
        cdef int64_t[::1] lv = lost
        for k in range(G2L_N_CHANNELS * G2L_N_CAUSES):
            lv[k] = self.d.lost[k]
        frames = []
        if self.d.frames.len:
            meta = _buf_array(&self.d.frames, FRAME_DTYPE)
            payload = _buf_array(&self.d.payload, np.uint64)
            for kind, index, length, start in meta.tolist():
                frames.append((kind, index, payload[start:start + length]))
        return {
            "n_tags": self.d.n_tags,
            "malformed": self.d.malformed,
            "malformed_offsets": [self.d.malformed_offsets[k] for k in range(nkeep)],
            "out_of_order": self.d.out_of_order,
            "rollovers": self.d.rollovers,
            "lost": lost.reshape(G2L_N_CHANNELS, G2L_N_CAUSES),
            "markers": _buf_array(&self.d.markers, MARKER_DTYPE),
            "heralded": _buf_array(&self.d.heralds, HERALD_DTYPE),
            "frames": frames,
        }


# ---------------------------------------------------------------------------------------------
# correlation

def first_unsorted(const int64_t[::1] x):
    cdef int64_t r
    with nogil:
        r = g2l_first_unsorted(_i64(x), x.shape[0])
    return r


def correlate(const int64_t[::1] a, const int64_t[::1] b, int64_t bin_width_ps, int64_t n_bins,
              int64_t offset_ps):
    """Returns (status, hist). Inputs must be sorted (checked by the caller)."""
    cdef g2l_window w
    cdef int st = g2l_window_init(&w, bin_width_ps, n_bins, offset_ps)
    if st != G2L_OK:
        return st, None
    hist = np.zeros(n_bins, dtype=np.int64)
    cdef int64_t[::1] h = hist
    with nogil:
        g2l_correlate(_i64(a), a.shape[0], _i64(b), b.shape[0], &w, &h[0])
    return 0, hist


cdef class Correlator:
    cdef g2l_correlator c
    cdef readonly int status

    def __cinit__(self, const uint8_t[::1] pair_a, const uint8_t[::1] pair_b, int64_t bin_width_ps,
                  int64_t n_bins, int64_t offset_ps):
        self.status = g2l_correlator_init(&self.c, pair_a.shape[0], _u8(pair_a), _u8(pair_b), bin_width_ps,
                                          n_bins, offset_ps)

    def __dealloc__(self):
        g2l_correlator_free(&self.c)

    def update(self, const uint8_t[::1] channel, const int64_t[::1] time_ps):
        cdef int64_t err = -1
        cdef int st
        with nogil:
            st = g2l_correlator_update(&self.c, _u8(channel), _i64(time_ps), time_ps.shape[0], &err)
        return st, err

    def histograms(self, bint swap):
        cdef int64_t n = self.c.n_pairs * self.c.w.n_bins
        out = np.empty((self.c.n_pairs, self.c.w.n_bins), dtype=np.int64)
        cdef int64_t[:, ::1] o = out
        memcpy(&o[0, 0], self.c.hist, <size_t>(n * 8))
        if swap:
            g2l_correlator_swap(&self.c)
        return out

    def clear(self):
        g2l_correlator_clear(&self.c)

    @property
    def n_tags(self):
        return self.c.n_tags

    @property
    def last_time(self):
        return self.c.last_time

    @property
    def counts(self):
        return np.array([self.c.counts[k] for k in range(G2L_N_CHANNELS)], dtype=np.int64)

    @property
    def simd(self):
        """Kernels that check and split chunks: 0 portable C, 1 AVX2, 2 AVX-512 (g2l_split.h)."""
        return self.c.simd

    @simd.setter
    def simd(self, int level):
        """Choose the kernels (tests, benchmarks); clamped to what this CPU runs."""
        self.c.simd = max(0, min(level, g2l_split_simd_available()))


def correlate_edges(const int64_t[::1] a, const int64_t[::1] b, const int64_t[::1] edges):
    """Returns (status, hist). Inputs sorted and edges strictly increasing (checked by the caller)."""
    cdef int st = g2l_edges_check(_i64(edges), edges.shape[0])
    if st != G2L_OK:
        return st, None
    hist = np.zeros(edges.shape[0] - 1, dtype=np.int64)
    cdef int64_t[::1] h = hist
    with nogil:
        st = g2l_correlate_edges(_i64(a), a.shape[0], _i64(b), b.shape[0], &edges[0], edges.shape[0], &h[0])
    return st, hist


cdef object _history_array(g2l_history *h):
    out = np.empty(h.len, dtype=np.int64)
    cdef int64_t[::1] o = out
    if h.len:
        memcpy(&o[0], h.t + h.start, <size_t>(h.len * 8))
    return out


cdef class EdgeCorrelator:
    cdef g2l_edge_correlator c
    cdef readonly int status

    def __cinit__(self, const uint8_t[::1] pair_a, const uint8_t[::1] pair_b, const int64_t[::1] edges):
        self.status = g2l_edge_correlator_init(&self.c, pair_a.shape[0], _u8(pair_a), _u8(pair_b), _i64(edges),
                                               edges.shape[0])

    def __dealloc__(self):
        g2l_edge_correlator_free(&self.c)

    def update(self, const uint8_t[::1] channel, const int64_t[::1] time_ps):
        cdef int64_t err = -1
        cdef int st
        with nogil:
            st = g2l_edge_correlator_update(&self.c, _u8(channel), _i64(time_ps), time_ps.shape[0], &err)
        return st, err

    def histograms(self):
        cdef int64_t nb = self.c.n_edges - 1
        out = np.empty((self.c.n_pairs, nb), dtype=np.int64)
        cdef int64_t[:, ::1] o = out
        memcpy(&o[0, 0], self.c.hist, <size_t>(self.c.n_pairs * nb * 8))
        return out

    def channel_state(self, int k):
        """(count, first, last, head times, tail times) of channel k (0 <= k < 64, checked by the caller)."""
        return (self.c.counts[k], self.c.first[k], self.c.last[k], _history_array(&self.c.head[k]),
                _history_array(&self.c.past[k]))

    def clear(self):
        g2l_edge_correlator_clear(&self.c)

    @property
    def n_tags(self):
        return self.c.n_tags

    @property
    def last_time(self):
        return self.c.last_time


cdef class Coincidences:
    cdef g2l_coinc c
    cdef readonly int status

    def __cinit__(self, const uint64_t[::1] sets, int64_t window_ps):
        self.status = g2l_coinc_init(&self.c, sets.shape[0], &sets[0] if sets.shape[0] else NULL, window_ps)

    def __dealloc__(self):
        g2l_coinc_free(&self.c)

    def update(self, const uint8_t[::1] channel, const int64_t[::1] time_ps):
        cdef int64_t err = -1
        cdef int st
        with nogil:
            st = g2l_coinc_update(&self.c, _u8(channel), _i64(time_ps), time_ps.shape[0], &err)
        return st, err

    def counts(self):
        return np.array([self.c.counts[k] for k in range(self.c.n_sets)], dtype=np.int64)

    def clear(self):
        g2l_coinc_clear(&self.c)

    @property
    def last_time(self):
        return self.c.last_time


cdef class Anchored:
    cdef g2l_anchored h
    cdef readonly int status

    def __cinit__(self, bint g3, uint8_t anchor, uint8_t x, uint8_t y, int64_t bin_width_ps, int64_t n_bins,
                  int64_t offset_ps):
        self.status = g2l_anchored_init(&self.h, g3, anchor, x, y, bin_width_ps, n_bins, offset_ps)

    def __dealloc__(self):
        g2l_anchored_free(&self.h)

    def update(self, const uint8_t[::1] channel, const int64_t[::1] time_ps):
        cdef int64_t err = -1
        cdef int st
        with nogil:
            st = g2l_anchored_update(&self.h, _u8(channel), _i64(time_ps), time_ps.shape[0], &err)
        return st, err

    def flush(self):
        g2l_anchored_flush(&self.h)

    def counts(self):
        """(closed anchors, with x, with y, with both, pending anchors)."""
        return self.h.n_anchor, self.h.n_x, self.h.n_y, self.h.n_xy, self.h.pending.len

    def histogram(self):
        cdef int64_t n = self.h.n_bins
        out = np.empty((n, n), dtype=np.int64)
        cdef int64_t[:, ::1] o = out
        if self.h.hist != NULL:
            memcpy(&o[0, 0], self.h.hist, <size_t>(n * n * 8))
        else:
            out[:] = 0
        return out

    def clear(self):
        g2l_anchored_clear(&self.h)

    @property
    def last_time(self):
        return self.h.last_time


# ---------------------------------------------------------------------------------------------
# pulsed mode

cdef class PulsedCounter:
    cdef g2l_pulsed p
    cdef readonly int status

    def __cinit__(self, uint8_t sync_channel, int64_t max_photons, int64_t window_ps, int divider_log2=0,
                  int avg_log2=8, bint keep_period_counts=True):
        self.status = g2l_pulsed_init(&self.p, sync_channel, max_photons, window_ps, divider_log2, avg_log2)
        if self.status == 0:
            g2l_pulsed_keep_period_counts(&self.p, keep_period_counts)

    def __dealloc__(self):
        g2l_pulsed_free(&self.p)

    cdef dict _outputs(self):
        pn = np.array([self.p.photon_number[k] for k in range(self.p.max_photons + 1)], dtype=np.int64)
        return {
            "period_counts": _buf_array(&self.p.period_counts, np.uint16),
            "photon_number": pn,
            "heralded": _buf_array(&self.p.heralds, HERALD_DTYPE),
            "pre_sync": self.p.pre_sync,
            "out_of_window": self.p.out_of_window,
        }

    def update(self, const uint8_t[::1] channel, const int64_t[::1] time_ps):
        """Returns (status, err_index, outputs of this call)."""
        cdef int64_t err = -1
        cdef int st
        g2l_pulsed_begin(&self.p)
        with nogil:
            st = g2l_pulsed_update(&self.p, _u8(channel), _i64(time_ps), time_ps.shape[0], &err)
        return st, err, self._outputs()

    def update_periodic(self, const uint8_t[::1] channel, const int64_t[::1] time_ps, int64_t s0, int64_t q,
                        int64_t n_sync):
        """Photons only, syncs s0 + j q (j < n_sync): returns (status, err_index, outputs)."""
        cdef int64_t err = -1
        cdef int st
        g2l_pulsed_begin(&self.p)
        with nogil:
            st = g2l_pulsed_update_periodic(&self.p, _u8(channel), _i64(time_ps), time_ps.shape[0], s0, q,
                                            n_sync, &err)
        return st, err, self._outputs()

    def flush(self):
        g2l_pulsed_begin(&self.p)
        st = g2l_pulsed_flush(&self.p)
        return st, self._outputs()

    def clear(self):
        g2l_pulsed_clear(&self.p)

    @property
    def n_syncs(self):
        return self.p.n_rec

    @property
    def open(self):
        return bool(self.p.open)

    @property
    def period_q8(self):
        return g2l_pulsed_period_q8(&self.p)


# ---------------------------------------------------------------------------------------------
# conditional sync filter

cdef class SyncFilter:
    cdef g2l_sync_filter f

    def __cinit__(self, uint8_t sync_channel, bint enable):
        g2l_sync_filter_init(&self.f, sync_channel, enable)

    def run(self, const uint8_t[::1] channel, const int64_t[::1] time_ps):
        """Returns (channel, time_ps) of the filtered stream."""
        cdef int64_t n = time_ps.shape[0], k
        och = np.empty(n + 1, dtype=np.uint8)
        ot = np.empty(n + 1, dtype=np.int64)
        cdef uint8_t[::1] ochv = och
        cdef int64_t[::1] otv = ot
        with nogil:
            k = g2l_sync_filter_run(&self.f, _u8(channel), _i64(time_ps), n, &ochv[0], &otv[0])
        return och[:k], ot[:k]

    def set_enable(self, bint enable):
        self.f.enable = enable

    @property
    def filtered(self):
        return self.f.filtered

    @property
    def held(self):
        return bool(self.f.held)


# ---------------------------------------------------------------------------------------------
# front-end, rates, trace

cdef class Frontend:
    cdef g2l_frontend_state f
    cdef readonly int status
    cdef readonly int64_t err_index

    def __cinit__(self, const int64_t[::1] dead_time_ps, const int64_t[::1] delay_ps, uint64_t enable_mask):
        self.err_index = -1
        self.status = g2l_frontend_init(&self.f, &dead_time_ps[0], &delay_ps[0], enable_mask, &self.err_index)

    def process(self, const uint8_t[::1] channel, const int64_t[::1] time_ps):
        """Returns (status, err_index, channel, time_ps, dead_count), output in stream order."""
        cdef int64_t n = time_ps.shape[0], err = -1, k
        och = np.empty(max(n, 1), dtype=np.uint8)
        ot = np.empty(max(n, 1), dtype=np.int64)
        dead = np.zeros(G2L_N_CHANNELS, dtype=np.int64)
        cdef uint8_t[::1] ochv = och
        cdef int64_t[::1] otv = ot
        cdef int64_t[::1] dv = dead
        with nogil:
            k = g2l_frontend(&self.f, _u8(channel), _i64(time_ps), n, &ochv[0], &otv[0], &dv[0], &err)
        if k < 0:
            return k, err, None, None, None
        och, ot = och[:k], ot[:k]
        perm = np.empty(max(k, 1), dtype=np.int64)
        cdef int64_t[::1] pv = perm
        cdef const uint8_t[::1] cch = och
        cdef const int64_t[::1] ctt = ot
        cdef int st
        with nogil:
            st = g2l_merge_order(_u8(cch), _i64(ctt), k, &pv[0])
        if st != G2L_OK:
            raise MemoryError("g2live frontend: out of memory")
        perm = perm[:k]
        return 0, -1, och[perm], ot[perm], dead


def rates(const uint8_t[::1] channel, int64_t n_channels):
    cdef int64_t err = -1
    cdef int st
    counts = np.zeros(max(n_channels, 1), dtype=np.int64)
    cdef int64_t[::1] cv = counts
    with nogil:
        st = g2l_rates(_u8(channel), channel.shape[0], n_channels, &cv[0], &err)
    return st, err, counts[:n_channels]


def trace(const int64_t[::1] time_ps, int64_t bin_width_ps, int64_t t0_ps, int64_t n_bins):
    """Returns (hist, outside)."""
    cdef int64_t outside
    hist = np.zeros(max(n_bins, 1), dtype=np.int64)
    cdef int64_t[::1] hv = hist
    with nogil:
        outside = g2l_trace(_i64(time_ps), time_ps.shape[0], bin_width_ps, t0_ps, n_bins, &hv[0])
    return hist[:n_bins], outside


# ---------------------------------------------------------------------------------------------
# photon-physics emulator kernels (cext/src/g2l_emulate.c), used by g2live.emulator. Every call
# takes a 64-bit seed drawn from the emulator's numpy Generator, so runs are reproducible.


EMU_TABLE_MISFIT = g2l_emu_init()  # ziggurat tables, built once at import (self-check ~1e-12)


def emu_draws(uint64_t seed, int64_t n, int kind):
    """n variates of one generator: kind 0 uniform [0, 1), 1 Exp(1), 2 N(0, 1) (tests of the RNG)."""
    cdef g2l_rng r
    g2l_rng_seed(&r, seed)
    out = np.empty(max(n, 0), dtype=np.float64)
    cdef double[::1] o = out
    cdef int64_t i
    with nogil:
        for i in range(n):
            o[i] = g2l_rng_uniform(&r) if kind == 0 else (g2l_rng_exp(&r) if kind == 1 else g2l_rng_normal(&r))
    return out


def emu_bernoulli(uint64_t seed, double p, int64_t n, int64_t cap_hint):
    """Sorted indices of the successes of n Bernoulli(p) trials."""
    cdef g2l_rng r
    g2l_rng_seed(&r, seed)
    cdef int64_t pos = -1, w, cap = max(cap_hint, 16), filled = 0
    out = np.empty(cap, dtype=np.int64)
    cdef int64_t[::1] o
    while True:
        o = out
        with nogil:
            w = g2l_emu_bernoulli(&r, p, n, &pos, cap - filled, &o[filled])
        filled += w
        if pos >= n:
            return out[:filled]
        cap *= 2
        out = np.concatenate((out[:filled], np.empty(cap - filled, dtype=np.int64)))


def emu_jitter(uint64_t seed, int64_t n, double sigma_ps, double clip_sigma, double tail_fraction, double tail_ps):
    cdef g2l_rng r
    g2l_rng_seed(&r, seed)
    cdef g2l_emu_jitter_par j = g2l_emu_jitter_par(sigma_ps, clip_sigma, tail_fraction, tail_ps)
    out = np.empty(max(n, 0), dtype=np.float32)
    cdef float[::1] o = out
    if n > 0:
        with nogil:
            g2l_emu_jitter(&r, &j, n, &o[0])
    return out


cdef int _detect_par(g2l_emu_detect_par *d, tuple det, const double[::1] channel_delay_ps) except -1:
    """det = (spectro, split, centre_ev (X, BX), sigma_ev, urbach_ev, e_lo_ev, pixel_ev, n_pixels,
    jitter sigma_ps, clip_sigma, tail_fraction, tail_ps)."""
    (spectro, split, centre, sigma, urbach, e_lo, pixel, n_pixels, j_sigma, j_clip, j_frac, j_tail) = det
    if channel_delay_ps.shape[0] < (n_pixels if spectro else 2):
        raise ValueError("g2live emulator: one channel delay per detector is needed")
    d.spectro = spectro
    d.split = split
    for k in range(2):
        d.centre_ev[k], d.sigma_ev[k], d.urbach_ev[k] = centre[k], sigma[k], urbach[k]
    d.e_lo_ev, d.pixel_ev, d.n_pixels = e_lo, pixel, n_pixels
    d.jitter = g2l_emu_jitter_par(j_sigma, j_clip, j_frac, j_tail)
    d.channel_delay_ps = &channel_delay_ps[0]
    return 0


def emu_detect(uint64_t seed, tuple det, const double[::1] channel_delay_ps, const int64_t[::1] base,
               const double[::1] delay, const uint8_t[::1] kind):
    """(tag time, channel) of each photon that lands on a detector, in input order."""
    cdef g2l_rng r
    g2l_rng_seed(&r, seed)
    cdef g2l_emu_detect_par d
    _detect_par(&d, det, channel_delay_ps)
    cdef int64_t n = base.shape[0], w = 0
    if delay.shape[0] != n or kind.shape[0] != n:
        raise ValueError("g2live emulator: base, delay and kind differ in length")
    t = np.empty(n, dtype=np.int64)
    ch = np.empty(n, dtype=np.uint8)
    cdef int64_t[::1] tv = t
    cdef uint8_t[::1] cv = ch
    if n:
        with nogil:
            w = g2l_emu_detect(&r, &d, n, &base[0], &delay[0], &kind[0], &tv[0], &cv[0])
    return t[:w], ch[:w]


cdef enum:
    EMU_MAX_STATES = 3  # rows of the cascade table: blinking states (g2live.emulator.blinking)


def emu_pulsed(uint64_t seed, const double[:, ::1] cascade, tuple det, const double[::1] channel_delay_ps,
               const int64_t[::1] seg_first, const int64_t[::1] seg_len, const uint8_t[::1] seg_state,
               int64_t origin_ps, int64_t period_ps, int64_t cap_hint):
    """Tags (time, channel) of the detected photons of the segments' pulses, in pulse order, and the
    number of photons that missed the array. cascade[state] = (p_any, c0, c1, c2, tau_x_ps, tau_bx_ps)."""
    cdef g2l_rng r
    g2l_rng_seed(&r, seed)
    cdef g2l_emu_detect_par d
    _detect_par(&d, det, channel_delay_ps)
    cdef g2l_emu_cascade cas[EMU_MAX_STATES]
    cdef int64_t k, n_seg = seg_first.shape[0]
    if cascade.shape[0] > EMU_MAX_STATES or cascade.shape[1] != 6 or seg_len.shape[0] != n_seg or seg_state.shape[0] != n_seg:
        raise ValueError("g2live emulator: inconsistent segment or cascade arrays")
    for k in range(n_seg):
        if seg_state[k] >= cascade.shape[0]:
            raise ValueError("g2live emulator: segment state without cascade parameters")
    for k in range(cascade.shape[0]):
        cas[k] = g2l_emu_cascade(cascade[k, 0], cascade[k, 1], cascade[k, 2], cascade[k, 3], cascade[k, 4],
                                 cascade[k, 5])
    cdef int64_t cursor[2]
    cursor[0], cursor[1] = 0, -1
    cdef int64_t w, filled = 0, cap = max(cap_hint, 16), off_array = 0
    t = np.empty(cap, dtype=np.int64)
    ch = np.empty(cap, dtype=np.uint8)
    cdef int64_t[::1] tv
    cdef uint8_t[::1] cv
    while n_seg:
        tv, cv = t, ch
        with nogil:
            w = g2l_emu_pulsed(&r, cas, &d, &seg_first[0], &seg_len[0], &seg_state[0], n_seg, origin_ps, period_ps,
                               cursor, cap - filled, &tv[filled], &cv[filled], &off_array)
        filled += w
        if cursor[0] >= n_seg:
            break
        cap *= 2
        t = np.concatenate((t[:filled], np.empty(cap - filled, dtype=np.int64)))
        ch = np.concatenate((ch[:filled], np.empty(cap - filled, dtype=np.uint8)))
    return t[:filled], ch[:filled], off_array


def emu_resolve(const int64_t[::1] t, const uint8_t[::1] ch, const int64_t[::1] xt, const uint8_t[::1] xch,
                const int64_t[::1] xparent, int64_t dead_ps):
    """(accepted primaries, present extras, accepted extras) as bool arrays."""
    cdef int64_t n = t.shape[0], m = xt.shape[0]
    acc_p = np.empty(n, dtype=np.bool_)
    pres_x = np.empty(m, dtype=np.bool_)
    acc_x = np.empty(m, dtype=np.bool_)
    cdef uint8_t[::1] a = acc_p.view(np.uint8)
    cdef uint8_t[::1] px = pres_x.view(np.uint8)
    cdef uint8_t[::1] ax = acc_x.view(np.uint8)
    cdef uint8_t dummy = 0
    cdef int st
    with nogil:
        st = g2l_emu_resolve(_i64(t), _u8(ch), n, _i64(xt), _u8(xch), _i64(xparent), m, dead_ps,
                             &a[0] if n else &dummy, &px[0] if m else &dummy, &ax[0] if m else &dummy)
    if st != G2L_OK:
        raise MemoryError("g2live emulator dead-time resolution: out of memory")
    return acc_p, pres_x, acc_x


def emu_merge_sync(const int64_t[::1] t, const uint8_t[::1] ch, int64_t s0, int64_t q, int64_t n_sync,
                   uint8_t sync_ch):
    cdef int64_t n = t.shape[0]
    out_t = np.empty(n + n_sync, dtype=np.int64)
    out_c = np.empty(n + n_sync, dtype=np.uint8)
    cdef int64_t[::1] ot = out_t
    cdef uint8_t[::1] oc = out_c
    if n + n_sync:
        with nogil:
            g2l_emu_merge_sync(_i64(t), _u8(ch), n, s0, q, n_sync, sync_ch, &ot[0], &oc[0])
    return out_t, out_c


def emu_sort_nearly(int64_t[::1] t, uint8_t[::1] ch, int64_t max_moves):
    """Sort (t, ch) in place by (time, channel) if that takes at most max_moves moves: the number of
    moves, or -1 (the arrays are then permuted but not sorted)."""
    if ch.shape[0] != t.shape[0]:
        raise ValueError("g2live emulator: t and ch differ in length")
    cdef int64_t r = 0
    if t.shape[0]:
        with nogil:
            r = g2l_emu_sort_nearly(&t[0], &ch[0], t.shape[0], max_moves)
    return r


def emu_merge(const int64_t[::1] ta, const uint8_t[::1] ca, const int64_t[::1] tb, const uint8_t[::1] cb):
    """Merge two (time, channel)-sorted tag lists."""
    cdef int64_t na = ta.shape[0], nb = tb.shape[0]
    if ca.shape[0] != na or cb.shape[0] != nb:
        raise ValueError("g2live emulator: times and channels differ in length")
    out_t = np.empty(na + nb, dtype=np.int64)
    out_c = np.empty(na + nb, dtype=np.uint8)
    cdef int64_t[::1] ot = out_t
    cdef uint8_t[::1] oc = out_c
    if na + nb:
        with nogil:
            g2l_emu_merge(_i64(ta), _u8(ca), na, _i64(tb), _u8(cb), nb, &ot[0], &oc[0])
    return out_t, out_c


# ---------------------------------------------------------------------------------------------
# carry-chain TDC twin (cext/src/g2l_tdc.c): encoder, calibration table, its online schedule, the
# zero-time line. Self-contained block: its own extern declarations and cimports; used by g2live.tdc.

from libc.stdint cimport int32_t as _tdc_i32, uint32_t as _tdc_u32

cdef extern from "g2l_tdc.h":
    ctypedef struct g2l_tdc_cal:
        _tdc_i32 period_ps, code_w, nom_bin_ps, log2_hits, use_nominal, enable
        int64_t collect_from, n, swap_at, n_tables, last_cycle
        _tdc_i32 bank, valid
    int g2l_tdc_encode(const uint8_t *sample, int64_t n_samples, _tdc_i32 n_chains, _tdc_i32 taps_per_chain,
                       _tdc_i32 *code, uint8_t *flags) nogil
    int g2l_tdc_cal_table(const _tdc_u32 *hist, _tdc_i32 n_codes, _tdc_i32 log2_hits, _tdc_i32 period_ps,
                          uint16_t *table) nogil
    uint16_t g2l_tdc_nominal(_tdc_i32 code, _tdc_i32 period_ps, _tdc_i32 nom_bin_ps) nogil
    _tdc_i32 g2l_tdc_ideal_code(_tdc_i32 fine_ps, _tdc_i32 period_ps, _tdc_i32 nom_bin_ps) nogil
    void g2l_tdc_quantize(const int64_t *time_ps, int64_t n, _tdc_i32 period_ps, _tdc_i32 nom_bin_ps,
                          int64_t phase_ps, int64_t *out) nogil
    int g2l_tdc_cal_init(g2l_tdc_cal *c, _tdc_i32 period_ps, _tdc_i32 code_w, _tdc_i32 nom_bin_ps,
                         _tdc_i32 log2_hits, _tdc_i32 enable, _tdc_i32 use_nominal, int64_t collect_from) nogil
    void g2l_tdc_cal_free(g2l_tdc_cal *c) nogil
    int g2l_tdc_cal_run(g2l_tdc_cal *c, const int64_t *cycle, const uint16_t *code, int64_t n, uint16_t *fine,
                        int64_t *err_index) nogil
    void g2l_tdc_cal_advance(g2l_tdc_cal *c, int64_t cycle) nogil
    void g2l_tdc_cal_restart(g2l_tdc_cal *c, int64_t cycle) nogil
    uint16_t g2l_tdc_cal_entry(const g2l_tdc_cal *c, _tdc_i32 code) nogil


def tdc_encode(const uint8_t[:, ::1] sample, int n_chains):
    """(codes int32, flags uint8) of consecutive snapshots (rows: chain-major taps, 0/1)."""
    cdef int64_t n = sample.shape[0]
    cdef int64_t per = sample.shape[1]
    if per % n_chains:
        raise ValueError("tdc_encode: taps are not a multiple of n_chains")
    codes = np.zeros(n, dtype=np.int32)
    flags = np.zeros(n, dtype=np.uint8)
    cdef _tdc_i32[::1] cv = codes
    cdef uint8_t[::1] fv = flags
    cdef int st = 0
    if n:
        with nogil:
            st = g2l_tdc_encode(&sample[0, 0], n, n_chains, <_tdc_i32>(per // n_chains), &cv[0], &fv[0])
    if st:
        raise ValueError(f"tdc_encode: bad geometry ({n_chains} chains of {per // n_chains} taps)")
    return codes, flags


def tdc_cal_table(const _tdc_u32[::1] hist, int log2_hits, int period_ps):
    table = np.zeros(hist.shape[0], dtype=np.uint16)
    cdef uint16_t[::1] tv = table
    cdef int st
    with nogil:
        st = g2l_tdc_cal_table(&hist[0], <_tdc_i32>hist.shape[0], log2_hits, period_ps, &tv[0])
    if st:
        raise ValueError("tdc_cal_table: bad arguments")
    return table


def tdc_nominal(const _tdc_i32[::1] code, int period_ps, int nom_bin_ps):
    out = np.empty(code.shape[0], dtype=np.uint16)
    cdef uint16_t[::1] o = out
    cdef int64_t i
    with nogil:
        for i in range(code.shape[0]):
            o[i] = g2l_tdc_nominal(code[i], period_ps, nom_bin_ps)
    return out


def tdc_ideal_code(const _tdc_i32[::1] fine_ps, int period_ps, int nom_bin_ps):
    out = np.empty(fine_ps.shape[0], dtype=np.int32)
    cdef _tdc_i32[::1] o = out
    cdef int64_t i
    with nogil:
        for i in range(fine_ps.shape[0]):
            o[i] = g2l_tdc_ideal_code(fine_ps[i], period_ps, nom_bin_ps)
    return out


def tdc_quantize(const int64_t[::1] time_ps, int period_ps, int nom_bin_ps, int64_t phase_ps):
    out = np.empty(time_ps.shape[0], dtype=np.int64)
    cdef int64_t[::1] o = out
    if time_ps.shape[0]:
        with nogil:
            g2l_tdc_quantize(&time_ps[0], time_ps.shape[0], period_ps, nom_bin_ps, phase_ps, &o[0])
    return out


cdef class TdcCal:
    """The calibration engine of one TDC channel, clock for clock (g2l_tdc_calib)."""

    cdef g2l_tdc_cal c
    cdef int ready

    def __cinit__(self, int period_ps, int code_w, int nom_bin_ps, int log2_hits, bint enable, bint use_nominal,
                  int64_t collect_from):
        self.ready = 0
        st = g2l_tdc_cal_init(&self.c, period_ps, code_w, nom_bin_ps, log2_hits, enable, use_nominal, collect_from)
        if st == -2:
            raise MemoryError("TdcCal: out of memory")
        if st:
            raise ValueError("TdcCal: bad parameters")
        self.ready = 1

    def __dealloc__(self):
        if self.ready:
            g2l_tdc_cal_free(&self.c)

    def run(self, const int64_t[::1] cycle, const uint16_t[::1] code):
        """Fine times of hits (cycle, code) at the engine's input; (fine, status, error index)."""
        cdef int64_t n = cycle.shape[0], err = -1
        fine = np.zeros(n, dtype=np.uint16)
        cdef uint16_t[::1] fv = fine
        cdef int st = 0
        if n:
            with nogil:
                st = g2l_tdc_cal_run(&self.c, &cycle[0], &code[0], n, &fv[0], &err)
        return fine, st, err

    def advance(self, int64_t cycle):
        g2l_tdc_cal_advance(&self.c, cycle)

    def restart(self, int64_t cycle):
        g2l_tdc_cal_restart(&self.c, cycle)

    def table(self):
        """The active table (2**code_w entries)."""
        cdef _tdc_i32 k, nc = 1 << self.c.code_w
        out = np.empty(nc, dtype=np.uint16)
        cdef uint16_t[::1] o = out
        for k in range(nc):
            o[k] = g2l_tdc_cal_entry(&self.c, k)
        return out

    def set_inputs(self, bint enable, bint use_nominal):
        """cal_enable / use_nominal from the next hit on."""
        self.c.enable = enable
        self.c.use_nominal = use_nominal

    @property
    def state(self):
        return {"enable": bool(self.c.enable), "use_nominal": bool(self.c.use_nominal), "bank": self.c.bank, "valid": bool(self.c.valid), "n_tables": self.c.n_tables, "n": self.c.n,
                "swap_at": self.c.swap_at, "collect_from": self.c.collect_from}


# =============================================================================================
# File records (g2live.io): declarations and bindings of cext/src/g2l_records.h, kept together
# in this one block.

from libc.stdint cimport uint32_t

cdef extern from "g2l_records.h":
    int G2L_REC_PH_T2, G2L_REC_PH_T3, G2L_REC_HH_T2, G2L_REC_HH_T3, G2L_REC_SPC
    ctypedef struct g2l_rec_marker:
        int64_t record, time_ps
        uint8_t marker
    ctypedef struct g2l_rec_decoder:
        int threads
        int64_t par_min
        int64_t offset, next_record, last_time
        int unsorted
        int64_t records, overflows, markers, syncs, invalid, gaps
        uint64_t present
        int64_t err_index, err_value
        g2l_buf marker_buf
    int g2l_rec_init(g2l_rec_decoder *d, int layout, int version, int n_channels, int64_t max_ticks,
                     int64_t unit_whole, double unit_frac, int64_t micro_whole, double micro_frac,
                     int micro_table) nogil
    void g2l_rec_free(g2l_rec_decoder *d) nogil
    void g2l_rec_begin(g2l_rec_decoder *d) nogil
    int64_t g2l_rec_decode(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *channel,
                           int64_t *time_ps, int64_t *sync_index, int64_t *microtime_ps) nogil
    int g2l_qutag_decode(const uint8_t *raw, int64_t n, int max_channel, uint8_t *channel, int64_t *time_ps,
                         uint64_t *present, int64_t *first_unsorted, int64_t *err_index,
                         int64_t *err_value) nogil
    int g2l_stream_order(const int64_t *time_ps, const uint8_t *channel, int64_t n, int64_t max_shifts,
                         int64_t *perm) nogil
    int64_t g2l_apply_order(int64_t *perm, int64_t n, uint8_t *channel, int64_t *time_ps, int64_t *sync_index,
                            int64_t *microtime_ps) nogil

REC_PH_T2 = G2L_REC_PH_T2
REC_PH_T3 = G2L_REC_PH_T3
REC_HH_T2 = G2L_REC_HH_T2
REC_HH_T3 = G2L_REC_HH_T3
REC_SPC = G2L_REC_SPC
# Matches g2l_rec_marker: index of the marker record in the file, its time, its marker bits.
REC_MARKER_DTYPE = np.dtype({"names": ["record", "time_ps", "marker"], "formats": [np.int64, np.int64, np.uint8],
                             "offsets": [0, 8, 16], "itemsize": 24})


cdef class RecordDecoder:
    """One file's records in file order (state carried across calls); see g2live.io._records."""
    cdef g2l_rec_decoder d
    cdef readonly int status
    cdef readonly bint t3

    def __cinit__(self, int layout, int version, int n_channels, int64_t max_ticks, int64_t unit_whole,
                  double unit_frac, int64_t micro_whole, double micro_frac, bint micro_table=False):
        self.status = g2l_rec_init(&self.d, layout, version, n_channels, max_ticks, unit_whole, unit_frac,
                                   micro_whole, micro_frac, micro_table)
        self.t3 = layout in (G2L_REC_PH_T3, G2L_REC_HH_T3, G2L_REC_SPC)

    def __dealloc__(self):
        g2l_rec_free(&self.d)

    def decode(self, const uint32_t[::1] rec, uint8_t[::1] channel, int64_t[::1] time_ps,
               int64_t[::1] sync_index, int64_t[::1] microtime_ps, int64_t start):
        """Decode ``rec`` into the outputs from index ``start`` (T2: sync_index and microtime_ps
        None). Returns (photons written or a negative status, err_index, err_value)."""
        cdef int64_t n = rec.shape[0], k
        cdef int64_t *sp = NULL
        cdef int64_t *mp = NULL
        if start < 0 or channel.shape[0] - start < n or time_ps.shape[0] - start < n:
            raise ValueError("g2live record decoder: outputs too short")
        if self.t3:
            if sync_index is None or microtime_ps is None or sync_index.shape[0] - start < n \
                    or microtime_ps.shape[0] - start < n:
                raise ValueError("g2live record decoder: T3 outputs missing or too short")
        g2l_rec_begin(&self.d)
        if n == 0:
            return 0, -1, 0
        if self.t3:
            sp, mp = &sync_index[start], &microtime_ps[start]
        with nogil:
            k = g2l_rec_decode(&self.d, &rec[0], n, &channel[start], &time_ps[start], sp, mp)
        return k, self.d.err_index, self.d.err_value

    def markers(self):
        """The markers of the last call (REC_MARKER_DTYPE)."""
        return _buf_array(&self.d.marker_buf, REC_MARKER_DTYPE)

    def counters(self):
        return {"records": self.d.records, "overflow_records": self.d.overflows,
                "marker_records": self.d.markers, "sync_records": self.d.syncs,
                "invalid_records": self.d.invalid, "gap_records": self.d.gaps}

    @property
    def threads(self):
        """Threads a large call may use (segments decoded at once, the same result)."""
        return self.d.threads

    @threads.setter
    def threads(self, int value):
        self.d.threads = max(1, value)

    @property
    def par_min(self):
        """Records per thread at least (tests lower it to split small calls)."""
        return self.d.par_min

    @par_min.setter
    def par_min(self, int64_t value):
        self.d.par_min = max(1, value)

    @property
    def in_order(self):
        """Whether every photon so far came in stream order (time, then channel)."""
        return not self.d.unsorted

    @property
    def present(self):
        """Bit mask of the photon channels 0..63 decoded so far (T2 syncs: see sync_records)."""
        return self.d.present

    @property
    def offset(self):
        return self.d.offset

    @property
    def last_time(self):
        return self.d.last_time


def qutag_decode(const uint8_t[::1] raw, int max_channel, uint8_t[::1] channel, int64_t[::1] time_ps):
    """quTAG 10-byte records into channel/time_ps -> (status, err_index, err_value, present,
    first_unsorted)."""
    cdef int64_t n = raw.shape[0] // 10, err_index = -1, err_value = 0, first_unsorted = -1
    cdef uint64_t present = 0
    cdef int st = G2L_OK
    if channel.shape[0] < n or time_ps.shape[0] < n:
        raise ValueError("qutag_decode: outputs too short")
    if n:
        with nogil:
            st = g2l_qutag_decode(&raw[0], n, max_channel, &channel[0], &time_ps[0], &present, &first_unsorted,
                                  &err_index, &err_value)
    return st, err_index, err_value, present, first_unsorted


def stream_order_nearly(const int64_t[::1] time_ps, const uint8_t[::1] channel, int64_t max_shifts):
    """Stable permutation into (time, channel) order by insertion sort, or None when it would take
    more than max_shifts moves (the events are not nearly in order)."""
    cdef int64_t n = time_ps.shape[0]
    cdef int r = 0
    if channel.shape[0] != n:
        raise ValueError("stream_order_nearly: time_ps and channel differ in length")
    perm = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] pv = perm
    if n:
        with nogil:
            r = g2l_stream_order(&time_ps[0], &channel[0], n, max_shifts, &pv[0])
    return None if r else perm


def apply_order(int64_t[::1] perm, uint8_t[::1] channel, int64_t[::1] time_ps, int64_t[::1] sync_index=None,
                int64_t[::1] microtime_ps=None):
    """Reorder the arrays in place (out[i] = in[perm[i]]); perm is overwritten. Returns the number
    of positions that changed."""
    cdef int64_t n = perm.shape[0], moved = 0
    cdef int64_t *sp = NULL
    cdef int64_t *mp = NULL
    if channel.shape[0] != n or time_ps.shape[0] != n \
            or (sync_index is not None and sync_index.shape[0] != n) \
            or (microtime_ps is not None and microtime_ps.shape[0] != n):
        raise ValueError("apply_order: arrays differ in length")
    if n == 0:
        return 0
    if sync_index is not None:
        sp = &sync_index[0]
    if microtime_ps is not None:
        mp = &microtime_ps[0]
    with nogil:
        moved = g2l_apply_order(&perm[0], n, &channel[0], &time_ps[0], sp, mp)
    return moved
