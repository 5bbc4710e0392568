// SPDX-License-Identifier: BSD-3-Clause
/* Checking a chunk of one merged tag stream and splitting it by channel (the streaming
 * correlator's first step): docs/semantics.md "Integrations". */
#ifndef G2L_SPLIT_H
#define G2L_SPLIT_H

#include "g2l_common.h"

/* Slots each output region of g2l_split_few needs beyond its block (vector stores write whole
 * vectors). */
#define G2L_SPLIT_SLACK 8
/* Most channels g2l_split_few separates in one pass. */
#define G2L_SPLIT_MAX_KEYS 4

/* Kernels (the `simd` argument below): portable C, AVX2, AVX-512. */
enum { G2L_SIMD_NONE = 0, G2L_SIMD_AVX2 = 1, G2L_SIMD_AVX512 = 2 };

/* The best kernel level this CPU runs. */
int g2l_split_simd_available(void);

/* -1 when every tag has a channel < G2L_N_CHANNELS and the times are non-decreasing, starting
 * at or after `last`; else the index of the first bad tag, with *status G2L_ERR_CHANNEL or
 * G2L_ERR_UNSORTED. */
int64_t g2l_check_chunk(const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t last, int *status,
                        int simd);

/* Tags per channel of a checked block into count[G2L_N_CHANNELS]. */
void g2l_count_channels(const uint8_t *channel, int64_t n, int64_t *count);

/* A checked block's times of channel keys[u] (u < n_keys <= G2L_SPLIT_MAX_KEYS), in stream
 * order, to out + u * stride (stride >= n + G2L_SPLIT_SLACK); count[G2L_N_CHANNELS] filled.
 * `simd`: the kernel level (above), at most g2l_split_simd_available(). */
void g2l_split_few(const uint8_t *channel, const int64_t *time_ps, int64_t n, const uint8_t *keys, int n_keys,
                   int64_t *out, int64_t stride, int64_t *count, int simd);

/* A checked block's times of every channel k with used[k] to out + off[k] in stream order (off
 * from g2l_count_channels); the other channels' times are written to out[spare]. */
void g2l_split_all(const uint8_t *channel, const int64_t *time_ps, int64_t n, const uint8_t *used,
                   const int64_t *off, int64_t spare, int64_t *out);

#endif /* G2L_SPLIT_H */
