// SPDX-License-Identifier: BSD-3-Clause
// Verilator harness: the real g2l_top behind a plain C ABI (see g2l_harness.h).
//
// One clock cycle: drive inputs with clk low, sample the handshakes that complete on the coming
// rising edge (their values before the edge), then raise and lower the clock. The DUT's time base
// is read through Verilator's public access (--public-flat-rw) so edges given in time-base cycles
// land in exactly the cycle whose time the RTL assigns them.

#include "g2l_harness.h"

#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "Vg2l_top.h"
#include "Vg2l_top___024root.h"
#include "g2l_contract.h"
#include "verilated.h"

namespace {

struct Edge {
    uint64_t cycle;
    uint8_t channel;
    uint16_t fine;
};

// Write channel c's 16-bit fine time into the flat in_fine_ps port (VlWide or scalar).
template <typename T>
void set_fine(T &port, unsigned c, uint16_t v) {
    if constexpr (std::is_integral_v<T>) {
        port = (port & ~(static_cast<T>(0xFFFF) << (16 * c))) | (static_cast<T>(v) << (16 * c));
    } else {
        uint32_t &w = port[c / 2];
        const unsigned sh = 16 * (c % 2);
        w = (w & ~(0xFFFFu << sh)) | (static_cast<uint32_t>(v) << sh);
    }
}

}  // namespace

struct g2l_harness {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vg2l_top> top;
    std::deque<Edge> queue;
    std::vector<uint64_t> words;
    std::vector<uint8_t> lasts;
    size_t words_head = 0;
    std::vector<uint64_t> last_edge_cycle;  // per channel, UINT64_MAX = none
    uint64_t last_pushed_cycle = 0;
    uint32_t ready_on = 1, ready_period = 0;
    int64_t sink_credit = -1;  // see g2l_set_sink
    bool sink_stop_at_last = false, sink_stopped = false;
    uint64_t sink_overrun = 0;
    g2l_harness_stats stats{};
    std::string error;
    uint32_t n_channels = 0;
    uint32_t n_markers = 0;            // marker inputs (MARKER_SIZES.n_markers): edge channels 32 + m
    uint32_t period_ps = 0;
    uint32_t sync_input = UINT32_MAX;  // input with the sync prescaler (SIZES.sync_input)
    bool sync_divided = false;         // SYNC_DIVIDER.log2 > 0: that input takes an edge per cycle
    uint64_t prev_pulse = 0;           // lines driven high in the previous cycle
};

static uint64_t dut_time(const g2l_harness *h) { return h->top->rootp->g2l_top__DOT__time_ps; }

static void tick(g2l_harness *h) {
    Verilated::threadContextp(h->ctx.get());  // several models may live in one thread
    Vg2l_top *t = h->top.get();
    // Inputs for this cycle (clk is low): edges due now.
    const uint64_t now = dut_time(h) / h->period_ps;
    uint64_t pulse = 0, marker = 0;
    while (!h->queue.empty() && h->queue.front().cycle <= now) {
        const Edge e = h->queue.front();
        h->queue.pop_front();
        if (e.cycle < now) {
            h->stats.edges_late++;
            continue;
        }
        if (e.channel >= G2L_MARKER_CHANNEL) {
            marker |= (1ull << (e.channel - G2L_MARKER_CHANNEL));  // coarse: no fine time
        } else {
            pulse |= (1ull << e.channel);
            set_fine(t->in_fine_ps, e.channel, e.fine);
        }
        h->stats.edges_in++;
    }
    t->in_marker = static_cast<std::remove_reference_t<decltype(t->in_marker)>>(marker);

    // An edge in consecutive cycles (the prescaled sync input) needs the line low in between:
    // drop it for a moment while the clock is low, so the prescaler counts a rising edge.
    if (pulse & h->prev_pulse) {
        t->in_pulse = static_cast<std::remove_reference_t<decltype(t->in_pulse)>>(pulse & ~h->prev_pulse);
        t->eval();
    }
    t->in_pulse = static_cast<std::remove_reference_t<decltype(t->in_pulse)>>(pulse);
    h->prev_pulse = pulse;
    const uint64_t cyc = h->stats.cycles;
    const bool sink_open = h->sink_credit < 0 || (h->sink_credit > 0 && !h->sink_stopped);
    t->m_axis_tready = sink_open && (h->ready_period == 0 || (cyc % h->ready_period) < h->ready_on);
    t->eval();
    if (t->m_axis_tvalid && t->m_axis_tready) {
        h->words.push_back(t->m_axis_tdata);
        h->lasts.push_back(t->m_axis_tlast);
        h->stats.words_out++;
        if (h->sink_credit > 0) h->sink_credit--;
        if (h->sink_stop_at_last && t->m_axis_tlast) h->sink_stopped = true;
    } else if (t->m_axis_tvalid) {
        h->stats.stall_cycles++;
        if (h->sink_credit == 0 && !h->sink_stopped) h->sink_overrun++;
    }
    t->clk = 1;
    t->eval();
    t->clk = 0;
    t->eval();
    h->stats.cycles++;
}

