// SPDX-License-Identifier: BSD-3-Clause
/* Record decoding of photon time-tag files; see g2l_records.h and docs/formats.md. */
#include "g2l_records.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "g2l_records.c reads little-endian records in place: add byte swaps for this host"
#endif

#define G2L_PAR_MIN ((int64_t)1 << 20) /* default par_min: a thread's start costs ~0.1 ms */
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define INLINE static inline __attribute__((always_inline))

/* Nearest integer of x >= 0, ties to even (numpy's rint): below 2**52 adding and removing 2**52
 * leaves exactly the rounded value (one ulp is 1 there); above it every double is an integer.
 * Kept out of libm so the loop stays free of calls. */
INLINE int64_t round_even(double x) {
    if (x < 0x1p52) {
        double r = (x + 0x1p52) - 0x1p52; /* not folded without -ffast-math (kept out of setup.py) */
        return (int64_t)r;
    }
    return (int64_t)x;
}

/* ticks (>= 0) of `u` in ps, as g2live.io._common.ticks_to_ps computes it. Unsigned arithmetic:
 * the fast pass may convert a value it refuses afterwards, which must not be undefined. */
INLINE int64_t to_ps(int64_t ticks, const g2l_unit *u, int has_frac) {
    uint64_t out = (uint64_t)ticks * (uint64_t)u->whole;
    if (has_frac) out += (uint64_t)round_even((double)ticks * u->frac);
    return (int64_t)out;
}

int g2l_rec_init(g2l_rec_decoder *d, int layout, int version, int n_channels, int64_t max_ticks,
                 int64_t unit_whole, double unit_frac, int64_t micro_whole, double micro_frac, int micro_table) {
    memset(d, 0, sizeof(*d));
    g2l_buf_init(&d->marker_buf, sizeof(g2l_rec_marker));
    d->threads = 1;
    d->par_min = G2L_PAR_MIN;
    d->unsorted = 0;
    d->last_time = 0;
    d->last_channel = -1; /* no photon yet */
    if (layout < G2L_REC_PH_T2 || layout > G2L_REC_SPC || n_channels < 1 || n_channels > 64)
        return G2L_ERR_ARG;
    if (unit_whole < 0 || !(unit_frac >= 0.0 && unit_frac < 1.0) || (unit_whole == 0 && unit_frac == 0.0))
        return G2L_ERR_ARG;
    if (micro_whole < 0 || !(micro_frac >= 0.0 && micro_frac < 1.0) || max_ticks < 0) return G2L_ERR_ARG;
    d->layout = layout;
    d->version = version;
    d->n_channels = n_channels;
    d->unit.whole = unit_whole;
    d->unit.frac = unit_frac;
    d->max_ticks = max_ticks < G2L_REC_MAX_TIME ? max_ticks : G2L_REC_MAX_TIME;
    d->max_offset = G2L_REC_MAX_TIME;
    if (layout == G2L_REC_SPC) { /* macro * period + micro must stay within 2**62 ps */
        if (unit_whole < 1 || unit_frac != 0.0) return G2L_ERR_ARG;
        d->max_offset = G2L_REC_MAX_TIME / unit_whole - 2 * G2L_SPC_WRAP;
    }
    d->micro_whole = micro_whole;
    /* A fractional micro-time bin is rounded as the host rounds it, once per possible value, into
     * a table; a whole-ps one too when asked (a lookup is faster than a multiply in the loop, but
     * filling the table costs about 0.1 ms: worth it for large files only). */
    int n_micro = micro_frac == 0.0 && !micro_table ? 0
                  : layout == G2L_REC_HH_T3 ? G2L_REC_MICRO_MAX
                  : (layout == G2L_REC_PH_T3 || layout == G2L_REC_SPC) ? 4096 : 0;
    if (n_micro) {
        d->micro_ps = malloc(sizeof(int64_t) * (size_t)n_micro);
        if (!d->micro_ps) return G2L_ERR_NOMEM;
        g2l_unit mu = {micro_whole, micro_frac};
        for (int k = 0; k < n_micro; k++) {
            int64_t ticks = layout == G2L_REC_SPC ? 4095 - k : k; /* SPC: reversed start-stop */
            d->micro_ps[k] = to_ps(ticks, &mu, 1);
        }
    }
    return G2L_OK;
}

