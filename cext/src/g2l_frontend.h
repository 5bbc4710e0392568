// SPDX-License-Identifier: BSD-3-Clause
/* Channel front-end, rates and trace: docs/semantics.md "Channel front-end" and "Rates and trace". */
#ifndef G2L_FRONTEND_H
#define G2L_FRONTEND_H

#include "g2l_common.h"

/* Streaming front-end state: settings and, per channel, the last accepted and last raw time. */
typedef struct {
    int64_t dead_time_ps[G2L_N_CHANNELS];
    int64_t delay_ps[G2L_N_CHANNELS];
    uint64_t enable_mask;
    int64_t last_accepted[G2L_N_CHANNELS];
    int64_t last_raw[G2L_N_CHANNELS];
    uint8_t seen[G2L_N_CHANNELS]; /* an edge of this channel was accepted before */
} g2l_frontend_state;

/* G2L_OK, or G2L_ERR_ARG with *err_index = channel when a dead time is negative. */
int g2l_frontend_init(g2l_frontend_state *f, const int64_t *dead_time_ps, const int64_t *delay_ps,
                      uint64_t enable_mask, int64_t *err_index);

/* Enable mask, dead time on raw times, then signed delay (per channel). Accepted tags are written
 * to out_* in input order (room for n); the caller merges them into stream order. dead_count
 * [64] is incremented. Returns the number written, or (state unchanged) G2L_ERR_CHANNEL,
 * G2L_ERR_UNSORTED (raw times of an enabled channel decrease, also across calls) or
 * G2L_ERR_OVERFLOW (time + delay of an enabled edge) with *err_index. */
int64_t g2l_frontend(g2l_frontend_state *f, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                     uint8_t *out_channel, int64_t *out_time, int64_t *dead_count, int64_t *err_index);

/* Merge per-channel sorted tags into stream order (time, then channel): a stable index order
 * perm[n] built with a k-way merge. Returns G2L_OK or G2L_ERR_NOMEM. */
int g2l_merge_order(const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t *perm);

/* counts[c] += tags on channel c; G2L_ERR_CHANNEL with *err_index when c >= n_channels. */
int g2l_rates(const uint8_t *channel, int64_t n, int64_t n_channels, int64_t *counts, int64_t *err_index);

/* hist[k] += events with floor((t - t0) / w) == k for 0 <= k < n_bins; returns the number of
 * events outside [t0, t0 + n_bins * w) (they are not binned). */
int64_t g2l_trace(const int64_t *time_ps, int64_t n, int64_t bin_width_ps, int64_t t0_ps, int64_t n_bins,
                  int64_t *hist);

#endif /* G2L_FRONTEND_H */
