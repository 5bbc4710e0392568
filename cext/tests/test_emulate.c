// SPDX-License-Identifier: BSD-3-Clause
/* C-level unit tests of the emulator kernels (cext/src/g2l_emulate.c), no Python involved.
 * Built and run by tests/emulator/test_emulate_c.py (also under AddressSanitizer/UBSan).
 * Statistical checks use fixed seeds and 5-sigma tolerances. Prints one line per failed check
 * and exits non-zero when any check failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g2l_common.h"
#include "g2l_emulate.h"

#include "check.h"

static void test_variates(void) {
    CHECK(g2l_emu_init() < 1e-9); /* ziggurat tables close at the top layer */
    g2l_rng r, r2;
    g2l_rng_seed(&r, 42);
    g2l_rng_seed(&r2, 42);
    for (int i = 0; i < 1000; i++) CHECK(g2l_rng_next(&r) == g2l_rng_next(&r2)); /* reproducible */
    const int n = 2000000;
    double s1 = 0, s2 = 0, u1 = 0, z1 = 0, z2 = 0, z4 = 0;
    long beyond_r = 0, exp_tail = 0, mid = 0;
    for (int i = 0; i < n; i++) {
        double u = g2l_rng_uniform(&r);
        CHECK(u >= 0.0 && u < 1.0);
        u1 += u;
        double e = g2l_rng_exp(&r);
        CHECK(e >= 0.0);
        s1 += e, s2 += e * e;
        exp_tail += e > 8.0;        /* beyond the exponential ziggurat's r = 7.7: the tail path */
        mid += e > 1.0 && e < 2.0;  /* inside the layers: the rejection path */
        double z = g2l_rng_normal(&r);
        z1 += z, z2 += z * z, z4 += z * z * z * z;
        beyond_r += fabs(z) > 3.7;  /* beyond the normal ziggurat's r = 3.65 */
    }
    CHECK(fabs(u1 / n - 0.5) < 5 * sqrt(1.0 / 12 / n));
    CHECK(fabs(s1 / n - 1.0) < 5 * sqrt(1.0 / n));
    CHECK(fabs(s2 / n - 2.0) < 5 * sqrt(20.0 / n)); /* E[X^2] = 2, Var[X^2] = 24 - 4 */
    double p8 = exp(-8.0), p12 = exp(-1.0) - exp(-2.0), pz = erfc(3.7 / sqrt(2.0));
    CHECK(fabs(exp_tail - n * p8) < 5 * sqrt(n * p8));
    CHECK(fabs(mid - n * p12) < 5 * sqrt(n * p12 * (1 - p12)));
    CHECK(fabs(z1 / n) < 5 * sqrt(1.0 / n));
    CHECK(fabs(z2 / n - 1.0) < 5 * sqrt(2.0 / n));
    CHECK(fabs(z4 / n - 3.0) < 5 * sqrt(96.0 / n)); /* E[Z^4] = 3, Var[Z^4] = 105 - 9 */
    CHECK(fabs(beyond_r - n * pz) < 5 * sqrt(n * pz));
}

static void test_bernoulli(void) {
    g2l_rng r;
    g2l_rng_seed(&r, 7);
    const int64_t n = 3000000;
    const double p = 0.013;
    int64_t *out = malloc(sizeof(int64_t) * 60000);
    int64_t pos = -1, m = g2l_emu_bernoulli(&r, p, n, &pos, 60000, out);
    CHECK(pos >= n);
    CHECK(fabs(m - n * p) < 5 * sqrt(n * p * (1 - p)));
    for (int64_t i = 1; i < m; i++) CHECK(out[i] > out[i - 1]);
    CHECK(m == 0 || (out[0] >= 0 && out[m - 1] < n));
    /* resumable: the same seed in small pieces gives the same indices */
    g2l_rng_seed(&r, 7);
    int64_t *piece = malloc(sizeof(int64_t) * 60000);
    int64_t got = 0;
    pos = -1;
    while (pos < n) got += g2l_emu_bernoulli(&r, p, n, &pos, 7, piece + got);
    CHECK(got == m && memcmp(piece, out, sizeof(int64_t) * (size_t)m) == 0);
    pos = -1;
    CHECK(g2l_emu_bernoulli(&r, 1.0, 5, &pos, 10, out) == 5 && out[4] == 4);
    pos = -1;
    CHECK(g2l_emu_bernoulli(&r, 0.0, 5, &pos, 10, out) == 0 && pos == 5);
    free(out), free(piece);
}

