// SPDX-License-Identifier: BSD-3-Clause
/* Correlation over arbitrary bin edges: docs/semantics.md "Log-binned correlation".
 *
 * Exact pair counting over arbitrary edges (as Laurence et al., Opt. Lett. 31, 829 (2006)), so any
 * span of lags (1 ns .. 10 s) is counted, not the coarsened time of a multi-tau correlator. Per
 * edge e, S(e) = #pairs with b - a < e is one branch-free merge of a + e with b (Laurence's
 * pointer per edge, summed); bin k is S(e_{k+1}) - S(e_k). Cost O(n_edges * (na + partners
 * span)), no data-dependent branch per tag. The streaming correlator counts
 * each pair when its later tag arrives (like g2l_correlator): new x new, past a x new b (anchored
 * on the new b, so the cost follows the chunk, not the 10 s of history) and new a x past b.
 */
#include "g2l_edges.h"

#include <stdlib.h>
#include <string.h>

int g2l_edges_check(const int64_t *edges, int64_t n_edges) {
    if (n_edges < 2) return G2L_ERR_ARG;
    for (int64_t k = 1; k < n_edges; k++)
        if (edges[k] <= edges[k - 1]) return G2L_ERR_ARG;
    return G2L_OK;
}

static int64_t lower_bound(const int64_t *x, int64_t n, int64_t thr) {
    int64_t l = 0, h = n;
    while (l < h) {
        int64_t m = l + (h - l) / 2;
        if (x[m] < thr) l = m + 1; else h = m;
    }
    return l;
}

static int64_t upper_bound(const int64_t *x, int64_t n, int64_t thr) {
    int64_t l = 0, h = n;
    while (l < h) {
        int64_t m = l + (h - l) / 2;
        if (x[m] <= thr) l = m + 1; else h = m;
    }
    return l;
}

/* One merge step of count_below's fast path (state i, j, s; see there). */
#define BELOW_STEP(i, j, s, e)                              \
    do {                                                    \
        const int64_t adv_ = b[j] < a[i] + (e);             \
        (s) += (uint64_t)(1 - adv_) * (uint64_t)(j);        \
        (j) += adv_;                                        \
        (i) += 1 - adv_;                                    \
    } while (0)

/* sum over i of #{j : b[j] < a[i] + e} (pairs with b - a < e), modulo 2**64.
 * A branch-free merge that starts at a[0]'s partner (binary search), so it walks all of a and
 * only the part of b up to a[na-1] + e. a + e is exact: when it leaves int64 for some a[i] the
 * count of that a[i] is 0 (below) or nb (above), decided per element on the slow path. */
static uint64_t count_below(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int64_t e) {
    int64_t t0, t1;
    if (__builtin_add_overflow(a[0], e, &t0) || __builtin_add_overflow(a[na - 1], e, &t1)) {
        uint64_t s = 0;
        for (int64_t i = 0, j = 0; i < na; i++) {
            int64_t thr;
            if (__builtin_add_overflow(a[i], e, &thr)) {
                s += e > 0 ? (uint64_t)nb : 0;
                continue;
            }
            while (j < nb && b[j] < thr) j++;
            s += (uint64_t)j;
        }
        return s;
    }
    int64_t i = 0, j = lower_bound(b, nb, t0);
    uint64_t s = 0;
    while (i < na && j < nb) BELOW_STEP(i, j, s, e);
    return s + (uint64_t)(na - i) * (uint64_t)j;
}

/* sum over j of #{i : a[i] <= b[j] - e} (pairs with b - a >= e), modulo 2**64; the mirror of
 * count_below, walking all of b and the part of a from b[0] - e on. */
static uint64_t count_atleast(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int64_t e) {
    int64_t t0, t1;
    if (__builtin_sub_overflow(b[0], e, &t0) || __builtin_sub_overflow(b[nb - 1], e, &t1)) {
        uint64_t s = 0;
        for (int64_t j = 0, i = 0; j < nb; j++) {
            int64_t thr;
            if (__builtin_sub_overflow(b[j], e, &thr)) {
                s += e < 0 ? (uint64_t)na : 0;
                continue;
            }
            while (i < na && a[i] <= thr) i++;
            s += (uint64_t)i;
        }
        return s;
    }
    int64_t j = 0, i = upper_bound(a, na, t0);
    uint64_t s = 0;
    while (j < nb && i < na) {
        const int64_t adv = a[i] <= b[j] - e;
        s += (uint64_t)(1 - adv) * (uint64_t)i;
        i += adv;
        j += 1 - adv;
    }
    return s + (uint64_t)(nb - j) * (uint64_t)i;
}

