# SPDX-License-Identifier: BSD-3-Clause
# C declarations of the g2live core (cext/src/*.h) for its binding ``_core.pyx``, which takes
# them all (``from g2l_core cimport *``; setup.py puts cext/ on Cython's include path).
#
# One ``cdef extern from`` block per header of cext/src, in the same order, with the header's own
# names and nothing else. Array sizes are the headers' constants, declared as ``enum`` (never a
# copied number): a header that changes a size changes it here too. The tag-word and register
# constants (g2l_contract.h, generated from hw/spec) reach Python through ``g2live.contract``.
#
# Adding C functions: declare them in the block of their header (a new header gets a new block at
# the end), mark them ``nogil``, then wrap them in ``_core.pyx`` and type the wrapper in
# host/g2live/_core.pyi.

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint64_t


cdef extern from "g2l_common.h":
    enum:
        G2L_N_CHANNELS  # 6-bit channel field
        G2L_N_CAUSES  # 6-bit LOST.cause field
    enum:
        G2L_OK
        G2L_ERR_NOMEM
        G2L_ERR_CHANNEL
        G2L_ERR_TIME
        G2L_ERR_UNSORTED
        G2L_ERR_OVERFLOW
        G2L_ERR_ARG
    ctypedef struct g2l_buf:
        void *data
        int64_t len
        size_t item
    ctypedef struct g2l_herald:
        int64_t period
        int64_t delay_first_ps
        int64_t delay_second_ps
        uint8_t channel_first
        uint8_t channel_second


cdef extern from "g2l_codec.h":
    enum:
        G2L_MALFORMED_KEEP
    int64_t G2L_MAX_EPOCH
    ctypedef struct g2l_encoder:
        int64_t epoch
    void g2l_encoder_init(g2l_encoder *e) nogil
    int64_t g2l_encode_count(const g2l_encoder *e, const uint8_t *channel, const int64_t *time_ps,
                             int64_t n, int64_t *err_index) nogil
    int64_t g2l_encode(g2l_encoder *e, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                       uint64_t *out) nogil
    ctypedef struct g2l_marker:
        int64_t time_ps
        int64_t marker
    ctypedef struct g2l_frame:
        int64_t frame_kind, index, length, payload_start
    ctypedef struct g2l_decoder:
        int64_t epoch, last_time, offset
        int herald_pending, in_frame
        int64_t n_tags, malformed, out_of_order, rollovers
        int64_t malformed_offsets[G2L_MALFORMED_KEEP]
        int64_t lost[G2L_N_CHANNELS * G2L_N_CAUSES]
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
    ctypedef struct g2l_history:
        int64_t *t
        int64_t start, len
    ctypedef struct g2l_correlator:
        int64_t n_pairs
        int64_t *hist
        int64_t last_time, n_tags
        int64_t counts[G2L_N_CHANNELS]
        g2l_window w
        int simd
    int g2l_correlator_init(g2l_correlator *c, int64_t n_pairs, const uint8_t *pair_a,
                            const uint8_t *pair_b, int64_t bin_width_ps, int64_t n_bins,
                            int64_t offset_ps) nogil
    void g2l_correlator_free(g2l_correlator *c) nogil
    int g2l_correlator_update(g2l_correlator *c, const uint8_t *channel, const int64_t *time_ps,
                              int64_t n, int64_t *err_index) nogil
    void g2l_correlator_swap(g2l_correlator *c) nogil
    void g2l_correlator_clear(g2l_correlator *c) nogil

cdef extern from "g2l_split.h":
    int g2l_split_simd_available() nogil


cdef extern from "g2l_pulsed.h":
    ctypedef struct g2l_pulsed:
        int64_t max_photons, window_ps, last_time, n_rec, pre_sync, out_of_window
        int open
        int64_t *photon_number
        g2l_buf period_counts, heralds
    int g2l_pulsed_init(g2l_pulsed *p, uint8_t sync_channel, int64_t max_photons, int64_t window_ps,
                        int divider_log2, int avg_log2) nogil
    int64_t g2l_pulsed_period_q8(const g2l_pulsed *p) nogil
    void g2l_pulsed_free(g2l_pulsed *p) nogil
    void g2l_pulsed_begin(g2l_pulsed *p) nogil
    void g2l_pulsed_keep_period_counts(g2l_pulsed *p, int keep) nogil
    int g2l_pulsed_update(g2l_pulsed *p, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                          int64_t *err_index) nogil
    int g2l_pulsed_update_periodic(g2l_pulsed *p, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                                   int64_t s0, int64_t q, int64_t n_sync, int64_t *err_index) nogil
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


