/* SPDX-License-Identifier: BSD-3-Clause
 * C-level unit tests of the TDC twin (cext/src/g2l_tdc.c), no Python involved. Built and run by
 * tests/core/test_c_unit.py (also under AddressSanitizer/UBSan). Prints one line per failed check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g2l_tdc.h"

#include "check.h"

enum { CH = 2, TPC = 16, N = CH * TPC };

/* A snapshot with the first `k[c]` taps of chain c set. */
static void therm(uint8_t *s, int k0, int k1) {
    memset(s, 0, N);
    for (int t = 0; t < k0; t++) s[t] = 1;
    for (int t = 0; t < k1; t++) s[TPC + t] = 1;
}

static void test_encode(void) {
    uint8_t s[8 * N];
    int32_t code[8];
    uint8_t flags[8];
    /* empty, edge (5 + 4 taps), full, empty again, a new edge */
    therm(s, 0, 0);
    therm(s + N, 5, 4);
    therm(s + 2 * N, TPC, TPC);
    therm(s + 3 * N, 0, 0);
    therm(s + 4 * N, 2, 1);
    CHECK(g2l_tdc_encode(s, 5, CH, TPC, code, flags) == G2L_TDC_OK);
    CHECK(code[1] == 9 && flags[1] == G2L_TDC_HIT);
    CHECK(code[2] == 2 * TPC && flags[2] == 0); /* still busy: no second hit */
    CHECK(flags[0] == 0 && flags[3] == 0);
    CHECK(code[4] == 3 && flags[4] == G2L_TDC_HIT);
    /* bubbles and out-of-order taps only move the count by their number */
    therm(s, 0, 0);
    therm(s + N, 6, 6);
    s[N + 2] = 0;   /* a bubble behind the edge */
    s[N + 9] = 1;   /* a tap ahead of the edge that switched early */
    CHECK(g2l_tdc_encode(s, 2, CH, TPC, code, flags) == G2L_TDC_OK);
    CHECK(code[1] == 12 && (flags[1] & G2L_TDC_HIT));
    /* a line high at reset gives no hit until it was seen empty */
    therm(s, TPC, TPC);
    therm(s + N, 0, 0);
    therm(s + 2 * N, 3, 3);
    CHECK(g2l_tdc_encode(s, 3, CH, TPC, code, flags) == G2L_TDC_OK);
    CHECK(flags[0] == 0 && flags[2] == G2L_TDC_HIT);
    /* overlap: the input rises again while the previous pulse still fills the far taps */
    therm(s, 0, 0);
    therm(s + N, 10, 10);
    memset(s + 2 * N, 0, N);
    for (int t = 12; t < TPC; t++) s[2 * N + t] = s[2 * N + TPC + t] = 1; /* input low, tail busy */
    memcpy(s + 3 * N, s + 2 * N, N);
    s[3 * N + 0] = s[3 * N + 1] = 1; /* a new edge enters */
    CHECK(g2l_tdc_encode(s, 4, CH, TPC, code, flags) == G2L_TDC_OK);
    CHECK(flags[1] == G2L_TDC_HIT && flags[2] == 0 && flags[3] == G2L_TDC_OVERLAP);
    /* short pulse: at the hit the input (head) is already low; over-range: the tail is set */
    therm(s, 0, 0);
    memset(s + N, 0, N);
    s[N + 10] = 1;
    therm(s + 2 * N, 0, 0);
    therm(s + 3 * N, TPC, 3);
    CHECK(g2l_tdc_encode(s, 4, CH, TPC, code, flags) == G2L_TDC_OK);
    CHECK(flags[1] == (G2L_TDC_HIT | G2L_TDC_SHORT));
    CHECK(flags[3] == (G2L_TDC_HIT | G2L_TDC_OVERRANGE));
    CHECK(g2l_tdc_encode(s, 1, CH, 4, code, flags) == G2L_TDC_ERR_ARG);
}

