// SPDX-License-Identifier: BSD-3-Clause
/* Tag-word encoder and decoder: docs/semantics.md "Decoder", docs/tag_word.md. */
#include "g2l_codec.h"

#include <string.h>

#define TIME_MASK ((1ULL << G2L_TIME_BITS) - 1ULL)
#define KIND_WORD(k) ((uint64_t)(k) << G2L_KIND_LSB)

/* Bits of each kind that no field covers: they must be zero (flags of TAG are "reserved, zero"). */
#define ROLLOVER_SPARE (((1ULL << G2L_KIND_LSB) - 1ULL) & ~TIME_MASK)
#define LOST_SPARE ((((1ULL << G2L_LOST_CAUSE_LSB) - 1ULL)) & ~((1ULL << G2L_LOST_COUNT_WIDTH) - 1ULL))
#define TAG_FLAGS_MASK (((1ULL << G2L_TAG_FLAGS_WIDTH) - 1ULL) << G2L_TAG_FLAGS_LSB)

void g2l_encoder_init(g2l_encoder *e) { e->epoch = -1; }

int64_t g2l_encode_count(const g2l_encoder *e, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                         int64_t *err_index) {
    int64_t epoch = e->epoch, words = n;
    for (int64_t i = 0; i < n; i++) {
        if (channel[i] >= G2L_N_CHANNELS) {
            *err_index = i;
            return G2L_ERR_CHANNEL;
        }
        if (time_ps[i] < 0) {
            *err_index = i;
            return G2L_ERR_TIME;
        }
        int64_t ep = time_ps[i] >> G2L_TIME_BITS;
        words += ep != epoch;
        epoch = ep;
    }
    return words;
}

int64_t g2l_encode(g2l_encoder *e, const uint8_t *channel, const int64_t *time_ps, int64_t n, uint64_t *out) {
    int64_t k = 0, epoch = e->epoch;
    for (int64_t i = 0; i < n; i++) {
        int64_t ep = time_ps[i] >> G2L_TIME_BITS;
        if (ep != epoch) {
            out[k++] = KIND_WORD(G2L_KIND_ROLLOVER) | (uint64_t)ep;
            epoch = ep;
        }
        out[k++] = KIND_WORD(G2L_KIND_TAG) | ((uint64_t)channel[i] << G2L_TAG_CHANNEL_LSB) |
                   ((uint64_t)time_ps[i] & TIME_MASK);
    }
    e->epoch = epoch;
    return k;
}

void g2l_decoder_init(g2l_decoder *d) {
    memset(d, 0, sizeof(*d));
    d->last_time = INT64_MIN;
    g2l_buf_init(&d->markers, sizeof(g2l_marker));
    g2l_buf_init(&d->heralds, sizeof(g2l_herald));
    g2l_buf_init(&d->frames, sizeof(g2l_frame));
    g2l_buf_init(&d->payload, sizeof(uint64_t));
}

void g2l_decoder_free(g2l_decoder *d) {
    g2l_buf_free(&d->markers);
    g2l_buf_free(&d->heralds);
    g2l_buf_free(&d->frames);
    g2l_buf_free(&d->payload);
}

void g2l_decoder_begin(g2l_decoder *d) {
    d->n_tags = d->malformed = d->out_of_order = d->rollovers = 0;
    memset(d->lost, 0, sizeof(d->lost));
    d->markers.len = d->heralds.len = d->frames.len = 0;
    /* keep the partial frame's payload: move it to the front */
    int64_t keep = d->in_frame ? d->frame_got : 0;
    uint64_t *p = (uint64_t *)d->payload.data;
    if (keep && d->payload.len > keep) memmove(p, p + d->payload.len - keep, (size_t)keep * sizeof(uint64_t));
    d->payload.len = keep;
}

static void malformed(g2l_decoder *d, int64_t offset) {
    if (d->malformed < G2L_MALFORMED_KEEP) d->malformed_offsets[d->malformed] = offset;
    d->malformed++;
}

static int close_frame(g2l_decoder *d) {
    g2l_frame f = {d->frame_kind, d->frame_index, d->frame_length, d->payload.len - d->frame_length};
    d->in_frame = 0;
    return g2l_buf_push(&d->frames, &f);
}

