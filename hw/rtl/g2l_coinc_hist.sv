// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Start-multistop correlation histograms of d = t_b - t_a for N_PAIRS channel pairs at once,
// exactly as docs/semantics.md "Correlation histogram" (all pairs in the window, auto pairs
// without self pairs, bin k = floor((d - lo) / bin_width_ps), lo = offset - (n_bins/2) * width).
//
// Each pair (g2l_coinc_pair) keeps recent tags of its channels and scans them one entry per
// clock when a tag of the pair arrives; s_tag_ready stays low until every pair is done with the
// tag (a tag no pair needs, or with no partner in the window, takes one clock). Bins live in two
// banks per pair: on an integration boundary the banks swap and the finished bank is streamed out
// (one FRAME HISTOGRAM per enabled pair, n_bins payload words, tlast on the last) while it is
// cleared, and acquisition continues in the other bank. A second boundary waits for that dump.
//
// Configuration (bin width and n_bins powers of two) is taken at reset, clear and each boundary,
// and also follows the inputs while the current integration has seen no tag yet. Taking a
// different configuration forgets the tag histories (like a new Correlator in the C twin).
// cfg_error reports a configuration the binner cannot run (then nothing is histogrammed).
//
// Clear: after `clear` (and reset) the filling bank is swept to zero, one bin per clock for
// 2**N_BINS_LOG2 clocks; `clearing` is high from the clear pulse until the sweep ends (STATUS.clearing).
// Tags wait during the sweep, except when histograms are off (cfg_enable low, both as taken at
// the clear and now): such tags touch no bank and pass, so raw-only and pulsed-only runs never
// stall. The configuration is then taken at the next boundary, as for any integration that has
// seen tags. Boundaries always wait for the sweep (a bank swap would move it to the other bank).
//
// Losses: a pair's history holds HIST_DEPTH tags per channel. When more tags of one channel lie
// inside the window, the oldest are overwritten; lost_count then counts exactly the pairs the
// histograms miss (ghosts in g2l_coinc_pair), unless lost_inexact says GHOST_DEPTH was exceeded too.
module g2l_coinc_hist #(
    parameter int N_CHANNELS = 64,   // input channels; pairs naming a channel >= this are a cfg_error
    parameter int N_PAIRS = 4,       // pairs histogrammed at once
    parameter int N_BINS_LOG2 = 10,  // log2 of the largest n_bins (BRAM words per bank and pair)
    parameter int HIST_DEPTH = 32,   // recent tags kept per pair and channel (power of two)
    parameter int COUNT_W = 32,      // bits per bin counter (saturating, counted in saturate_count)
    parameter int GHOST_DEPTH = 16   // overwritten history entries remembered for loss counting
) (
    input  wire logic                   clk,
    input  wire logic                   rst,
    input  wire logic                   clear,            // 1-cycle pulse: empty the banks, forget history

    input  wire logic                   s_tag_valid,
    output logic                        s_tag_ready,
    input  wire logic [5:0]             s_tag_channel,
    input  wire logic [63:0]            s_tag_time,
    input  wire logic                   s_tag_boundary,

    input  wire logic                   cfg_enable,       // CONTROL.hist_enable
    input  wire logic [31:0]            cfg_bin_width_ps, // power of two
    input  wire logic [31:0]            cfg_n_bins,       // power of two <= 2**N_BINS_LOG2
    input  wire logic [31:0]            cfg_offset_ps,    // signed
    input  wire logic [N_PAIRS*6-1:0]   cfg_pair_a,
    input  wire logic [N_PAIRS*6-1:0]   cfg_pair_b,
    input  wire logic [N_PAIRS-1:0]     cfg_pair_enable,

    output logic [63:0]                 m_axis_tdata,
    output logic                        m_axis_tvalid,
    input  wire logic                   m_axis_tready,
    output logic                        m_axis_tlast,

    output logic                        dumping,          // a finished bank is being streamed out
    output logic                        clearing,         // a clear is pending or its bank sweep runs
    output logic                        bank,             // bank being filled
    output logic                        cfg_error,        // the configuration in use is invalid
    output logic [31:0]                 lost_count,       // pairs missed: history overflow, since clear
    output logic                        lost_inexact,     // lost_count is only a lower bound (ghosts full)
    output logic [31:0]                 saturate_count    // increments lost to full bins
);
    // The contract header defines every field; a block uses only some of them.
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tag_word.svh"
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if (N_CHANNELS < 1 || N_CHANNELS > 64) $error("%m: N_CHANNELS must be 1..64");
        if (N_PAIRS < 1 || N_PAIRS > 15) $error("%m: N_PAIRS must be 1..15 (SIZES.n_pairs)");
        if (N_BINS_LOG2 < 1 || N_BINS_LOG2 > 20) $error("%m: N_BINS_LOG2 must be 1..20");
        if (HIST_DEPTH < 2 || (HIST_DEPTH & (HIST_DEPTH - 1)) != 0)
            $error("%m: HIST_DEPTH must be a power of two >= 2");
        if (COUNT_W < 2 || COUNT_W > 64) $error("%m: COUNT_W must be 2..64");
        if (GHOST_DEPTH < 2 || (GHOST_DEPTH & (GHOST_DEPTH - 1)) != 0)
            $error("%m: GHOST_DEPTH must be a power of two >= 2");
    end

    localparam int NB = N_BINS_LOG2;
    localparam int FIFO_LOG2 = 2;
    localparam int MISS_W = $clog2(GHOST_DEPTH) + 2;

    // ---- configuration ---------------------------------------------------------------------
    function automatic logic is_pow2(input logic [31:0] x);
        is_pow2 = x != 0 && (x & (x - 1)) == 0;
    endfunction

    function automatic logic [4:0] log2_32(input logic [31:0] x);
        logic [4:0] r;
        r = '0;
        for (int i = 0; i < 32; i++) if (x[i]) r = 5'(i);
        log2_32 = r;
    endfunction

    // The window is derived from the inputs in a registered pipeline (C_LAT clocks: shift and
    // tests | width, half | lo | keeps | auto keep); `changed` and the latch look at the inputs
    // as they leave it, so a configuration is always taken whole.
    logic pairs_in_range;
    always_comb begin
        pairs_in_range = 1'b1;
        for (int p = 0; p < N_PAIRS; p++)
            if (cfg_pair_enable[p] && (32'(cfg_pair_a[p*6 +: 6]) >= N_CHANNELS
                                       || 32'(cfg_pair_b[p*6 +: 6]) >= N_CHANNELS))
                pairs_in_range = 1'b0;
    end

    localparam int RAW_W = N_PAIRS*12 + 32*3 + 1;
    wire [RAW_W-1:0] in_raw = {cfg_enable, cfg_bin_width_ps, cfg_n_bins, cfg_offset_ps, cfg_pair_a, cfg_pair_b};
    localparam int C_LAT = 5;
    logic [C_LAT*(RAW_W + N_PAIRS)-1:0] raw_pipe;   // inputs and pair enables, stage k at [k*.. +: ..]
    always_ff @(posedge clk)
        raw_pipe <= rst ? '0 : {raw_pipe[(C_LAT-1)*(RAW_W + N_PAIRS)-1:0], cfg_pair_enable, in_raw};
    wire [RAW_W-1:0] c_raw = raw_pipe[(C_LAT-1)*(RAW_W + N_PAIRS) +: RAW_W];
    wire [N_PAIRS-1:0] c_pair_en = raw_pipe[(C_LAT-1)*(RAW_W + N_PAIRS) + RAW_W +: N_PAIRS];
    wire [31:0] c_nb = c_raw[N_PAIRS*12 + 32 +: 32];
    wire [N_PAIRS*6-1:0] c_pair_a = c_raw[N_PAIRS*6 +: N_PAIRS*6];
    wire [N_PAIRS*6-1:0] c_pair_b = c_raw[0 +: N_PAIRS*6];
    wire c_enable = c_raw[RAW_W-1];

    logic [4:0] c1_shift, c2_shift, c3_shift, c4_shift, c_shift;
    logic c1_ok, c2_ok, c3_ok, c4_ok, c_ok;
    logic [31:0] c1_nb, c1_off, c2_off;
    logic [63:0] c2_width, c2_half, c3_lo, c3_wm1, c4_out_mask, c4_lo, c4_keep_a, c4_keep_b;
    logic [63:0] c_out_mask, c_lo, c_keep_a, c_keep_b, c_keep_auto;
    always_ff @(posedge clk) begin
        c1_shift <= log2_32(cfg_bin_width_ps);
        c1_ok <= is_pow2(cfg_bin_width_ps) && is_pow2(cfg_n_bins) && cfg_n_bins <= 32'(1 << NB)
                 && pairs_in_range;
        c1_nb <= cfg_n_bins;
        c1_off <= cfg_offset_ps;
        c2_shift <= c1_shift;
        c2_ok <= c1_ok;
        c2_width <= 64'(c1_nb) << c1_shift;
        c2_half <= 64'(c1_nb >> 1) << c1_shift;
        c2_off <= c1_off;
        c3_shift <= c2_shift;
        c3_ok <= c2_ok;
        c3_lo <= {{32{c2_off[31]}}, c2_off} - c2_half;
        c3_wm1 <= c2_width - 64'd1;
        c4_shift <= c3_shift;
        c4_ok <= c3_ok;
        c4_out_mask <= ~c3_wm1;   // width a power of two: d - lo >= width iff any of these bits
        c4_lo <= c3_lo;
        c4_keep_a <= c3_lo + c3_wm1;   // hi - 1: largest positive delay in the window
        c4_keep_b <= 64'd0 - c3_lo;    // -lo: largest |negative delay| in the window
        c_shift <= c4_shift;
        c_ok <= c4_ok;
        c_out_mask <= c4_out_mask;
        c_lo <= c4_lo;
        c_keep_a <= c4_keep_a;
        c_keep_b <= c4_keep_b;
        c_keep_auto <= $signed(c4_keep_a) > $signed(c4_keep_b) ? c4_keep_a : c4_keep_b;
        if (rst) begin  // (also keeps the flags out of slow shift-register LUTs)
            c1_ok <= 1'b0;
            c2_ok <= 1'b0;
            c3_ok <= 1'b0;
            c4_ok <= 1'b0;
            c_ok <= 1'b0;
            c1_shift <= '0;
            c2_shift <= '0;
            c3_shift <= '0;
            c4_shift <= '0;
            c_shift <= '0;
        end
    end

    logic [RAW_W-1:0] l_raw;
    logic [N_PAIRS-1:0] l_en;
    logic [N_PAIRS*6-1:0] l_a, l_b;
    logic [63:0] l_lo, l_out_mask, l_keep_a, l_keep_b, l_keep_auto;
    logic [4:0] l_shift;
    logic [31:0] l_nb;
    wire changed = c_raw != l_raw || (c_pair_en & {N_PAIRS{c_ok && c_enable}}) != l_en;
    // inputs still on their way through the pipeline: tags, boundaries and clears wait for them
    wire settling = {cfg_pair_enable, in_raw} != {c_pair_en, c_raw};

    // ---- scan stage: one tag or boundary at a time -------------------------------------------
    logic s_valid, s_bnd, s_first;
    logic [5:0] s_ch;
    logic [63:0] s_t;
    logic [N_PAIRS-1:0] p_done, p_busy, p_inexact, p_sat;
    logic [N_PAIRS*MISS_W-1:0] p_missed;
    logic [N_PAIRS*COUNT_W-1:0] p_dump_data;

    localparam logic [1:0] ST_SWEEP = 2'd0, ST_RUN = 2'd1;
    logic [1:0] st;
    logic sweep_both;
    logic [NB:0] sweep_addr;
    logic clear_pend;
    logic fresh;    // no tag taken since the configuration was last taken

    localparam logic [1:0] D_IDLE = 2'd0, D_HDR = 2'd1, D_BINS = 2'd2;
    logic [1:0] d_state;
    logic d_rd_q;

    wire drained = p_busy == '0;
    wire dump_idle = d_state == D_IDLE && !d_rd_q;
    wire s_tag = s_valid && !s_bnd;
    wire s_complete = s_valid && (s_bnd ? drained && dump_idle && !settling : &p_done);
    wire s_advance = s_tag && s_complete;
    // During the sweep a tag may pass when histograms are off as taken and as configured now.
    wire sweep_pass = st == ST_SWEEP && !l_raw[N_PAIRS*12+32*3] && !cfg_enable && !s_tag_boundary;
    assign s_tag_ready = (st == ST_RUN || sweep_pass) && !clear_pend && !settling && (!s_valid || s_complete);
    wire load = s_tag_valid && s_tag_ready;
    wire bnd_done = s_bnd && s_complete;
    wire clear_go = clear_pend && st == ST_RUN && !s_valid && drained && !settling;
    wire relatch = bnd_done || clear_go || (st == ST_RUN && fresh && !s_valid && !clear_pend && changed);
    wire flush = (relatch && changed) || clear_go;
    wire sweep_end = st == ST_SWEEP && sweep_addr == (NB + 1)'((1 << NB) - 1);
    // At the sweep's end the configuration is taken afresh, unless tags passed during the sweep.
    wire sweep_take = sweep_end && fresh;
    assign clearing = clear || clear_pend || st == ST_SWEEP;

    always_ff @(posedge clk) begin
        s_first <= load;
        if (load) begin
            s_valid <= 1'b1;
            s_bnd <= s_tag_boundary;
            s_ch <= s_tag_channel;
            s_t <= s_tag_time;
        end else if (s_complete) begin
            s_valid <= 1'b0;
        end
        if (load && !s_tag_boundary) fresh <= 1'b0;
        if (clear) clear_pend <= 1'b1;
        if (bnd_done) bank <= !bank;
        if (st == ST_SWEEP) begin
            sweep_addr <= sweep_addr + 1'b1;
            if (sweep_end) st <= ST_RUN;
        end
        if (clear_go) begin
            clear_pend <= 1'b0;
            st <= ST_SWEEP;
            sweep_both <= 1'b0;
            sweep_addr <= '0;
        end
        if (relatch || sweep_take) begin
            fresh <= 1'b1;
            l_raw <= c_raw;
            l_en <= c_pair_en & {N_PAIRS{c_ok && c_enable}};
            l_a <= c_pair_a;
            l_b <= c_pair_b;
            l_lo <= c_lo;
            l_out_mask <= c_out_mask;
            l_keep_a <= c_keep_a;
            l_keep_b <= c_keep_b;
            l_keep_auto <= c_keep_auto;
            l_shift <= c_shift;
            l_nb <= c_nb;
            cfg_error <= !c_ok;
        end
        if (rst) begin
            s_valid <= 1'b0;
            s_first <= 1'b0;
            s_bnd <= 1'b0;
            s_t <= '0;
            bank <= 1'b0;
            st <= ST_SWEEP;
            sweep_both <= 1'b1;
            sweep_addr <= '0;
            clear_pend <= 1'b0;
            fresh <= 1'b1;
            l_raw <= '0;
            l_en <= '0;
            cfg_error <= 1'b0;
        end
    end

    // ---- dump of the finished bank ------------------------------------------------------------
    logic [N_PAIRS:0] d_en;   // one spare bit: d_pair runs up to N_PAIRS
    logic [31:0] d_nb;
    localparam int DPW = $clog2(N_PAIRS + 1);
    logic [DPW-1:0] d_pair, d_sel_q;
    logic [NB:0] d_addr;
    logic d_last_q;
    logic [FIFO_LOG2:0] f_count;
    logic f_empty, f_full;
    logic [64:0] f_out;
    logic f_wr;
    logic [64:0] f_in;

    wire d_space = 32'(f_count) + 32'(d_rd_q) < 32'(1 << FIFO_LOG2);
    wire d_pair_end = 32'(d_pair) >= N_PAIRS;
    wire d_hdr_push = d_state == D_HDR && !d_pair_end && d_en[d_pair] && !d_rd_q && !f_full;
    wire d_rd = d_state == D_BINS && d_space;
    wire d_last = 32'(d_addr) == d_nb - 32'd1;
    wire [63:0] hdr_word = (64'(G2L_KIND_FRAME) << G2L_KIND_LSB)
                         | (64'(G2L_FRAME_HISTOGRAM) << G2L_FRAME_FRAME_KIND_LSB)
                         | (64'(d_pair) << G2L_FRAME_INDEX_LSB)
                         | (64'(d_nb) << G2L_FRAME_LENGTH_LSB);

    always_ff @(posedge clk) begin
        d_rd_q <= d_rd;
        d_sel_q <= d_pair;
        d_last_q <= d_last;
        case (d_state)
            D_HDR: begin
                if (d_pair_end) d_state <= D_IDLE;
                else if (!d_en[d_pair]) d_pair <= d_pair + 1'b1;
                else if (d_hdr_push) begin
                    d_addr <= '0;
                    d_state <= D_BINS;
                end
            end
            D_BINS: begin
                if (d_rd) begin
                    d_addr <= d_addr + 1'b1;
                    if (d_last) begin
                        d_pair <= d_pair + 1'b1;
                        d_state <= D_HDR;
                    end
                end
            end
            default: ;
        endcase
        if (bnd_done) begin
            d_en <= {1'b0, l_en};
            d_nb <= l_nb;
            d_pair <= '0;
            d_state <= D_HDR;
        end
        if (rst) begin
            d_state <= D_IDLE;
            d_rd_q <= 1'b0;
        end
    end

    always_comb begin
        f_wr = d_rd_q || d_hdr_push;
        f_in = d_rd_q ? {d_last_q, 64'(p_dump_data[32'(d_sel_q) * COUNT_W +: COUNT_W])} : {1'b0, hdr_word};
    end

    g2l_fifo #(
        .WIDTH(65),
        .DEPTH_LOG2(FIFO_LOG2)
    ) u_out (
        .clk(clk),
        .rst(rst),
        .wr_en(f_wr),
        .wr_data(f_in),
        .rd_en(m_axis_tready),
        .rd_data(f_out),
        .empty(f_empty),
        .full(f_full),
        .count(f_count)
    );

    assign m_axis_tdata = f_out[63:0];
    assign m_axis_tlast = f_out[64];
    assign m_axis_tvalid = !f_empty;
    assign dumping = d_state != D_IDLE || !f_empty;

    // ---- pairs --------------------------------------------------------------------------------
    for (genvar p = 0; p < N_PAIRS; p++) begin : g_pair
        g2l_coinc_pair #(
            .N_BINS_LOG2(NB),
            .HIST_DEPTH(HIST_DEPTH),
            .COUNT_W(COUNT_W),
            .GHOST_DEPTH(GHOST_DEPTH),
            .MISS_W(MISS_W)
        ) u_pair (
            .clk(clk),
            .rst(rst),
            .cfg_en(l_en[p]),
            .cfg_a(l_a[p*6 +: 6]),
            .cfg_b(l_b[p*6 +: 6]),
            .cfg_lo(l_lo),
            .cfg_out_mask(l_out_mask),
            .cfg_shift(l_shift),
            .cfg_keep_a(l_keep_a),
            .cfg_keep_b(l_keep_b),
            .cfg_keep_auto(l_keep_auto),
            .flush(flush),
            .s_tag(s_tag),
            .s_first(s_first),
            .s_channel(s_ch),
            .s_time(s_t),
            .s_advance(s_advance),
            .s_done(p_done[p]),
            .bank(bank),
            .busy(p_busy[p]),
            .dump_rd(d_rd && 32'(d_pair) == p),
            .dump_addr(d_addr[NB-1:0]),
            .dump_data(p_dump_data[p*COUNT_W +: COUNT_W]),
            .sweep(st == ST_SWEEP),
            .sweep_both(sweep_both),
            .sweep_addr(sweep_addr[NB-1:0]),
            .missed(p_missed[p*MISS_W +: MISS_W]),
            .inexact(p_inexact[p]),
            .saturate(p_sat[p])
        );
    end

    // ---- loss counters (since the last clear, saturating) ----------------------------------------
    function automatic logic [31:0] sat_add(input logic [31:0] acc, input logic [N_PAIRS*MISS_W-1:0] n);
        logic [32:0] s;
        s = {1'b0, acc};
        for (int i = 0; i < N_PAIRS; i++) s = s + 33'(n[i*MISS_W +: MISS_W]);
        sat_add = s[32] ? 32'hFFFF_FFFF : s[31:0];
    endfunction

    logic [N_PAIRS*MISS_W-1:0] p_sat_w;
    always_comb for (int i = 0; i < N_PAIRS; i++) p_sat_w[i*MISS_W +: MISS_W] = MISS_W'(p_sat[i]);

    always_ff @(posedge clk) begin
        if (s_advance) lost_count <= sat_add(lost_count, p_missed);
        saturate_count <= sat_add(saturate_count, p_sat_w);
        if (p_inexact != '0) lost_inexact <= 1'b1;
        if (rst || clear_go) begin
            lost_count <= '0;
            saturate_count <= '0;
            lost_inexact <= 1'b0;
        end
    end
endmodule

`resetall
