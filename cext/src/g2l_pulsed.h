/* Pulsed mode against the sync: docs/semantics.md "Pulsed mode against the sync" and
 * "Sync prescaler". */
#ifndef G2L_PULSED_H
#define G2L_PULSED_H

#include "g2l_common.h"

#define G2L_PULSED_MAX_DIVIDER_LOG2 4   /* SYNC_DIVIDER: divide by 1, 2, 4, 8 or 16 */
#define G2L_PULSED_DELTA_MAX ((1LL << 48) - 1) /* measured block spans saturate here */

typedef struct {
    int64_t n;          /* photons counted */
    uint8_t ch[2];      /* first two in stream order */
    int64_t t[2];
} g2l_photons;

typedef struct {
    uint8_t sync_channel;
    int64_t max_photons;
    int64_t window_ps;     /* 0 = whole period */
    int divider_log2;      /* recorded syncs are every 2**divider_log2-th laser pulse */
    int avg_log2;          /* period measured over blocks of up to 2**avg_log2 recorded intervals */
    int64_t last_time;     /* INT64_MIN before the first tag */
    /* recorded syncs and the period measurement */
    int64_t n_rec;         /* recorded syncs since the start or the last clear */
    int64_t t_blk;         /* time of the recorded sync that starts the measuring block */
    int64_t blk_n;         /* intervals in the block so far */
    int blk_log;           /* the block ends after 2**blk_log intervals */
    int have_est;
    int64_t est_delta;     /* span of the last finished block, ps (saturated) */
    int est_log;           /* its length: 2**est_log intervals */
    int64_t off[1 << G2L_PULSED_MAX_DIVIDER_LOG2]; /* reconstructed sync j of an interval at t_k + off[j] */
    /* periods */
    int open;              /* a period is open */
    int64_t base;          /* period index of sub-period 0 of the open interval */
    int j_cur;             /* open sub-period */
    int64_t t_sync;        /* time of the last recorded sync (t_k) */
    g2l_photons cur;       /* photons of the open period */
    /* Photons at the latest time seen: a sync at that same time, later in the stream, still
     * claims them for the period it starts, so they are held until the time moves on. */
    g2l_photons pend;
    int64_t t_pend;
    /* outputs of the current call (reset by g2l_pulsed_begin) */
    g2l_buf period_counts; /* uint16_t per closed period (when keep_period_counts) */
    int keep_period_counts; /* 1 after init; 0: photon_number and heralds only (the on-chip outputs) */
    g2l_buf heralds;       /* g2l_herald */
    int64_t *photon_number; /* [max_photons + 1] */
    int64_t pre_sync;
    int64_t out_of_window;  /* photons of a period later than window_ps after their sync */
} g2l_pulsed;

/* divider_log2 0..G2L_PULSED_MAX_DIVIDER_LOG2, avg_log2 0..16. */
int g2l_pulsed_init(g2l_pulsed *p, uint8_t sync_channel, int64_t max_photons, int64_t window_ps,
                    int divider_log2, int avg_log2);
void g2l_pulsed_free(g2l_pulsed *p);
void g2l_pulsed_begin(g2l_pulsed *p);
/* Keep (1, the default) or skip (0) the per-period counts; the chip reports only the histogram. */
void g2l_pulsed_keep_period_counts(g2l_pulsed *p, int keep);
/* Stream-ordered tags; G2L_OK, G2L_ERR_CHANNEL / G2L_ERR_UNSORTED with *err_index (then nothing of
 * this call was processed), or G2L_ERR_NOMEM. */
int g2l_pulsed_update(g2l_pulsed *p, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                      int64_t *err_index);
/* The same for photons only (no sync channel in the input) with the syncs of this call given as
 * s0 + j q, j = 0 .. n_sync - 1 (a periodic sync, as T3 data imply): every output equals that of
 * g2l_pulsed_update on the merged stream, but runs of empty periods cost O(1), not one step per
 * sync. A photon on the sync channel is G2L_ERR_CHANNEL; a first sync before the stream so far is
 * G2L_ERR_UNSORTED with *err_index = -1. */
int g2l_pulsed_update_periodic(g2l_pulsed *p, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                               int64_t s0, int64_t q, int64_t n_sync, int64_t *err_index);
/* Close the open period (and assign held photons). The next photons before a sync are pre_sync. */
int g2l_pulsed_flush(g2l_pulsed *p);
/* Restart period numbering and the period measurement, drop all state (COMMAND.clear). */
void g2l_pulsed_clear(g2l_pulsed *p);
/* The measured laser period in units of 2**-8 ps (the SYNC_PERIOD register), 0 before the first
 * measurement, saturating at 2**32 - 1. */
int64_t g2l_pulsed_period_q8(const g2l_pulsed *p);

#endif /* G2L_PULSED_H */