void g2l_rec_free(g2l_rec_decoder *d) {
    free(d->micro_ps);
    d->micro_ps = NULL;
    g2l_buf_free(&d->marker_buf);
}

void g2l_rec_begin(g2l_rec_decoder *d) {
    d->marker_buf.len = 0;
    d->err_index = -1;
    d->err_value = 0;
}

/* Each block is decoded by a fast pass that checks what no instrument produces only in aggregate
 * (the largest tick count, the set of channels) and leaves its rare paths on anything unusual; if
 * the block fails those checks it is decoded again from the saved state by the checked pass, which
 * tests every record in file order and stops at the first bad one (the index the error names). */
#define G2L_RETRY (-100)

static int64_t fail(g2l_rec_decoder *d, int64_t status, int64_t i, int64_t value) {
    d->err_index = i;
    d->err_value = value;
    return status;
}

static int64_t marker(g2l_rec_decoder *d, int64_t i, int64_t ticks, const g2l_unit *unit, int has_frac,
                      unsigned bits, int checked) {
    if (UNLIKELY(ticks > d->max_ticks)) return checked ? fail(d, G2L_ERR_TIME, i, ticks) : G2L_RETRY;
    g2l_rec_marker m = {d->next_record + i, to_ps(ticks, unit, has_frac), (uint8_t)bits, {0}};
    d->markers++;
    return g2l_buf_push(&d->marker_buf, &m) == G2L_OK ? 0 : G2L_ERR_NOMEM;
}

/* Overflow correction of one overflow record; a sum past max_offset is a corrupted file. */
#define ADD_OVERFLOW(inc)                                                                       \
    do {                                                                                        \
        off += (inc);                                                                           \
        d->overflows++;                                                                         \
        if (UNLIKELY(off > d->max_offset))                                                      \
            return checked ? fail(d, G2L_ERR_OVERFLOW, i, off) : G2L_RETRY;                     \
    } while (0)

/* A photon (or T2 sync) with `ticks` on channel `c` (0..63): the checked pass refuses it at once
 * when the instrument cannot produce it; the fast pass only keeps the largest ticks. */
#define CHECK_PHOTON(c, ticks)                                                                  \
    do {                                                                                        \
        if (checked) {                                                                          \
            if (UNLIKELY((int)(c) >= d->n_channels)) return fail(d, G2L_ERR_CHANNEL, i, (int64_t)(c)); \
            if (UNLIKELY((ticks) > d->max_ticks)) return fail(d, G2L_ERR_TIME, i, (ticks));      \
        }                                                                                       \
    } while (0)

#define MARKER(ticks, bits)                                                                     \
    do {                                                                                        \
        int64_t st_ = marker(d, i, (ticks), &unit, has_frac, (bits), checked);                 \
        if (st_ < 0) return st_;                                                                \
    } while (0)

#define STORE(c, t)                                                                             \
    do {                                                                                        \
        channel[k] = (uint8_t)(c);                                                              \
        time_ps[k] = (t);                                                                       \
        k++;                                                                                    \
    } while (0)

/* The state a pass carries out, and the fast pass's aggregate check: no photon of the block can
 * be later than the final overflow correction plus the largest time field. */
#define FINISH_PASS(channel_mask, low_max)                                                      \
    do {                                                                                        \
        if (!checked && (off + (int64_t)(low_max) > d->max_ticks || ((channel_mask) & ~allowed))) \
            return G2L_RETRY;                                                                   \
        d->offset = off;                                                                        \
        d->present |= (channel_mask);                                                           \
    } while (0)

#define PASS_STATE                                                                              \
    const g2l_unit unit = d->unit;                                                              \
    const int64_t *micro = d->micro_ps;                                                         \
    const int64_t mwhole = d->micro_whole;                                                      \
    const uint64_t allowed = d->n_channels >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << d->n_channels) - 1); \
    int64_t off = d->offset, k = 0;                                                             \
    uint64_t present = 0;                                                                       \
    (void)micro;                                                                                \
    (void)mwhole;                                                                               \
    (void)allowed

