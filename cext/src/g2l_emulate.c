// SPDX-License-Identifier: BSD-3-Clause
/* Compiled kernels of the photon-physics emulator; see g2l_emulate.h and docs/emulator.md. */
#include "g2l_emulate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "g2l_common.h"

/* ------------------------------------------------------------------------------------------ RNG */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void g2l_rng_seed(g2l_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed); /* never all zero: splitmix64 is a bijection */
}

/* Ziggurats with 256 layers of equal area v: layer 0 is the base strip [0, r] x [0, f(r)] plus the
 * tail beyond r (as a box of width v / f(r)); layer i >= 1 is the box [0, x[i]] x [f(x[i]), f(x[i+1])],
 * x decreasing to x[256] = 0. A uniform point of a uniformly chosen box is kept when it lies under f. */
#define ZIG_N 256
static const double EXP_R = 7.69711747013104972;
static const double NOR_R = 3.6541528853610088;
static double exp_x[ZIG_N + 1], exp_f[ZIG_N + 1], nor_x[ZIG_N + 1], nor_f[ZIG_N + 1];
static int zig_ready = 0;

static double exp_pdf(double x) { return exp(-x); }
static double exp_inv(double y) { return -log(y); }
static double nor_pdf(double x) { return exp(-0.5 * x * x); }
static double nor_inv(double y) { return sqrt(-2.0 * log(y)); }

static double build(double *x, double *f, double r, double v, double (*pdf)(double), double (*inv)(double)) {
    x[0] = v / pdf(r);
    x[1] = r;
    for (int i = 1; i < ZIG_N - 1; i++) x[i + 1] = inv(pdf(x[i]) + v / x[i]);
    x[ZIG_N] = 0.0;
    for (int i = 0; i <= ZIG_N; i++) f[i] = pdf(x[i]);
    /* the top layer closes at f = 1 when r is right: its area misfit */
    return fabs(x[ZIG_N - 1] * (1.0 - f[ZIG_N - 1]) - v) / v;
}

double g2l_emu_init(void) {
    const double ve = (EXP_R + 1.0) * exp(-EXP_R);
    const double vn = NOR_R * nor_pdf(NOR_R) + sqrt(2.0 * atan(1.0)) * erfc(NOR_R / sqrt(2.0));
    double a = build(exp_x, exp_f, EXP_R, ve, exp_pdf, exp_inv);
    double b = build(nor_x, nor_f, NOR_R, vn, nor_pdf, nor_inv);
    zig_ready = 1;
    return a > b ? a : b;
}

static double exp_slow(g2l_rng *r, uint64_t u);
static double normal_slow(g2l_rng *r, uint64_t u);

/* The ziggurat's common case (~99 %): one random word, one table compare. */
static inline double zexp(g2l_rng *r) {
    const uint64_t u = g2l_rng_next(r);
    const int i = (int)(u & 0xFF);
    const double x = (double)(int64_t)(u >> 11) * 0x1.0p-53 * exp_x[i];
    return x < exp_x[i + 1] ? x : exp_slow(r, u);
}

static inline double znormal(g2l_rng *r) {
    const uint64_t u = g2l_rng_next(r);
    const int i = (int)(u & 0xFF);
    const double x = (double)(int64_t)(u >> 11) * 0x1.0p-53 * nor_x[i];
    return x < nor_x[i + 1] ? (1.0 - (double)(int)((u >> 7) & 2)) * x : normal_slow(r, u);
}

double g2l_rng_exp(g2l_rng *r) { return zexp(r); }
double g2l_rng_normal(g2l_rng *r) { return znormal(r); }

/* The rest of the ziggurat, starting from the word u that missed the fast path. */
static double exp_slow(g2l_rng *r, uint64_t u) {
    double add = 0.0;
    int first = 1;
    for (;; first = 0) {
        if (!first) u = g2l_rng_next(r);
        int i = (int)(u & 0xFF);
        double x = (double)(int64_t)(u >> 11) * 0x1.0p-53 * exp_x[i];
        if (x < exp_x[i + 1]) return add + x;
        if (i == 0) { /* the tail beyond r is r + Exp(1) (memoryless) */
            add += EXP_R;
            continue;
        }
        if (exp_f[i] + g2l_rng_uniform(r) * (exp_f[i + 1] - exp_f[i]) < exp(-x)) return add + x;
    }
}

