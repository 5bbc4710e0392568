// SPDX-License-Identifier: BSD-3-Clause
/* Coincidence counters, heralded g2 and g3: docs/semantics.md "Coincidences", "Heralded g2",
 * "Third-order g3".
 *
 * Coincidences keep the latest time per channel: a closing tag completes a set when every other
 * channel's latest tag is within the window, which is the same as "some tag within the window".
 * Heralded g2 and g3 open a window at every anchor tag and close it once the stream has passed
 * its end; the x and y tags are kept while a pending or future anchor can still reach them, so
 * the result does not depend on how the stream is cut into chunks.
 */
#include "g2l_coinc.h"

#include <stdlib.h>
#include <string.h>

/* ---- N-fold coincidences ---- */

int g2l_coinc_init(g2l_coinc *c, int64_t n_sets, const uint64_t *sets, int64_t window_ps) {
    memset(c, 0, sizeof(*c));
    c->last_time = INT64_MIN;
    if (n_sets <= 0 || window_ps < 0) return G2L_ERR_ARG;
    for (int64_t s = 0; s < n_sets; s++)
        if (__builtin_popcountll(sets[s]) < 2) return G2L_ERR_ARG;
    c->sets = malloc((size_t)n_sets * sizeof(uint64_t));
    c->counts = calloc((size_t)n_sets, sizeof(int64_t));
    if (!c->sets || !c->counts) {
        g2l_coinc_free(c);
        return G2L_ERR_NOMEM;
    }
    memcpy(c->sets, sets, (size_t)n_sets * sizeof(uint64_t));
    c->n_sets = n_sets;
    c->window_ps = window_ps;
    return G2L_OK;
}

void g2l_coinc_free(g2l_coinc *c) {
    free(c->sets);
    free(c->counts);
    memset(c, 0, sizeof(*c));
}

/* Every channel of mask has a latest tag within the window of t (exact as unsigned: t >= latest). */
static int complete(const g2l_coinc *c, uint64_t mask, int64_t t) {
    if ((mask & c->seen) != mask) return 0;
    while (mask) {
        int k = __builtin_ctzll(mask);
        mask &= mask - 1;
        if ((uint64_t)t - (uint64_t)c->latest[k] > (uint64_t)c->window_ps) return 0;
    }
    return 1;
}

int g2l_coinc_update(g2l_coinc *c, const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t *err_index) {
    int64_t last = c->last_time;
    for (int64_t i = 0; i < n; i++) {
        int status = channel[i] >= G2L_N_CHANNELS ? G2L_ERR_CHANNEL : time_ps[i] < last ? G2L_ERR_UNSORTED : G2L_OK;
        if (status != G2L_OK) {
            *err_index = i;
            return status;
        }
        last = time_ps[i];
    }
    for (int64_t i = 0; i < n; i++) {
        const int k = channel[i];
        const uint64_t bit = (uint64_t)1 << k;
        for (int64_t s = 0; s < c->n_sets; s++)
            if ((c->sets[s] & bit) && complete(c, c->sets[s] & ~bit, time_ps[i])) c->counts[s]++;
        c->latest[k] = time_ps[i];
        c->seen |= bit;
    }
    if (n) c->last_time = time_ps[n - 1];
    return G2L_OK;
}

void g2l_coinc_clear(g2l_coinc *c) {
    memset(c->counts, 0, (size_t)c->n_sets * sizeof(int64_t));
    c->seen = 0;
    c->last_time = INT64_MIN;
}

/* ---- anchored windows ---- */

int g2l_anchored_init(g2l_anchored *h, int g3, uint8_t anchor, uint8_t x, uint8_t y, int64_t bin_width_ps,
                      int64_t n_bins, int64_t offset_ps) {
    memset(h, 0, sizeof(*h));
    h->last_time = INT64_MIN;
    if (anchor >= G2L_N_CHANNELS || x >= G2L_N_CHANNELS || y >= G2L_N_CHANNELS) return G2L_ERR_CHANNEL;
    if (anchor == x || anchor == y || x == y) return G2L_ERR_ARG;
    g2l_window w;
    if (g2l_window_init(&w, bin_width_ps, n_bins, offset_ps) != G2L_OK) return G2L_ERR_ARG;
    if (w.lo < INT64_MIN || w.hi > INT64_MAX) return G2L_ERR_ARG;
    h->g3 = g3;
    h->anchor = anchor;
    h->x = x;
    h->y = y;
    h->lo = (int64_t)w.lo;
    h->hi = (int64_t)w.hi;
    h->bin_width_ps = bin_width_ps;
    h->n_bins = n_bins;
    if (g3) {
        if (n_bins > ((int64_t)1 << 12)) return G2L_ERR_ARG; /* 2**24 cells (128 MiB) at most */
        h->hist = calloc((size_t)(n_bins * n_bins), sizeof(int64_t));
        if (!h->hist) return G2L_ERR_NOMEM;
    }
    return G2L_OK;
}

