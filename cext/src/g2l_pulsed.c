/* Pulsed mode against the sync: docs/semantics.md "Pulsed mode against the sync" and
 * "Sync prescaler". */
#include "g2l_pulsed.h"

#include <stdlib.h>
#include <string.h>

int g2l_pulsed_init(g2l_pulsed *p, uint8_t sync_channel, int64_t max_photons, int64_t window_ps,
                    int divider_log2, int avg_log2) {
    memset(p, 0, sizeof(*p));
    if (sync_channel >= G2L_N_CHANNELS) return G2L_ERR_CHANNEL;
    if (max_photons < 1 || window_ps < 0) return G2L_ERR_ARG;
    if (divider_log2 < 0 || divider_log2 > G2L_PULSED_MAX_DIVIDER_LOG2 || avg_log2 < 0 || avg_log2 > 16)
        return G2L_ERR_ARG;
    p->sync_channel = sync_channel;
    p->max_photons = max_photons;
    p->window_ps = window_ps;
    p->divider_log2 = divider_log2;
    p->avg_log2 = avg_log2;
    p->photon_number = calloc((size_t)(max_photons + 1), sizeof(int64_t));
    if (!p->photon_number) return G2L_ERR_NOMEM;
    g2l_buf_init(&p->period_counts, sizeof(uint16_t));
    g2l_buf_init(&p->heralds, sizeof(g2l_herald));
    g2l_pulsed_clear(p);
    return G2L_OK;
}

void g2l_pulsed_free(g2l_pulsed *p) {
    free(p->photon_number);
    p->photon_number = NULL;
    g2l_buf_free(&p->period_counts);
    g2l_buf_free(&p->heralds);
}

void g2l_pulsed_begin(g2l_pulsed *p) {
    p->period_counts.len = 0;
    p->heralds.len = 0;
    memset(p->photon_number, 0, (size_t)(p->max_photons + 1) * sizeof(int64_t));
    p->pre_sync = 0;
    p->out_of_window = 0;
}

void g2l_pulsed_clear(g2l_pulsed *p) {
    p->last_time = INT64_MIN;
    p->n_rec = 0;
    p->t_blk = 0;
    p->blk_n = 0;
    p->blk_log = 0;
    p->have_est = 0;
    p->est_delta = 0;
    p->est_log = 0;
    memset(p->off, 0, sizeof(p->off));
    p->open = 0;
    p->base = 0;
    p->j_cur = 0;
    p->t_sync = 0;
    memset(&p->cur, 0, sizeof(p->cur));
    memset(&p->pend, 0, sizeof(p->pend));
    p->t_pend = INT64_MIN;
}

int64_t g2l_pulsed_period_q8(const g2l_pulsed *p) {
    if (!p->have_est) return 0;
    uint64_t q = ((uint64_t)p->est_delta << 8) >> (p->est_log + p->divider_log2);
    return q > 0xFFFFFFFFu ? 0xFFFFFFFFLL : (int64_t)q;
}

/* Sub-period of a time d >= 0 after the recorded sync: the last j with off[j] <= d. */
static int sub_period(const g2l_pulsed *p, int64_t d) {
    int j = 0;
    for (int k = 1; k < (1 << p->divider_log2); k++)
        if (p->off[k] <= d) j = k;
    return j;
}

static int push_period(g2l_pulsed *p, int64_t n) {
    uint16_t c = n > UINT16_MAX ? UINT16_MAX : (uint16_t)n; /* saturates: a period of 65535+ photons */
    if (g2l_buf_push(&p->period_counts, &c) != G2L_OK) return G2L_ERR_NOMEM;
    p->photon_number[n < p->max_photons ? n : p->max_photons]++;
    return G2L_OK;
}

/* Close the open sub-period j_cur: its counts, and a heralded record for two or more photons. */
static int close_period(g2l_pulsed *p) {
    const int64_t n = p->cur.n;
    if (push_period(p, n) != G2L_OK) return G2L_ERR_NOMEM;
    if (n >= 2) {
        g2l_herald r = {0};
        r.period = p->base + p->j_cur;
        r.channel_first = p->cur.ch[0];
        r.channel_second = p->cur.ch[1];
        r.delay_first_ps = p->cur.t[0];   /* cur.t holds delays after the period's sync */
        r.delay_second_ps = p->cur.t[1];
        if (g2l_buf_push(&p->heralds, &r) != G2L_OK) return G2L_ERR_NOMEM;
    }
    memset(&p->cur, 0, sizeof(p->cur));
    return G2L_OK;
}