/* S(e[0..3]) at once: four independent merges interleaved keep the core busy (each alone is
 * bound by the load-compare-advance latency), as in g2l_correlate.c. Fast path only. */
static void count_below4(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const int64_t *e,
                         uint64_t *out) {
    int64_t i0 = 0, i1 = 0, i2 = 0, i3 = 0;
    int64_t j0 = lower_bound(b, nb, a[0] + e[0]), j1 = lower_bound(b, nb, a[0] + e[1]);
    int64_t j2 = lower_bound(b, nb, a[0] + e[2]), j3 = lower_bound(b, nb, a[0] + e[3]);
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    while ((i0 < na) & (i1 < na) & (i2 < na) & (i3 < na) & (j0 < nb) & (j1 < nb) & (j2 < nb) & (j3 < nb)) {
        BELOW_STEP(i0, j0, s0, e[0]);
        BELOW_STEP(i1, j1, s1, e[1]);
        BELOW_STEP(i2, j2, s2, e[2]);
        BELOW_STEP(i3, j3, s3, e[3]);
    }
    while (i0 < na && j0 < nb) BELOW_STEP(i0, j0, s0, e[0]);
    while (i1 < na && j1 < nb) BELOW_STEP(i1, j1, s1, e[1]);
    while (i2 < na && j2 < nb) BELOW_STEP(i2, j2, s2, e[2]);
    while (i3 < na && j3 < nb) BELOW_STEP(i3, j3, s3, e[3]);
    out[0] = s0 + (uint64_t)(na - i0) * (uint64_t)j0;
    out[1] = s1 + (uint64_t)(na - i1) * (uint64_t)j1;
    out[2] = s2 + (uint64_t)(na - i2) * (uint64_t)j2;
    out[3] = s3 + (uint64_t)(na - i3) * (uint64_t)j3;
}

static int fits(const int64_t *a, int64_t na, int64_t e) {
    int64_t t;
    return !__builtin_add_overflow(a[0], e, &t) && !__builtin_add_overflow(a[na - 1], e, &t);
}

/* hist[k] = S(e_{k+1}) - S(e_k) with S(e) the pairs below e: exact, since the true difference
 * is a count below 2**63 and the sums are taken modulo 2**64. */
int g2l_correlate_edges(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const int64_t *edges,
                        int64_t n_edges, int64_t *hist) {
    if (na == 0 || nb == 0) return G2L_OK;
    uint64_t prev = 0, cur[4];
    for (int64_t k = 0; k < n_edges;) {
        int64_t m = 1;
        if (k + 4 <= n_edges && fits(a, na, edges[k]) && fits(a, na, edges[k + 3])) {
            count_below4(a, na, b, nb, edges + k, cur);
            m = 4;
        } else {
            cur[0] = count_below(a, na, b, nb, edges[k]);
        }
        for (int64_t q = 0; q < m; q++, k++) {
            if (k) hist[k - 1] += (int64_t)(cur[q] - prev);
            prev = cur[q];
        }
    }
    return G2L_OK;
}

/* The same counts from the b side: hist[k] = R(e_k) - R(e_{k+1}), R(e) the pairs at or above e. */
int g2l_correlate_edges_rev(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const int64_t *edges,
                            int64_t n_edges, int64_t *hist) {
    if (na == 0 || nb == 0) return G2L_OK;
    uint64_t prev = count_atleast(a, na, b, nb, edges[0]);
    for (int64_t k = 1; k < n_edges; k++) {
        const uint64_t cur = count_atleast(a, na, b, nb, edges[k]);
        hist[k - 1] += (int64_t)(prev - cur);
        prev = cur;
    }
    return G2L_OK;
}

