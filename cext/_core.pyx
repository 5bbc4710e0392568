# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Thin binding of the g2live C core (cext/src). Validation and friendly errors live in
g2live.core; this module only moves contiguous numpy buffers in and out with the GIL released.
Functions that can fail return a status (0 or a negative G2L_ERR_* code) and the offending index.
"""

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint64_t
from libc.string cimport memcpy

import numpy as np

cimport numpy as cnp

cnp.import_array()


cdef extern from "g2l_common.h":
    ctypedef struct g2l_buf:
        void *data
        int64_t len
        size_t item
    ctypedef struct g2l_herald:
        pass
    int G2L_N_CHANNELS, G2L_N_CAUSES
    int G2L_OK, G2L_ERR_NOMEM, G2L_ERR_CHANNEL, G2L_ERR_TIME, G2L_ERR_UNSORTED, G2L_ERR_OVERFLOW, G2L_ERR_ARG

cdef extern from "g2l_codec.h":
    int G2L_MALFORMED_KEEP
    int64_t G2L_MAX_EPOCH
    ctypedef struct g2l_encoder:
        int64_t epoch
    void g2l_encoder_init(g2l_encoder *e) nogil
    int64_t g2l_encode_count(const g2l_encoder *e, const uint8_t *channel, const int64_t *time_ps,
                             int64_t n, int64_t *err_index) nogil
    int64_t g2l_encode(g2l_encoder *e, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                       uint64_t *out) nogil
    ctypedef struct g2l_frame:
        int64_t frame_kind, index, length, payload_start
    ctypedef struct g2l_decoder:
        int64_t epoch, last_time, offset
        int herald_pending, in_frame
        int64_t n_tags, malformed, out_of_order, rollovers
        int64_t malformed_offsets[16]
        int64_t lost[4096]
        g2l_buf markers, heralds, frames, payload
    void g2l_decoder_init(g2l_decoder *d) nogil
    void g2l_decoder_free(g2l_decoder *d) nogil
    void g2l_decoder_begin(g2l_decoder *d) nogil
    int64_t g2l_decode(g2l_decoder *d, const uint64_t *words, int64_t n, uint8_t *out_channel,
                       int64_t *out_time) nogil
    void g2l_decoder_finish(g2l_decoder *d) nogil

cdef extern from "g2l_correlate.h":
    int64_t G2L_MAX_WINDOW_PS
    ctypedef struct g2l_window:
        int64_t n_bins
    int g2l_window_init(g2l_window *w, int64_t bin_width_ps, int64_t n_bins, int64_t offset_ps) nogil
    int64_t g2l_first_unsorted(const int64_t *x, int64_t n) nogil
    void g2l_correlate(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const g2l_window *w,
                       int64_t *hist) nogil
    ctypedef struct g2l_correlator:
        int64_t n_pairs
        int64_t *hist
        int64_t last_time, n_tags
        int64_t counts[64]
        g2l_window w
    int g2l_correlator_init(g2l_correlator *c, int64_t n_pairs, const uint8_t *pair_a,
                            const uint8_t *pair_b, int64_t bin_width_ps, int64_t n_bins,
                            int64_t offset_ps) nogil
    void g2l_correlator_free(g2l_correlator *c) nogil
    int g2l_correlator_update(g2l_correlator *c, const uint8_t *channel, const int64_t *time_ps,
                              int64_t n, int64_t *err_index) nogil
    void g2l_correlator_swap(g2l_correlator *c) nogil
    void g2l_correlator_clear(g2l_correlator *c) nogil

cdef extern from "g2l_pulsed.h":
    ctypedef struct g2l_pulsed:
        int64_t max_photons, window_ps, last_time, n_syncs, pre_sync, out_of_window
        int open
        int64_t *photon_number
        g2l_buf period_counts, heralds
    int g2l_pulsed_init(g2l_pulsed *p, uint8_t sync_channel, int64_t max_photons, int64_t window_ps) nogil
    void g2l_pulsed_free(g2l_pulsed *p) nogil
    void g2l_pulsed_begin(g2l_pulsed *p) nogil
    int g2l_pulsed_update(g2l_pulsed *p, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                          int64_t *err_index) nogil
    int g2l_pulsed_flush(g2l_pulsed *p) nogil
    void g2l_pulsed_clear(g2l_pulsed *p) nogil

cdef extern from "g2l_frontend.h":
    ctypedef struct g2l_frontend_state:
        pass
    int g2l_frontend_init(g2l_frontend_state *f, const int64_t *dead_time_ps, const int64_t *delay_ps,
                          uint64_t enable_mask, int64_t *err_index) nogil
    int64_t g2l_frontend(g2l_frontend_state *f, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                         uint8_t *out_channel, int64_t *out_time, int64_t *dead_count,
                         int64_t *err_index) nogil
    int g2l_merge_order(const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t *perm) nogil
    int g2l_rates(const uint8_t *channel, int64_t n, int64_t n_channels, int64_t *counts,
                  int64_t *err_index) nogil
    int64_t g2l_trace(const int64_t *time_ps, int64_t n, int64_t bin_width_ps, int64_t t0_ps,
                      int64_t n_bins, int64_t *hist) nogil


ERR_NOMEM = G2L_ERR_NOMEM
ERR_CHANNEL = G2L_ERR_CHANNEL
ERR_TIME = G2L_ERR_TIME
ERR_UNSORTED = G2L_ERR_UNSORTED
ERR_OVERFLOW = G2L_ERR_OVERFLOW
ERR_ARG = G2L_ERR_ARG
MALFORMED_KEEP = G2L_MALFORMED_KEEP
MAX_EPOCH = G2L_MAX_EPOCH
MAX_WINDOW_PS = G2L_MAX_WINDOW_PS

# Matches g2l_herald (g2l_common.h): field order as documented, offsets as laid out in C.
HERALD_DTYPE = np.dtype({
    "names": ["period", "channel_first", "delay_first_ps", "channel_second", "delay_second_ps"],
    "formats": [np.int64, np.uint8, np.int64, np.uint8, np.int64],
    "offsets": [0, 24, 8, 25, 16],
    "itemsize": 32,
})
# Matches g2l_marker: (marker, time_ps) with the marker number read from the low byte of its int64.
FRAME_DTYPE = np.dtype([("frame_kind", np.int64), ("index", np.int64), ("length", np.int64),
                        ("payload_start", np.int64)])
MARKER_DTYPE = np.dtype({"names": ["marker", "time_ps"], "formats": [np.uint8, np.int64], "offsets": [8, 0],
                         "itemsize": 16})

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


# ---------------------------------------------------------------------------------------------
# pulsed mode

cdef class PulsedCounter:
    cdef g2l_pulsed p
    cdef readonly int status

    def __cinit__(self, uint8_t sync_channel, int64_t max_photons, int64_t window_ps):
        self.status = g2l_pulsed_init(&self.p, sync_channel, max_photons, window_ps)

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

    def flush(self):
        g2l_pulsed_begin(&self.p)
        st = g2l_pulsed_flush(&self.p)
        return st, self._outputs()

    def clear(self):
        g2l_pulsed_clear(&self.p)

    @property
    def n_syncs(self):
        return self.p.n_syncs

    @property
    def open(self):
        return bool(self.p.open)


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