extern "C" {

g2l_harness *g2l_create(void) {
    auto *h = new g2l_harness;
    h->ctx = std::make_unique<VerilatedContext>();
    h->ctx->randReset(0);
    h->top = std::make_unique<Vg2l_top>(h->ctx.get(), "g2l_top");
    h->top->clk = 0;
    h->top->rst = 1;
    h->top->in_pulse = 0;
    h->top->in_marker = 0;
    h->top->s_axil_awvalid = 0;
    h->top->s_axil_wvalid = 0;
    h->top->s_axil_bready = 0;
    h->top->s_axil_arvalid = 0;
    h->top->s_axil_rready = 0;
    h->top->s_axil_awprot = 0;
    h->top->s_axil_arprot = 0;
    h->top->m_axis_tready = 1;
    h->top->eval();
    g2l_reset(h, 4);
    uint32_t v = 0;
    g2l_axil_read(h, G2L_REG_CLK_PERIOD_PS, &v);
    h->period_ps = v;
    g2l_axil_read(h, G2L_REG_SIZES, &v);
    h->n_channels = v & 0x7F;
    h->sync_input = (v >> G2L_REG_SIZES_SYNC_INPUT_LSB) & ((1u << G2L_REG_SIZES_SYNC_INPUT_WIDTH) - 1);
    g2l_axil_read(h, G2L_REG_MARKER_SIZES, &v);
    h->n_markers = (v >> G2L_REG_MARKER_SIZES_N_MARKERS_LSB) & ((1u << G2L_REG_MARKER_SIZES_N_MARKERS_WIDTH) - 1);
    h->last_edge_cycle.assign(G2L_MARKER_CHANNEL + h->n_markers, UINT64_MAX);
    return h;
}

void g2l_destroy(g2l_harness *h) {
    if (!h) return;
    // Verilator erases a model's scopes through the thread's current context, which is the context
    // created last: with several models alive, make it this one's or it frees another's.
    Verilated::threadContextp(h->ctx.get());
    h->top->final();
    delete h;
}

void g2l_reset(g2l_harness *h, uint32_t cycles) {
    h->top->rst = 1;
    if (h->period_ps == 0) h->period_ps = 1;  // before the first CLK_PERIOD_PS read
    for (uint32_t i = 0; i < (cycles ? cycles : 1); i++) tick(h);
    h->top->rst = 0;
    h->queue.clear();
    h->words.clear();
    h->lasts.clear();
    h->words_head = 0;
    h->last_pushed_cycle = 0;
    h->sync_divided = false;  // SYNC_DIVIDER resets to 0
    std::fill(h->last_edge_cycle.begin(), h->last_edge_cycle.end(), UINT64_MAX);
}

int g2l_push_edges(g2l_harness *h, const uint8_t *channel, const uint64_t *cycle, const uint16_t *fine_ps,
                   size_t n) {
    char buf[256];
    for (size_t i = 0; i < n; i++) {
        const uint8_t c = channel[i];
        if (c >= h->n_channels && (c < G2L_MARKER_CHANNEL || c >= G2L_MARKER_CHANNEL + h->n_markers)) {
            snprintf(buf, sizeof buf, "edge %zu: channel %u is neither an input (< n_channels %u) nor a marker "
                     "(%u + m, m < n_markers %u)", i, c, h->n_channels, G2L_MARKER_CHANNEL, h->n_markers);
        } else if (fine_ps[i] >= h->period_ps) {
            snprintf(buf, sizeof buf, "edge %zu: fine_ps %u >= CLK_PERIOD_PS %u", i, fine_ps[i], h->period_ps);
        } else if (cycle[i] < h->last_pushed_cycle) {
            snprintf(buf, sizeof buf, "edge %zu: cycle %llu before the previous edge's cycle %llu", i,
                     (unsigned long long)cycle[i], (unsigned long long)h->last_pushed_cycle);
        } else if (h->last_edge_cycle[c] != UINT64_MAX
                   && cycle[i] < h->last_edge_cycle[c] + ((h->sync_divided && c == h->sync_input) ? 1 : 2)) {
            snprintf(buf, sizeof buf,
                     "edge %zu: channel %u fires in cycle %llu and %llu; %s",
                     i, c, (unsigned long long)h->last_edge_cycle[c], (unsigned long long)cycle[i],
                     (h->sync_divided && c == h->sync_input)
                         ? "one edge per cycle at most, even behind the sync prescaler"
                         : "a line needs a low cycle between two rising edges (only the sync input "
                           "with SYNC_DIVIDER > 1 takes one edge per cycle)");
        } else {
            h->queue.push_back(Edge{cycle[i], c, fine_ps[i]});
            h->last_edge_cycle[c] = cycle[i];
            h->last_pushed_cycle = cycle[i];
            continue;
        }
        h->error = buf;
        return -1;
    }
    return 0;
}

uint64_t g2l_drop_edges(g2l_harness *h) {
    const uint64_t n = h->queue.size();
    h->queue.clear();
    h->last_pushed_cycle = 0;
    std::fill(h->last_edge_cycle.begin(), h->last_edge_cycle.end(), UINT64_MAX);
    return n;
}

void g2l_step(g2l_harness *h, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) tick(h);
}

