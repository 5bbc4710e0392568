// SPDX-License-Identifier: BSD-3-Clause
/* Correlation histogram: docs/semantics.md "Correlation histogram" and "Integrations". */
#ifndef G2L_CORRELATE_H
#define G2L_CORRELATE_H

#include "g2l_common.h"

/* Largest window n_bins * bin_width_ps: keeps d - lo of an in-window pair inside uint64 with room. */
#define G2L_MAX_WINDOW_PS ((int64_t)1 << 62)

/* The window [lo, lo + n_bins * bin_width_ps) of one histogram. */
typedef struct {
    __int128 lo;
    __int128 hi;
    uint64_t width;  /* hi - lo */
    int64_t n_bins;
    g2l_divider div;
} g2l_window;

/* G2L_OK, or G2L_ERR_ARG when bin_width_ps <= 0, n_bins <= 0 or the window exceeds G2L_MAX_WINDOW_PS. */
int g2l_window_init(g2l_window *w, int64_t bin_width_ps, int64_t n_bins, int64_t offset_ps);

/* First index i with x[i] < x[i-1], or -1 when x is non-decreasing. */
int64_t g2l_first_unsorted(const int64_t *x, int64_t n);

/* Add the all-pairs histogram of d = b - a (a, b non-decreasing) to hist[n_bins]. */
void g2l_correlate(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const g2l_window *w,
                   int64_t *hist);

/* ---- streaming correlator over one merged stream ---- */

/* The recent tags of one channel that can still pair with later tags: t[start .. start + len). */
typedef struct {
    int64_t *t;
    int64_t start;
    int64_t len;
    int64_t cap;
} g2l_history;

/* Append n times at the back (reclaiming the forgotten front, growing by doubling). */
int g2l_history_append(g2l_history *h, const int64_t *t, int64_t n);

typedef struct {
    int64_t n_pairs;
    uint8_t *pair_a;
    uint8_t *pair_b;
    g2l_window w;
    uint64_t keep;         /* a tag older than the newest by keep or more can no longer pair */
    int64_t *hist;         /* [n_pairs * n_bins] */
    g2l_history past[G2L_N_CHANNELS];
    uint8_t used[G2L_N_CHANNELS]; /* channel appears in a pair */
    uint8_t used_list[G2L_N_CHANNELS]; /* those channels, ascending */
    int n_used;
    int simd;              /* kernel level of the chunk splitter (g2l_split.h: none, AVX2, AVX-512) */
    int64_t *scratch;      /* this chunk's tags, split by channel */
    int64_t scratch_cap;
    int64_t last_time;     /* INT64_MIN before the first tag */
    int64_t n_tags;        /* tags seen since the last clear */
    int64_t counts[G2L_N_CHANNELS]; /* tags per channel in the current integration */
    /* the state at the start of an update, restored when a later block of it is bad */
    int64_t *undo_hist;
    int64_t undo_counts[G2L_N_CHANNELS];
    int64_t undo_n_tags, undo_last_time;
    g2l_history undo_past[G2L_N_CHANNELS];
} g2l_correlator;

int g2l_correlator_init(g2l_correlator *c, int64_t n_pairs, const uint8_t *pair_a, const uint8_t *pair_b,
                        int64_t bin_width_ps, int64_t n_bins, int64_t offset_ps);
void g2l_correlator_free(g2l_correlator *c);
/* Feed tags in stream order; G2L_OK, or G2L_ERR_CHANNEL / G2L_ERR_UNSORTED with *err_index (then
 * nothing of this call was processed), or G2L_ERR_NOMEM. */
int g2l_correlator_update(g2l_correlator *c, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                          int64_t *err_index);
/* Integration boundary: zero the histograms and per-integration counts, keep the tag history. */
void g2l_correlator_swap(g2l_correlator *c);
/* Full reset: histograms, counters and the tag history. */
void g2l_correlator_clear(g2l_correlator *c);

#endif /* G2L_CORRELATE_H */