static void test_pulsed_resumable(void) {
    /* a blinking-like segment list; the kernel stopped every few photons must continue exactly */
    double a = 0.3, b = 0.05, mu = 1.0, p1 = mu * exp(-mu), p2 = 1 - exp(-mu) * (1 + mu);
    double pr[4] = {p1 * a, p2 * a * (1 - b), p2 * b * (1 - a), p2 * a * b};
    g2l_emu_cascade cas[2] = {
        {pr[0] + pr[1] + pr[2] + pr[3], pr[0], pr[0] + pr[1], pr[0] + pr[1] + pr[2], 2000.0, 500.0},
        {0.0, 0.0, 0.0, 0.0, 2000.0, 500.0}, /* a dark state without detections */
    };
    double delays[2] = {0.0, 250.0};
    g2l_emu_detect_par d;
    memset(&d, 0, sizeof d);
    d.split = 0.5;
    d.jitter = (g2l_emu_jitter_par){30.0, 8.0, 0.1, 150.0};
    d.channel_delay_ps = delays;
    int64_t first[3] = {0, 500, 900}, len[3] = {500, 400, 3000};
    uint8_t state[3] = {0, 1, 0};
    const int64_t cap = 10000;
    int64_t *t1 = malloc(sizeof(int64_t) * cap), *t2 = malloc(sizeof(int64_t) * cap);
    uint8_t *c1 = malloc((size_t)cap), *c2 = malloc((size_t)cap);
    g2l_rng r;
    g2l_rng_seed(&r, 3);
    int64_t cur[2] = {0, -1}, off = 0;
    int64_t m = g2l_emu_pulsed(&r, cas, &d, first, len, state, 3, 100, 100000, cur, cap, t1, c1, &off);
    CHECK(cur[0] == 3 && off == 0);
    double expect = 3500 * (cas[0].p_any + pr[3]);
    CHECK(fabs(m - expect) < 5 * sqrt(expect));
    for (int64_t i = 0; i < m; i++) {
        int64_t k = (t1[i] - 100 + 1000) / 100000; /* the pulse (jitter > -1 ns, delays << period) */
        CHECK(c1[i] <= 1);
        CHECK((k >= 0 && k < 500) || (k >= 900 && k < 3900)); /* nothing from the dark segment */
    }
    g2l_rng_seed(&r, 3);
    int64_t got = 0;
    cur[0] = 0, cur[1] = -1;
    while (cur[0] < 3) got += g2l_emu_pulsed(&r, cas, &d, first, len, state, 3, 100, 100000, cur, 3,
                                             t2 + got, c2 + got, &off);
    CHECK(got == m && memcmp(t1, t2, sizeof(int64_t) * (size_t)m) == 0 && memcmp(c1, c2, (size_t)m) == 0);
    free(t1), free(t2), free(c1), free(c2);
}

static void test_detect(void) {
    /* spectro: a line far below the array is lost; a narrow line in pixel 2 lands there; rounding */
    double delays[4] = {0, 0, 0, 0};
    g2l_emu_detect_par d;
    memset(&d, 0, sizeof d);
    d.spectro = 1;
    d.centre_ev[0] = 2.0, d.centre_ev[1] = 1.0; /* X in pixel 2 of [1.95, 1.99, ...), BX off */
    d.sigma_ev[0] = 1e-6, d.sigma_ev[1] = 1e-6;
    d.e_lo_ev = 1.92, d.pixel_ev = 0.03, d.n_pixels = 4;
    d.channel_delay_ps = delays;
    int64_t base[5] = {1000, 2000, 3000, 4000, 5000}, out_t[5];
    double delay[5] = {0.49, 0.5, 1.51, -0.5, -0.7};
    uint8_t kind[5] = {0, 1, 0, 0, 0}, out_c[5];
    g2l_rng r;
    g2l_rng_seed(&r, 1);
    int64_t m = g2l_emu_detect(&r, &d, 5, base, delay, kind, out_t, out_c);
    CHECK(m == 4);
    /* round half up, also below zero */
    CHECK(out_t[0] == 1000 && out_t[1] == 3002 && out_t[2] == 4000 && out_t[3] == 4999);
    CHECK(out_c[0] == 2 && out_c[1] == 2 && out_c[2] == 2 && out_c[3] == 2);
}