INLINE int64_t dec_ph(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *restrict channel,
                      int64_t *restrict time_ps, int64_t *restrict sync_index, int64_t *restrict microtime_ps,
                      int t3, int has_frac, int tab, int checked) {
    PASS_STATE;
    for (int64_t i = 0; i < n; i++) {
        uint32_t w = rec[i];
        uint32_t c = w >> 28;
        if (LIKELY(c != 15 && (!t3 || c != 0))) {
            if (t3) c -= 1; /* routing channels 1..4 are 0..3 */
            int64_t ticks = off + (int64_t)(w & (t3 ? 0xFFFFu : 0x0FFFFFFFu));
            CHECK_PHOTON(c, ticks);
            int64_t t = to_ps(ticks, &unit, has_frac);
            if (t3) {
                int64_t mp = tab ? micro[(w >> 16) & 0xFFF] : (int64_t)((w >> 16) & 0xFFF) * mwhole;
                sync_index[k] = ticks;
                microtime_ps[k] = mp;
                t += mp;
            }
            present |= (uint64_t)1 << c;
            STORE(c, t);
        } else if (c == 0) { /* T3 channel 0: reserved */
            d->invalid++;
        } else if (t3) {
            uint32_t dtime = (w >> 16) & 0xFFF;
            if (dtime == 0) {
                ADD_OVERFLOW(G2L_PH_T3_WRAP);
            } else {
                MARKER(off + (int64_t)(w & 0xFFFF), dtime & 0xF);
            }
        } else if ((w & 0xF) == 0) {
            ADD_OVERFLOW(G2L_PH_T2_WRAP);
        } else {
            MARKER(off + (int64_t)(w & 0x0FFFFFFF), w & 0xF);
        }
    }
    FINISH_PASS(present, t3 ? 0xFFFF : 0x0FFFFFFF);
    return k;
}

INLINE int64_t dec_hh(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *restrict channel,
                      int64_t *restrict time_ps, int64_t *restrict sync_index, int64_t *restrict microtime_ps,
                      int t3, int has_frac, int tab, int checked) {
    PASS_STATE;
    const uint32_t low_mask = t3 ? 0x3FFu : 0x1FFFFFFu;
    const int64_t wrap = t3 ? G2L_HH_T3_WRAP : (d->version == 1 ? G2L_HH_T2_WRAP_V1 : G2L_HH_T2_WRAP_V2);
    const int counted = d->version != 1;
    for (int64_t i = 0; i < n; i++) {
        uint32_t w = rec[i];
        uint32_t c = (w >> 25) & 0x3F;
        int64_t low = (int64_t)(w & low_mask);
        if (LIKELY(!(w >> 31))) {
            int64_t ticks = off + low;
            CHECK_PHOTON(c, ticks);
            int64_t t = to_ps(ticks, &unit, has_frac);
            if (t3) {
                int64_t mp = tab ? micro[(w >> 10) & 0x7FFF] : (int64_t)((w >> 10) & 0x7FFF) * mwhole;
                sync_index[k] = ticks;
                microtime_ps[k] = mp;
                t += mp;
            }
            present |= (uint64_t)1 << c;
            STORE(c, t);
        } else if (c == 63) { /* overflow: one wrap (v1) or `low` wraps, 0 counting as 1 */
            ADD_OVERFLOW(counted ? (low ? low : 1) * wrap : wrap);
        } else if (c == 0 && !t3) { /* T2 sync event, on the host's sync channel */
            int64_t ticks = off + low;
            CHECK_PHOTON(0, ticks);
            STORE(G2L_REC_SYNC_CHANNEL, to_ps(ticks, &unit, has_frac));
            d->syncs++;
        } else if (c >= 1 && c <= 15) {
            MARKER(off + low, c);
        } else {
            d->invalid++; /* reserved special channel (16..62; T3 0) */
        }
    }
    FINISH_PASS(present, low_mask);
    return k;
}

