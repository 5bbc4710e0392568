/* Pulsed mode against the sync: docs/semantics.md "Pulsed mode against the sync". */
#include "g2l_pulsed.h"

#include <stdlib.h>
#include <string.h>

int g2l_pulsed_init(g2l_pulsed *p, uint8_t sync_channel, int64_t max_photons, int64_t window_ps) {
    memset(p, 0, sizeof(*p));
    if (sync_channel >= G2L_N_CHANNELS) return G2L_ERR_CHANNEL;
    if (max_photons < 1 || window_ps < 0) return G2L_ERR_ARG;
    p->sync_channel = sync_channel;
    p->max_photons = max_photons;
    p->window_ps = window_ps;
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
    p->n_syncs = 0;
    p->open = 0;
    p->period = 0;
    p->t_sync = 0;
    memset(&p->cur, 0, sizeof(p->cur));
    memset(&p->pend, 0, sizeof(p->pend));
    p->t_pend = INT64_MIN;
}

/* Give the held photons (all at time t_pend) to the open period, or to pre_sync. */
static void commit_pending(g2l_pulsed *p) {
    int64_t n = p->pend.n;
    if (!n) return;
    p->pend.n = 0;
    if (!p->open) {
        p->pre_sync += n;
        return;
    }
    if (p->window_ps > 0 && p->t_pend - p->t_sync >= p->window_ps) {
        p->out_of_window += n;
        return;
    }
    for (int k = 0; k < 2 && k < n && p->cur.n + k < 2; k++) {
        p->cur.ch[p->cur.n + k] = p->pend.ch[k];
        p->cur.t[p->cur.n + k] = p->t_pend;
    }
    p->cur.n += n;
}

static int close_period(g2l_pulsed *p) {
    int64_t n = p->cur.n;
    uint16_t c = n > UINT16_MAX ? UINT16_MAX : (uint16_t)n; /* saturates: a period of 65535+ photons */
    if (g2l_buf_push(&p->period_counts, &c) != G2L_OK) return G2L_ERR_NOMEM;
    p->photon_number[n < p->max_photons ? n : p->max_photons]++;
    if (n >= 2) {
        g2l_herald r = {0};
        r.period = p->period;
        r.channel_first = p->cur.ch[0];
        r.channel_second = p->cur.ch[1];
        r.delay_first_ps = p->cur.t[0] - p->t_sync;
        r.delay_second_ps = p->cur.t[1] - p->t_sync;
        if (g2l_buf_push(&p->heralds, &r) != G2L_OK) return G2L_ERR_NOMEM;
    }
    p->open = 0;
    memset(&p->cur, 0, sizeof(p->cur));
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
        if (t > p->t_pend) commit_pending(p); /* time moved on: no sync can claim them any more */
        if (ch == p->sync_channel) {
            if (p->open && close_period(p) != G2L_OK) {
                *err_index = i;
                return G2L_ERR_NOMEM;
            }
            p->open = 1;
            p->period = p->n_syncs++;
            p->t_sync = t;
            /* held photons at exactly this time stay held: they belong to the period of the last
             * sync at their time, which may still come */
        } else {
            if (p->pend.n < 2) p->pend.ch[p->pend.n] = ch;
            p->pend.n++;
            p->t_pend = t;
        }
    }
    return G2L_OK;
}

int g2l_pulsed_flush(g2l_pulsed *p) {
    commit_pending(p);
    if (p->open) return close_period(p);
    return G2L_OK;
}