static double normal_slow(g2l_rng *r, uint64_t u) {
    for (int first = 1;; first = 0) {
        if (!first) u = g2l_rng_next(r);
        int i = (int)(u & 0xFF);
        const double sign = 1.0 - (double)(int)((u >> 7) & 2); /* bit 8: +1 or -1 */
        double x = (double)(int64_t)(u >> 11) * 0x1.0p-53 * nor_x[i];
        if (x < nor_x[i + 1]) return sign * x;
        if (i == 0) { /* tail beyond r (Marsaglia 1964) */
            double a, b;
            do {
                a = -log1p(-g2l_rng_uniform(r)) / NOR_R;
                b = -log1p(-g2l_rng_uniform(r));
            } while (b + b < a * a);
            return sign * (NOR_R + a);
        }
        if (nor_f[i] + g2l_rng_uniform(r) * (nor_f[i + 1] - nor_f[i]) < exp(-0.5 * x * x)) return sign * x;
    }
}

/* ---------------------------------------------------------------------------------- processes */

static double gap_scale(double p) { return p >= 1.0 ? 0.0 : -1.0 / log1p(-p); }

int64_t g2l_emu_bernoulli(g2l_rng *r, double p, int64_t n, int64_t *pos, int64_t cap, int64_t *out) {
    if (!zig_ready) g2l_emu_init();
    int64_t k = *pos, w = 0;
    if (!(p > 0.0)) {
        *pos = n;
        return 0;
    }
    const double s = gap_scale(p);
    while (w < cap) {
        double g = zexp(r) * s; /* next success at k + floor(g) + 1 */
        if (g >= (double)(n - 1 - k)) {
            k = n;
            break;
        }
        k += (int64_t)g + 1;
        out[w++] = k;
    }
    *pos = k;
    return w;
}

/* Jitter; `tail` is a 32-bit uniform word that decides the exponential tail (P = tail_fraction). */
static inline double jitter_one(g2l_rng *r, const g2l_emu_jitter_par *j, uint32_t tail) {
    double x = 0.0;
    if (j->sigma_ps > 0.0) {
        double z = znormal(r);
        z = z > j->clip_sigma ? j->clip_sigma : (z < -j->clip_sigma ? -j->clip_sigma : z);
        x = z * j->sigma_ps;
    }
    if (j->tail_ps > 0.0 && (double)tail < j->tail_fraction * 4294967296.0) x += zexp(r) * j->tail_ps;
    return x;
}

void g2l_emu_jitter(g2l_rng *r, const g2l_emu_jitter_par *j, int64_t n, float *out) {
    if (!zig_ready) g2l_emu_init();
    for (int64_t i = 0; i < n; i++) out[i] = (float)jitter_one(r, j, (uint32_t)(g2l_rng_next(r) >> 32));
}

/* floor of a double well inside the int64 range, without a libm call */
static inline int64_t floor_i64(double x) {
    int64_t i = (int64_t)x; /* truncation toward zero */
    return i - (x < (double)i);
}

static inline int detect_one(g2l_rng *r, const g2l_emu_detect_par *d, int64_t base, double delay, int kind,
                             int64_t *out_time, uint8_t *out_channel) {
    int64_t c;
    uint64_t u = g2l_rng_next(r); /* 32 bits for the detector (HBT), 32 for the jitter tail */
    if (d->spectro) {
        const int k = kind ? 1 : 0;
        double e = d->centre_ev[k] + d->sigma_ev[k] * znormal(r);
        if (d->urbach_ev[k] > 0.0) e -= d->urbach_ev[k] * zexp(r);
        const double p = (e - d->e_lo_ev) / d->pixel_ev;
        if (!(p >= 0.0 && p < (double)d->n_pixels)) return 0; /* off the array: lost */
        c = (int64_t)p; /* truncation of a non-negative number: the pixel */
    } else {
        c = (double)(u >> 32) >= d->split * 4294967296.0; /* detector 0 with probability split */
    }
    const double off = delay + jitter_one(r, &d->jitter, (uint32_t)u) + d->channel_delay_ps[c];
    *out_time = base + floor_i64(off + 0.5); /* round half up */
    *out_channel = (uint8_t)c;
    return 1;
}