INLINE int64_t dec_spc(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *restrict channel,
                       int64_t *restrict time_ps, int64_t *restrict sync_index, int64_t *restrict microtime_ps,
                       int tab, int checked) {
    PASS_STATE;
    const int has_frac = 0;
    const int64_t period = unit.whole;
    for (int64_t i = 0; i < n; i++) {
        uint32_t w = rec[i];
        uint32_t flags = w >> 28; /* INVALID MTOV GAP MARK */
        if (UNLIKELY(flags)) {
            int invalid = flags >> 3, mtov = (flags >> 2) & 1, gap = (flags >> 1) & 1, mark = flags & 1;
            if (invalid && mtov && !mark) { /* multiple overflow: bits 0..27 count the wraps */
                ADD_OVERFLOW((int64_t)(w & 0x0FFFFFFF) * G2L_SPC_WRAP);
            } else if (mtov && !invalid) { /* one wrap before this record */
                off += G2L_SPC_WRAP;
                if (UNLIKELY(off > d->max_offset)) return checked ? fail(d, G2L_ERR_OVERFLOW, i, off) : G2L_RETRY;
            }
            d->gaps += gap;
            if (mark) {
                MARKER(off + (int64_t)(w & 0xFFF), (w >> 12) & 0xF);
                continue;
            }
            if (invalid) {
                d->invalid += !mtov;
                continue;
            }
        }
        uint32_t c = (w >> 12) & 0xF;
        int64_t macro = off + (int64_t)(w & 0xFFF);
        int64_t mp = tab ? micro[(w >> 16) & 0xFFF] : (int64_t)(4095 - ((w >> 16) & 0xFFF)) * mwhole;
        int64_t t = macro * period + mp;
        present |= (uint64_t)1 << c;
        sync_index[k] = macro;
        microtime_ps[k] = mp;
        STORE(c, t);
    }
    (void)has_frac;
    FINISH_PASS(present, 0); /* macro times are bounded by max_offset already */
    return k;
}

static int64_t run(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *channel, int64_t *time_ps,
                   int64_t *sync_index, int64_t *microtime_ps, int checked) {
    /* one specialised loop per layout, unit (whole or fractional ps), micro-time bin (whole or
     * table) and pass */
    const int frac = d->unit.frac != 0.0, tab = d->micro_ps != NULL;
    uint8_t *c = channel;
    int64_t *t = time_ps, *s = sync_index, *m = microtime_ps;
#define CALL(fn, ...) (checked ? fn(__VA_ARGS__, 1) : fn(__VA_ARGS__, 0))
#define T3(fn, f) (tab ? CALL(fn, d, rec, n, c, t, s, m, 1, f, 1) : CALL(fn, d, rec, n, c, t, s, m, 1, f, 0))
    switch (d->layout) {
    case G2L_REC_PH_T2:
        return frac ? CALL(dec_ph, d, rec, n, c, t, NULL, NULL, 0, 1, 0) : CALL(dec_ph, d, rec, n, c, t, NULL, NULL, 0, 0, 0);
    case G2L_REC_PH_T3:
        return frac ? T3(dec_ph, 1) : T3(dec_ph, 0);
    case G2L_REC_HH_T2:
        return frac ? CALL(dec_hh, d, rec, n, c, t, NULL, NULL, 0, 1, 0) : CALL(dec_hh, d, rec, n, c, t, NULL, NULL, 0, 0, 0);
    case G2L_REC_HH_T3:
        return frac ? T3(dec_hh, 1) : T3(dec_hh, 0);
    case G2L_REC_SPC:
        return tab ? CALL(dec_spc, d, rec, n, c, t, s, m, 1) : CALL(dec_spc, d, rec, n, c, t, s, m, 0);
    default:
        return G2L_ERR_ARG;
    }
#undef T3
#undef CALL
}

/* Stream order of the photons just written (still in cache), continuing from the previous call.
 * The first loop has no branch and vectorizes (differences of neighbours: a negative one is out
 * of order, a zero one a tie); only a block with a tie is looked at again for its channels. */
static void track_order(g2l_rec_decoder *d, const uint8_t *channel, const int64_t *time_ps, int64_t k) {
    if (k <= 0) return;
    int64_t lt = d->last_time;
    int lc = d->last_channel; /* -1 before the first photon: nothing to compare */
    int bad = lc >= 0 && (time_ps[0] < lt || (time_ps[0] == lt && (int)channel[0] < lc));
    uint64_t neg = 0, zero = 0;
    for (int64_t i = 1; i < k; i++) {
        uint64_t dt = (uint64_t)time_ps[i] - (uint64_t)time_ps[i - 1]; /* |times| <= 2**62: exact */
        neg |= dt >> 63;
        zero |= ((dt | (0 - dt)) >> 63) ^ 1;
    }
    bad |= (int)neg;
    if (zero && !bad)
        for (int64_t i = 1; i < k; i++) bad |= (time_ps[i] == time_ps[i - 1]) & (channel[i] < channel[i - 1]);
    d->unsorted |= bad;
    d->last_time = time_ps[k - 1];
    d->last_channel = channel[k - 1];
}

