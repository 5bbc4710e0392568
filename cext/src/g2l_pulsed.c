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
    p->keep_period_counts = 1;
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

void g2l_pulsed_keep_period_counts(g2l_pulsed *p, int keep) { p->keep_period_counts = keep != 0; }

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
    if (p->keep_period_counts && g2l_buf_push(&p->period_counts, &c) != G2L_OK) return G2L_ERR_NOMEM;
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

/* `run` syncs, the last at t_last, while the open period is empty and no photon is held: what that
 * many sync events do (each closes an empty period: a zero count, photon_number[0]++), at once. */
static int close_empty(g2l_pulsed *p, int64_t run, int64_t t_last) {
    if (p->keep_period_counts) {
        if (g2l_buf_reserve(&p->period_counts, run) != G2L_OK) return G2L_ERR_NOMEM;
        memset((uint16_t *)p->period_counts.data + p->period_counts.len, 0, (size_t)run * sizeof(uint16_t));
        p->period_counts.len += run;
    }
    p->photon_number[0] += run;
    p->n_syncs += run;
    p->period = p->n_syncs - 1;
    p->t_sync = t_last;
    p->last_time = t_last;
    return G2L_OK;
}

/* One sync edge at time t (stream order): closes the open period, opens the next. */
static inline int sync_event(g2l_pulsed *p, int64_t t) {
    p->last_time = t;
    if (t > p->t_pend) commit_pending(p); /* time moved on: no sync can claim them any more */
    if (p->open && close_period(p) != G2L_OK) return G2L_ERR_NOMEM;
    p->open = 1;
    p->period = p->n_syncs++;
    p->t_sync = t;
    /* held photons at exactly this time stay held: they belong to the period of the last
     * sync at their time, which may still come */
    return G2L_OK;
}

/* One photon at time t (stream order): held until the time moves on (a sync at t claims it). */
static inline void photon_event(g2l_pulsed *p, uint8_t ch, int64_t t) {
    p->last_time = t;
    if (t > p->t_pend) commit_pending(p);
    if (p->pend.n < 2) p->pend.ch[p->pend.n] = ch;
    p->pend.n++;
    p->t_pend = t;
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
    const uint8_t sc = p->sync_channel;
    for (int64_t i = 0; i < n; i++) {
        if (channel[i] != sc) {
            photon_event(p, channel[i], time_ps[i]);
            continue;
        }
        if (sync_event(p, time_ps[i]) != G2L_OK) {
            *err_index = i;
            return G2L_ERR_NOMEM;
        }
        if (p->pend.n) continue; /* photons held at this time may still join the new period */
        /* the period just opened is empty: the syncs that follow at once each close an empty
         * one (a 10 MHz sync against kcps of photons: nearly every tag), counted in bulk */
        int64_t j = i + 1;
        while (j < n && channel[j] == sc) j++;
        if (j > i + 1) {
            if (close_empty(p, j - i - 1, time_ps[j - 1]) != G2L_OK) {
                *err_index = i;
                return G2L_ERR_NOMEM;
            }
            i = j - 1;
        }
    }
    return G2L_OK;
}

/* Syncs s0 + j q, j = 0 .. m - 1: what m sync events do, with the runs of empty periods between
 * them closed in bulk (close_empty): O(1) per run, not per sync. */
static int sync_run(g2l_pulsed *p, int64_t s0, int64_t q, int64_t m) {
    int64_t j = 0;
    /* a period with photons (open or held) closes one sync at a time */
    while (j < m && (p->cur.n || p->pend.n || !p->open)) {
        if (sync_event(p, s0 + j * q) != G2L_OK) return G2L_ERR_NOMEM;
        j++;
    }
    /* the open period is empty: each of these syncs closes an empty one */
    return m > j ? close_empty(p, m - j, s0 + (m - 1) * q) : G2L_OK;
}

int g2l_pulsed_update_periodic(g2l_pulsed *p, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                               int64_t s0, int64_t q, int64_t n_sync, int64_t *err_index) {
    if (q < 1 || n_sync < 0) return G2L_ERR_ARG;
    int64_t last = p->last_time;
    if (n_sync > 0 && s0 < last) {
        *err_index = -1; /* the first sync is earlier than the stream so far */
        return G2L_ERR_UNSORTED;
    }
    for (int64_t i = 0; i < n; i++) {
        if (channel[i] >= G2L_N_CHANNELS || channel[i] == p->sync_channel || time_ps[i] < last) {
            *err_index = i;
            return time_ps[i] < last ? G2L_ERR_UNSORTED : G2L_ERR_CHANNEL;
        }
        last = time_ps[i];
    }
    int64_t k = 0; /* syncs delivered */
    for (int64_t i = 0; i < n; i++) {
        const int64_t d = time_ps[i] - s0;
        /* syncs at or before the photon come first (a photon at a sync's time is in its period) */
        int64_t k_end = d < 0 ? 0 : d / q + 1;
        if (k_end > n_sync) k_end = n_sync;
        if (k_end > k) {
            if (sync_run(p, s0 + k * q, q, k_end - k) != G2L_OK) {
                *err_index = i;
                return G2L_ERR_NOMEM;
            }
            k = k_end;
        }
        photon_event(p, channel[i], time_ps[i]);
    }
    if (k < n_sync && sync_run(p, s0 + k * q, q, n_sync - k) != G2L_OK) {
        *err_index = n;
        return G2L_ERR_NOMEM;
    }
    return G2L_OK;
}

int g2l_pulsed_flush(g2l_pulsed *p) {
    commit_pending(p);
    if (p->open) return close_period(p);
    return G2L_OK;
}
