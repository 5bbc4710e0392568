/* Compiled kernels of the photon-physics emulator (host/g2live/emulator): the per-photon loops.
 *
 * Plain C11, no Python. The physics is documented in docs/emulator.md; these loops draw exactly
 * the same distributions as that description, one photon (or avalanche) at a time.
 *
 * Random numbers: xoshiro256** (Blackman & Vigna, 2018; period 2^256 - 1, passes BigCrush),
 * seeded from one 64-bit word expanded by splitmix64 (the seeding its authors recommend). The
 * Python side draws that word from the emulator's numpy Generator for every kernel call, so a
 * run is reproducible from its seed. Uniforms take the top 53 bits; exponential and normal
 * variates use 256-layer ziggurats (Marsaglia & Tsang 2000) whose tables are built at start-up
 * by g2l_emu_init() (exact rejection: the output distribution does not depend on the tables'
 * rounding, only the speed does).
 */
#ifndef G2L_EMULATE_H
#define G2L_EMULATE_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} g2l_rng;

void g2l_rng_seed(g2l_rng *r, uint64_t seed);

static inline uint64_t g2l_rng_next(g2l_rng *r) {
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t res = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double g2l_rng_uniform(g2l_rng *r) { return (double)(int64_t)(g2l_rng_next(r) >> 11) * 0x1.0p-53; }

/* Build the ziggurat tables (idempotent; call once before the first draw). Returns the largest
 * relative misfit of the top layer's area (a self-check of the tables, ~1e-12). */
double g2l_emu_init(void);
double g2l_rng_exp(g2l_rng *r);    /* Exp(1) */
double g2l_rng_normal(g2l_rng *r); /* N(0, 1) */

/* Successes of n Bernoulli(p) trials: their sorted indices, drawn through geometric gaps
 * G = floor(E / -ln(1 - p)) + 1. Resumable: *pos is the index of the last success so far (start
 * with -1); returns the number written to out (at most cap); done when *pos >= n. */
int64_t g2l_emu_bernoulli(g2l_rng *r, double p, int64_t n, int64_t *pos, int64_t cap, int64_t *out);

/* Timing jitter: N(0, sigma) clipped at +-clip sigma, plus Exp(tail_ps) with probability tail_fraction. */
typedef struct {
    double sigma_ps, clip_sigma, tail_fraction, tail_ps;
} g2l_emu_jitter_par;

void g2l_emu_jitter(g2l_rng *r, const g2l_emu_jitter_par *j, int64_t n, float *out);

/* Pulsed cascade. A pulse has a detected photon with probability p_any; one uniform u in
 * [0, p_any) picks the outcome: u < c0 X after N = 1 | < c1 X only after N >= 2 | < c2 BX only |
 * else both. X delay ~ Exp(tau_x) (after the BX delay ~ Exp(tau_bx) when N >= 2). */
typedef struct {
    double p_any, c0, c1, c2, tau_x_ps, tau_bx_ps;
} g2l_emu_cascade;

/* Optics and detectors for each photon: channel (HBT: detector 0 with probability split; spectro:
 * pixel of the energy E = centre + sigma Z - urbach Y on the linear array), then the tag time
 * base + delay + jitter + channel_delay_ps[channel], rounded to the ps (half up). Photons off
 * the array are dropped. Returns the number of tags written (in input order). */
#define G2L_EMU_LINES 2 /* emission lines of the cascade: X, BX */

typedef struct {
    int spectro;
    double split;
    double centre_ev[G2L_EMU_LINES], sigma_ev[G2L_EMU_LINES], urbach_ev[G2L_EMU_LINES]; /* spectro */
    double e_lo_ev, pixel_ev;
    int64_t n_pixels;
    g2l_emu_jitter_par jitter;
    const double *channel_delay_ps; /* per channel */
} g2l_emu_detect_par;

int64_t g2l_emu_detect(g2l_rng *r, const g2l_emu_detect_par *d, int64_t n, const int64_t *base,
                       const double *delay, const uint8_t *kind, int64_t *out_time, uint8_t *out_channel);

/* Pulsed emission and detection in one pass. Segments of consecutive pulses (seg_first[j] ..
 * + seg_len[j], in time order; pulse k at origin_ps + k * period_ps) each with a blinking state
 * whose cascade parameters are cascade[seg_state[j]]. In each segment the pulses with a detected
 * photon are drawn through geometric gaps (a Bernoulli process restricted to a segment is again
 * one, so the gaps restart at every segment), then the outcome, the delays and each photon's
 * g2l_emu_detect step. Resumable: cursor[0] = segment, cursor[1] = last pulse drawn in it (start
 * 0, -1); stops when fewer than 2 slots are left; done when cursor[0] >= n_seg. Returns the
 * number of tags written (pulse order, BX before X); *off_array counts photons off the array. */
int64_t g2l_emu_pulsed(g2l_rng *r, const g2l_emu_cascade *cascade, const g2l_emu_detect_par *d,
                       const int64_t *seg_first, const int64_t *seg_len, const uint8_t *seg_state, int64_t n_seg,
                       int64_t origin_ps, int64_t period_ps, int64_t *cursor, int64_t cap, int64_t *out_time,
                       uint8_t *out_channel, int64_t *off_array);

/* Exact non-paralysable dead time with secondaries, event by event: primaries (t, ch) sorted by
 * time exist regardless; extra xi exists if xparent[i] < 0, else once its parent (an index into
 * [primaries, extras], strictly earlier) is accepted. Events are taken in time order (equal times
 * on one channel: lower index first); an event is accepted iff its channel has no accepted event
 * in the last dead_ps. Outputs 0/1 flags. Channels < 64. Returns G2L_OK or G2L_ERR_NOMEM. */
int g2l_emu_resolve(const int64_t *t, const uint8_t *ch, int64_t n, const int64_t *xt, const uint8_t *xch,
                    const int64_t *xparent, int64_t m, int64_t dead_ps, uint8_t *acc_p, uint8_t *present_x,
                    uint8_t *acc_x);

/* Merge n_sync sync tags at s0 + k q (channel sync_ch) into the (time, channel)-sorted tags; a
 * tag at the same time as a sync goes first (the sync channel is above all detector channels).
 * out_* hold n + n_sync items. */
void g2l_emu_merge_sync(const int64_t *t, const uint8_t *ch, int64_t n, int64_t s0, int64_t q, int64_t n_sync,
                        uint8_t sync_ch, int64_t *out_t, uint8_t *out_ch);

/* Sort tags by (time, channel) in place when they are nearly sorted (insertion sort, stable).
 * Gives up after max_moves element moves (then the order is still a permutation of the input) and
 * returns -1; else the number of moves. */
int64_t g2l_emu_sort_nearly(int64_t *t, uint8_t *ch, int64_t n, int64_t max_moves);

/* Merge two (time, channel)-sorted tag lists; at equal (time, channel) a's tag first. */
void g2l_emu_merge(const int64_t *ta, const uint8_t *ca, int64_t na, const int64_t *tb, const uint8_t *cb,
                   int64_t nb, int64_t *out_t, uint8_t *out_ch);

#endif /* G2L_EMULATE_H */
