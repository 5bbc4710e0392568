/* SPDX-License-Identifier: BSD-3-Clause
 * C twin of the carry-chain TDC's encoder and calibration: see g2l_tdc.h. */
#include "g2l_tdc.h"

#include <stdlib.h>
#include <string.h>

#define LOG2_MIN 8
#define LOG2_MAX 20

int g2l_tdc_encode(const uint8_t *sample, int64_t n_samples, int32_t n_chains, int32_t taps_per_chain,
                   int32_t *code, uint8_t *flags) {
    if (n_samples < 0 || n_chains < 1 || taps_per_chain < G2L_TDC_HEAD_TAPS + G2L_TDC_TAIL_TAPS)
        return G2L_TDC_ERR_ARG;
    const int64_t per = (int64_t)n_chains * taps_per_chain;
    int busy_q = 1, head_q = 1; /* reset state: a line high at reset is not a hit */
    for (int64_t s = 0; s < n_samples; s++) {
        const uint8_t *x = sample + s * per;
        int32_t ones = 0;
        int head = 0, tail = 0;
        for (int64_t i = 0; i < per; i++) ones += x[i] != 0;
        for (int32_t c = 0; c < n_chains; c++) {
            const uint8_t *ch = x + (int64_t)c * taps_per_chain;
            for (int32_t t = 0; t < G2L_TDC_HEAD_TAPS; t++) head |= ch[t] != 0;
            for (int32_t t = taps_per_chain - G2L_TDC_TAIL_TAPS; t < taps_per_chain; t++) tail |= ch[t] != 0;
        }
        const int busy = ones != 0;
        uint8_t f = 0;
        if (busy && !busy_q) {
            f |= G2L_TDC_HIT;
            if (!head) f |= G2L_TDC_SHORT;
            if (tail) f |= G2L_TDC_OVERRANGE;
        }
        if (head && !head_q && busy_q) f |= G2L_TDC_OVERLAP;
        code[s] = ones;
        flags[s] = f;
        busy_q = busy;
        head_q = head;
    }
    return G2L_TDC_OK;
}

int g2l_tdc_cal_table(const uint32_t *hist, int32_t n_codes, int32_t log2_hits, int32_t period_ps,
                      uint16_t *table) {
    if (n_codes < 1 || log2_hits < 1 || log2_hits > 30 || period_ps < 2 || period_ps > 65535) return G2L_TDC_ERR_ARG;
    const uint64_t p = (uint64_t)period_ps;
    uint64_t cum = 0;
    for (int32_t k = 0; k < n_codes; k++) {
        const uint64_t e = (p * (2 * cum + hist[k])) >> (log2_hits + 1);
        table[k] = (uint16_t)(e == 0 ? p - 1 : p - e);
        cum += hist[k];
    }
    return G2L_TDC_OK;
}

uint16_t g2l_tdc_nominal(int32_t code, int32_t period_ps, int32_t nom_bin_ps) {
    if (code <= 0) return (uint16_t)(period_ps - 1);
    const int64_t e = ((2 * (int64_t)code - 1) * nom_bin_ps) >> 1;
    if (e == 0) return (uint16_t)(period_ps - 1);
    return (uint16_t)(e >= period_ps ? 0 : period_ps - e);
}

int32_t g2l_tdc_ideal_code(int32_t fine_ps, int32_t period_ps, int32_t nom_bin_ps) {
    return (period_ps - 1 - fine_ps) / nom_bin_ps + 1;
}

void g2l_tdc_quantize(const int64_t *time_ps, int64_t n, int32_t period_ps, int32_t nom_bin_ps,
                      int64_t phase_ps, int64_t *out) {
    for (int64_t i = 0; i < n; i++) {
        int64_t f = (time_ps[i] - phase_ps) % period_ps;
        if (f < 0) f += period_ps;
        const int32_t k = g2l_tdc_ideal_code((int32_t)f, period_ps, nom_bin_ps);
        out[i] = time_ps[i] - f + g2l_tdc_nominal(k, period_ps, nom_bin_ps);
    }
}

