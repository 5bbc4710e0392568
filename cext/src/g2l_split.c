// SPDX-License-Identifier: BSD-3-Clause
/* Checking a chunk of one merged tag stream and splitting it by channel.
 *
 * The streaming correlator correlates per-channel arrays, so every chunk is checked (channel in
 * range, time in stream order) and split by channel. At photon-counting rates these passes cost
 * about as much as the correlation itself, so they run without branches:
 * - the check accumulates a flag and locates the bad tag only when there is one;
 * - few channels (<= 4, the usual HBT pair or autocorrelation): every tag's time is written to
 *   each channel's next slot and only its own channel's slot advances (positions stay in
 *   registers); the channels nobody correlates (a sync) are counted in a second pass only when
 *   present;
 * - many channels: a counting pass, then one scatter with offsets from the counts.
 * With AVX-512 the check and the few-channel split take eight tags per step (compare, compress);
 * with AVX2 four (compare; the compress is a permutation from a table of the 16 lane masks).
 */
#include "g2l_split.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define G2L_HAVE_X86_SIMD 1
#include <immintrin.h>
#else
#define G2L_HAVE_X86_SIMD 0
#endif

int g2l_split_simd_available(void) {
#if G2L_HAVE_X86_SIMD
    if (__builtin_cpu_supports("avx512f")) return G2L_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2")) return G2L_SIMD_AVX2;
#endif
    return G2L_SIMD_NONE;
}

/* ---- check ---- */

static int64_t locate_invalid(const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t last,
                              int *status) {
    for (int64_t i = 0; i < n; i++) {
        const int64_t prev = i ? time_ps[i - 1] : last;
        if (channel[i] >= G2L_N_CHANNELS || time_ps[i] < prev) {
            *status = channel[i] >= G2L_N_CHANNELS ? G2L_ERR_CHANNEL : G2L_ERR_UNSORTED;
            return i;
        }
    }
    return -1;
}

static int any_invalid_scalar(const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t last) {
    int bad = n > 0 && time_ps[0] < last;
    uint8_t bits = 0; /* a channel >= 64 sets bit 6 or 7 */
    for (int64_t i = 0; i < n; i++) bits |= channel[i];
    for (int64_t i = 1; i < n; i++) bad |= time_ps[i] < time_ps[i - 1];
    return bad | ((bits & (uint8_t)~(G2L_N_CHANNELS - 1)) != 0);
}

#if G2L_HAVE_X86_SIMD
__attribute__((target("avx2"))) static int any_invalid_avx2(const uint8_t *channel, const int64_t *time_ps,
                                                            int64_t n, int64_t last) {
    if (n == 0) return 0;
    int bad = time_ps[0] < last;
    uint8_t bits = 0;
    __m256i m = _mm256_setzero_si256(), c = _mm256_setzero_si256();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) c = _mm256_or_si256(c, _mm256_loadu_si256((const __m256i *)(channel + i)));
    for (; i < n; i++) bits |= channel[i];
    for (i = 1; i + 4 <= n; i += 4) { /* time_ps[i - 1 .. i + 2] against time_ps[i .. i + 3] */
        const __m256i t = _mm256_loadu_si256((const __m256i *)(time_ps + i));
        const __m256i before = _mm256_loadu_si256((const __m256i *)(time_ps + i - 1));
        m = _mm256_or_si256(m, _mm256_cmpgt_epi64(before, t));
    }
    for (; i < n; i++) bad |= time_ps[i] < time_ps[i - 1];
    const __m256i high = _mm256_set1_epi8((char)(uint8_t)~(G2L_N_CHANNELS - 1));
    bad |= !_mm256_testz_si256(c, high) || (bits & (uint8_t)~(G2L_N_CHANNELS - 1));
    return bad | !_mm256_testz_si256(m, m);
}

__attribute__((target("avx512f"))) static int any_invalid_avx512(const uint8_t *channel, const int64_t *time_ps,
                                                                 int64_t n, int64_t last) {
    if (n == 0) return 0;
    int bad = (channel[0] >= G2L_N_CHANNELS) | (time_ps[0] < last);
    const __m512i limit = _mm512_set1_epi64(G2L_N_CHANNELS - 1);
    __mmask8 m = 0;
    int64_t i = 1;
    for (; i + 8 <= n; i += 8) { /* time_ps[i - 1 .. i + 6] against time_ps[i .. i + 7] */
        const __m512i t = _mm512_loadu_si512((const void *)(time_ps + i));
        const __m512i before = _mm512_loadu_si512((const void *)(time_ps + i - 1));
        const __m512i ch = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(channel + i)));
        m |= _mm512_cmplt_epi64_mask(t, before) | _mm512_cmpgt_epu64_mask(ch, limit);
    }
    for (; i < n; i++) bad |= (channel[i] >= G2L_N_CHANNELS) | (time_ps[i] < time_ps[i - 1]);
    return bad | (m != 0);
}
#endif