int64_t g2l_decode(g2l_decoder *d, const uint64_t *words, int64_t n, uint8_t *out_channel, int64_t *out_time) {
    int64_t nt = 0, i = 0;
    while (i < n) {
        if (d->in_frame) {
            /* payload words carry no kind: copy the rest of the frame in one go */
            int64_t take = d->frame_length - d->frame_got;
            if (take > n - i) take = n - i;
            if (g2l_buf_reserve(&d->payload, take) != G2L_OK) return G2L_ERR_NOMEM;
            memcpy((uint64_t *)d->payload.data + d->payload.len, words + i, (size_t)take * sizeof(uint64_t));
            d->payload.len += take;
            d->frame_got += take;
            i += take;
            d->offset += take;
            if (d->frame_got == d->frame_length && close_frame(d) != G2L_OK) return G2L_ERR_NOMEM;
            continue;
        }
        if (!d->herald_pending) {
            /* fast path: a run of plain TAG words (kind 1, flags 0), the bulk of any stream */
            const uint64_t tag_mask = (0xFULL << G2L_KIND_LSB) | TAG_FLAGS_MASK;
            const uint64_t tag_kind = (uint64_t)G2L_KIND_TAG << G2L_KIND_LSB;
            const int64_t base = d->epoch << G2L_TIME_BITS;
            int64_t last = d->last_time, ooo = 0, i0 = i;
            while (i < n && (words[i] & tag_mask) == tag_kind) {
                const uint64_t w = words[i++];
                const int64_t t = base | (int64_t)(w & TIME_MASK);
                ooo += t < last;
                last = t;
                out_channel[nt] = (uint8_t)G2L_FIELD(w, G2L_TAG_CHANNEL_LSB, G2L_TAG_CHANNEL_WIDTH);
                out_time[nt++] = t;
            }
            d->out_of_order += ooo;
            d->last_time = last;
            d->offset += i - i0;
            if (i == n) break;
        }
        uint64_t w = words[i];
        int64_t off = d->offset;
        unsigned kind = (unsigned)G2L_KIND(w);
        i++;
        d->offset++;
        if (d->herald_pending) {
            d->herald_pending = 0;
            if (kind == G2L_KIND_HERALD_DELAYS) {
                uint64_t h = d->herald_word;
                g2l_herald r = {0};
                r.period = (int64_t)G2L_FIELD(h, G2L_HERALD_PERIOD_LSB, G2L_HERALD_PERIOD_WIDTH);
                r.channel_first = (uint8_t)G2L_FIELD(h, G2L_HERALD_CHANNEL_FIRST_LSB, G2L_HERALD_CHANNEL_FIRST_WIDTH);
                r.channel_second =
                    (uint8_t)G2L_FIELD(h, G2L_HERALD_CHANNEL_SECOND_LSB, G2L_HERALD_CHANNEL_SECOND_WIDTH);
                r.delay_first_ps = (int64_t)G2L_FIELD(w, G2L_HERALD_DELAYS_DELAY_FIRST_PS_LSB,
                                                      G2L_HERALD_DELAYS_DELAY_FIRST_PS_WIDTH);
                r.delay_second_ps = (int64_t)G2L_FIELD(w, G2L_HERALD_DELAYS_DELAY_SECOND_PS_LSB,
                                                       G2L_HERALD_DELAYS_DELAY_SECOND_PS_WIDTH);
                if (g2l_buf_push(&d->heralds, &r) != G2L_OK) return G2L_ERR_NOMEM;
                continue;
            }
            malformed(d, d->herald_offset); /* HERALD without its HERALD_DELAYS */
        }
        switch (kind) {
        case G2L_KIND_TAG: {
            if (w & TAG_FLAGS_MASK) {
                malformed(d, off);
                break;
            }
            int64_t t = (d->epoch << G2L_TIME_BITS) | (int64_t)(w & TIME_MASK);
            if (t < d->last_time) d->out_of_order++;
            d->last_time = t;
            out_channel[nt] = (uint8_t)G2L_FIELD(w, G2L_TAG_CHANNEL_LSB, G2L_TAG_CHANNEL_WIDTH);
            out_time[nt] = t;
            nt++;
            break;
        }
        case G2L_KIND_ROLLOVER: {
            int64_t ep = (int64_t)(w & TIME_MASK);
            if ((w & ROLLOVER_SPARE) || ep >= G2L_MAX_EPOCH) {
                malformed(d, off); /* spare bits set, or a time past int64 picoseconds */
                break;
            }
            d->epoch = ep;
            d->rollovers++;
            break;
        }
        case G2L_KIND_LOST:
            if (w & LOST_SPARE) {
                malformed(d, off);
                break;
            }
            d->lost[G2L_FIELD(w, G2L_LOST_CHANNEL_LSB, G2L_LOST_CHANNEL_WIDTH) * G2L_N_CAUSES +
                    G2L_FIELD(w, G2L_LOST_CAUSE_LSB, G2L_LOST_CAUSE_WIDTH)] +=
                (int64_t)G2L_FIELD(w, G2L_LOST_COUNT_LSB, G2L_LOST_COUNT_WIDTH);
            break;
        case G2L_KIND_MARKER: {
            g2l_marker m = {(d->epoch << G2L_TIME_BITS) | (int64_t)(w & TIME_MASK),
                            (int64_t)G2L_FIELD(w, G2L_MARKER_MARKER_LSB, G2L_MARKER_MARKER_WIDTH)};
            if (g2l_buf_push(&d->markers, &m) != G2L_OK) return G2L_ERR_NOMEM;
            break;
        }
        case G2L_KIND_HERALD:
            d->herald_pending = 1;
            d->herald_word = w;
            d->herald_offset = off;
            break;
        case G2L_KIND_FRAME:
            d->in_frame = 1;
            d->frame_kind = (int64_t)G2L_FIELD(w, G2L_FRAME_FRAME_KIND_LSB, G2L_FRAME_FRAME_KIND_WIDTH);
            d->frame_index = (int64_t)G2L_FIELD(w, G2L_FRAME_INDEX_LSB, G2L_FRAME_INDEX_WIDTH);
            d->frame_length = (int64_t)G2L_FIELD(w, G2L_FRAME_LENGTH_LSB, G2L_FRAME_LENGTH_WIDTH);
            d->frame_got = 0;
            d->frame_offset = off;
            if (d->frame_length == 0 && close_frame(d) != G2L_OK) return G2L_ERR_NOMEM;
            break;
        default: /* INVALID (all zero), HERALD_DELAYS without HERALD, unknown kinds */
            malformed(d, off);
            break;
        }
    }
    d->n_tags += nt;
    return nt;
}

void g2l_decoder_finish(g2l_decoder *d) {
    if (d->herald_pending) {
        d->herald_pending = 0;
        malformed(d, d->herald_offset);
    }
    if (d->in_frame) {
        d->in_frame = 0;
        malformed(d, d->frame_offset);
        d->payload.len -= d->frame_got; /* the cut-short frame's payload is dropped, not returned */
        d->frame_got = 0;
    }
}