/* ---- streaming ---- */

int g2l_edge_correlator_init(g2l_edge_correlator *c, int64_t n_pairs, const uint8_t *pair_a,
                             const uint8_t *pair_b, const int64_t *edges, int64_t n_edges) {
    memset(c, 0, sizeof(*c));
    c->last_time = INT64_MIN;
    if (n_pairs <= 0 || g2l_edges_check(edges, n_edges) != G2L_OK) return G2L_ERR_ARG;
    for (int64_t p = 0; p < n_pairs; p++)
        if (pair_a[p] >= G2L_N_CHANNELS || pair_b[p] >= G2L_N_CHANNELS) return G2L_ERR_CHANNEL;
    c->pair_a = malloc((size_t)n_pairs);
    c->pair_b = malloc((size_t)n_pairs);
    c->edges = malloc((size_t)n_edges * sizeof(int64_t));
    c->hist = calloc((size_t)(n_pairs * (n_edges - 1)), sizeof(int64_t));
    if (!c->pair_a || !c->pair_b || !c->edges || !c->hist) {
        g2l_edge_correlator_free(c);
        return G2L_ERR_NOMEM;
    }
    c->n_pairs = n_pairs;
    c->n_edges = n_edges;
    memcpy(c->edges, edges, (size_t)n_edges * sizeof(int64_t));
    for (int64_t p = 0; p < n_pairs; p++) {
        c->pair_a[p] = pair_a[p];
        c->pair_b[p] = pair_b[p];
        c->used[pair_a[p]] = c->used[pair_b[p]] = 1;
    }
    /* An older tag t0 pairs with a later tag t only while t - t0 < e_last (t0 on a) or
     * t0 - t >= e_0 (t0 on b): forgotten once t - t0 >= max(e_last, 1 - e_0). */
    __int128 lo = edges[0], hi = edges[n_edges - 1];
    __int128 keep = hi > 1 - lo ? hi : 1 - lo;
    if (keep < 1) keep = 1;
    c->keep = keep > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)keep;
    c->tail = hi > 0 ? (int64_t)hi : 0;
    return G2L_OK;
}

void g2l_edge_correlator_free(g2l_edge_correlator *c) {
    free(c->pair_a);
    free(c->pair_b);
    free(c->edges);
    free(c->hist);
    free(c->scratch);
    for (int k = 0; k < G2L_N_CHANNELS; k++) {
        free(c->past[k].t);
        free(c->head[k].t);
    }
    memset(c, 0, sizeof(*c));
}

/* Forget tags that can neither pair with a tag at or after now (now - t >= keep) nor lie within
 * tail of their channel's last tag (kept for the normalisation's end counts). */
static void prune(g2l_history *h, int64_t now, uint64_t keep, int64_t last, int64_t tail) {
    const int64_t *t = h->t + h->start;
    int64_t lo = 0, hi = h->len;
    while (lo < hi) {
        int64_t m = lo + (hi - lo) / 2;
        int gone = (uint64_t)now - (uint64_t)t[m] >= keep && (uint64_t)last - (uint64_t)t[m] >= (uint64_t)tail;
        if (gone) lo = m + 1; else hi = m;
    }
    h->start += lo;
    h->len -= lo;
    if (!h->len) h->start = 0;
}

/* Append the tags of one channel that lie within tail of its first tag. */
static int head_add(g2l_edge_correlator *c, int k, const int64_t *t, int64_t n) {
    if (!c->tail) return G2L_OK;
    int64_t m = 0;
    while (m < n && (uint64_t)t[m] - (uint64_t)c->first[k] < (uint64_t)c->tail) m++;
    return m ? g2l_history_append(&c->head[k], t, m) : G2L_OK;
}

static int channel_add(g2l_edge_correlator *c, int k, const int64_t *t, int64_t n, int64_t now) {
    if (n) {
        if (!c->counts[k]) c->first[k] = t[0];
        c->counts[k] += n;
        c->last[k] = t[n - 1];
        if (head_add(c, k, t, n) != G2L_OK || g2l_history_append(&c->past[k], t, n) != G2L_OK) return G2L_ERR_NOMEM;
    }
    if (c->counts[k]) prune(&c->past[k], now, c->keep, c->last[k], c->tail);
    return G2L_OK;
}

