/* SPDX-License-Identifier: BSD-3-Clause
 * C twin of the carry-chain TDC's encoder and calibration (hw/rtl/g2l_tdc_*.sv), bit-exact:
 * docs/hardware.md "TDC". Self-contained (no other g2live header). */
#ifndef G2L_TDC_H
#define G2L_TDC_H

#include <stdint.h>

enum {
    G2L_TDC_OK = 0,
    G2L_TDC_ERR_ARG = -1,    /* invalid parameter */
    G2L_TDC_ERR_NOMEM = -2,
    G2L_TDC_ERR_ORDER = -3,  /* hit cycles not increasing by >= 2, or code out of range */
};

/* Per-snapshot flags of the encoder (g2l_tdc_encoder). */
enum {
    G2L_TDC_HIT = 1,        /* first non-empty snapshot after an empty one */
    G2L_TDC_OVERLAP = 2,    /* the input rose while the line was busy: that edge is lost */
    G2L_TDC_SHORT = 4,      /* hit with the input already low again */
    G2L_TDC_OVERRANGE = 8,  /* hit with the edge at the far end of the line */
};

#define G2L_TDC_HEAD_TAPS 8   /* taps per chain that tell the input level (g2l_tdc.svh) */
#define G2L_TDC_TAIL_TAPS 4   /* taps per chain at the far end */
#define G2L_TDC_BUILD_TAIL 9  /* new table serves hits from last_hit + 2**code_w + this */

/* Encoder and hit detector over consecutive snapshots (one per clock, 0/1 per tap, chain-major:
 * sample[s * n_chains * taps_per_chain + c * taps_per_chain + t]), starting from reset. Writes the
 * ones count and the flags of each snapshot (what the encoder outputs for it, its pipeline
 * latency aside). */
int g2l_tdc_encode(const uint8_t *sample, int64_t n_samples, int32_t n_chains, int32_t taps_per_chain,
                   int32_t *code, uint8_t *flags);

/* Table from a code-density histogram of exactly 2**log2_hits hits (g2l_tdc_calib's builder):
 * table[k] = min(P - 1, P - floor(P * (2 * C_k + h_k) / 2**(log2_hits + 1))). */
int g2l_tdc_cal_table(const uint32_t *hist, int32_t n_codes, int32_t log2_hits, int32_t period_ps,
                      uint16_t *table);

/* Fine time of a code before calibration: P - floor((2k - 1) * nom_bin_ps / 2), clamped to
 * 0 .. P - 1 (code 0 gives P - 1). */
uint16_t g2l_tdc_nominal(int32_t code, int32_t period_ps, int32_t nom_bin_ps);

/* Code of the zero-time line (g2l_tdc_line_ideal) for an edge fine_ps into its cycle. */
int32_t g2l_tdc_ideal_code(int32_t fine_ps, int32_t period_ps, int32_t nom_bin_ps);

/* Times through the zero-time line and the nominal table, as the cycle-based RTL gives them with
 * calibration off: t -> cycle start + nominal(ideal_code(fine)), clock edges at phase_ps + k P. */
void g2l_tdc_quantize(const int64_t *time_ps, int64_t n, int32_t period_ps, int32_t nom_bin_ps,
                      int64_t phase_ps, int64_t *out);

/* The calibration engine clock for clock (g2l_tdc_calib): hits (cycle, code) at its input. */
typedef struct {
    int32_t period_ps, code_w, nom_bin_ps, log2_hits, use_nominal, enable;
    int64_t collect_from;  /* first cycle of the running collection */
    int64_t n;             /* hits in it */
    uint32_t *hist;        /* [2**code_w] */
    uint16_t *table;       /* [2][2**code_w] */
    int32_t bank, valid;
    int64_t swap_at;       /* cycle from which the table being built serves; -1 = none pending */
    int64_t n_tables;
    int64_t last_cycle;    /* previous hit's cycle, INT64_MIN before the first */
} g2l_tdc_cal;

/* collect_from: first cycle of collection (reset release + 2**code_w). log2_hits is clamped to
 * 8 .. 20 as the RTL does. */
int g2l_tdc_cal_init(g2l_tdc_cal *c, int32_t period_ps, int32_t code_w, int32_t nom_bin_ps, int32_t log2_hits,
                     int32_t enable, int32_t use_nominal, int64_t collect_from);
void g2l_tdc_cal_free(g2l_tdc_cal *c);
/* Hits in cycle order, each at least two cycles after the previous; fine[i] is what the RTL outputs
 * for hit i. G2L_TDC_ERR_ORDER (nothing of the call after *err_index processed) on bad input. */
int g2l_tdc_cal_run(g2l_tdc_cal *c, const int64_t *cycle, const uint16_t *code, int64_t n, uint16_t *fine,
                    int64_t *err_index);
/* cal_restart pulsed in `cycle`: the histogram and any table being built are dropped, collection
 * starts again after the clearing sweep (cycle + 1 + 2**code_w). The active table stays. */
void g2l_tdc_cal_restart(g2l_tdc_cal *c, int64_t cycle);
/* Apply a table swap due at or before `cycle` (hits do this themselves). */
void g2l_tdc_cal_advance(g2l_tdc_cal *c, int64_t cycle);
/* Active table entry (what host_data shows). */
uint16_t g2l_tdc_cal_entry(const g2l_tdc_cal *c, int32_t code);

#endif /* G2L_TDC_H */
