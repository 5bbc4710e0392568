// SPDX-License-Identifier: BSD-3-Clause
/* Growable buffers and the exact divider used by the binning steps. */
#include "g2l_common.h"

#include <stdlib.h>
#include <string.h>

void g2l_buf_init(g2l_buf *b, size_t item) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->item = item;
}

void g2l_buf_free(g2l_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int g2l_buf_reserve(g2l_buf *b, int64_t extra) {
    if (b->len + extra <= b->cap) return G2L_OK;
    int64_t cap = b->cap ? b->cap : 16;
    while (cap < b->len + extra) cap *= 2;
    void *p = realloc(b->data, (size_t)cap * b->item);
    if (!p) return G2L_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return G2L_OK;
}

int g2l_buf_push(g2l_buf *b, const void *item) {
    if (b->len == b->cap && g2l_buf_reserve(b, 1) != G2L_OK) return G2L_ERR_NOMEM;
    memcpy((char *)b->data + (size_t)b->len * b->item, item, b->item);
    b->len++;
    return G2L_OK;
}

void g2l_divider_init(g2l_divider *dv, uint64_t w) {
    dv->w = w;
    dv->shift = -1;
    dv->m = 0;
    if (w && (w & (w - 1)) == 0) {
        dv->shift = __builtin_ctzll(w);
    } else if (w) {
        dv->m = (uint64_t)(((unsigned __int128)1 << 64) / w);
    }
}