void g2l_anchored_free(g2l_anchored *h) {
    free(h->pending.t);
    free(h->hx.t);
    free(h->hy.t);
    free(h->hist);
    memset(h, 0, sizeof(*h));
}

static int push(g2l_history *q, int64_t t) {
    if (q->start + q->len == q->cap) {
        if (q->start) {
            memmove(q->t, q->t + q->start, (size_t)q->len * sizeof(int64_t));
            q->start = 0;
        } else {
            int64_t cap = q->cap ? 2 * q->cap : 256;
            int64_t *p = realloc(q->t, (size_t)cap * sizeof(int64_t));
            if (!p) return G2L_ERR_NOMEM;
            q->t = p;
            q->cap = cap;
        }
    }
    q->t[q->start + q->len++] = t;
    return G2L_OK;
}

/* First index of q with q[i] >= v (v exact as __int128). */
static int64_t first_at(const g2l_history *q, __int128 v) {
    const int64_t *t = q->t + q->start;
    int64_t l = 0, r = q->len;
    while (l < r) {
        int64_t m = l + (r - l) / 2;
        if ((__int128)t[m] < v) l = m + 1; else r = m;
    }
    return l;
}

static void close_anchor(g2l_anchored *h, int64_t p) {
    const __int128 s = (__int128)p + h->lo, e = (__int128)p + h->hi;
    const int64_t x0 = first_at(&h->hx, s), x1 = first_at(&h->hx, e);
    const int64_t y0 = first_at(&h->hy, s), y1 = first_at(&h->hy, e);
    h->n_anchor++;
    if (!h->g3) {
        h->n_x += x1 > x0;
        h->n_y += y1 > y0;
        h->n_xy += (x1 > x0) && (y1 > y0);
        return;
    }
    const int64_t *tx = h->hx.t + h->hx.start, *ty = h->hy.t + h->hy.start;
    for (int64_t i = x0; i < x1; i++) {
        const int64_t bx = (int64_t)(((__int128)tx[i] - s) / h->bin_width_ps);
        int64_t *row = h->hist + bx * h->n_bins;
        for (int64_t j = y0; j < y1; j++) row[(int64_t)(((__int128)ty[j] - s) / h->bin_width_ps)]++;
    }
}

/* Close the anchors whose window ends at or before t; forget x, y tags no anchor can reach. */
static void advance(g2l_anchored *h, __int128 t) {
    g2l_history *q = &h->pending;
    while (q->len && (__int128)q->t[q->start] + h->hi <= t) {
        close_anchor(h, q->t[q->start]);
        q->start++;
        q->len--;
    }
    if (!q->len) q->start = 0;
    /* the earliest anchor still to come is the oldest pending one, or one at t or later */
    __int128 a0 = q->len ? (__int128)q->t[q->start] : t;
    if (a0 > t) a0 = t;
    const __int128 keep = a0 + h->lo;
    int64_t kx = first_at(&h->hx, keep), ky = first_at(&h->hy, keep);
    h->hx.start += kx;
    h->hx.len -= kx;
    h->hy.start += ky;
    h->hy.len -= ky;
}

int g2l_anchored_update(g2l_anchored *h, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                        int64_t *err_index) {
    int64_t last = h->last_time;
    for (int64_t i = 0; i < n; i++) {
        int status = channel[i] >= G2L_N_CHANNELS ? G2L_ERR_CHANNEL : time_ps[i] < last ? G2L_ERR_UNSORTED : G2L_OK;
        if (status != G2L_OK) {
            *err_index = i;
            return status;
        }
        last = time_ps[i];
    }
    for (int64_t i = 0; i < n; i++) {
        const uint8_t k = channel[i];
        if (k != h->anchor && k != h->x && k != h->y) continue;
        if (h->pending.len && (__int128)h->pending.t[h->pending.start] + h->hi <= time_ps[i]) advance(h, time_ps[i]);
        g2l_history *q = k == h->anchor ? &h->pending : k == h->x ? &h->hx : &h->hy;
        if (k != h->anchor && !h->pending.len && q->len > 1024) advance(h, time_ps[i]); /* bound the history */
        if (push(q, time_ps[i]) != G2L_OK) {
            *err_index = i;
            return G2L_ERR_NOMEM; /* tags before i are taken */
        }
    }
    if (n) h->last_time = time_ps[n - 1];
    return G2L_OK;
}

void g2l_anchored_flush(g2l_anchored *h) {
    g2l_history *q = &h->pending;
    while (q->len) {
        close_anchor(h, q->t[q->start]);
        q->start++;
        q->len--;
    }
    q->start = 0;
}

void g2l_anchored_clear(g2l_anchored *h) {
    h->pending.len = h->pending.start = h->hx.len = h->hx.start = h->hy.len = h->hy.start = 0;
    h->n_anchor = h->n_x = h->n_y = h->n_xy = 0;
    if (h->hist) memset(h->hist, 0, (size_t)(h->n_bins * h->n_bins) * sizeof(int64_t));
    h->last_time = INT64_MIN;
}
