// SPDX-License-Identifier: BSD-3-Clause
/* Correlation histogram: docs/semantics.md "Correlation histogram" and "Integrations".
 *
 * correlate() is a merge of the sorted a and b arrays. Each step compares b[j] with a[i]: when
 * b[j] is earlier than the window of a[i] (d < lo), j advances, otherwise a[i] is finished and i
 * advances, with no data-dependent branch (the advance is computed). Four such merges over the
 * quarters of a run interleaved. Only when b[j] falls in the window (rare at photon-counting
 * rates) does a short scan bin the partners of a[i].
 * Differences are int64 when the data span and window allow it and __int128 otherwise, so a
 * difference near the int64 limits never wraps into the window.
 */
#include "g2l_correlate.h"

#include "g2l_split.h"

#include <stdlib.h>
#include <string.h>

#define SAFE ((int64_t)1 << 61)

int g2l_window_init(g2l_window *w, int64_t bin_width_ps, int64_t n_bins, int64_t offset_ps) {
    if (bin_width_ps <= 0 || n_bins <= 0) return G2L_ERR_ARG;
    __int128 width = (__int128)bin_width_ps * n_bins;
    if (width > G2L_MAX_WINDOW_PS) return G2L_ERR_ARG;
    w->lo = (__int128)offset_ps - (__int128)(n_bins / 2) * bin_width_ps;
    w->hi = w->lo + width;
    w->width = (uint64_t)width;
    w->n_bins = n_bins;
    g2l_divider_init(&w->div, (uint64_t)bin_width_ps);
    return G2L_OK;
}

int64_t g2l_first_unsorted(const int64_t *x, int64_t n) {
    /* branch-free pass over blocks (vectorises), then locate the index in the first bad block */
    const int64_t block = 4096;
    for (int64_t s = 1; s < n; s += block) {
        int64_t e = s + block < n ? s + block : n;
        int bad = 0;
        for (int64_t i = s; i < e; i++) bad |= x[i] < x[i - 1];
        if (bad) {
            for (int64_t i = s; i < e; i++)
                if (x[i] < x[i - 1]) return i;
        }
    }
    return -1;
}

/* One merge step for a[i] against b[j] (see the file comment); in-window partners are binned. */
#define FAST_STEP(i, j)                                                                  \
    do {                                                                                 \
        const int64_t ai_ = a[i];                                                        \
        const int64_t d_ = b[j] - ai_;                                                   \
        uint64_t u_ = (uint64_t)(d_ - lo);                                               \
        if (__builtin_expect(u_ < width, 0)) {                                           \
            int64_t k_ = (j);                                                            \
            do {                                                                         \
                hist[g2l_div(&dv, u_)]++;                                                \
                if (++k_ == nb) break;                                                   \
                u_ = (uint64_t)(b[k_] - ai_ - lo);                                       \
            } while (u_ < width);                                                        \
        }                                                                                \
        const int64_t adv_ = d_ < lo;                                                    \
        (j) += adv_;                                                                     \
        (i) += 1 - adv_;                                                                 \
    } while (0)

/* First j with b[j] - x >= lo (differences are exact on the fast path). */
static int64_t first_in_window(const int64_t *b, int64_t nb, int64_t x, int64_t lo) {
    int64_t l = 0, h = nb;
    while (l < h) {
        int64_t m = l + (h - l) / 2;
        if (b[m] - x < lo)
            l = m + 1;
        else
            h = m;
    }
    return l;
}

/* Each merge step depends on the previous one (load, compare, advance), so one merge is bound by
 * that latency. Four independent merges over four quarters of a, interleaved in one loop, keep
 * the core busy (about 1.8x on the benchmark). */