int64_t g2l_emu_detect(g2l_rng *r, const g2l_emu_detect_par *d, int64_t n, const int64_t *base,
                       const double *delay, const uint8_t *kind, int64_t *out_time, uint8_t *out_channel) {
    if (!zig_ready) g2l_emu_init();
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++)
        w += detect_one(r, d, base[i], delay[i], kind[i], &out_time[w], &out_channel[w]);
    return w;
}

int64_t g2l_emu_pulsed(g2l_rng *r, const g2l_emu_cascade *cascade, const g2l_emu_detect_par *d,
                       const int64_t *seg_first, const int64_t *seg_len, const uint8_t *seg_state, int64_t n_seg,
                       int64_t origin_ps, int64_t period_ps, int64_t *cursor, int64_t cap, int64_t *out_time,
                       uint8_t *out_channel, int64_t *off_array) {
    if (!zig_ready) g2l_emu_init();
    int64_t seg = cursor[0], k = cursor[1], w = 0, lost = 0;
    for (; seg < n_seg; seg++, k = -1) {
        const g2l_emu_cascade *c = &cascade[seg_state[seg]];
        const int64_t len = seg_len[seg];
        if (!(c->p_any > 0.0)) continue;
        const double s = gap_scale(c->p_any);
        for (;;) {
            if (w + 2 > cap) goto out;
            const double g = zexp(r) * s; /* next pulse with a detection: k + floor(g) + 1 */
            if (g >= (double)(len - 1 - k)) break;
            k += (int64_t)g + 1;
            const int64_t base = origin_ps + (seg_first[seg] + k) * period_ps;
            const double u = g2l_rng_uniform(r) * c->p_any;
            const double dx = zexp(r) * c->tau_x_ps;
            if (u < c->c0) { /* N = 1: the exciton alone */
                int ok = detect_one(r, d, base, dx, 0, &out_time[w], &out_channel[w]);
                w += ok, lost += !ok;
                continue;
            }
            const double db = zexp(r) * c->tau_bx_ps; /* N >= 2: the biexciton decays first */
            if (u >= c->c1) {
                int ok = detect_one(r, d, base, db, 1, &out_time[w], &out_channel[w]);
                w += ok, lost += !ok;
            }
            if (u < c->c1 || u >= c->c2) {
                int ok = detect_one(r, d, base, db + dx, 0, &out_time[w], &out_channel[w]);
                w += ok, lost += !ok;
            }
        }
    }
out:
    cursor[0] = seg, cursor[1] = k;
    *off_array += lost;
    return w;
}

/* ------------------------------------------------------------------------ dead time, sync merge */

typedef struct {
    int64_t t, j;
} heap_item;

static inline int heap_less(heap_item a, heap_item b) { return a.t < b.t || (a.t == b.t && a.j < b.j); }

static void heap_push(heap_item *h, int64_t *len, heap_item x) {
    int64_t i = (*len)++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!heap_less(x, h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static heap_item heap_pop(heap_item *h, int64_t *len) {
    heap_item top = h[0], x = h[--(*len)];
    int64_t i = 0, n = *len;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_less(h[c + 1], h[c])) c++;
        if (!heap_less(h[c], x)) break;
        h[i] = h[c];
        i = c;
    }
    if (n) h[i] = x;
    return top;
}

