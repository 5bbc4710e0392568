/* Correlation histogram: docs/semantics.md "Correlation histogram" and "Integrations".
 *
 * correlate() is a merge of the sorted a and b arrays. Each step compares b[j] with a[i]: when
 * b[j] is earlier than the window of a[i] (d < lo), j advances, otherwise a[i] is finished and i
 * advances, with no data-dependent branch (the advance is computed). Four such merges over the
 * quarters of a run interleaved. Only when b[j] falls in the
 * window (rare at photon-counting rates) does a short scan bin the partners of a[i].
 * Differences are int64 when the data span and window allow it and __int128 otherwise, so a
 * difference near the int64 limits never wraps into the window.
 */
#include "g2l_correlate.h"

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

/* ---- streaming correlator ---- */

static int ring_push(g2l_ring *r, int64_t t) {
    if (r->len == r->cap) {
        int64_t cap = r->cap ? 2 * r->cap : 64;
        int64_t *p = malloc((size_t)cap * sizeof(int64_t));
        if (!p) return G2L_ERR_NOMEM;
        for (int64_t k = 0; k < r->len; k++) p[k] = r->t[(r->head + k) & (r->cap - 1)];
        free(r->t);
        r->t = p;
        r->cap = cap;
        r->head = 0;
    }
    r->t[(r->head + r->len) & (r->cap - 1)] = t;
    r->len++;
    return G2L_OK;
}

/* k-th newest tag (k = 0 is the newest) */
static inline int64_t ring_back(const g2l_ring *r, int64_t k) {
    return r->t[(r->head + r->len - 1 - k) & (r->cap - 1)];
}

static inline void bin(const g2l_window *w, int64_t *h, __int128 d) {
    unsigned __int128 u = (unsigned __int128)(d - w->lo);
    if (u < w->width) h[g2l_div(&w->div, (uint64_t)u)]++;
}

/* The new tag at t against the older tags of ring r, newest first. e = t - t_old >= 0 grows with
 * age. role 1 (new stop): d = e; role 2 (new start): d = -e; role 0 (auto): both.
 * Fast path (lo >= -2**62, hi <= 2**62): e is exact as uint64 and in-window values fit int64. */
static void pair_fast(const g2l_window *w, int64_t *h, const g2l_ring *r, int64_t t, int64_t role) {
    const int64_t lo = (int64_t)w->lo, hi = (int64_t)w->hi;
    const uint64_t width = w->width;
    /* e can contribute while e < hi (as a stop) or -e >= lo (as a start) */
    const uint64_t reach_stop = role != 2 && hi > 0 ? (uint64_t)hi : 0;
    const uint64_t reach_start = role != 1 && lo <= 0 ? (uint64_t)(-lo) + 1 : 0;
    const uint64_t reach = reach_stop > reach_start ? reach_stop : reach_start;
    const int64_t mask = r->cap - 1, top = r->head + r->len - 1;
    for (int64_t k = 0; k < r->len; k++) {
        const uint64_t e = (uint64_t)t - (uint64_t)r->t[(top - k) & mask];
        if (e >= reach) break;
        const int64_t d = (int64_t)e; /* e < reach <= 2**62 + 1 */
        if (e < reach_stop) {
            uint64_t u = (uint64_t)(d - lo);
            if (u < width) h[g2l_div(&w->div, u)]++;
        }
        if (e < reach_start) {
            uint64_t u = (uint64_t)(-d - lo);
            if (u < width) h[g2l_div(&w->div, u)]++;
        }
    }
}

static void pair_wide(const g2l_window *w, int64_t *h, const g2l_ring *r, int64_t t, int64_t role) {
    for (int64_t k = 0; k < r->len; k++) {
        const __int128 e = (__int128)t - ring_back(r, k); /* >= 0 */
        const int stop_done = role == 2 || e >= w->hi, start_done = role == 1 || -e < w->lo;
        if (stop_done && start_done) break;
        if (!stop_done) bin(w, h, e);
        if (!start_done) bin(w, h, -e);
    }
}

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
    /* what a new tag on each channel has to do, so a tag touches only its own pairs */
    c->roles = malloc((size_t)(G2L_N_CHANNELS * n_pairs) * sizeof(int64_t));
    if (!c->roles) {
        g2l_correlator_free(c);
        return G2L_ERR_NOMEM;
    }
    for (int64_t p = 0; p < n_pairs; p++) {
        const uint8_t a = pair_a[p], b = pair_b[p];
        if (a == b) {
            c->roles[a * n_pairs + c->n_roles[a]++] = 0 * n_pairs + p;
        } else {
            c->roles[b * n_pairs + c->n_roles[b]++] = 1 * n_pairs + p;
            c->roles[a * n_pairs + c->n_roles[a]++] = 2 * n_pairs + p;
        }
    }
    c->fast = c->w.lo >= -((__int128)1 << 62) && c->w.hi <= ((__int128)1 << 62);
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
    free(c->roles);
    for (int k = 0; k < G2L_N_CHANNELS; k++) free(c->ring[k].t);
    memset(c, 0, sizeof(*c));
}

int g2l_correlator_update(g2l_correlator *c, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                          int64_t *err_index) {
    const g2l_window *w = &c->w;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t ch = channel[i];
        const int64_t t = time_ps[i];
        if (ch >= G2L_N_CHANNELS) {
            *err_index = i;
            return G2L_ERR_CHANNEL;
        }
        if (t < c->last_time) {
            *err_index = i;
            return G2L_ERR_UNSORTED;
        }
        c->last_time = t;
        c->n_tags++;
        c->counts[ch]++;
        if (!c->used[ch]) continue;
        /* Pair the new tag with the earlier tags of the partner channel, newest first: the pair
         * is counted now, when its later tag arrives (docs/semantics.md "Integrations"). */
        for (int64_t q = 0; q < c->n_roles[ch]; q++) {
            const int64_t role = c->roles[ch * c->n_pairs + q] / c->n_pairs;
            const int64_t p = c->roles[ch * c->n_pairs + q] % c->n_pairs;
            int64_t *h = c->hist + p * w->n_bins;
            const g2l_ring *r = &c->ring[role == 1 ? c->pair_a[p] : role == 2 ? c->pair_b[p] : ch];
            if (c->fast)
                pair_fast(w, h, r, t, role);
            else
                pair_wide(w, h, r, t, role);
        }
        g2l_ring *r = &c->ring[ch];
        if (ring_push(r, t) != G2L_OK) {
            *err_index = i;
            return G2L_ERR_NOMEM;
        }
        while (r->len && (uint64_t)t - (uint64_t)r->t[r->head] >= c->keep) {
            r->head = (r->head + 1) & (r->cap - 1);
            r->len--;
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
    for (int k = 0; k < G2L_N_CHANNELS; k++) c->ring[k].len = c->ring[k].head = 0;
    c->last_time = INT64_MIN;
    c->n_tags = 0;
}