static void correlate_fast(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const g2l_window *w,
                           int64_t *hist) {
    const int64_t lo = (int64_t)w->lo;
    const uint64_t width = w->width;
    const g2l_divider dv = w->div;
    int64_t i0 = 0, i1 = 0, i2 = 0, i3 = 0, e0 = 0, e1 = 0, e2 = 0, e3 = 0;
    int64_t j0 = 0, j1 = 0, j2 = 0, j3 = 0;
    if (na >= 16) {
        e0 = i1 = na / 4;
        e1 = i2 = na / 2;
        e2 = i3 = na - na / 4;
        e3 = na;
        j1 = first_in_window(b, nb, a[i1], lo);
        j2 = first_in_window(b, nb, a[i2], lo);
        j3 = first_in_window(b, nb, a[i3], lo);
        while ((i0 < e0) & (i1 < e1) & (i2 < e2) & (i3 < e3) & (j0 < nb) & (j1 < nb) & (j2 < nb) & (j3 < nb)) {
            FAST_STEP(i0, j0);
            FAST_STEP(i1, j1);
            FAST_STEP(i2, j2);
            FAST_STEP(i3, j3);
        }
        while (i1 < e1 && j1 < nb) FAST_STEP(i1, j1);
        while (i2 < e2 && j2 < nb) FAST_STEP(i2, j2);
        while (i3 < e3 && j3 < nb) FAST_STEP(i3, j3);
    } else {
        e0 = na;
    }
    while (i0 < e0 && j0 < nb) FAST_STEP(i0, j0);
}

static void correlate_wide(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const g2l_window *w,
                           int64_t *hist) {
    const __int128 lo = w->lo;
    const unsigned __int128 width = w->width;
    int64_t i = 0, j = 0;
    while (i < na && j < nb) {
        const __int128 ai = a[i];
        const __int128 d = (__int128)b[j] - ai;
        if ((unsigned __int128)(d - lo) < width) {
            for (int64_t k = j; k < nb; k++) {
                unsigned __int128 u = (unsigned __int128)((__int128)b[k] - ai - lo);
                if (u >= width) break;
                hist[g2l_div(&w->div, (uint64_t)u)]++;
            }
        }
        if (d < lo)
            j++;
        else
            i++;
    }
}

void g2l_correlate(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, const g2l_window *w,
                   int64_t *hist) {
    if (na == 0 || nb == 0) return;
    /* a window entirely beyond every possible difference has no pairs */
    __int128 dmax = (__int128)b[nb - 1] - a[0], dmin = (__int128)b[0] - a[na - 1];
    if (w->lo > dmax || w->hi <= dmin) return;
    int64_t first = a[0] < b[0] ? a[0] : b[0];
    int64_t last = a[na - 1] > b[nb - 1] ? a[na - 1] : b[nb - 1];
    if ((__int128)last - first <= SAFE && w->lo >= -2 * SAFE && w->lo <= 2 * SAFE)
        correlate_fast(a, na, b, nb, w, hist);
    else
        correlate_wide(a, na, b, nb, w, hist);
}

/* ---- streaming correlator ----
 *
 * A chunk's pairs are those whose later tag is in the chunk: for pair (a, b) they are
 * new a x new b, past a x new b and new a x past b, each a correlate() of two sorted arrays
 * (for a == b, new x new without the self-pairs at d = 0). The past holds, per channel, the tags
 * that can still reach a later tag. So every pair is counted exactly once, when its later tag
 * arrives, and any chunk split gives the one-call histograms at correlate() speed. */