/* Empty laser periods: counted with no photons. */
static int empty_periods(g2l_pulsed *p, int64_t k) {
    for (int64_t i = 0; i < k; i++)
        if (push_period(p, 0) != G2L_OK) return G2L_ERR_NOMEM;
    return G2L_OK;
}

/* Give the held photons (all at time t_pend) to their period, or to pre_sync. */
static int commit_pending(g2l_pulsed *p) {
    int64_t n = p->pend.n;
    if (!n) return G2L_OK;
    p->pend.n = 0;
    if (!p->open) {
        p->pre_sync += n;
        return G2L_OK;
    }
    const int64_t d = p->t_pend - p->t_sync;
    const int j = sub_period(p, d);
    const int64_t delay = d - (j ? p->off[j] : 0);
    if (j > p->j_cur) { /* time moved past the open period and any empty ones after it */
        if (close_period(p) != G2L_OK || empty_periods(p, j - p->j_cur - 1) != G2L_OK) return G2L_ERR_NOMEM;
        p->j_cur = j;
    }
    if (p->window_ps > 0 && delay >= p->window_ps) {
        p->out_of_window += n;
        return G2L_OK;
    }
    for (int k = 0; k < 2 && k < n && p->cur.n + k < 2; k++) {
        p->cur.ch[p->cur.n + k] = p->pend.ch[k];
        p->cur.t[p->cur.n + k] = delay;
    }
    p->cur.n += n;
    return G2L_OK;
}

/* A recorded sync at t: the period measurement, then close the interval and open the next. */
static int on_sync(g2l_pulsed *p, int64_t t) {
    const int dl = p->divider_log2;
    if (p->n_rec == 0) {
        p->t_blk = t;
    } else if (++p->blk_n == (1LL << p->blk_log)) {
        int64_t delta = t - p->t_blk;
        p->est_delta = delta > G2L_PULSED_DELTA_MAX ? G2L_PULSED_DELTA_MAX : delta;
        p->est_log = p->blk_log;
        p->have_est = 1;
        p->t_blk = t;
        p->blk_n = 0;
        if (p->blk_log < p->avg_log2) p->blk_log++;
        for (int j = 1; j < (1 << dl); j++)
            p->off[j] = (int64_t)(((uint64_t)j * (uint64_t)p->est_delta) >> (p->est_log + dl));
    }
    const int opens = dl == 0 || p->n_rec >= 1; /* with a divider, periods need a measured period */
    if (p->open) {
        if (close_period(p) != G2L_OK || empty_periods(p, (1LL << dl) - 1 - p->j_cur) != G2L_OK)
            return G2L_ERR_NOMEM;
    }
    if (opens) {
        p->base = dl == 0 ? p->n_rec : (p->n_rec - 1) << dl;
        p->open = 1;
        p->j_cur = 0;
    }
    p->t_sync = t;
    p->n_rec++;
    return G2L_OK;
}

int g2l_pulsed_update(g2l_pulsed *p, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                      int64_t *err_index) {
    int64_t last = p->last_time;
    for (int64_t i = 0; i < n; i++) { /* check first: on an error nothing of this call is taken */
        if (channel[i] >= G2L_N_CHANNELS || time_ps[i] < last) {
            *err_index = i;
            return channel[i] >= G2L_N_CHANNELS ? G2L_ERR_CHANNEL : G2L_ERR_UNSORTED;
        }
        last = time_ps[i];
    }
    for (int64_t i = 0; i < n; i++) {
        const uint8_t ch = channel[i];
        const int64_t t = time_ps[i];
        p->last_time = t;
        /* time moved on: no sync can claim the held photons any more */
        if (t > p->t_pend && commit_pending(p) != G2L_OK) goto nomem;
        if (ch == p->sync_channel) {
            /* held photons at exactly this time stay held: they belong to the period of the last
             * sync at their time, which may still come */
            if (on_sync(p, t) != G2L_OK) goto nomem;
        } else {
            if (p->pend.n < 2) p->pend.ch[p->pend.n] = ch;
            p->pend.n++;
            p->t_pend = t;
        }
        continue;
    nomem:
        *err_index = i;
        return G2L_ERR_NOMEM;
    }
    return G2L_OK;
}

int g2l_pulsed_flush(g2l_pulsed *p) {
    if (commit_pending(p) != G2L_OK) return G2L_ERR_NOMEM;
    if (p->open) {
        if (close_period(p) != G2L_OK) return G2L_ERR_NOMEM;
        p->open = 0;
    }
    return G2L_OK;
}
