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
    if (p->keep_period_counts && g2l_buf_push(&p->period_counts, &c) != G2L_OK) return G2L_ERR_NOMEM;
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

/* The period measurement: the block of recorded intervals that started at t_blk ends at t. */
static void block_end(g2l_pulsed *p, int64_t t) {
    const int dl = p->divider_log2;
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

/* A recorded sync at t: the period measurement, then close the interval and open the next. */
static int on_sync(g2l_pulsed *p, int64_t t) {
    const int dl = p->divider_log2;
    if (p->n_rec == 0)
        p->t_blk = t;
    else if (++p->blk_n == (1LL << p->blk_log))
        block_end(p, t);
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

/* Times of a run of recorded syncs: t[j], or s0 + j q when t is NULL (a periodic sync). */
typedef struct {
    const int64_t *t;
    int64_t s0, q;
} sync_times;

static inline int64_t sync_time(const sync_times *s, int64_t j) { return s->t ? s->t[j] : s->s0 + j * s->q; }

/* m >= 1 recorded syncs while the open period is empty and no photon is held: what that many
 * on_sync calls do (every laser period they close is empty), at once; the period measurement
 * steps from block end to block end. */
static int close_empty(g2l_pulsed *p, const sync_times *s, int64_t m) {
    const int64_t per = (int64_t)1 << p->divider_log2;
    const int64_t zeros = per - p->j_cur + (m - 1) * per;
    if (p->keep_period_counts) {
        if (g2l_buf_reserve(&p->period_counts, zeros) != G2L_OK) return G2L_ERR_NOMEM;
        memset((uint16_t *)p->period_counts.data + p->period_counts.len, 0, (size_t)zeros * sizeof(uint16_t));
        p->period_counts.len += zeros;
    }
    p->photon_number[0] += zeros;
    for (int64_t j = 0; j < m;) {
        const int64_t need = (1LL << p->blk_log) - p->blk_n;
        if (m - j < need) {
            p->blk_n += m - j;
            break;
        }
        j += need;
        block_end(p, sync_time(s, j - 1));
    }
    p->n_rec += m;
    p->base = p->divider_log2 == 0 ? p->n_rec - 1 : (p->n_rec - 2) << p->divider_log2;
    p->j_cur = 0;
    p->t_sync = sync_time(s, m - 1);
    p->last_time = p->t_sync;
    return G2L_OK;
}

/* One recorded sync at time t (stream order). */
static inline int sync_event(g2l_pulsed *p, int64_t t) {
    p->last_time = t;
    /* time moved on: no sync can claim the held photons any more */
    if (t > p->t_pend && commit_pending(p) != G2L_OK) return G2L_ERR_NOMEM;
    /* held photons at exactly this time stay held: they belong to the period of the last sync at
     * their time, which may still come */
    return on_sync(p, t);
}

/* One photon at time t (stream order): held until the time moves on (a sync at t claims it). */
static inline int photon_event(g2l_pulsed *p, uint8_t ch, int64_t t) {
    p->last_time = t;
    if (t > p->t_pend && commit_pending(p) != G2L_OK) return G2L_ERR_NOMEM;
    if (p->pend.n < 2) p->pend.ch[p->pend.n] = ch;
    p->pend.n++;
    p->t_pend = t;
    return G2L_OK;
}

/* Whether close_empty may stand for the next syncs. */
static inline int quiet(const g2l_pulsed *p) { return p->open && !p->cur.n && !p->pend.n; }

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
        int st;
        if (channel[i] != sc) {
            st = photon_event(p, channel[i], time_ps[i]);
        } else if ((st = sync_event(p, time_ps[i])) == G2L_OK && quiet(p)) {
            /* the period just opened is empty: the syncs that follow at once each close empty
             * ones (a 10 MHz sync against kcps of photons: nearly every tag), counted in bulk */
            int64_t j = i + 1;
            while (j < n && channel[j] == sc) j++;
            if (j > i + 1) {
                const sync_times s = {time_ps + i + 1, 0, 0};
                st = close_empty(p, &s, j - i - 1);
                i = j - 1;
            }
        }
        if (st != G2L_OK) {
            *err_index = i;
            return st;
        }
    }
    return G2L_OK;
}

/* Syncs s0 + j q, j = 0 .. m - 1: what m sync events do, with the runs of empty periods between
 * them closed in bulk (close_empty): O(1) per measuring block, not per sync. */
static int sync_run(g2l_pulsed *p, int64_t s0, int64_t q, int64_t m) {
    int64_t j = 0;
    /* a period with photons (open or held) closes one sync at a time */
    while (j < m && !quiet(p)) {
        if (sync_event(p, s0 + j * q) != G2L_OK) return G2L_ERR_NOMEM;
        j++;
    }
    const sync_times s = {NULL, s0 + j * q, q};
    return m > j ? close_empty(p, &s, m - j) : G2L_OK;
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
        if ((k_end > k && sync_run(p, s0 + k * q, q, k_end - k) != G2L_OK) ||
            photon_event(p, channel[i], time_ps[i]) != G2L_OK) {
            *err_index = i;
            return G2L_ERR_NOMEM;
        }
        if (k_end > k) k = k_end;
    }
    if (k < n_sync && sync_run(p, s0 + k * q, q, n_sync - k) != G2L_OK) {
        *err_index = n;
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
