// SPDX-License-Identifier: BSD-3-Clause
/* Channel front-end, rates and trace: docs/semantics.md "Channel front-end" and "Rates and trace". */
#include "g2l_frontend.h"

#include <stdlib.h>
#include <string.h>

int g2l_frontend_init(g2l_frontend_state *f, const int64_t *dead_time_ps, const int64_t *delay_ps,
                      uint64_t enable_mask, int64_t *err_index) {
    memset(f, 0, sizeof(*f));
    for (int c = 0; c < G2L_N_CHANNELS; c++) {
        if (dead_time_ps[c] < 0) {
            *err_index = c;
            return G2L_ERR_ARG;
        }
        f->dead_time_ps[c] = dead_time_ps[c];
        f->delay_ps[c] = delay_ps[c];
    }
    f->enable_mask = enable_mask;
    return G2L_OK;
}

int64_t g2l_frontend(g2l_frontend_state *f, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                     uint8_t *out_channel, int64_t *out_time, int64_t *dead_count, int64_t *err_index) {
    /* check everything first, so that an error leaves the state as it was */
    int64_t last_raw[G2L_N_CHANNELS];
    uint8_t had[G2L_N_CHANNELS];
    memcpy(last_raw, f->last_raw, sizeof(last_raw));
    for (int c = 0; c < G2L_N_CHANNELS; c++) had[c] = f->seen[c];
    for (int64_t i = 0; i < n; i++) {
        const uint8_t c = channel[i];
        const int64_t t = time_ps[i];
        int64_t out;
        if (c >= G2L_N_CHANNELS) {
            *err_index = i;
            return G2L_ERR_CHANNEL;
        }
        if (!((f->enable_mask >> c) & 1)) continue; /* disabled: dropped before any check */
        if (had[c] && t < last_raw[c]) {
            *err_index = i;
            return G2L_ERR_UNSORTED;
        }
        if (__builtin_add_overflow(t, f->delay_ps[c], &out)) {
            *err_index = i;
            return G2L_ERR_OVERFLOW;
        }
        had[c] = 1;
        last_raw[c] = t;
    }
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t c = channel[i];
        const int64_t t = time_ps[i];
        if (!((f->enable_mask >> c) & 1)) continue;
        f->last_raw[c] = t;
        /* t >= the last accepted raw time, so the unsigned difference is exact */
        if (f->seen[c] && (uint64_t)t - (uint64_t)f->last_accepted[c] < (uint64_t)f->dead_time_ps[c]) {
            dead_count[c]++;
            continue;
        }
        f->seen[c] = 1;
        f->last_accepted[c] = t;
        out_channel[k] = c;
        out_time[k] = t + f->delay_ps[c];
        k++;
    }
    return k;
}

typedef struct {
    int64_t t;
    int64_t idx;   /* position in the input */
    uint8_t c;
} node;

static inline int node_less(const node *x, const node *y) {
    if (x->t != y->t) return x->t < y->t;
    if (x->c != y->c) return x->c < y->c;
    return x->idx < y->idx;
}

int g2l_merge_order(const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t *perm) {
    /* per-channel index lists (each already time-ordered), then a heap merge of their heads */
    int64_t start[G2L_N_CHANNELS + 1] = {0};
    for (int64_t i = 0; i < n; i++) start[channel[i] + 1]++;
    for (int c = 0; c < G2L_N_CHANNELS; c++) start[c + 1] += start[c];
    int64_t *lists = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    if (!lists) return G2L_ERR_NOMEM;
    int64_t pos[G2L_N_CHANNELS];
    memcpy(pos, start, sizeof(pos));
    for (int64_t i = 0; i < n; i++) lists[pos[channel[i]]++] = i;
    int64_t head[G2L_N_CHANNELS];
    memcpy(head, start, sizeof(head));
    node heap[G2L_N_CHANNELS];
    int hn = 0;
    for (int c = 0; c < G2L_N_CHANNELS; c++) {
        if (head[c] < start[c + 1]) {
            int64_t i = lists[head[c]++];
            node x = {time_ps[i], i, (uint8_t)c};
            int k = hn++;
            while (k > 0 && node_less(&x, &heap[(k - 1) / 2])) {
                heap[k] = heap[(k - 1) / 2];
                k = (k - 1) / 2;
            }
            heap[k] = x;
        }
    }
    for (int64_t o = 0; o < n; o++) {
        node top = heap[0];
        perm[o] = top.idx;
        node x;
        int c = top.c;
        if (head[c] < start[c + 1]) {
            int64_t i = lists[head[c]++];
            x = (node){time_ps[i], i, (uint8_t)c};
        } else {
            x = heap[--hn];
        }
        /* sift x down from the root */
        int k = 0;
        for (;;) {
            int l = 2 * k + 1, r = l + 1, m = k;
            const node *best = &x;
            if (l < hn && node_less(&heap[l], best)) { m = l; best = &heap[l]; }
            if (r < hn && node_less(&heap[r], best)) { m = r; best = &heap[r]; }
            if (m == k) break;
            heap[k] = heap[m];
            k = m;
        }
        if (hn) heap[k] = x;
    }
    free(lists);
    return G2L_OK;
}

int g2l_rates(const uint8_t *channel, int64_t n, int64_t n_channels, int64_t *counts, int64_t *err_index) {
    for (int64_t i = 0; i < n; i++) {
        if (channel[i] >= n_channels) {
            *err_index = i;
            return G2L_ERR_CHANNEL;
        }
        counts[channel[i]]++;
    }
    return G2L_OK;
}

int64_t g2l_trace(const int64_t *time_ps, int64_t n, int64_t bin_width_ps, int64_t t0_ps, int64_t n_bins,
                  int64_t *hist) {
    g2l_divider dv;
    g2l_divider_init(&dv, (uint64_t)bin_width_ps);
    const unsigned __int128 span = (unsigned __int128)bin_width_ps * (uint64_t)n_bins;
    int64_t outside = 0;
    for (int64_t i = 0; i < n; i++) {
        __int128 u = (__int128)time_ps[i] - t0_ps;
        if (u < 0 || (unsigned __int128)u >= span) {
            outside++;
            continue;
        }
        hist[g2l_div(&dv, (uint64_t)u)]++; /* u < 2**64 */
    }
    return outside;
}
