// SPDX-License-Identifier: BSD-3-Clause
/* Shared definitions of the g2live C core: status codes and a growable buffer.
 *
 * Plain C11, no Python. Every public function reports errors through a negative status and the
 * index of the offending element, so the binding can raise a message that names the array and
 * the position.
 */
#ifndef G2L_COMMON_H
#define G2L_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "g2l_contract.h"

#define G2L_N_CHANNELS 64 /* 6-bit channel field */
#define G2L_N_CAUSES 64   /* 6-bit LOST.cause field */

/* Status codes (negative = error). */
enum {
    G2L_OK = 0,
    G2L_ERR_NOMEM = -1,
    G2L_ERR_CHANNEL = -2,   /* channel > 63 (or >= n_channels) at err_index */
    G2L_ERR_TIME = -3,      /* time out of the representable range at err_index */
    G2L_ERR_UNSORTED = -4,  /* time decreases at err_index */
    G2L_ERR_OVERFLOW = -5,  /* time + delay overflows int64 at err_index */
    G2L_ERR_ARG = -6,       /* invalid parameter */
};

/* Growable array of fixed-size items. */
typedef struct {
    void *data;
    int64_t len;   /* items */
    int64_t cap;   /* items */
    size_t item;   /* bytes per item */
} g2l_buf;

void g2l_buf_init(g2l_buf *b, size_t item);
void g2l_buf_free(g2l_buf *b);
/* Reserve room for `extra` more items; returns G2L_OK or G2L_ERR_NOMEM. */
int g2l_buf_reserve(g2l_buf *b, int64_t extra);
/* Append one item (copied from `item`); returns G2L_OK or G2L_ERR_NOMEM. */
int g2l_buf_push(g2l_buf *b, const void *item);

/* Heralded-pair record, shared by the decoder (HERALD + HERALD_DELAYS words) and the pulsed block.
 * The numpy view is a structured dtype with explicit offsets matching this layout. */
typedef struct {
    int64_t period;
    int64_t delay_first_ps;
    int64_t delay_second_ps;
    uint8_t channel_first;
    uint8_t channel_second;
    uint8_t pad_[6];
} g2l_herald;

/* Exact floor((d - lo) / w) for the binning step, w > 0, 0 <= d - lo < 2**63 (u below).
 * A shift for powers of two; otherwise a reciprocal multiply (m = floor(2**64 / w)) that is
 * exact or one too small, fixed by one compare: no 64-bit division per pair. */
typedef struct {
    uint64_t w;
    uint64_t m;
    int shift; /* >= 0 when w is a power of two */
} g2l_divider;

void g2l_divider_init(g2l_divider *dv, uint64_t w);

static inline uint64_t g2l_div(const g2l_divider *dv, uint64_t u) {
    if (dv->shift >= 0) return u >> dv->shift;
    uint64_t q = (uint64_t)(((unsigned __int128)u * dv->m) >> 64);
    if (u - q * dv->w >= dv->w) q++;
    return q;
}

#endif /* G2L_COMMON_H */