static void test_resolve(void) {
    /* equal times on one detector: the first wins; the afterpulse of a recorded avalanche exists,
     * that of a lost one does not; a child inside the dead time is lost */
    int64_t t[4] = {100, 100, 100, 150};
    uint8_t ch[4] = {0, 0, 1, 0};
    int64_t xt[3] = {130, 200, 400};
    uint8_t xch[3] = {1, 0, 0};
    int64_t xp[3] = {2, 1, 0}; /* child of primary 2 (recorded), 1 (lost), 0 (recorded) */
    uint8_t acc_p[4], pres[3], acc_x[3];
    CHECK(g2l_emu_resolve(t, ch, 4, xt, xch, xp, 3, 60, acc_p, pres, acc_x) == G2L_OK);
    CHECK(acc_p[0] == 1 && acc_p[1] == 0 && acc_p[2] == 1 && acc_p[3] == 0);
    CHECK(pres[0] == 1 && acc_x[0] == 0); /* 130 - 100 < 60 on channel 1 */
    CHECK(pres[1] == 0 && acc_x[1] == 0);
    CHECK(pres[2] == 1 && acc_x[2] == 1);
    CHECK(g2l_emu_resolve(t, ch, 4, xt, xch, xp, 3, 0, acc_p, pres, acc_x) == G2L_OK);
    CHECK(acc_p[1] == 1 && pres[1] == 1 && acc_x[1] == 1); /* no dead time: everything recorded */
}

static int cmp_tag(const void *x, const void *y) {
    const int64_t *a = x, *b = y;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

static void test_sort_merge_sync(void) {
    enum { N = 5000 };
    static int64_t t[N], ref[N][2];
    static uint8_t c[N];
    g2l_rng r;
    g2l_rng_seed(&r, 11);
    for (int i = 0; i < N; i++) {
        t[i] = i * 10 + (int64_t)(g2l_rng_uniform(&r) * 40); /* nearly sorted, some ties */
        c[i] = (uint8_t)(g2l_rng_next(&r) % 3);
        ref[i][0] = t[i], ref[i][1] = c[i];
    }
    qsort(ref, N, sizeof ref[0], cmp_tag);
    CHECK(g2l_emu_sort_nearly(t, c, N, 16 * N) >= 0);
    for (int i = 0; i < N; i++) CHECK(t[i] == ref[i][0] && c[i] == ref[i][1]);
    int64_t rev[4] = {4, 3, 2, 1};
    uint8_t rc[4] = {0, 0, 0, 0};
    CHECK(g2l_emu_sort_nearly(rev, rc, 4, 2) == -1); /* gives up beyond the move budget */

    int64_t a[3] = {5, 10, 10}, b[3] = {1, 10, 20}, mt[6];
    uint8_t ca[3] = {0, 0, 2}, cb[3] = {0, 1, 0}, mc[6];
    g2l_emu_merge(a, ca, 3, b, cb, 3, mt, mc);
    int64_t wt[6] = {1, 5, 10, 10, 10, 20};
    uint8_t wc[6] = {0, 0, 0, 1, 2, 0};
    for (int i = 0; i < 6; i++) CHECK(mt[i] == wt[i] && mc[i] == wc[i]);

    /* syncs at 0, 100, 200, 300; a tag at the same time as a sync goes first */
    int64_t st[3] = {100, 150, 500}, ot[7];
    uint8_t sc[3] = {1, 0, 1}, oc[7];
    g2l_emu_merge_sync(st, sc, 3, 0, 100, 4, 8, ot, oc);
    int64_t et[7] = {0, 100, 100, 150, 200, 300, 500};
    uint8_t ec[7] = {8, 1, 8, 0, 8, 8, 1};
    for (int i = 0; i < 7; i++) CHECK(ot[i] == et[i] && oc[i] == ec[i]);
}

int main(void) {
    test_variates();
    test_bernoulli();
    test_pulsed_resumable();
    test_detect();
    test_resolve();
    test_sort_merge_sync();
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
