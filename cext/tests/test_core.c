/* C-level unit tests of the g2live core (cext/src), no Python involved.
 * Built and run by tests/core/test_c_unit.py (also under AddressSanitizer/UBSan).
 * Prints one line per failed check and exits non-zero when any check failed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g2l_codec.h"
#include "g2l_coinc.h"
#include "g2l_common.h"
#include "g2l_correlate.h"
#include "g2l_edges.h"
#include "g2l_frontend.h"
#include "g2l_pulsed.h"
#include "g2l_split.h"

#include "check.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void test_divider(void) {
    const uint64_t widths[] = {1, 2, 3, 7, 1000, 1024, 999999937ULL, (1ULL << 61) + 1, (1ULL << 62) - 1, UINT64_MAX};
    for (size_t k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
        g2l_divider dv;
        g2l_divider_init(&dv, widths[k]);
        for (int i = 0; i < 200000; i++) {
            uint64_t u = rnd() >> (rnd() % 64);
            CHECK(g2l_div(&dv, u) == u / widths[k]);
        }
        /* around multiples of the width, where a reciprocal is most likely off by one */
        for (uint64_t q = 0; q < 1000; q++) {
            unsigned __int128 base = (unsigned __int128)q * widths[k];
            for (int e = -1; e <= 1; e++) {
                unsigned __int128 u = base + e;
                if (base == 0 && e < 0) continue;
                if (u > UINT64_MAX) continue;
                CHECK(g2l_div(&dv, (uint64_t)u) == (uint64_t)u / widths[k]);
            }
        }
    }
}

static void test_codec(void) {
    uint8_t ch[6] = {0, 1, 63, 2, 3, 4};
    int64_t t[6] = {5, (1LL << 48) - 1, 1LL << 48, (1LL << 48) + 9, 3, INT64_MAX};
    g2l_encoder e;
    g2l_encoder_init(&e);
    int64_t err = -1;
    int64_t nw = g2l_encode_count(&e, ch, t, 6, &err);
    CHECK(nw == 6 + 4); /* epochs 0, 1, 0, 2**15 - 1 */
    uint64_t words[16];
    CHECK(g2l_encode(&e, ch, t, 6, words) == nw);
    CHECK(G2L_KIND(words[0]) == G2L_KIND_ROLLOVER);
    g2l_decoder d;
    g2l_decoder_init(&d);
    uint8_t oc[16];
    int64_t ot[16];
    g2l_decoder_begin(&d);
    CHECK(g2l_decode(&d, words, nw, oc, ot) == 6);
    for (int i = 0; i < 6; i++) CHECK(oc[i] == ch[i] && ot[i] == t[i]);
    CHECK(d.out_of_order == 1 && d.rollovers == 4 && d.malformed == 0);
    /* errors */
    int64_t neg = -1;
    uint8_t bad = 64;
    CHECK(g2l_encode_count(&e, ch, &neg, 1, &err) == G2L_ERR_TIME && err == 0);
    CHECK(g2l_encode_count(&e, &bad, t, 1, &err) == G2L_ERR_CHANNEL && err == 0);
    /* a frame split over three calls keeps its payload */
    uint64_t fw[4] = {((uint64_t)G2L_KIND_FRAME << 60) | (1ULL << 52) | (5ULL << 32) | 3ULL, 0, 11, 12};
    g2l_decoder_begin(&d);
    CHECK(g2l_decode(&d, fw, 2, oc, ot) == 0 && d.frames.len == 0);
    g2l_decoder_begin(&d);
    CHECK(g2l_decode(&d, fw + 2, 1, oc, ot) == 0 && d.frames.len == 0);
    g2l_decoder_begin(&d);
    CHECK(g2l_decode(&d, fw + 3, 1, oc, ot) == 0 && d.frames.len == 1);
    const g2l_frame *f = (const g2l_frame *)d.frames.data;
    const uint64_t *pl = (const uint64_t *)d.payload.data + f->payload_start;
    CHECK(f->frame_kind == 1 && f->index == 5 && f->length == 3 && pl[0] == 0 && pl[1] == 11 && pl[2] == 12);
    /* a cut-short frame at the end of the stream */
    g2l_decoder_begin(&d);
    g2l_decode(&d, fw, 2, oc, ot);
    g2l_decoder_finish(&d);
    CHECK(d.malformed == 1 && d.malformed_offsets[0] == nw + 4 && d.frames.len == 0);
    g2l_decoder_free(&d);
}

