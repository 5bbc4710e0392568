// SPDX-License-Identifier: BSD-3-Clause
/* Record decoding of photon time-tag files (docs/formats.md): PicoQuant 32-bit TTTR records
 * (PicoHarp 300 T2/T3, HydraHarp v1/v2, TimeHarp 260, MultiHarp, PicoHarp 330: PTU and the
 * legacy .pt2/.pt3/.ht2/.ht3 files), Becker & Hickl SPC-130 FIFO words and quTAG 10-byte records.
 *
 * Plain C11, no Python. A decoder is fed blocks of records in file order (any split gives the
 * one-call result: the overflow correction is carried across calls) and writes the photons of
 * each block straight into the caller's arrays, with times already in ps, so a file is decoded
 * in one pass. Markers go to a separate buffer. A record the instrument cannot produce (a
 * channel it does not have, a time past the measurement time the header states, overflows past
 * 2**62 ps) stops the call with a negative status and its index in the block.
 */
#ifndef G2L_RECORDS_H
#define G2L_RECORDS_H

#include "g2l_common.h"

/* Record layouts. */
enum {
    G2L_REC_PH_T2 = 1, /* PicoHarp 300 T2: time 28 | channel 4; channel 15 special */
    G2L_REC_PH_T3 = 2, /* PicoHarp 300 T3: nsync 16 | dtime 12 | channel 4 */
    G2L_REC_HH_T2 = 3, /* HydraHarp family T2: time 25 | channel 6 | special 1 */
    G2L_REC_HH_T3 = 4, /* HydraHarp family T3: nsync 10 | dtime 15 | channel 6 | special 1 */
    G2L_REC_SPC = 5,   /* BH SPC-130: macro 12 | routing 4 | ADC 12 | MARK GAP MTOV INVALID */
};

#define G2L_REC_SYNC_CHANNEL 64              /* host channel of T2 sync events (io.SYNC_CHANNEL) */
#define G2L_REC_MAX_TIME ((int64_t)1 << 62)  /* no event time (or tick count) beyond this */
#define G2L_PH_T2_WRAP 210698240
#define G2L_PH_T3_WRAP 65536
#define G2L_HH_T2_WRAP_V1 33552000
#define G2L_HH_T2_WRAP_V2 33554432
#define G2L_HH_T3_WRAP 1024
#define G2L_SPC_WRAP 4096
#define G2L_REC_MICRO_MAX 32768 /* entries of the micro-time table (15-bit HydraHarp dtime) */

/* A time unit in ps split as the host does it (g2live.io._common.ticks_to_ps): ticks * whole
 * exactly, plus ticks * frac rounded half to even. frac = 0 for a whole number of ps. */
typedef struct {
    int64_t whole;
    double frac;
} g2l_unit;

/* A marker record: its index in the file, its time (T3: the start of its sync period; SPC: its
 * macro time) and the marker bits (PicoQuant marker inputs as a mask, SPC the routing bits). */
typedef struct {
    int64_t record;
    int64_t time_ps;
    uint8_t marker;
    uint8_t pad_[7];
} g2l_rec_marker;

typedef struct {
    /* configuration */
    int layout;           /* G2L_REC_* */
    int version;          /* HydraHarp family overflow semantics: 1 = one wrap per record, 2 = counted */
    int n_channels;       /* photon channels 0..n_channels-1 exist on the instrument */
    int threads;          /* threads a large call may use (1 after init; set by the caller) */
    int64_t par_min;      /* records per thread at least (below, fewer threads are faster) */
    int64_t max_ticks;    /* last T2 time / T3 sync index / SPC macro time an event may have */
    int64_t max_offset;   /* overflow correction beyond this is refused (SPC: two wraps below max) */
    g2l_unit unit;        /* T2 tick, T3 sync period, SPC macro period */
    int64_t micro_whole;  /* T3/SPC micro-time bin in whole ps ... */
    int64_t *micro_ps;    /* ... or, for a fractional bin, the micro-time in ps of each dtime (SPC: of
                           * each ADC value); NULL when the bin is whole */
    /* state carried across calls */
    int64_t offset;       /* overflow correction in ticks */
    int64_t next_record;  /* file index of the next record */
    int64_t last_time;    /* stream order of the photons so far: last (time, channel) */
    int last_channel;
    int unsorted;         /* a photon so far came before the one preceding it in stream order */
    /* counters over all calls */
    int64_t records, overflows, markers, syncs, invalid, gaps;
    uint64_t present;     /* bit c: photon channel c (0..63) occurred */
    /* error of the last call: record index in that call and the offending value */
    int64_t err_index;
    int64_t err_value;
    g2l_buf marker_buf;   /* g2l_rec_marker, this call's markers (cleared by g2l_rec_begin) */
} g2l_rec_decoder;