int g2l_correlator_init(g2l_correlator *c, int64_t n_pairs, const uint8_t *pair_a, const uint8_t *pair_b,
                        int64_t bin_width_ps, int64_t n_bins, int64_t offset_ps) {
    memset(c, 0, sizeof(*c));
    c->last_time = INT64_MIN;
    if (n_pairs <= 0) return G2L_ERR_ARG;
    int st = g2l_window_init(&c->w, bin_width_ps, n_bins, offset_ps);
    if (st != G2L_OK) return st;
    c->pair_a = malloc((size_t)n_pairs);
    c->pair_b = malloc((size_t)n_pairs);
    c->hist = calloc((size_t)(n_pairs * n_bins), sizeof(int64_t));
    if (!c->pair_a || !c->pair_b || !c->hist) {
        g2l_correlator_free(c);
        return G2L_ERR_NOMEM;
    }
    c->n_pairs = n_pairs;
    for (int64_t p = 0; p < n_pairs; p++) {
        if (pair_a[p] >= G2L_N_CHANNELS || pair_b[p] >= G2L_N_CHANNELS) {
            g2l_correlator_free(c);
            return G2L_ERR_CHANNEL;
        }
        c->pair_a[p] = pair_a[p];
        c->pair_b[p] = pair_b[p];
        c->used[pair_a[p]] = c->used[pair_b[p]] = 1;
    }
    for (int k = 0; k < G2L_N_CHANNELS; k++)
        if (c->used[k]) c->used_list[c->n_used++] = (uint8_t)k;
    c->simd = g2l_split_simd_available();
    /* An older tag t0 pairs with a later tag t only while t - t0 < hi (t0 on a) or t0 - t >= lo
     * (t0 on b), so it can be forgotten once t - t0 >= max(hi, 1 - lo). */
    __int128 keep = c->w.hi > 1 - c->w.lo ? c->w.hi : 1 - c->w.lo;
    if (keep < 1) keep = 1;
    c->keep = keep > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)keep;
    return G2L_OK;
}

void g2l_correlator_free(g2l_correlator *c) {
    free(c->pair_a);
    free(c->pair_b);
    free(c->hist);
    free(c->scratch);
    free(c->undo_hist);
    for (int k = 0; k < G2L_N_CHANNELS; k++) {
        free(c->past[k].t);
        free(c->undo_past[k].t);
    }
    memset(c, 0, sizeof(*c));
}

int g2l_history_append(g2l_history *h, const int64_t *t, int64_t n) {
    if (n == 0) return G2L_OK;
    if (h->start + h->len + n > h->cap) {
        if (h->start) { /* reclaim the forgotten front first */
            memmove(h->t, h->t + h->start, (size_t)h->len * sizeof(int64_t));
            h->start = 0;
        }
        if (h->len + n > h->cap) {
            int64_t cap = h->cap ? h->cap : 256;
            while (cap < h->len + n) cap *= 2;
            int64_t *p = realloc(h->t, (size_t)cap * sizeof(int64_t));
            if (!p) return G2L_ERR_NOMEM;
            h->t = p;
            h->cap = cap;
        }
    }
    memcpy(h->t + h->start + h->len, t, (size_t)n * sizeof(int64_t));
    h->len += n;
    return G2L_OK;
}

/* Forget the tags that no tag at or after `now` can reach (now - t >= keep, exact as unsigned). */
static void history_prune(g2l_history *h, int64_t now, uint64_t keep) {
    const int64_t *t = h->t + h->start;
    int64_t lo = 0, hi = h->len;
    while (lo < hi) {
        int64_t m = lo + (hi - lo) / 2;
        if ((uint64_t)now - (uint64_t)t[m] >= keep)
            lo = m + 1;
        else
            hi = m;
    }
    h->start += lo;
    h->len -= lo;
    if (!h->len) h->start = 0;
}

static int scratch_reserve(g2l_correlator *c, int64_t need) {
    if (need <= c->scratch_cap) return G2L_OK;
    free(c->scratch); /* its content is not kept: no copy */
    c->scratch_cap = 0;
    int64_t *p = malloc((size_t)need * sizeof(int64_t));
    c->scratch = p;
    if (!p) return G2L_ERR_NOMEM;
    c->scratch = p;
    c->scratch_cap = need;
    return G2L_OK;
}