static void brute(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int64_t w, int64_t n, int64_t off,
                  int64_t *h) {
    __int128 lo = (__int128)off - (__int128)(n / 2) * w;
    memset(h, 0, (size_t)n * sizeof(int64_t));
    for (int64_t i = 0; i < na; i++)
        for (int64_t j = 0; j < nb; j++) {
            __int128 x = (__int128)b[j] - a[i] - lo;
            if (x >= 0 && x < (__int128)w * n) h[(int64_t)(x / w)]++;
        }
}

static int cmp64(const void *x, const void *y) {
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static void test_correlate(void) {
    int64_t a[64], b[64], h1[32], h2[32];
    for (int round = 0; round < 3000; round++) {
        int na = (int)(rnd() % 40), nb = (int)(rnd() % 40);
        int scale = (int)(rnd() % 3);
        for (int i = 0; i < na; i++) a[i] = scale == 0 ? (int64_t)(rnd() % 50) : scale == 1 ? (int64_t)rnd() : (int64_t)(rnd() % 2000) - 1000;
        for (int j = 0; j < nb; j++) b[j] = scale == 0 ? (int64_t)(rnd() % 50) : scale == 1 ? (int64_t)rnd() : (int64_t)(rnd() % 2000) - 1000;
        qsort(a, (size_t)na, sizeof(int64_t), cmp64);
        qsort(b, (size_t)nb, sizeof(int64_t), cmp64);
        int64_t w = scale == 1 ? (int64_t)(1ULL << 57) + (int64_t)(rnd() % 5) : 1 + (int64_t)(rnd() % 20);
        int64_t n = 1 + (int64_t)(rnd() % 16);
        int64_t off = scale == 1 ? (int64_t)rnd() : (int64_t)(rnd() % 100) - 50;
        g2l_window win;
        CHECK(g2l_window_init(&win, w, n, off) == G2L_OK);
        memset(h1, 0, sizeof(h1));
        g2l_correlate(a, na, b, nb, &win, h1);
        brute(a, na, b, nb, w, n, off, h2);
        CHECK(memcmp(h1, h2, (size_t)n * sizeof(int64_t)) == 0);
    }
    g2l_window win;
    CHECK(g2l_window_init(&win, 0, 4, 0) == G2L_ERR_ARG);
    CHECK(g2l_window_init(&win, 1LL << 40, 1LL << 23, 0) == G2L_ERR_ARG);
    int64_t s[5] = {1, 2, 2, 1, 3};
    CHECK(g2l_first_unsorted(s, 5) == 3 && g2l_first_unsorted(s, 3) == -1);
}

static void test_correlator(void) {
    uint8_t pa[2] = {0, 1}, pb[2] = {1, 1};
    g2l_correlator c;
    CHECK(g2l_correlator_init(&c, 2, pa, pb, 10, 4, 0) == G2L_OK);
    uint8_t ch[4] = {0, 1, 1, 0};
    int64_t t[4] = {0, 5, 5, 100};
    int64_t err = -1;
    CHECK(g2l_correlator_update(&c, ch, t, 4, &err) == G2L_OK);
    /* pair 0: d = 5, 5 (bin 2); pair 1 (auto on 1): d = 0 twice (bin 2) */
    CHECK(c.hist[2] == 2 && c.hist[4 + 2] == 2);
    int64_t back = 50;
    CHECK(g2l_correlator_update(&c, ch, &back, 1, &err) == G2L_ERR_UNSORTED && err == 0);
    g2l_correlator_free(&c);
}

/* The chunk splitter's kernels (portable and, where the CPU has them, AVX2 and AVX-512) against a plain loop. */
static void test_split(void) {
    enum { N = 1003 }; /* not a multiple of the vector width */
    uint8_t ch[N];
    int64_t t[N], last = -5;
    for (int i = 0; i < N; i++) {
        ch[i] = (uint8_t)(rnd() % 10);
        last += (int64_t)(rnd() % 3);
        t[i] = last;
    }
    const uint8_t keys[4] = {7, 0, 3, 9};
    int64_t *out = malloc(sizeof(int64_t) * 4 * (N + G2L_SPLIT_SLACK));
    for (int simd = 0; simd <= g2l_split_simd_available(); simd++) {
        for (int nk = 1; nk <= 4; nk++) {
            int64_t count[G2L_N_CHANNELS];
            g2l_split_few(ch, t, N, keys, nk, out, N + G2L_SPLIT_SLACK, count, simd);
            for (int u = 0; u < nk; u++) {
                int64_t p = 0;
                for (int i = 0; i < N; i++)
                    if (ch[i] == keys[u]) CHECK(out[u * (N + G2L_SPLIT_SLACK) + p++] == t[i]);
                CHECK(count[keys[u]] == p);
            }
            int64_t total = 0;
            for (int k = 0; k < G2L_N_CHANNELS; k++) total += count[k];
            CHECK(total == N && count[5] > 0); /* channels in no key are counted too */
        }
        int status = G2L_OK;
        CHECK(g2l_check_chunk(ch, t, N, t[0], &status, simd) == -1);
        const int at[] = {0, 1, 7, 8, 9, 500, N - 1};
        for (size_t j = 0; j < sizeof(at) / sizeof(at[0]); j++) {
            const int i = at[j];
            const int64_t keep_t = t[i];
            t[i] = (i ? t[i - 1] : t[0]) - 1;
            CHECK(g2l_check_chunk(ch, t, N, i ? INT64_MIN : t[0] + 1, &status, simd) == i &&
                  status == G2L_ERR_UNSORTED);
            t[i] = keep_t;
            const uint8_t keep_c = ch[i];
            ch[i] = G2L_N_CHANNELS;
            CHECK(g2l_check_chunk(ch, t, N, INT64_MIN, &status, simd) == i && status == G2L_ERR_CHANNEL);
            ch[i] = keep_c;
        }
    }
    /* many channels: counts, offsets, one scatter */
    uint8_t used[G2L_N_CHANNELS] = {0};
    int64_t count[G2L_N_CHANNELS], off[G2L_N_CHANNELS], total = 0;
    for (int k = 0; k < 6; k++) used[k] = 1;
    g2l_count_channels(ch, N, count);
    for (int k = 0; k < G2L_N_CHANNELS; k++) {
        off[k] = total;
        if (used[k]) total += count[k];
    }
    g2l_split_all(ch, t, N, used, off, total, out);
    for (int k = 0; k < 6; k++) {
        int64_t p = 0;
        for (int i = 0; i < N; i++)
            if (ch[i] == k) CHECK(out[off[k] + p++] == t[i]);
        CHECK(p == count[k]);
    }
    free(out);
}

static void test_pulsed(void) {
    g2l_pulsed p;
    CHECK(g2l_pulsed_init(&p, 2, 2, 0, 0, 8) == G2L_OK);
    uint8_t ch[7] = {0, 2, 1, 0, 0, 2, 1};
    int64_t t[7] = {0, 10, 12, 15, 20, 20, 20};
    int64_t err = -1;
    g2l_pulsed_begin(&p);
    CHECK(g2l_pulsed_update(&p, ch, t, 7, &err) == G2L_OK);
    CHECK(p.pre_sync == 1 && p.period_counts.len == 1 && ((uint16_t *)p.period_counts.data)[0] == 2);
    CHECK(p.heralds.len == 1);
    g2l_pulsed_begin(&p);
    CHECK(g2l_pulsed_flush(&p) == G2L_OK);
    /* the photons at 20 on channels 0 and 1 both belong to period 1 (sync at 20) */
    CHECK(p.period_counts.len == 1 && ((uint16_t *)p.period_counts.data)[0] == 2 && p.photon_number[2] == 1);
    const g2l_herald *h = (const g2l_herald *)p.heralds.data;
    CHECK(p.heralds.len == 1 && h->period == 1 && h->channel_first == 0 && h->channel_second == 1 &&
          h->delay_first_ps == 0 && h->delay_second_ps == 0);
    g2l_pulsed_free(&p);
}

static void test_frontend(void) {
    uint8_t ch[6] = {0, 1, 0, 1, 0, 2};
    int64_t t[6] = {0, 1, 4, 8, 10, 11};
    int64_t dead[64] = {0}, delay[64] = {0}, dc[64] = {0}, err = -1, ot[6], perm[6];
    uint8_t oc[6];
    dead[0] = 5;
    delay[1] = -8;
    g2l_frontend_state f;
    CHECK(g2l_frontend_init(&f, dead, delay, ~0ULL & ~(1ULL << 2), &err) == G2L_OK);
    int64_t n = g2l_frontend(&f, ch, t, 6, oc, ot, dc, &err);
    CHECK(n == 4 && dc[0] == 1);
    CHECK(g2l_merge_order(oc, ot, n, perm) == G2L_OK);
    /* accepted: (0,0) (1,-7) (1,0) (0,10) -> order (1,-7) (0,0) (1,0) (0,10) */
    CHECK(ot[perm[0]] == -7 && oc[perm[1]] == 0 && ot[perm[1]] == 0 && oc[perm[2]] == 1 && ot[perm[3]] == 10);
    /* the dead time continues across calls: 14 is within 5 ps of 10 */
    int64_t t2 = 14, back = 9;
    CHECK(g2l_frontend(&f, ch, &t2, 1, oc, ot, dc, &err) == 0 && dc[0] == 2);
    CHECK(g2l_frontend(&f, ch, &back, 1, oc, ot, dc, &err) == G2L_ERR_UNSORTED && err == 0);
    int64_t big = INT64_MAX;
    delay[0] = 1;
    CHECK(g2l_frontend_init(&f, dead, delay, ~0ULL, &err) == G2L_OK);
    CHECK(g2l_frontend(&f, ch, &big, 1, oc, ot, dc, &err) == G2L_ERR_OVERFLOW && err == 0);
    dead[3] = -1;
    CHECK(g2l_frontend_init(&f, dead, delay, ~0ULL, &err) == G2L_ERR_ARG && err == 3);
}

/* Log-binned correlation: random sorted data (ties, int64 limits) against brute force, and the
 * streaming correlator in random chunks against the one-shot counts. */
static void test_edges(void) {
    enum { N = 300, E = 9 };
    int64_t a[N], b[N], edges[E], h[E - 1], ref[E - 1];
    for (int round = 0; round < 40; round++) {
        const int64_t base = round % 3 == 0 ? INT64_MAX - 500 : round % 3 == 1 ? INT64_MIN : 0;
        const int64_t span = round % 2 ? 400 : 40;
        for (int i = 0; i < N; i++) {
            a[i] = base + (int64_t)(rnd() % (uint64_t)span);
            b[i] = base + (int64_t)(rnd() % (uint64_t)span);
        }
        qsort(a, N, sizeof(int64_t), cmp64);
        qsort(b, N, sizeof(int64_t), cmp64);
        for (int k = 0; k < E; k++) edges[k] = -60 + 15 * k + (round % 5);
        if (round % 4 == 3) edges[0] = INT64_MIN, edges[E - 1] = INT64_MAX;
        memset(h, 0, sizeof(h));
        memset(ref, 0, sizeof(ref));
        CHECK(g2l_correlate_edges(a, N, b, N, edges, E, h) == G2L_OK);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                __int128 d = (__int128)b[j] - a[i];
                for (int k = 0; k < E - 1; k++)
                    if (edges[k] <= d && d < edges[k + 1]) ref[k]++;
            }
        for (int k = 0; k < E - 1; k++) CHECK(h[k] == ref[k]);
        /* streaming: a on channel 0, b on channel 1, merged and cut at random */
        uint8_t ch[2 * N];
        int64_t t[2 * N];
        for (int i = 0, j = 0, m = 0; m < 2 * N; m++) {
            int take_a = j == N || (i < N && a[i] <= b[j]);
            ch[m] = take_a ? 0 : 1;
            t[m] = take_a ? a[i++] : b[j++];
        }
        g2l_edge_correlator c;
        uint8_t pa = 0, pb = 1;
        CHECK(g2l_edge_correlator_init(&c, 1, &pa, &pb, edges, E) == G2L_OK);
        int64_t err = -1;
        for (int m = 0; m < 2 * N;) {
            int step = 1 + (int)(rnd() % 97);
            if (m + step > 2 * N) step = 2 * N - m;
            CHECK(g2l_edge_correlator_update(&c, ch + m, t + m, step, &err) == G2L_OK);
            m += step;
        }
        for (int k = 0; k < E - 1; k++) CHECK(c.hist[k] == ref[k]);
        g2l_edge_correlator_free(&c);
    }
}