/* G2L_OK, G2L_ERR_ARG (unknown layout, n_channels outside 1..64, a unit or micro-time bin that is
 * negative) or G2L_ERR_NOMEM. micro_whole/micro_frac: the T3 micro-time bin, the SPC micro-time
 * resolution (ignored for T2). max_ticks: the time limit divided by the unit (the caller's span
 * rule). micro_table: tabulate a whole-ps micro-time bin too (faster for large files). */
int g2l_rec_init(g2l_rec_decoder *d, int layout, int version, int n_channels, int64_t max_ticks,
                 int64_t unit_whole, double unit_frac, int64_t micro_whole, double micro_frac, int micro_table);
void g2l_rec_free(g2l_rec_decoder *d);
/* Start a call: clear the previous call's markers and error. */
void g2l_rec_begin(g2l_rec_decoder *d);
/* Decode n records (with up to d->threads threads when n is large: the same result). Photons go to channel/time_ps (and for T3 and SPC sync_index/microtime_ps,
 * else they may be NULL), room for n. Returns the number of photons, or a negative status with
 * d->err_index / d->err_value: G2L_ERR_CHANNEL (a photon channel >= n_channels), G2L_ERR_TIME (an
 * event past max_ticks), G2L_ERR_OVERFLOW (overflow records past max_offset), G2L_ERR_NOMEM. */
int64_t g2l_rec_decode(g2l_rec_decoder *d, const uint32_t *rec, int64_t n, uint8_t *channel,
                       int64_t *time_ps, int64_t *sync_index, int64_t *microtime_ps);

/* quTAG binary records (10 bytes: int64 time in ps, uint16 channel, little-endian) from `bytes`.
 * Writes channel/time_ps (room for n). Returns G2L_OK, or G2L_ERR_CHANNEL (channel > max_channel)
 * / G2L_ERR_TIME (time outside 0..G2L_REC_MAX_TIME) with *err_index and *err_value for the first
 * such record. *first_unsorted: index of the first record out of stream order, -1 if none. */
int g2l_qutag_decode(const uint8_t *bytes, int64_t n, int max_channel, uint8_t *channel, int64_t *time_ps,
                     uint64_t *present, int64_t *first_unsorted, int64_t *err_index, int64_t *err_value);

/* Stable permutation into stream order (time, then channel) for events that are nearly in order
 * (T3 micro-times or per-input buffers reorder neighbours only): insertion sort of `perm`, room for
 * n. Returns 0, or 1 when more than max_shifts moves would be needed (then sort otherwise). */
int g2l_stream_order(const int64_t *time_ps, const uint8_t *channel, int64_t n, int64_t max_shifts,
                     int64_t *perm);

/* Put the events into the order `perm` gives (out[i] = in[perm[i]]) in place, following its
 * cycles; sync_index/microtime_ps may be NULL. `perm` is used as scratch. Returns the number of
 * positions that changed (perm[i] != i). */
int64_t g2l_apply_order(int64_t *perm, int64_t n, uint8_t *channel, int64_t *time_ps, int64_t *sync_index,
                        int64_t *microtime_ps);

#endif /* G2L_RECORDS_H */