static int pair_add(g2l_edge_correlator *c, int64_t p, const int64_t *an, int64_t na, const int64_t *bn,
                     int64_t nb) {
    const uint8_t a = c->pair_a[p], b = c->pair_b[p];
    const int64_t nbins = c->n_edges - 1, *e = c->edges;
    int64_t *h = c->hist + p * nbins;
    const g2l_history *ap = &c->past[a], *bp = &c->past[b];
    if (g2l_correlate_edges(an, na, bn, nb, e, c->n_edges, h) != G2L_OK) return G2L_ERR_NOMEM;
    if (a == b && na && e[0] <= 0 && 0 < e[nbins]) { /* the na self-pairs at d = 0 */
        int64_t k = 0;
        while (e[k + 1] <= 0) k++;
        h[k] -= na;
    }
    if (g2l_correlate_edges_rev(ap->t + ap->start, ap->len, bn, nb, e, c->n_edges, h) != G2L_OK) return G2L_ERR_NOMEM;
    return g2l_correlate_edges(an, na, bp->t + bp->start, bp->len, e, c->n_edges, h);
}

static int edge_add(g2l_edge_correlator *c, const uint8_t *channel, const int64_t *time_ps, int64_t n) {
    if (n == 0) return G2L_OK;
    int64_t cnt[G2L_N_CHANNELS] = {0}, off[G2L_N_CHANNELS], pos[G2L_N_CHANNELS];
    for (int64_t i = 0; i < n; i++) cnt[channel[i]]++;
    int64_t total = 0;
    for (int k = 0; k < G2L_N_CHANNELS; k++) {
        off[k] = pos[k] = total;
        if (c->used[k]) total += cnt[k];
    }
    c->n_tags += n;
    if (total > c->scratch_cap) {
        int64_t *p = realloc(c->scratch, (size_t)total * sizeof(int64_t));
        if (!p) return G2L_ERR_NOMEM;
        c->scratch = p;
        c->scratch_cap = total;
    }
    for (int64_t i = 0; i < n; i++)
        if (c->used[channel[i]]) c->scratch[pos[channel[i]]++] = time_ps[i];
    for (int64_t p = 0; p < c->n_pairs; p++) {
        const uint8_t a = c->pair_a[p], b = c->pair_b[p];
        if (pair_add(c, p, c->scratch + off[a], cnt[a], c->scratch + off[b], cnt[b]) != G2L_OK) return G2L_ERR_NOMEM;
    }
    const int64_t now = time_ps[n - 1];
    for (int k = 0; k < G2L_N_CHANNELS; k++)
        if (c->used[k] && channel_add(c, k, c->scratch + off[k], cnt[k], now) != G2L_OK) return G2L_ERR_NOMEM;
    c->last_time = now;
    return G2L_OK;
}

int g2l_edge_correlator_update(g2l_edge_correlator *c, const uint8_t *channel, const int64_t *time_ps,
                               int64_t n, int64_t *err_index) {
    int64_t last = c->last_time;
    for (int64_t i = 0; i < n; i++) {
        int status = channel[i] >= G2L_N_CHANNELS ? G2L_ERR_CHANNEL : time_ps[i] < last ? G2L_ERR_UNSORTED : G2L_OK;
        if (status != G2L_OK) {
            *err_index = i;
            return status;
        }
        last = time_ps[i];
    }
    int st = edge_add(c, channel, time_ps, n);
    if (st != G2L_OK) *err_index = 0;
    return st;
}

void g2l_edge_correlator_clear(g2l_edge_correlator *c) {
    memset(c->hist, 0, (size_t)(c->n_pairs * (c->n_edges - 1)) * sizeof(int64_t));
    memset(c->counts, 0, sizeof(c->counts));
    for (int k = 0; k < G2L_N_CHANNELS; k++) {
        c->past[k].len = c->past[k].start = 0;
        c->head[k].len = c->head[k].start = 0;
    }
    c->last_time = INT64_MIN;
    c->n_tags = 0;
}
