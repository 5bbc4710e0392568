// SPDX-License-Identifier: BSD-3-Clause
/* Coincidence counters and conditioned correlations: docs/semantics.md "Coincidences",
 * "Heralded g2" and "Third-order g3". All streaming over one merged, time-ordered stream. */
#ifndef G2L_COINC_H
#define G2L_COINC_H

#include "g2l_common.h"
#include "g2l_correlate.h"

/* ---- N-fold coincidences ----
 * For each tag j (the closing tag) and each set S containing its channel, count one coincidence
 * of S when every other channel of S has a tag before j in stream order within window_ps
 * (t_j - t_i <= window_ps). Only the latest tag per channel matters, so the state is 64 times. */
typedef struct {
    int64_t n_sets;
    uint64_t *sets;       /* channel bit masks, >= 2 channels each */
    int64_t window_ps;
    int64_t *counts;      /* [n_sets] */
    int64_t latest[G2L_N_CHANNELS];
    uint64_t seen;        /* channels with a latest time */
    int64_t last_time;
} g2l_coinc;

int g2l_coinc_init(g2l_coinc *c, int64_t n_sets, const uint64_t *sets, int64_t window_ps);
void g2l_coinc_free(g2l_coinc *c);
int g2l_coinc_update(g2l_coinc *c, const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t *err_index);
void g2l_coinc_clear(g2l_coinc *c);

/* ---- anchored windows: heralded g2 and g3 ----
 * Each tag of the anchor channel opens the window [t + lo, t + hi) on channels x and y (three
 * distinct channels). An anchor is closed once the stream has passed t + hi (a later tag at or
 * beyond it) or at flush; then
 *   heralded: n_anchor++, x in window -> n_x++, y -> n_y++, both -> n_xy++;
 *   g3: every x tag and y tag in the window add one to hist[(tx - t - lo) / bw][(ty - t - lo) / bw]. */
typedef struct {
    uint8_t anchor, x, y;
    int g3;                /* 0: heralded counts, 1: g3 histogram */
    int64_t lo, hi;        /* window relative to the anchor, hi - lo <= G2L_MAX_WINDOW_PS */
    int64_t bin_width_ps, n_bins;
    g2l_history pending;   /* anchor times not yet closed */
    g2l_history hx, hy;    /* x and y tags that a pending or later anchor can still reach */
    int64_t n_anchor, n_x, n_y, n_xy;
    int64_t *hist;         /* g3: [n_bins * n_bins] */
    int64_t last_time;
} g2l_anchored;

/* heralded: window [offset_ps, offset_ps + window_ps); g3: n_bins bins of bin_width_ps with bin
 * n_bins / 2 starting at offset_ps (as g2l_window). G2L_ERR_ARG / G2L_ERR_CHANNEL / G2L_ERR_NOMEM. */
int g2l_anchored_init(g2l_anchored *h, int g3, uint8_t anchor, uint8_t x, uint8_t y, int64_t bin_width_ps,
                      int64_t n_bins, int64_t offset_ps);
void g2l_anchored_free(g2l_anchored *h);
int g2l_anchored_update(g2l_anchored *h, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                        int64_t *err_index);
/* Close every pending anchor with the tags seen so far (end of the record). */
void g2l_anchored_flush(g2l_anchored *h);
void g2l_anchored_clear(g2l_anchored *h);

#endif /* G2L_COINC_H */