int g2l_emu_resolve(const int64_t *t, const uint8_t *ch, int64_t n, const int64_t *xt, const uint8_t *xch,
                    const int64_t *xparent, int64_t m, int64_t dead_ps, uint8_t *acc_p, uint8_t *present_x,
                    uint8_t *acc_x) {
    /* children of every event, as a compressed list (first_child[e] .. first_child[e + 1]) */
    int64_t *first_child = calloc((size_t)(n + m + 1), sizeof(int64_t));
    int64_t *child = malloc((size_t)(m ? m : 1) * sizeof(int64_t));
    heap_item *heap = malloc((size_t)(m ? m : 1) * sizeof(heap_item));
    if (!first_child || !child || !heap) {
        free(first_child), free(child), free(heap);
        return G2L_ERR_NOMEM;
    }
    for (int64_t j = 0; j < m; j++)
        if (xparent[j] >= 0) first_child[xparent[j] + 1]++;
    for (int64_t e = 0; e < n + m; e++) first_child[e + 1] += first_child[e];
    for (int64_t j = 0; j < m; j++)
        if (xparent[j] >= 0) child[first_child[xparent[j]]++] = j;
    for (int64_t e = n + m; e > 0; e--) first_child[e] = first_child[e - 1]; /* undo the fill's advance */
    first_child[0] = 0;

    int64_t len = 0;
    for (int64_t j = 0; j < m; j++) {
        acc_x[j] = 0;
        present_x[j] = xparent[j] < 0;
        if (xparent[j] < 0) heap_push(heap, &len, (heap_item){xt[j], j});
    }
    int64_t last[G2L_N_CHANNELS];
    uint8_t live[G2L_N_CHANNELS] = {0}; /* channel has an accepted avalanche */
    int64_t i = 0;
    while (i < n || len) {
        /* the earliest event; at equal times the primary first (lower index; events on other
         * channels do not interact at the same instant: children are strictly later) */
        int64_t e, te;
        int c;
        if (i < n && (!len || t[i] <= heap[0].t)) {
            e = i, te = t[i], c = ch[i] & 63;
            i++;
        } else {
            heap_item h = heap_pop(heap, &len);
            e = n + h.j, te = h.t, c = xch[h.j] & 63;
        }
        int ok = !live[c] || te - last[c] >= dead_ps;
        if (e < n) acc_p[e] = (uint8_t)ok;
        else acc_x[e - n] = (uint8_t)ok;
        if (!ok) continue;
        live[c] = 1, last[c] = te;
        for (int64_t k = first_child[e]; k < first_child[e + 1]; k++) {
            int64_t j = child[k];
            present_x[j] = 1;
            heap_push(heap, &len, (heap_item){xt[j], j});
        }
    }
    free(first_child), free(child), free(heap);
    return G2L_OK;
}

/* Write m sync tags s, s + q, ... (a simple fill the compiler vectorises). */
static void sync_run(int64_t *out_t, uint8_t *out_ch, int64_t m, int64_t s, int64_t q, uint8_t sync_ch) {
    for (int64_t j = 0; j < m; j++) out_t[j] = s + j * q;
    memset(out_ch, sync_ch, (size_t)m);
}

void g2l_emu_merge_sync(const int64_t *t, const uint8_t *ch, int64_t n, int64_t s0, int64_t q, int64_t n_sync,
                        uint8_t sync_ch, int64_t *out_t, uint8_t *out_ch) {
    int64_t k = 0, w = 0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t d = t[i] - s0;
        int64_t k_end = d <= 0 ? 0 : (d - 1) / q + 1; /* syncs strictly before the tag: s0 + k q < t[i] */
        if (k_end > n_sync) k_end = n_sync;
        if (k_end > k) {
            sync_run(out_t + w, out_ch + w, k_end - k, s0 + k * q, q, sync_ch);
            w += k_end - k;
            k = k_end;
        }
        out_t[w] = t[i], out_ch[w++] = ch[i];
    }
    sync_run(out_t + w, out_ch + w, n_sync - k, s0 + k * q, q, sync_ch);
}

int64_t g2l_emu_sort_nearly(int64_t *t, uint8_t *ch, int64_t n, int64_t max_moves) {
    int64_t moves = 0;
    for (int64_t i = 1; i < n; i++) {
        const int64_t ti = t[i];
        const uint8_t ci = ch[i];
        int64_t j = i;
        while (j > 0 && (t[j - 1] > ti || (t[j - 1] == ti && ch[j - 1] > ci))) {
            t[j] = t[j - 1], ch[j] = ch[j - 1];
            j--;
        }
        t[j] = ti, ch[j] = ci;
        moves += i - j;
        if (moves > max_moves) return -1;
    }
    return moves;
}

void g2l_emu_merge(const int64_t *ta, const uint8_t *ca, int64_t na, const int64_t *tb, const uint8_t *cb,
                   int64_t nb, int64_t *out_t, uint8_t *out_ch) {
    int64_t i = 0, j = 0, w = 0;
    while (i < na && j < nb) {
        if (tb[j] < ta[i] || (tb[j] == ta[i] && cb[j] < ca[i])) out_t[w] = tb[j], out_ch[w++] = cb[j++];
        else out_t[w] = ta[i], out_ch[w++] = ca[i++];
    }
    for (; i < na; i++) out_t[w] = ta[i], out_ch[w++] = ca[i];
    for (; j < nb; j++) out_t[w] = tb[j], out_ch[w++] = cb[j];
}