static int32_t clamp_log2(int32_t l) { return l < LOG2_MIN ? LOG2_MIN : l > LOG2_MAX ? LOG2_MAX : l; }

int g2l_tdc_cal_init(g2l_tdc_cal *c, int32_t period_ps, int32_t code_w, int32_t nom_bin_ps, int32_t log2_hits,
                     int32_t enable, int32_t use_nominal, int64_t collect_from) {
    memset(c, 0, sizeof *c);
    if (period_ps < 2 || period_ps > 65535 || code_w < 1 || code_w > 16 || nom_bin_ps < 1) return G2L_TDC_ERR_ARG;
    const size_t nc = (size_t)1 << code_w;
    c->hist = calloc(nc, sizeof *c->hist);
    c->table = calloc(2 * nc, sizeof *c->table);
    if (!c->hist || !c->table) {
        g2l_tdc_cal_free(c);
        return G2L_TDC_ERR_NOMEM;
    }
    c->period_ps = period_ps;
    c->code_w = code_w;
    c->nom_bin_ps = nom_bin_ps;
    c->log2_hits = clamp_log2(log2_hits);
    c->enable = enable;
    c->use_nominal = use_nominal;
    c->collect_from = collect_from;
    c->swap_at = -1;
    c->last_cycle = INT64_MIN;
    return G2L_TDC_OK;
}

void g2l_tdc_cal_free(g2l_tdc_cal *c) {
    free(c->hist);
    free(c->table);
    c->hist = NULL;
    c->table = NULL;
}

void g2l_tdc_cal_advance(g2l_tdc_cal *c, int64_t cycle) {
    if (c->swap_at >= 0 && cycle >= c->swap_at) {
        c->bank ^= 1;
        c->valid = 1;
        c->n_tables++;
        c->swap_at = -1;
    }
}

void g2l_tdc_cal_restart(g2l_tdc_cal *c, int64_t cycle) {
    g2l_tdc_cal_advance(c, cycle);  /* a swap due before the restart has happened */
    memset(c->hist, 0, ((size_t)1 << c->code_w) * sizeof *c->hist);
    c->n = 0;
    c->swap_at = -1;
    c->collect_from = cycle + 1 + ((int64_t)1 << c->code_w);
}

uint16_t g2l_tdc_cal_entry(const g2l_tdc_cal *c, int32_t code) {
    return c->table[((size_t)c->bank << c->code_w) + (size_t)code];
}

int g2l_tdc_cal_run(g2l_tdc_cal *c, const int64_t *cycle, const uint16_t *code, int64_t n, uint16_t *fine,
                    int64_t *err_index) {
    const int64_t nc = (int64_t)1 << c->code_w;
    for (int64_t i = 0; i < n; i++) {
        const int64_t t = cycle[i];
        if ((c->last_cycle != INT64_MIN && t < c->last_cycle + 2) || code[i] >= nc) {
            *err_index = i;
            return G2L_TDC_ERR_ORDER;
        }
        c->last_cycle = t;
        g2l_tdc_cal_advance(c, t);
        fine[i] = c->valid && !c->use_nominal ? g2l_tdc_cal_entry(c, code[i])
                                              : g2l_tdc_nominal(code[i], c->period_ps, c->nom_bin_ps);
        if (!c->enable || c->swap_at >= 0 || t < c->collect_from) continue;
        c->hist[code[i]]++;
        if (++c->n == ((int64_t)1 << c->log2_hits)) {
            g2l_tdc_cal_table(c->hist, (int32_t)nc, c->log2_hits, c->period_ps,
                              c->table + ((size_t)(c->bank ^ 1) << c->code_w));
            memset(c->hist, 0, (size_t)nc * sizeof *c->hist);
            c->n = 0;
            c->swap_at = t + nc + G2L_TDC_BUILD_TAIL;
            c->collect_from = c->swap_at;
        }
    }
    return G2L_TDC_OK;
}
