// SPDX-License-Identifier: BSD-3-Clause
/* C-level tests of the record decoders (cext/src/g2l_records.c), no Python involved: random
 * records of every layout decoded in one call, in blocks and with threads give the same photons,
 * markers, counters and errors; the order helpers sort and permute exactly. Built and run (also
 * under AddressSanitizer/UBSan) by tests/io/test_io_c_records.py. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g2l_records.h"

#include "check.h"

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

typedef struct {
    int64_t k, err_index, err_value, counters[6];
    uint8_t *channel;
    int64_t *time_ps, *sync, *micro;
    g2l_rec_marker *markers;
    int64_t n_markers;
    int in_order;
} result;

/* Decode rec[0..n) in calls of `block` records with `threads` threads. */
static result decode(int layout, int version, int n_channels, int64_t max_ticks, int64_t uw, double uf, int64_t mw,
                     double mf, int table, const uint32_t *rec, int64_t n, int64_t block, int threads, int64_t par_min) {
    result r;
    memset(&r, 0, sizeof(r));
    r.channel = calloc((size_t)n + 1, 1);
    r.time_ps = calloc((size_t)n + 1, 8);
    r.sync = calloc((size_t)n + 1, 8);
    r.micro = calloc((size_t)n + 1, 8);
    r.markers = NULL;
    g2l_rec_decoder d;
    CHECK(g2l_rec_init(&d, layout, version, n_channels, max_ticks, uw, uf, mw, mf, table) == G2L_OK);
    d.threads = threads;
    d.par_min = par_min;
    r.err_index = -1;
    for (int64_t b = 0; b < n; b += block) {
        int64_t nb = n - b < block ? n - b : block;
        g2l_rec_begin(&d);
        int64_t k = g2l_rec_decode(&d, rec + b, nb, r.channel + r.k, r.time_ps + r.k, r.sync + r.k, r.micro + r.k);
        if (k < 0) {
            r.err_index = b + d.err_index;
            r.err_value = d.err_value;
            r.k = k; /* the status */
            break;
        }
        r.k += k;
        r.markers = realloc(r.markers, sizeof(g2l_rec_marker) * (size_t)(r.n_markers + d.marker_buf.len + 1));
        if (d.marker_buf.len)
            memcpy(r.markers + r.n_markers, d.marker_buf.data, sizeof(g2l_rec_marker) * (size_t)d.marker_buf.len);
        r.n_markers += d.marker_buf.len;
    }
    int64_t c[6] = {d.records, d.overflows, d.markers, d.syncs, d.invalid, d.gaps};
    memcpy(r.counters, c, sizeof(c));
    r.in_order = !d.unsorted;
    g2l_rec_free(&d);
    return r;
}

static void free_result(result *r) {
    free(r->channel);
    free(r->time_ps);
    free(r->sync);
    free(r->micro);
    free(r->markers);
}

static int same(const result *a, const result *b, int t3) {
    if (a->k != b->k || a->err_index != b->err_index || a->err_value != b->err_value) return 0;
    if (a->k < 0) return 1; /* both refused the same record */
    if (memcmp(a->counters, b->counters, sizeof(a->counters)) || a->in_order != b->in_order) return 0;
    if (memcmp(a->channel, b->channel, (size_t)a->k) || memcmp(a->time_ps, b->time_ps, 8 * (size_t)a->k)) return 0;
    if (t3 && (memcmp(a->sync, b->sync, 8 * (size_t)a->k) || memcmp(a->micro, b->micro, 8 * (size_t)a->k))) return 0;
    if (a->n_markers != b->n_markers) return 0;
    for (int64_t i = 0; i < a->n_markers; i++)
        if (a->markers[i].record != b->markers[i].record || a->markers[i].time_ps != b->markers[i].time_ps ||
            a->markers[i].marker != b->markers[i].marker)
            return 0;
    return 1;
}

/* Mostly well-formed records of a layout, with some arbitrary words mixed in. */
static uint32_t word(int layout, int junk) {
    uint64_t r = rnd();
    if (junk && r % 50 == 0) return (uint32_t)(rnd() >> 32);
    switch (layout) {
    case G2L_REC_PH_T2:
        return r % 30 == 0 ? (15u << 28) | (uint32_t)(rnd() % 16) : ((uint32_t)(r % 5) << 28) | (uint32_t)(rnd() >> 36);
    case G2L_REC_PH_T3:
        return r % 30 == 0 ? (15u << 28) | ((uint32_t)(rnd() % 3) << 16)
                           : ((uint32_t)(1 + r % 4) << 28) | (uint32_t)(rnd() >> 36);
    case G2L_REC_HH_T2:
    case G2L_REC_HH_T3:
        if (r % 20 == 0) return 0xFE000000u | (uint32_t)(rnd() % 4);        /* overflow, count 0..3 */
        if (r % 97 == 0) return 0x80000000u | ((uint32_t)(1 + rnd() % 15) << 25) | (uint32_t)(rnd() % 1024);
        if (r % 89 == 0) return 0x80000000u | (uint32_t)(rnd() % 1024);     /* T2 sync / T3 reserved */
        return ((uint32_t)(r % 4) << 25) | (uint32_t)(rnd() >> 39);
    default: /* SPC: flags 0, MTOV, INVALID+MTOV (multiple overflow), MARK, GAP */
        if (r % 3 == 0) return 0xC0000000u | (uint32_t)(1 + rnd() % 40);
        if (r % 53 == 0) return (1u << 28) | (uint32_t)(rnd() >> 36);
        return ((uint32_t)(r % 7 == 0) << 30) | ((uint32_t)(r % 41 == 0) << 29) | (uint32_t)(rnd() >> 36);
    }
}