void g2l_set_ready_pattern(g2l_harness *h, uint32_t on, uint32_t period) {
    h->ready_on = on;
    h->ready_period = period;
}

void g2l_set_sink(g2l_harness *h, int64_t credit, int stop_at_last) {
    h->sink_credit = credit;
    h->sink_stop_at_last = stop_at_last != 0;
    h->sink_stopped = false;
    h->sink_overrun = 0;
}

int g2l_axil_write(g2l_harness *h, uint32_t addr, uint32_t data) {
    Vg2l_top *t = h->top.get();
    if ((addr & ~3u) == G2L_REG_SYNC_DIVIDER)  // the prescaler decides how close sync edges may be
        h->sync_divided = ((data >> G2L_REG_SYNC_DIVIDER_LOG2_LSB) & 7u) != 0;
    t->s_axil_awaddr = addr;
    t->s_axil_wdata = data;
    t->s_axil_wstrb = 0xF;
    t->s_axil_awvalid = 1;
    t->s_axil_wvalid = 1;
    t->s_axil_bready = 1;
    bool aw = false, w = false;
    for (int i = 0; i < 1000; i++) {
        t->eval();
        const bool aw_go = !aw && t->s_axil_awready;
        const bool w_go = !w && t->s_axil_wready;
        const bool b_go = t->s_axil_bvalid;
        const int resp = t->s_axil_bresp;
        tick(h);
        aw |= aw_go;
        w |= w_go;
        if (aw) t->s_axil_awvalid = 0;
        if (w) t->s_axil_wvalid = 0;
        if (b_go) {
            t->s_axil_bready = 0;
            return resp;
        }
    }
    h->error = "AXI4-Lite write timed out at address " + std::to_string(addr);
    t->s_axil_awvalid = t->s_axil_wvalid = t->s_axil_bready = 0;
    return -1;
}

int g2l_axil_read(g2l_harness *h, uint32_t addr, uint32_t *data) {
    Vg2l_top *t = h->top.get();
    t->s_axil_araddr = addr;
    t->s_axil_arvalid = 1;
    t->s_axil_rready = 1;
    bool ar = false;
    for (int i = 0; i < 1000; i++) {
        t->eval();
        const bool ar_go = !ar && t->s_axil_arready;
        const bool r_go = t->s_axil_rvalid;
        const uint32_t d = t->s_axil_rdata;
        const int resp = t->s_axil_rresp;
        tick(h);
        ar |= ar_go;
        if (ar) t->s_axil_arvalid = 0;
        if (r_go) {
            t->s_axil_rready = 0;
            *data = d;
            return resp;
        }
    }
    h->error = "AXI4-Lite read timed out at address " + std::to_string(addr);
    t->s_axil_arvalid = t->s_axil_rready = 0;
    return -1;
}

size_t g2l_drain(g2l_harness *h, uint64_t *words, uint8_t *last, size_t max) {
    size_t avail = h->words.size() - h->words_head;
    size_t n = avail < max ? avail : max;
    for (size_t i = 0; i < n; i++) {
        words[i] = h->words[h->words_head + i];
        if (last) last[i] = h->lasts[h->words_head + i];
    }
    h->words_head += n;
    if (h->words_head == h->words.size()) {
        h->words.clear();
        h->lasts.clear();
        h->words_head = 0;
    }
    return n;
}

uint64_t g2l_time_ps(const g2l_harness *h) { return dut_time(h); }
uint32_t g2l_clk_period_ps(const g2l_harness *h) { return h->period_ps; }
uint32_t g2l_n_channels(const g2l_harness *h) { return h->n_channels; }

void g2l_get_stats(const g2l_harness *h, g2l_harness_stats *out) {
    *out = h->stats;
    out->edges_queued = h->queue.size();
    out->words_buffered = h->words.size() - h->words_head;
    out->sink_credit = h->sink_credit;
    out->sink_stopped = h->sink_stopped;
    out->sink_overrun = h->sink_overrun;
}

const char *g2l_last_error(const g2l_harness *h) { return h->error.c_str(); }

}  // extern "C"