int64_t g2l_check_chunk(const uint8_t *channel, const int64_t *time_ps, int64_t n, int64_t last, int *status,
                        int simd) {
    int bad;
#if G2L_HAVE_X86_SIMD
    if (simd >= G2L_SIMD_AVX512)
        bad = any_invalid_avx512(channel, time_ps, n, last);
    else if (simd == G2L_SIMD_AVX2)
        bad = any_invalid_avx2(channel, time_ps, n, last);
    else
#endif
        bad = any_invalid_scalar(channel, time_ps, n, last);
    (void)simd;
    return bad ? locate_invalid(channel, time_ps, n, last, status) : -1;
}

/* ---- split ---- */

void g2l_count_channels(const uint8_t *channel, int64_t n, int64_t *count) {
    /* four tables break the store-to-load chain one table has when a channel repeats (a sync) */
    int64_t c4[4][G2L_N_CHANNELS];
    memset(c4, 0, sizeof(c4));
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        c4[0][channel[i]]++;
        c4[1][channel[i + 1]]++;
        c4[2][channel[i + 2]]++;
        c4[3][channel[i + 3]]++;
    }
    for (; i < n; i++) c4[0][channel[i]]++;
    for (int k = 0; k < G2L_N_CHANNELS; k++) count[k] = c4[0][k] + c4[1][k] + c4[2][k] + c4[3][k];
}

/* One tag: write it to every region's next slot and advance its own channel's slot (key 255
 * matches no channel). */
#define SPLIT_ONE(i)                     \
    do {                                 \
        const uint8_t ch_ = channel[i];  \
        const int64_t t_ = time_ps[i];   \
        o0[p0] = t_;                     \
        p0 += ch_ == k0;                 \
        o1[p1] = t_;                     \
        p1 += ch_ == k1;                 \
        if (NK > 2) {                    \
            o2[p2] = t_;                 \
            p2 += ch_ == k2;             \
            o3[p3] = t_;                 \
            p3 += ch_ == k3;             \
        }                                \
    } while (0)

/* Portable kernel for NK = 2 or 4 regions. */
static inline __attribute__((always_inline)) void split_scalar(const uint8_t *channel, const int64_t *time_ps,
                                                              int64_t n, const uint8_t *k, int64_t *out,
                                                              int64_t stride, int64_t *pos, const int NK) {
    const uint8_t k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3];
    int64_t *const o0 = out, *const o1 = out + stride, *const o2 = out + 2 * stride, *const o3 = out + 3 * stride;
    int64_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        SPLIT_ONE(i);
        SPLIT_ONE(i + 1);
        SPLIT_ONE(i + 2);
        SPLIT_ONE(i + 3);
    }
    for (; i < n; i++) SPLIT_ONE(i);
    pos[0] = p0, pos[1] = p1, pos[2] = p2, pos[3] = p3;
}
#undef SPLIT_ONE

#if G2L_HAVE_X86_SIMD
/* Four tags per step: the lanes of a channel are moved to the front by a permutation from this
 * table (indexed by the 4-bit lane mask, two 32-bit indices per 64-bit lane) and a whole vector
 * is stored (the regions' slack). */
static const int32_t COMPRESS4[16][8] = {
    {0, 1, 0, 1, 0, 1, 0, 1}, {0, 1, 0, 1, 0, 1, 0, 1}, {2, 3, 0, 1, 0, 1, 0, 1}, {0, 1, 2, 3, 0, 1, 0, 1},
    {4, 5, 0, 1, 0, 1, 0, 1}, {0, 1, 4, 5, 0, 1, 0, 1}, {2, 3, 4, 5, 0, 1, 0, 1}, {0, 1, 2, 3, 4, 5, 0, 1},
    {6, 7, 0, 1, 0, 1, 0, 1}, {0, 1, 6, 7, 0, 1, 0, 1}, {2, 3, 6, 7, 0, 1, 0, 1}, {0, 1, 2, 3, 6, 7, 0, 1},
    {4, 5, 6, 7, 0, 1, 0, 1}, {0, 1, 4, 5, 6, 7, 0, 1}, {2, 3, 4, 5, 6, 7, 0, 1}, {0, 1, 2, 3, 4, 5, 6, 7},
};

