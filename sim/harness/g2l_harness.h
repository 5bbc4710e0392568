// SPDX-License-Identifier: BSD-3-Clause
/* Plain C ABI around the Verilated g2l_top (sim/harness/g2l_harness.cpp).
 *
 * Loaded by host/g2live/rtl_model.py through cffi (which parses the declarations between the
 * CFFI markers, so keep them free of preprocessor lines). Times are in clock cycles of the DUT
 * time base: an edge (channel, cycle, fine_ps) occurs fine_ps after the start of the cycle in which
 * the DUT's time base reads cycle * CLK_PERIOD_PS.
 */
#ifndef G2L_HARNESS_H
#define G2L_HARNESS_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/* CFFI-BEGIN */
typedef struct g2l_harness g2l_harness;

typedef struct g2l_harness_stats {
    uint64_t cycles;        /* clocks simulated since create */
    uint64_t edges_in;      /* edges driven into the DUT */
    uint64_t edges_queued;  /* edges waiting for their cycle */
    uint64_t edges_late;    /* edges whose cycle had passed when they were reached: dropped */
    uint64_t words_out;     /* AXI4-Stream words collected */
    uint64_t words_buffered;/* collected and not yet drained */
    uint64_t stall_cycles;  /* cycles with tvalid && !tready (back-pressure applied) */
    int64_t sink_credit;    /* words the sink still takes (-1 = no limit), see g2l_set_sink */
    uint64_t sink_stopped;  /* 1 = the sink took a tlast word and waits to be re-armed */
    uint64_t sink_overrun;  /* cycles tvalid was offered after the credit ran out without a tlast */
} g2l_harness_stats;

g2l_harness *g2l_create(void);
void g2l_destroy(g2l_harness *h);
/* Hold rst for `cycles` clocks (>= 1), then release. Clears queued edges and buffered words. */
void g2l_reset(g2l_harness *h, uint32_t cycles);
/* Queue edges; cycles must be non-decreasing (also across calls) and each channel's edges must
 * be >= 2 cycles apart (the line has to go low between two rising edges), except on the sync
 * input (SIZES.sync_input) while SYNC_DIVIDER.log2 > 0: its prescaler counts every rising edge, so
 * there they may be in consecutive cycles (the harness drops the line between them while the
 * clock is low). fine_ps < CLK period. Channel G2L_MARKER_CHANNEL + m (m < MARKER_SIZES.n_markers)
 * drives marker input m high for that cycle (coarse time: its fine_ps is ignored).
 * Returns 0, or -1 with g2l_last_error() naming the offending index. */
int g2l_push_edges(g2l_harness *h, const uint8_t *channel, const uint64_t *cycle, const uint16_t *fine_ps,
                   size_t n);
/* Drop every queued edge and forget the per-channel history (after COMMAND.clear restarts the
 * time base, edges of the old time line must not fire). Returns the number dropped. */
uint64_t g2l_drop_edges(g2l_harness *h);
/* Simulate n clocks, driving queued edges and collecting stream words. */
void g2l_step(g2l_harness *h, uint64_t n);
/* m_axis_tready pattern: ready in cycles where (cycle % period) < on; period 0 = always ready. */
void g2l_set_ready_pattern(g2l_harness *h, uint32_t on, uint32_t period);
/* A DMA-like sink on m_axis (ANDed with the ready pattern): take at most `credit` more words
 * (credit < 0 = no limit, the default) and, with stop_at_last, none after a word with tlast until
 * the next call. Clears sink_overrun. */
void g2l_set_sink(g2l_harness *h, int64_t credit, int stop_at_last);
/* AXI4-Lite transactions (the clock runs while they wait). Return the 2-bit response (0 = OKAY)
 * or -1 on a timeout. */
int g2l_axil_write(g2l_harness *h, uint32_t addr, uint32_t data);
int g2l_axil_read(g2l_harness *h, uint32_t addr, uint32_t *data);
/* Move up to max collected words (and their tlast flags, if `last` is not NULL) out. */
size_t g2l_drain(g2l_harness *h, uint64_t *words, uint8_t *last, size_t max);
/* Current DUT time base in ps and the clock period. */
uint64_t g2l_time_ps(const g2l_harness *h);
uint32_t g2l_clk_period_ps(const g2l_harness *h);
uint32_t g2l_n_channels(const g2l_harness *h);
void g2l_get_stats(const g2l_harness *h, g2l_harness_stats *out);
const char *g2l_last_error(const g2l_harness *h);
/* CFFI-END */
#ifdef __cplusplus
}
#endif
#endif
