// SPDX-License-Identifier: BSD-3-Clause
/* Correlation over arbitrary bin edges (log-binned, Laurence et al., Opt. Lett. 31, 829 (2006)):
 * docs/semantics.md "Log-binned correlation". */
#ifndef G2L_EDGES_H
#define G2L_EDGES_H

#include "g2l_common.h"
#include "g2l_correlate.h"

/* G2L_OK, or G2L_ERR_ARG when n_edges < 2 or the edges are not strictly increasing. */
int g2l_edges_check(const int64_t *edges, int64_t n_edges);

/* Add to hist[n_edges - 1] the number of pairs with edges[k] <= b - a < edges[k + 1] (a, b
 * non-decreasing; exact over the whole int64 range). Returns G2L_OK. */
int g2l_correlate_edges(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const int64_t *edges,
                        int64_t n_edges, int64_t *hist);

/* The same pairs counted from the b side: one pass over b with one pointer per edge into a. */
int g2l_correlate_edges_rev(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const int64_t *edges,
                            int64_t n_edges, int64_t *hist);

/* ---- streaming over one merged stream, several channel pairs ---- */

typedef struct {
    int64_t n_pairs;
    uint8_t *pair_a;
    uint8_t *pair_b;
    int64_t n_edges;
    int64_t *edges;
    uint64_t keep;         /* a tag older than the newest by keep or more can no longer pair */
    int64_t tail;          /* tags within tail of their channel's last tag are kept (normalisation) */
    int64_t *hist;         /* [n_pairs * (n_edges - 1)] */
    g2l_history past[G2L_N_CHANNELS];
    g2l_history head[G2L_N_CHANNELS]; /* a channel's tags within edges[n_edges-1] of its first */
    uint8_t used[G2L_N_CHANNELS];
    int64_t *scratch;
    int64_t scratch_cap;
    int64_t last_time;     /* INT64_MIN before the first tag */
    int64_t n_tags;        /* tags seen since the last clear */
    int64_t counts[G2L_N_CHANNELS];  /* tags per channel since the last clear */
    int64_t first[G2L_N_CHANNELS];   /* first and last tag time per channel (valid when counts > 0) */
    int64_t last[G2L_N_CHANNELS];
} g2l_edge_correlator;

int g2l_edge_correlator_init(g2l_edge_correlator *c, int64_t n_pairs, const uint8_t *pair_a,
                             const uint8_t *pair_b, const int64_t *edges, int64_t n_edges);
void g2l_edge_correlator_free(g2l_edge_correlator *c);
/* Feed tags in stream order; G2L_OK, or G2L_ERR_CHANNEL / G2L_ERR_UNSORTED with *err_index (then
 * nothing of this call was processed), or G2L_ERR_NOMEM. */
int g2l_edge_correlator_update(g2l_edge_correlator *c, const uint8_t *channel, const int64_t *time_ps,
                               int64_t n, int64_t *err_index);
/* Full reset: histograms, counters, head and tail. */
void g2l_edge_correlator_clear(g2l_edge_correlator *c);

#endif /* G2L_EDGES_H */
