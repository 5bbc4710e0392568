// SPDX-License-Identifier: BSD-3-Clause
/* Tag-word encoder and decoder (docs/semantics.md "Decoder", docs/tag_word.md). */
#ifndef G2L_CODEC_H
#define G2L_CODEC_H

#include "g2l_common.h"

#define G2L_MAX_EPOCH ((int64_t)1 << 15)   /* epoch * 2**48 must fit a non-negative int64 */
#define G2L_MALFORMED_KEEP 16              /* word offsets kept of the first malformed words */

/* ---- encoder: (channel, time_ps) -> ROLLOVER + TAG words ---- */
typedef struct {
    int64_t epoch;    /* epoch of the last emitted ROLLOVER, -1 before the first */
} g2l_encoder;

void g2l_encoder_init(g2l_encoder *e);
/* Number of words g2l_encode would emit for these tags from state `e` (state unchanged), or a
 * negative status with *err_index (channel > 63: G2L_ERR_CHANNEL, time < 0: G2L_ERR_TIME). */
int64_t g2l_encode_count(const g2l_encoder *e, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                         int64_t *err_index);
/* Write the words (room for g2l_encode_count words) and advance the epoch; returns the count.
 * Inputs must have passed g2l_encode_count. */
int64_t g2l_encode(g2l_encoder *e, const uint8_t *channel, const int64_t *time_ps, int64_t n, uint64_t *out);

/* ---- decoder ---- */
typedef struct {
    int64_t time_ps;
    int64_t marker;
} g2l_marker;

typedef struct {
    int64_t frame_kind;
    int64_t index;
    int64_t length;
    int64_t payload_start; /* first payload word in the decoder's payload buffer */
} g2l_frame;

typedef struct {
    /* stream state, kept across chunks */
    int64_t epoch;
    int64_t last_time;        /* time of the previous TAG, INT64_MIN before the first */
    int64_t offset;           /* stream offset of the next word */
    int herald_pending;       /* a HERALD word waits for its HERALD_DELAYS */
    uint64_t herald_word;
    int64_t herald_offset;
    int in_frame;             /* payload words of a frame are being collected */
    int64_t frame_kind, frame_index, frame_length, frame_got, frame_offset;
    /* outputs of the current call (reset by g2l_decoder_begin) */
    int64_t n_tags;
    int64_t malformed;
    int64_t malformed_offsets[G2L_MALFORMED_KEEP];
    int64_t out_of_order;
    int64_t rollovers;
    int64_t lost[G2L_N_CHANNELS * G2L_N_CAUSES]; /* [channel * 64 + cause] */
    g2l_buf markers;  /* g2l_marker */
    g2l_buf heralds;  /* g2l_herald */
    g2l_buf frames;   /* g2l_frame, complete frames only */
    g2l_buf payload;  /* uint64_t: complete frames' payload, then the partial frame's */
} g2l_decoder;

void g2l_decoder_init(g2l_decoder *d);
void g2l_decoder_free(g2l_decoder *d);
/* Start a call: clear the per-call outputs; a partial frame's payload is kept. */
void g2l_decoder_begin(g2l_decoder *d);
/* Decode n words; tags go to out_channel/out_time (room for n). Returns the number of tags or
 * G2L_ERR_NOMEM. */
int64_t g2l_decode(g2l_decoder *d, const uint64_t *words, int64_t n, uint8_t *out_channel, int64_t *out_time);
/* End of stream: a waiting HERALD and a cut-short frame are counted as malformed. */
void g2l_decoder_finish(g2l_decoder *d);

#endif /* G2L_CODEC_H */