static void test_splits_and_threads(void) {
    const int layouts[] = {G2L_REC_PH_T2, G2L_REC_PH_T3, G2L_REC_HH_T2, G2L_REC_HH_T3, G2L_REC_SPC};
    for (int li = 0; li < 5; li++) {
        int layout = layouts[li], t3 = layout == G2L_REC_PH_T3 || layout == G2L_REC_HH_T3 || layout == G2L_REC_SPC;
        for (int trial = 0; trial < 40; trial++) {
            int64_t n = 1 + (int64_t)(rnd() % 200000);
            int junk = trial % 3 == 0;
            uint32_t *rec = malloc(sizeof(uint32_t) * (size_t)n);
            for (int64_t i = 0; i < n; i++) rec[i] = word(layout, junk);
            int version = 1 + (int)(rnd() % 2);
            int64_t max_ticks = trial % 4 == 0 ? (int64_t)(rnd() % 100000000000LL) : (int64_t)1 << 62;
            int64_t uw = layout == G2L_REC_SPC ? 13500 : 1 + (int64_t)(rnd() % 20000);
            double uf = layout == G2L_REC_SPC || trial % 2 ? 0.0 : 0.52035595;
            double mf = trial % 5 == 0 ? 0.2958984375 : 0.0;
            int nch = layout == G2L_REC_PH_T2 ? 5 : layout == G2L_REC_PH_T3 ? 4 : layout == G2L_REC_SPC ? 16 : 4;
            result one = decode(layout, version, nch, max_ticks, uw, uf, 16, mf, 0, rec, n, n, 1, 1 << 20);
            result blocks = decode(layout, version, nch, max_ticks, uw, uf, 16, mf, 1, rec, n, 1 + (int64_t)(rnd() % 70000), 1,
                                   1 << 20);
            result par = decode(layout, version, nch, max_ticks, uw, uf, 16, mf, trial % 2, rec, n, n, 2 + trial % 5,
                                1 + (int64_t)(rnd() % 5000));
            CHECK(same(&one, &blocks, t3));
            CHECK(same(&one, &par, t3));
            free_result(&one);
            free_result(&blocks);
            free_result(&par);
            free(rec);
        }
    }
}

static void test_order_helpers(void) {
    for (int trial = 0; trial < 50; trial++) {
        int64_t n = 1 + (int64_t)(rnd() % 5000);
        int64_t *t = malloc(8 * (size_t)n), *s = malloc(8 * (size_t)n), *m = malloc(8 * (size_t)n);
        int64_t *perm = malloc(8 * (size_t)n), *perm2 = malloc(8 * (size_t)n);
        uint8_t *c = malloc((size_t)n);
        for (int64_t i = 0; i < n; i++) { /* nearly sorted with ties */
            t[i] = i / 3 * 10 + (int64_t)(rnd() % 25);
            c[i] = (uint8_t)(rnd() % 3);
            s[i] = i;
            m[i] = -i;
        }
        CHECK(g2l_stream_order(t, c, n, (int64_t)1 << 40, perm) == 0);
        for (int64_t i = 1; i < n; i++) { /* sorted, and stable: equal keys keep their file order */
            int64_t a = perm[i - 1], b = perm[i];
            CHECK(t[a] < t[b] || (t[a] == t[b] && (c[a] < c[b] || (c[a] == c[b] && a < b))));
        }
        CHECK(n < 3 || g2l_stream_order(t, c, n, 0, perm2) == 0 || 1); /* may give up: no crash */
        int64_t expect_moved = 0;
        for (int64_t i = 0; i < n; i++) expect_moved += perm[i] != i;
        int64_t *want_t = malloc(8 * (size_t)n);
        for (int64_t i = 0; i < n; i++) want_t[i] = t[perm[i]];
        int64_t *pc = malloc(8 * (size_t)n);
        memcpy(pc, perm, 8 * (size_t)n);
        CHECK(g2l_apply_order(pc, n, c, t, s, m) == expect_moved);
        for (int64_t i = 0; i < n; i++) CHECK(t[i] == want_t[i] && s[i] == perm[i] && m[i] == -perm[i]);
        free(t), free(s), free(m), free(perm), free(perm2), free(c), free(want_t), free(pc);
    }
}

static void test_qutag(void) {
    uint8_t raw[10 * 4];
    int64_t times[4] = {5, 3, 3, (int64_t)1 << 62};
    uint16_t chans[4] = {1, 2, 1, 63};
    for (int i = 0; i < 4; i++) {
        memcpy(raw + 10 * i, &times[i], 8);
        memcpy(raw + 10 * i + 8, &chans[i], 2);
    }
    uint8_t c[4];
    int64_t t[4], ei = -1, ev = 0, first = 0;
    uint64_t present = 0;
    CHECK(g2l_qutag_decode(raw, 4, 63, c, t, &present, &first, &ei, &ev) == G2L_OK);
    CHECK(first == 1 && present == ((1ULL << 1) | (1ULL << 2) | (1ULL << 63)) && t[3] == times[3]);
    int64_t bad = -1;
    memcpy(raw + 10 * 2, &bad, 8);
    CHECK(g2l_qutag_decode(raw, 4, 63, c, t, &present, &first, &ei, &ev) == G2L_ERR_TIME && ei == 2 && ev == -1);
}

int main(void) {
    test_splits_and_threads();
    test_order_helpers();
    test_qutag();
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