/* Keep, of channel k's new tags t[0 .. n), those a later tag can still reach (now - t < keep). */
static int history_keep(g2l_correlator *c, int k, const int64_t *t, int64_t n, int64_t now) {
    g2l_history *h = &c->past[k];
    int64_t lo = 0, hi = n; /* first new tag still reachable */
    while (lo < hi) {
        int64_t m = lo + (hi - lo) / 2;
        if ((uint64_t)now - (uint64_t)t[m] >= c->keep)
            lo = m + 1;
        else
            hi = m;
    }
    if (lo > 0) h->len = h->start = 0; /* a newer tag of this channel is already out of reach */
    else history_prune(h, now, c->keep);
    return g2l_history_append(h, t + lo, n - lo);
}

/* Split one checked block into c->scratch: channel k's tags at off[k] (cnt[k] of them). */
static int correlator_split(g2l_correlator *c, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                            int64_t *cnt, int64_t *off) {
    memset(off, 0, G2L_N_CHANNELS * sizeof(int64_t));
    if (c->n_used <= G2L_SPLIT_MAX_KEYS) {
        const int64_t stride = n + G2L_SPLIT_SLACK;
        if (scratch_reserve(c, G2L_SPLIT_MAX_KEYS * stride) != G2L_OK) return G2L_ERR_NOMEM;
        g2l_split_few(channel, time_ps, n, c->used_list, c->n_used, c->scratch, stride, cnt, c->simd);
        for (int u = 0; u < c->n_used; u++) off[c->used_list[u]] = u * stride;
        return G2L_OK;
    }
    g2l_count_channels(channel, n, cnt);
    int64_t total = 0;
    for (int k = 0; k < G2L_N_CHANNELS; k++) {
        off[k] = total;
        if (c->used[k]) total += cnt[k];
    }
    if (scratch_reserve(c, total + 1) != G2L_OK) return G2L_ERR_NOMEM; /* + the spare slot */
    g2l_split_all(channel, time_ps, n, c->used, off, total, c->scratch);
    return G2L_OK;
}

/* One checked block: split, correlate new x new, past x new and new x past, keep the history. */
static int correlator_block(g2l_correlator *c, const uint8_t *channel, const int64_t *time_ps, int64_t n) {
    int64_t cnt[G2L_N_CHANNELS], off[G2L_N_CHANNELS];
    if (correlator_split(c, channel, time_ps, n, cnt, off) != G2L_OK) return G2L_ERR_NOMEM;
    for (int k = 0; k < G2L_N_CHANNELS; k++) c->counts[k] += cnt[k];
    c->n_tags += n;
    const g2l_window *w = &c->w;
    for (int64_t p = 0; p < c->n_pairs; p++) {
        const uint8_t a = c->pair_a[p], b = c->pair_b[p];
        int64_t *h = c->hist + p * w->n_bins;
        const int64_t *an = c->scratch + off[a], *bn = c->scratch + off[b];
        const g2l_history *ap = &c->past[a], *bp = &c->past[b];
        g2l_correlate(an, cnt[a], bn, cnt[b], w, h);
        if (a == b && cnt[a] && w->lo <= 0 && 0 < w->hi) /* the n self-pairs at d = 0 */
            h[g2l_div(&w->div, (uint64_t)(-w->lo))] -= cnt[a];
        g2l_correlate(ap->t + ap->start, ap->len, bn, cnt[b], w, h);
        g2l_correlate(an, cnt[a], bp->t + bp->start, bp->len, w, h);
    }
    const int64_t now = time_ps[n - 1];
    for (int u = 0; u < c->n_used; u++) {
        const int k = c->used_list[u];
        if (history_keep(c, k, c->scratch + off[k], cnt[k], now) != G2L_OK) return G2L_ERR_NOMEM;
    }
    c->last_time = now;
    return G2L_OK;
}

/* ---- an update is all or nothing ----
 * A chunk is checked block by block as it is correlated (the block is then in the cache for the
 * split: one pass over memory instead of two). When a later block holds a bad tag, the state
 * saved at the start of the call is restored. Saving costs a copy of the histograms and of the
 * history, so a long chunk is saved only when that copy is small against the chunk; otherwise,
 * and for a chunk of one block, the whole chunk is checked first. */