__attribute__((target("avx2"))) static void split_avx2(const uint8_t *channel, const int64_t *time_ps, int64_t n,
                                                       const uint8_t *k, int nk, int64_t *out, int64_t stride,
                                                       int64_t *pos) {
    int64_t p[G2L_SPLIT_MAX_KEYS] = {0};
    __m256i key[G2L_SPLIT_MAX_KEYS];
    for (int u = 0; u < G2L_SPLIT_MAX_KEYS; u++) key[u] = _mm256_set1_epi64x(k[u]);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        int32_t four;
        memcpy(&four, channel + i, sizeof(four));
        const __m256i ch = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(four));
        const __m256i t = _mm256_loadu_si256((const __m256i *)(time_ps + i));
        for (int u = 0; u < nk; u++) {
            const int m = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(ch, key[u])));
            const __m256i idx = _mm256_loadu_si256((const __m256i *)COMPRESS4[m]);
            _mm256_storeu_si256((__m256i *)(out + u * stride + p[u]), _mm256_permutevar8x32_epi32(t, idx));
            p[u] += __builtin_popcount((unsigned)m);
        }
    }
    for (; i < n; i++) {
        for (int u = 0; u < nk; u++) {
            out[u * stride + p[u]] = time_ps[i];
            p[u] += channel[i] == k[u];
        }
    }
    for (int u = 0; u < G2L_SPLIT_MAX_KEYS; u++) pos[u] = p[u];
}

/* Eight tags per step: each region gets the compressed times of its channel (a whole vector is
 * stored: the regions' slack). */
__attribute__((target("avx512f"))) static void split_avx512(const uint8_t *channel, const int64_t *time_ps,
                                                            int64_t n, const uint8_t *k, int nk, int64_t *out,
                                                            int64_t stride, int64_t *pos) {
    int64_t p[G2L_SPLIT_MAX_KEYS] = {0};
    __m512i key[G2L_SPLIT_MAX_KEYS];
    for (int u = 0; u < G2L_SPLIT_MAX_KEYS; u++) key[u] = _mm512_set1_epi64(k[u]);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512i t = _mm512_loadu_si512((const void *)(time_ps + i));
        const __m512i ch = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(channel + i)));
        for (int u = 0; u < nk; u++) {
            const __mmask8 m = _mm512_cmpeq_epi64_mask(ch, key[u]);
            _mm512_storeu_si512((void *)(out + u * stride + p[u]), _mm512_maskz_compress_epi64(m, t));
            p[u] += __builtin_popcount((unsigned)m);
        }
    }
    for (; i < n; i++) {
        for (int u = 0; u < nk; u++) {
            out[u * stride + p[u]] = time_ps[i];
            p[u] += channel[i] == k[u];
        }
    }
    for (int u = 0; u < G2L_SPLIT_MAX_KEYS; u++) pos[u] = p[u];
}
#endif

void g2l_split_few(const uint8_t *channel, const int64_t *time_ps, int64_t n, const uint8_t *keys, int n_keys,
                   int64_t *out, int64_t stride, int64_t *count, int simd) {
    uint8_t k[G2L_SPLIT_MAX_KEYS] = {255, 255, 255, 255};
    for (int u = 0; u < n_keys; u++) k[u] = keys[u];
    int64_t pos[G2L_SPLIT_MAX_KEYS] = {0};
#if G2L_HAVE_X86_SIMD
    if (simd >= G2L_SIMD_AVX512)
        split_avx512(channel, time_ps, n, k, n_keys, out, stride, pos);
    else if (simd == G2L_SIMD_AVX2)
        split_avx2(channel, time_ps, n, k, n_keys, out, stride, pos);
    else
#endif
        if (n_keys <= 2)
        split_scalar(channel, time_ps, n, k, out, stride, pos, 2);
    else
        split_scalar(channel, time_ps, n, k, out, stride, pos, 4);
    (void)simd;
    /* the split channels' counts are their positions; others (a sync) are counted when present */
    int64_t split = 0;
    for (int u = 0; u < n_keys; u++) split += pos[u];
    if (split < n) {
        g2l_count_channels(channel, n, count);
        return;
    }
    memset(count, 0, G2L_N_CHANNELS * sizeof(int64_t));
    for (int u = 0; u < n_keys; u++) count[keys[u]] = pos[u];
}

void g2l_split_all(const uint8_t *channel, const int64_t *time_ps, int64_t n, const uint8_t *used,
                   const int64_t *off, int64_t spare, int64_t *out) {
    int64_t pos[G2L_N_CHANNELS];
    for (int k = 0; k < G2L_N_CHANNELS; k++) pos[k] = used[k] ? off[k] : spare;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t k = channel[i];
        out[pos[k]] = time_ps[i];
        pos[k] += used[k] != 0;
    }
}