/* One block (at most G2L_SUB records): the fast pass, the checked pass if the fast one objects,
 * then the stream order of the photons written (still in cache). */
static int64_t decode_block(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *channel,
                            int64_t *time_ps, int64_t *sync_index, int64_t *microtime_ps) {
    g2l_rec_decoder saved = *d;
    int64_t k = run(d, rec, n, channel, time_ps, sync_index, microtime_ps, 0);
    if (k == G2L_RETRY) { /* something is wrong in this block: find the first bad record */
        g2l_buf markers = d->marker_buf; /* may have grown: keep the buffer, drop this block's items */
        *d = saved;
        markers.len = saved.marker_buf.len;
        d->marker_buf = markers;
        k = run(d, rec, n, channel, time_ps, sync_index, microtime_ps, 1);
        if (k == G2L_RETRY) k = G2L_ERR_ARG; /* unreachable: the checked pass reports errors itself */
    }
    if (k < 0) return k;
    track_order(d, channel, time_ps, k);
    d->records += n;
    d->next_record += n;
    return k;
}

#define G2L_SUB 65536 /* records per block: the block's outputs stay in cache for the order check */

static int64_t decode_seq(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *channel,
                          int64_t *time_ps, int64_t *sync_index, int64_t *microtime_ps) {
    int64_t k = 0;
    for (int64_t b = 0; b < n; b += G2L_SUB) {
        int64_t nb = n - b < G2L_SUB ? n - b : G2L_SUB;
        int64_t kb = decode_block(d, rec + b, nb, channel + k, time_ps + k, sync_index ? sync_index + k : NULL,
                                  microtime_ps ? microtime_ps + k : NULL);
        if (kb < 0) {
            if (d->err_index >= 0) d->err_index += b;
            return kb;
        }
        k += kb;
    }
    return k;
}

/* The overflow correction and the photons of n records, without decoding them, so that the
 * segments of a large call can start at once; -1 when the correction leaves range (a corrupted
 * file: the sequential pass then finds the record). */
static int prescan(const g2l_rec_decoder *d, const uint32_t *rec, int64_t n, int64_t *delta, int64_t *photons) {
    uint64_t sum = 0;
    int64_t ph = 0;
    const int t3 = d->layout == G2L_REC_HH_T3;
    const uint32_t low_mask = t3 ? 0x3FFu : 0x1FFFFFFu;
    const uint64_t wrap = t3 ? G2L_HH_T3_WRAP : (d->version == 1 ? G2L_HH_T2_WRAP_V1 : G2L_HH_T2_WRAP_V2);
    for (int64_t i = 0; i < n; i++) {
        uint32_t w = rec[i];
        switch (d->layout) {
        case G2L_REC_PH_T2:
            if (w >> 28 != 15) ph++;
            else if ((w & 0xF) == 0) sum += G2L_PH_T2_WRAP;
            break;
        case G2L_REC_PH_T3:
            if (w >> 28 != 15) ph += (w >> 28) != 0;
            else if (((w >> 16) & 0xFFF) == 0) sum += G2L_PH_T3_WRAP;
            break;
        case G2L_REC_HH_T2:
        case G2L_REC_HH_T3:
            if (!(w >> 31)) {
                ph++;
            } else {
                uint32_t c = (w >> 25) & 0x3F, low = w & low_mask;
                if (c == 63) sum += d->version != 1 ? (uint64_t)(low ? low : 1) * wrap : wrap;
                else if (c == 0 && !t3) ph++;
            }
            break;
        default: { /* SPC */
            uint32_t f = w >> 28;
            int inv = f >> 3, mtov = (f >> 2) & 1, mark = f & 1;
            if (inv && mtov && !mark) sum += (uint64_t)(w & 0x0FFFFFFF) * G2L_SPC_WRAP;
            else if (mtov && !inv) sum += G2L_SPC_WRAP;
            ph += !inv && !mark;
        }
        }
        if (UNLIKELY(sum > (uint64_t)G2L_REC_MAX_TIME)) return -1;
    }
    *delta = (int64_t)sum;
    *photons = ph;
    return 0;
}