static int copy_history(g2l_history *to, const g2l_history *from) {
    to->start = 0;
    to->len = 0;
    return g2l_history_append(to, from->t + from->start, from->len);
}

/* Whether saving is cheaper than a separate check pass over the n tags of this call. */
static int undo_worth(const g2l_correlator *c, int64_t n) {
    int64_t words = c->n_pairs * c->w.n_bins;
    for (int u = 0; u < c->n_used; u++) words += c->past[c->used_list[u]].len;
    return 8 * words <= n; /* at most one byte copied per tag */
}

static int undo_save(g2l_correlator *c) {
    const int64_t words = c->n_pairs * c->w.n_bins;
    if (!c->undo_hist) {
        c->undo_hist = malloc((size_t)words * sizeof(int64_t));
        if (!c->undo_hist) return G2L_ERR_NOMEM;
    }
    memcpy(c->undo_hist, c->hist, (size_t)words * sizeof(int64_t));
    memcpy(c->undo_counts, c->counts, sizeof(c->counts));
    c->undo_n_tags = c->n_tags;
    c->undo_last_time = c->last_time;
    for (int u = 0; u < c->n_used; u++) {
        const int k = c->used_list[u];
        if (copy_history(&c->undo_past[k], &c->past[k]) != G2L_OK) return G2L_ERR_NOMEM;
    }
    return G2L_OK;
}

static int undo_restore(g2l_correlator *c) {
    memcpy(c->hist, c->undo_hist, (size_t)(c->n_pairs * c->w.n_bins) * sizeof(int64_t));
    memcpy(c->counts, c->undo_counts, sizeof(c->counts));
    c->n_tags = c->undo_n_tags;
    c->last_time = c->undo_last_time;
    for (int u = 0; u < c->n_used; u++) {
        const int k = c->used_list[u];
        if (copy_history(&c->past[k], &c->undo_past[k]) != G2L_OK) return G2L_ERR_NOMEM;
    }
    return G2L_OK;
}

/* Blocks small enough that a block's tags are still in the cache when they are split and its split
 * tags when they are correlated. Any split gives the same histograms. */
#define BLOCK_TAGS 65536

int g2l_correlator_update(g2l_correlator *c, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                          int64_t *err_index) {
    int status = G2L_OK;
    const int per_block = n > BLOCK_TAGS && undo_worth(c, n);
    if (per_block) {
        if (undo_save(c) != G2L_OK) {
            *err_index = 0;
            return G2L_ERR_NOMEM;
        }
    } else {
        const int64_t bad = g2l_check_chunk(channel, time_ps, n, c->last_time, &status, c->simd);
        if (bad >= 0) { /* nothing of this call is taken */
            *err_index = bad;
            return status;
        }
    }
    for (int64_t s = 0; s < n; s += BLOCK_TAGS) {
        const int64_t m = n - s < BLOCK_TAGS ? n - s : BLOCK_TAGS;
        if (per_block) {
            const int64_t bad = g2l_check_chunk(channel + s, time_ps + s, m, c->last_time, &status, c->simd);
            if (bad >= 0) { /* nothing of this call is taken */
                *err_index = s + bad;
                return undo_restore(c) == G2L_OK ? status : G2L_ERR_NOMEM;
            }
        }
        if (correlator_block(c, channel + s, time_ps + s, m) != G2L_OK) {
            *err_index = s; /* out of memory: the blocks before s were taken */
            return G2L_ERR_NOMEM;
        }
    }
    return G2L_OK;
}

void g2l_correlator_swap(g2l_correlator *c) {
    memset(c->hist, 0, (size_t)(c->n_pairs * c->w.n_bins) * sizeof(int64_t));
    memset(c->counts, 0, sizeof(c->counts));
}

void g2l_correlator_clear(g2l_correlator *c) {
    g2l_correlator_swap(c);
    for (int k = 0; k < G2L_N_CHANNELS; k++) c->past[k].len = c->past[k].start = 0;
    c->last_time = INT64_MIN;
    c->n_tags = 0;
}