# photon-physics emulator kernels (used by g2live.emulator)
cdef extern from "g2l_emulate.h":
    enum:
        G2L_EMU_LINES  # X, BX
    ctypedef struct g2l_rng:
        pass  # xoshiro256** state; only the C side touches it
    void g2l_rng_seed(g2l_rng *r, uint64_t seed) nogil
    double g2l_emu_init() nogil
    double g2l_rng_uniform(g2l_rng *r) nogil
    double g2l_rng_exp(g2l_rng *r) nogil
    double g2l_rng_normal(g2l_rng *r) nogil
    int64_t g2l_emu_bernoulli(g2l_rng *r, double p, int64_t n, int64_t *pos, int64_t cap, int64_t *out) nogil
    ctypedef struct g2l_emu_jitter_par:
        double sigma_ps, clip_sigma, tail_fraction, tail_ps
    void g2l_emu_jitter(g2l_rng *r, const g2l_emu_jitter_par *j, int64_t n, float *out) nogil
    ctypedef struct g2l_emu_cascade:
        double p_any, c0, c1, c2, tau_x_ps, tau_bx_ps
    ctypedef struct g2l_emu_detect_par:
        int spectro
        double split
        double centre_ev[G2L_EMU_LINES]
        double sigma_ev[G2L_EMU_LINES]
        double urbach_ev[G2L_EMU_LINES]
        double e_lo_ev, pixel_ev
        int64_t n_pixels
        g2l_emu_jitter_par jitter
        const double *channel_delay_ps
    int64_t g2l_emu_detect(g2l_rng *r, const g2l_emu_detect_par *d, int64_t n, const int64_t *base,
                           const double *delay, const uint8_t *kind, int64_t *out_time, uint8_t *out_channel) nogil
    int64_t g2l_emu_pulsed(g2l_rng *r, const g2l_emu_cascade *cascade, const g2l_emu_detect_par *d,
                           const int64_t *seg_first, const int64_t *seg_len, const uint8_t *seg_state, int64_t n_seg,
                           int64_t origin_ps, int64_t period_ps, int64_t *cursor, int64_t cap, int64_t *out_time,
                           uint8_t *out_channel, int64_t *off_array) nogil
    int g2l_emu_resolve(const int64_t *t, const uint8_t *ch, int64_t n, const int64_t *xt, const uint8_t *xch,
                        const int64_t *xparent, int64_t m, int64_t dead_ps, uint8_t *acc_p, uint8_t *present_x,
                        uint8_t *acc_x) nogil
    void g2l_emu_merge_sync(const int64_t *t, const uint8_t *ch, int64_t n, int64_t s0, int64_t q, int64_t n_sync,
                            uint8_t sync_ch, int64_t *out_t, uint8_t *out_ch) nogil
    int64_t g2l_emu_sort_nearly(int64_t *t, uint8_t *ch, int64_t n, int64_t max_moves) nogil
    void g2l_emu_merge(const int64_t *ta, const uint8_t *ca, int64_t na, const int64_t *tb, const uint8_t *cb,
                       int64_t nb, int64_t *out_t, uint8_t *out_ch) nogil


cdef extern from "g2l_edges.h":
    int g2l_edges_check(const int64_t *edges, int64_t n_edges) nogil
    int g2l_correlate_edges(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const int64_t *edges,
                            int64_t n_edges, int64_t *hist) nogil
    ctypedef struct g2l_edge_correlator:
        int64_t n_pairs, n_edges
        int64_t *hist
        int64_t last_time, n_tags
        int64_t counts[G2L_N_CHANNELS]
        int64_t first[G2L_N_CHANNELS]
        int64_t last[G2L_N_CHANNELS]
        g2l_history past[G2L_N_CHANNELS]
        g2l_history head[G2L_N_CHANNELS]
    int g2l_edge_correlator_init(g2l_edge_correlator *c, int64_t n_pairs, const uint8_t *pair_a,
                                 const uint8_t *pair_b, const int64_t *edges, int64_t n_edges) nogil
    void g2l_edge_correlator_free(g2l_edge_correlator *c) nogil
    int g2l_edge_correlator_update(g2l_edge_correlator *c, const uint8_t *channel, const int64_t *time_ps,
                                   int64_t n, int64_t *err_index) nogil
    void g2l_edge_correlator_clear(g2l_edge_correlator *c) nogil


cdef extern from "g2l_coinc.h":
    ctypedef struct g2l_coinc:
        int64_t n_sets
        int64_t *counts
        int64_t last_time
    int g2l_coinc_init(g2l_coinc *c, int64_t n_sets, const uint64_t *sets, int64_t window_ps) nogil
    void g2l_coinc_free(g2l_coinc *c) nogil
    int g2l_coinc_update(g2l_coinc *c, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                         int64_t *err_index) nogil
    void g2l_coinc_clear(g2l_coinc *c) nogil
    ctypedef struct g2l_anchored:
        int64_t n_bins, n_anchor, n_x, n_y, n_xy, last_time
        int64_t *hist
        g2l_history pending
    int g2l_anchored_init(g2l_anchored *h, int g3, uint8_t anchor, uint8_t x, uint8_t y, int64_t bin_width_ps,
                          int64_t n_bins, int64_t offset_ps) nogil
    void g2l_anchored_free(g2l_anchored *h) nogil
    int g2l_anchored_update(g2l_anchored *h, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                            int64_t *err_index) nogil
    void g2l_anchored_flush(g2l_anchored *h) nogil
    void g2l_anchored_clear(g2l_anchored *h) nogil


cdef extern from "g2l_syncfilter.h":
    ctypedef struct g2l_sync_filter:
        uint8_t sync_channel
        int enable
        int held
        int64_t filtered
    void g2l_sync_filter_init(g2l_sync_filter *f, uint8_t sync_channel, int enable) nogil
    int64_t g2l_sync_filter_run(g2l_sync_filter *f, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                                uint8_t *out_channel, int64_t *out_time) nogil