typedef struct {
    g2l_rec_decoder d;
    const uint32_t *rec;
    int64_t n, k;
    uint8_t *channel;
    int64_t *time_ps, *sync_index, *microtime_ps;
} g2l_job;

static void *job_run(void *arg) {
    g2l_job *j = arg;
    j->k = decode_seq(&j->d, j->rec, j->n, j->channel, j->time_ps, j->sync_index, j->microtime_ps);
    return NULL;
}

#define G2L_MAX_THREADS 8

/* A large call in segments decoded by threads at once (each from the overflow correction and
 * output position the pre-scan gives it), merged in file order. Returns G2L_RETRY when anything
 * is unusual (an error, a disagreement with the pre-scan): the caller decodes sequentially. */
static void free_jobs(g2l_job *job, int from, int to) {
    for (int j = from; j < to; j++) g2l_buf_free(&job[j].d.marker_buf);
}

static int64_t decode_par(g2l_rec_decoder *d, int threads, const uint32_t *rec, int64_t n, uint8_t *channel,
                          int64_t *time_ps, int64_t *sync_index, int64_t *microtime_ps) {
    g2l_job job[G2L_MAX_THREADS];
    pthread_t tid[G2L_MAX_THREADS];
    int started[G2L_MAX_THREADS] = {0};
    int64_t start_off[G2L_MAX_THREADS];
    int64_t off = d->offset, k = 0;
    for (int j = 0; j < threads; j++) { /* each segment's start from the pre-scan of those before */
        int64_t b0 = n * j / threads, b1 = n * (j + 1) / threads, delta = 0, ph = 0;
        g2l_rec_decoder *s = &job[j].d;
        *s = *d;
        s->offset = start_off[j] = off;
        s->next_record = d->next_record + b0;
        s->records = s->overflows = s->markers = s->syncs = s->invalid = s->gaps = 0;
        s->present = 0;
        s->unsorted = 0;
        s->last_channel = -1;
        g2l_buf_init(&s->marker_buf, sizeof(g2l_rec_marker));
        job[j].rec = rec + b0;
        job[j].n = b1 - b0;
        job[j].k = 0;
        job[j].channel = channel + k;
        job[j].time_ps = time_ps + k;
        job[j].sync_index = sync_index ? sync_index + k : NULL;
        job[j].microtime_ps = microtime_ps ? microtime_ps + k : NULL;
        if (j + 1 < threads && prescan(d, rec + b0, b1 - b0, &delta, &ph) != 0) {
            free_jobs(job, 0, j + 1);
            return G2L_RETRY; /* a corrupted segment: the sequential pass names the record */
        }
        off += delta;
        k += ph;
    }
    for (int j = 1; j < threads; j++) started[j] = pthread_create(&tid[j], NULL, job_run, &job[j]) == 0;
    job_run(&job[0]);
    for (int j = 1; j < threads; j++) {
        if (started[j]) pthread_join(tid[j], NULL);
        else job_run(&job[j]);
    }
    /* each segment must end where the pre-scan started the next: same overflow correction, same
     * output position */
    int ok = 1;
    for (int j = 0; j < threads && ok; j++) {
        ok = job[j].k >= 0;
        if (ok && j + 1 < threads)
            ok = job[j].d.offset == start_off[j + 1] && job[j].channel + job[j].k == job[j + 1].channel;
    }
    if (!ok) {
        free_jobs(job, 0, threads);
        return G2L_RETRY;
    }
    int64_t total = 0; /* merge, in file order */
    for (int j = 0; j < threads; j++) {
        g2l_rec_decoder *s = &job[j].d;
        if (job[j].k) {
            int64_t t0 = job[j].time_ps[0];
            int c0 = job[j].channel[0];
            if (d->last_channel >= 0 && (t0 < d->last_time || (t0 == d->last_time && c0 < d->last_channel)))
                d->unsorted = 1;
            d->last_time = s->last_time;
            d->last_channel = s->last_channel;
        }
        d->unsorted |= s->unsorted;
        d->present |= s->present;
        d->records += s->records;
        d->overflows += s->overflows;
        d->markers += s->markers;
        d->syncs += s->syncs;
        d->invalid += s->invalid;
        d->gaps += s->gaps;
        d->offset = s->offset;
        d->next_record = s->next_record;
        if (s->marker_buf.len) {
            if (g2l_buf_reserve(&d->marker_buf, s->marker_buf.len) != G2L_OK) {
                free_jobs(job, j, threads);
                return G2L_ERR_NOMEM;
            }
            memcpy((char *)d->marker_buf.data + (size_t)d->marker_buf.len * sizeof(g2l_rec_marker),
                   s->marker_buf.data, (size_t)s->marker_buf.len * sizeof(g2l_rec_marker));
            d->marker_buf.len += s->marker_buf.len;
        }
        g2l_buf_free(&s->marker_buf);
        total += job[j].k;
    }
    return total;
}