/* Coincidences and anchored windows on a hand-made stream. */
static void test_coinc(void) {
    const uint8_t ch[] = {0, 1, 2, 0, 1, 2, 2};
    const int64_t t[] = {0, 5, 12, 30, 30, 31, 200};
    const uint64_t sets[] = {0x3, 0x7};
    g2l_coinc c;
    int64_t err = -1;
    CHECK(g2l_coinc_init(&c, 2, sets, 10) == G2L_OK);
    CHECK(g2l_coinc_update(&c, ch, t, 7, &err) == G2L_OK);
    /* {0,1}: 1@5 (0@0), 0@30 (1@5? no: 25 > 10), 1@30 (0@30) -> 2; {0,1,2}: 2@31 (0@30, 1@30) -> 1 */
    CHECK(c.counts[0] == 2 && c.counts[1] == 1);
    g2l_coinc_free(&c);
    g2l_anchored h;
    CHECK(g2l_anchored_init(&h, 0, 0, 1, 2, 20, 1, 0) == G2L_OK); /* window [0, 20) after each 0 */
    CHECK(g2l_anchored_update(&h, ch, t, 7, &err) == G2L_OK);
    /* herald 0@0: 1@5, 2@12 -> both; herald 0@30: 1@30, 2@31 -> both; both closed by 2@200 */
    CHECK(h.n_anchor == 2 && h.n_x == 2 && h.n_y == 2 && h.n_xy == 2);
    g2l_anchored_free(&h);
    CHECK(g2l_anchored_init(&h, 1, 0, 1, 2, 10, 4, 0) == G2L_OK); /* g3 bins [-20, 20) of 10 */
    CHECK(g2l_anchored_update(&h, ch, t, 6, &err) == G2L_OK);
    g2l_anchored_flush(&h);
    /* 0@0: (1@5 -> bin 2, 2@12 -> bin 3); 0@30: (1@5 -> d=-25 out, 1@30 -> 2; 2@12 -> d=-18 -> 0, 2@31 -> 2) */
    CHECK(h.hist[2 * 4 + 3] == 1 && h.hist[2 * 4 + 0] == 1 && h.hist[2 * 4 + 2] == 1 && h.n_anchor == 2);
    g2l_anchored_free(&h);
}

int main(void) {
    test_divider();
    test_codec();
    test_correlate();
    test_correlator();
    test_split();
    test_pulsed();
    test_frontend();
    test_edges();
    test_coinc();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("g2live C core: all checks passed\n");
    return 0;
}