static void test_tables(void) {
    /* uniform histogram: each of 8 codes (1..8) gets 32 of 256 hits; centres of 8 equal bins */
    uint32_t hist[16] = {0};
    uint16_t table[16];
    for (int k = 1; k <= 8; k++) hist[k] = 32;
    CHECK(g2l_tdc_cal_table(hist, 16, 8, 4000, table) == G2L_TDC_OK);
    CHECK(table[0] == 3999);                      /* below every hit: P, clamped */
    for (int k = 1; k <= 8; k++) CHECK(table[k] == 4000 - (2 * k - 1) * 250);
    for (int k = 9; k < 16; k++) CHECK(table[k] == 0); /* above every hit: the period's start */
    /* unequal bins: 0 / 64 / 192 hits of 256 -> centres at 0, 500 and 2500 ps of 4000 */
    memset(hist, 0, sizeof hist);
    hist[1] = 64;
    hist[3] = 192;
    CHECK(g2l_tdc_cal_table(hist, 16, 8, 4000, table) == G2L_TDC_OK);
    CHECK(table[1] == 3500 && table[2] == 3000 && table[3] == 1500);
    CHECK(g2l_tdc_cal_table(hist, 16, 0, 4000, table) == G2L_TDC_ERR_ARG);
    /* nominal and the zero-time line */
    CHECK(g2l_tdc_nominal(0, 4000, 14) == 3999);
    CHECK(g2l_tdc_nominal(1, 4000, 14) == 3993);
    CHECK(g2l_tdc_nominal(286, 4000, 14) == 4000 - (571 * 14) / 2);
    CHECK(g2l_tdc_nominal(300, 4000, 14) == 0);
    CHECK(g2l_tdc_ideal_code(0, 4000, 14) == 286);
    CHECK(g2l_tdc_ideal_code(3999, 4000, 14) == 1);
    /* quantised times stay in their cycle and within half a bin (+1 ps) of the truth */
    int64_t t[4000], q[4000];
    for (int i = 0; i < 4000; i++) t[i] = 8000 + 37 + i;
    g2l_tdc_quantize(t, 4000, 4000, 14, 37, q);
    int bad = 0;
    for (int i = 0; i < 4000; i++) {
        const int64_t base = 8000 + 37 + (i / 4000) * 4000;
        const int64_t d = q[i] - t[i];
        bad += q[i] < base || q[i] >= base + 4000 || d > 7 || d < -6;
    }
    CHECK(bad == 0);
    t[0] = -1;
    g2l_tdc_quantize(t, 1, 4000, 14, 0, q);
    CHECK(q[0] >= -4000 && q[0] < 0); /* negative times: floor to the cycle below */
}

static void test_schedule(void) {
    g2l_tdc_cal c;
    /* code_w 4 (16 codes), 2**8 hits per table, collection from cycle 16 */
    CHECK(g2l_tdc_cal_init(&c, 4000, 4, 14, 8, 1, 0, 16) == G2L_TDC_OK);
    enum { M = 300 };
    int64_t cyc[M];
    uint16_t code[M], fine[M];
    for (int i = 0; i < M; i++) {
        cyc[i] = 10 + 3 * i;  /* the first two hits are before collection starts */
        code[i] = (uint16_t)(1 + i % 8);
    }
    int64_t err = -1;
    CHECK(g2l_tdc_cal_run(&c, cyc, code, M, fine, &err) == G2L_TDC_OK);
    /* hits 2 .. 257 fill the histogram (cycle 16 .. 781); the table serves from 781 + 16 + 6 */
    const int64_t swap = cyc[257] + 16 + G2L_TDC_BUILD_TAIL;
    for (int i = 0; i < M; i++) {
        if (cyc[i] < swap) CHECK(fine[i] == g2l_tdc_nominal(code[i], 4000, 14));
        else CHECK(fine[i] == (uint16_t)(4000 - (2 * code[i] - 1) * 250));
    }
    CHECK(c.n_tables == 1 && c.valid);
    /* the hits after the swap are counted again (collection restarted at the swap) */
    int64_t counted = 0;
    for (int i = 0; i < M; i++) counted += cyc[i] >= swap;
    CHECK(c.n == counted);
    /* out-of-order cycles are refused with the index */
    int64_t bad_cyc[2] = {5000, 5001};
    CHECK(g2l_tdc_cal_run(&c, bad_cyc, code, 2, fine, &err) == G2L_TDC_ERR_ORDER && err == 1);
    g2l_tdc_cal_free(&c);
    /* use_nominal ignores the table; enable = 0 never builds */
    CHECK(g2l_tdc_cal_init(&c, 4000, 4, 14, 8, 0, 0, 16) == G2L_TDC_OK);
    CHECK(g2l_tdc_cal_run(&c, cyc, code, M, fine, &err) == G2L_TDC_OK);
    CHECK(c.n_tables == 0 && fine[M - 1] == g2l_tdc_nominal(code[M - 1], 4000, 14));
    g2l_tdc_cal_free(&c);
}

int main(void) {
    test_encode();
    test_tables();
    test_schedule();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