int64_t g2l_rec_decode(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *channel,
                       int64_t *time_ps, int64_t *sync_index, int64_t *microtime_ps) {
    int threads = d->threads;
    if (threads > G2L_MAX_THREADS) threads = G2L_MAX_THREADS;
    if (threads > n / d->par_min) threads = (int)(n / d->par_min);
    if (threads >= 2) {
        int64_t k = decode_par(d, threads, rec, n, channel, time_ps, sync_index, microtime_ps);
        if (k != G2L_RETRY) return k;
        /* d is as it was: decode the call again in one thread, which names the first bad record */
    }
    return decode_seq(d, rec, n, channel, time_ps, sync_index, microtime_ps);
}

int g2l_qutag_decode(const uint8_t *bytes, int64_t n, int max_channel, uint8_t *channel, int64_t *time_ps,
                     uint64_t *present, int64_t *first_unsorted, int64_t *err_index, int64_t *err_value) {
    int64_t last_t = INT64_MIN;
    int last_c = -1;
    uint64_t seen = 0;
    *first_unsorted = -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t t;
        uint16_t c;
        memcpy(&t, bytes + 10 * i, 8);
        memcpy(&c, bytes + 10 * i + 8, 2);
        if (UNLIKELY(c > max_channel || t < 0 || t > G2L_REC_MAX_TIME)) {
            *err_index = i;
            *err_value = c > max_channel ? (int64_t)c : t;
            return c > max_channel ? G2L_ERR_CHANNEL : G2L_ERR_TIME;
        }
        if (UNLIKELY(t < last_t || (t == last_t && (int)c < last_c)) && *first_unsorted < 0) *first_unsorted = i;
        last_t = t;
        last_c = c;
        seen |= (uint64_t)1 << c;
        channel[i] = (uint8_t)c;
        time_ps[i] = t;
    }
    *present = seen;
    return G2L_OK;
}

int g2l_stream_order(const int64_t *time_ps, const uint8_t *channel, int64_t n, int64_t max_shifts,
                     int64_t *perm) {
    int64_t shifts = 0;
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = 1; i < n; i++) {
        int64_t p = perm[i], t = time_ps[p];
        uint8_t c = channel[p];
        int64_t j = i;
        while (j > 0) {
            int64_t q = perm[j - 1];
            if (time_ps[q] < t || (time_ps[q] == t && channel[q] <= c)) break; /* stable */
            perm[j] = q;
            j--;
            if (++shifts > max_shifts) return 1;
        }
        perm[j] = p;
    }
    return 0;
}

int64_t g2l_apply_order(int64_t *perm, int64_t n, uint8_t *channel, int64_t *time_ps, int64_t *sync_index,
                        int64_t *microtime_ps) {
    int64_t moved = 0;
    for (int64_t i = 0; i < n; i++) moved += perm[i] != i;
    for (int64_t i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] == i) continue; /* done, or in place */
        uint8_t c0 = channel[i];
        int64_t t0 = time_ps[i], s0 = sync_index ? sync_index[i] : 0, m0 = microtime_ps ? microtime_ps[i] : 0;
        int64_t j = i;
        for (;;) { /* the cycle through i: position j takes the event at perm[j] */
            int64_t k = perm[j];
            perm[j] = -1 - k; /* visited */
            if (k == i) {
                channel[j] = c0;
                time_ps[j] = t0;
                if (sync_index) sync_index[j] = s0;
                if (microtime_ps) microtime_ps[j] = m0;
                break;
            }
            channel[j] = channel[k];
            time_ps[j] = time_ps[k];
            if (sync_index) sync_index[j] = sync_index[k];
            if (microtime_ps) microtime_ps[j] = microtime_ps[k];
            j = k;
        }
    }
    return moved;
}
