// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// g2live top level: per-channel carry-chain TDC (g2l_tdc) + front-end, time-ordered merge with integration
// boundaries, correlation histogrammer and pulsed-mode block (g2l_coinc_hist, g2l_pulsed),
// rate/loss counters, register block (AXI4-Lite) and one AXI4-Stream output. See
// docs/hardware.md for the block diagram and the internal tag bus.
//
// Time base: `time_ps` advances by CLK_PERIOD_PS every clock; COMMAND.clear loads it with
// TIME_PRESET * CLK_PERIOD_PS. An edge whose cycle starts at `time_ps = T` with fine time f gets
// the absolute time T + f (+ delay): the TDC latency is compensated exactly.
//
// Timing: every register-to-register path fits half the clock period in cell delay (`make
// timing`); wide arithmetic is registered (the preset multiply, the time bases, the merge's
// comparison tree, register stages in front of the binners).
module g2l_top #(
    parameter int N_CHANNELS = 9,        // input channels including the sync (<= 32)
    parameter int N_PAIRS = 4,           // correlation pairs (<= 8)
    parameter int N_BINS_LOG2 = 12,      // log2 of the largest histogram
    parameter int MAX_PHOTONS = 15,      // last bin of the photon-number histogram
    parameter int CLK_PERIOD_PS = 4000,  // time-base clock period (250 MHz)
    parameter int MERGE_FIFO_LOG2 = 5,   // log2 entries of each channel FIFO in the merge
    parameter int RAW_FIFO_LOG2 = 9,     // log2 entries of the raw tag FIFO before the stream
    parameter int SYNC_INPUT = N_CHANNELS - 1,  // input with the sync prescaler (the board's sync pin)
    parameter int PERIOD_AVG_LOG2 = 8,   // the pulsed block measures the laser period over 2**this syncs
    parameter int N_MARKERS = 4,         // marker inputs (g2l_marker; 1..15), merge channels 32 + m
    // ---- carry-chain TDC (g2l_tdc; docs/hardware.md "TDC") ----
    parameter int TDC_LINE = 1,          // 1 = CARRY4 line (synthesis), 0 = zero-time line (cycle-based sim)
    parameter int TDC_N_CHAINS = 2,      // carry chains per channel
    parameter int TDC_CARRY4_MIN_PS = 70,  // fastest CARRY4 the line must cover a period with
    parameter int TDC_N_CARRY4 = (CLK_PERIOD_PS * 5 + 4 * TDC_CARRY4_MIN_PS - 1) / (4 * TDC_CARRY4_MIN_PS),
    parameter int TDC_CARRY4_NOM_PS = 114,  // nominal CARRY4 delay: bin width before calibration
    parameter int TDC_NOM_BIN_PS = (TDC_CARRY4_NOM_PS + 2 * TDC_N_CHAINS) / (4 * TDC_N_CHAINS),
    // clocks from an edge's cycle to the TDC's hit: the TDC's own pipeline depth (g2l_tdc.svh, from
    // its geometry); a larger value pads the TDC's output. The edge time base and the merge's
    // watermarks follow it.
    parameter int TDC_LATENCY = g2l_tdc_latency(TDC_N_CHAINS * 4 * TDC_N_CARRY4)
) (
    input  wire logic                     clk,
    input  wire logic                     rst,          // synchronous, active high

    input  wire logic [N_CHANNELS-1:0]    in_pulse,     // SPAD / sync lines
    input  wire logic [N_CHANNELS*16-1:0] in_fine_ps,   // TDC_LINE = 0 only: fine time of each edge
    input  wire logic [N_MARKERS-1:0]     in_marker,    // marker lines (frame / line / power step)

    input  wire logic [11:0]              s_axil_awaddr,
    input  wire logic [2:0]               s_axil_awprot,
    input  wire logic                     s_axil_awvalid,
    output logic                          s_axil_awready,
    input  wire logic [31:0]              s_axil_wdata,
    input  wire logic [3:0]               s_axil_wstrb,
    input  wire logic                     s_axil_wvalid,
    output logic                          s_axil_wready,
    output logic      [1:0]               s_axil_bresp,
    output logic                          s_axil_bvalid,
    input  wire logic                     s_axil_bready,
    input  wire logic [11:0]              s_axil_araddr,
    input  wire logic [2:0]               s_axil_arprot,
    input  wire logic                     s_axil_arvalid,
    output logic                          s_axil_arready,
    output logic      [31:0]              s_axil_rdata,
    output logic      [1:0]               s_axil_rresp,
    output logic                          s_axil_rvalid,
    input  wire logic                     s_axil_rready,

    output logic      [63:0]              m_axis_tdata,
    output logic                          m_axis_tvalid,
    input  wire logic                     m_axis_tready,
    output logic                          m_axis_tlast,

    // board clock module (hw/boards/*): CLOCK_STATUS in, CLOCK_CONTROL out; 0 where there is none
    input  wire logic [31:0]              clock_status,
    output logic      [31:0]              clock_control
);
    // The contract header defines every field; a block uses only some of them.
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_regmap.svh"
    `include "g2l_tdc.svh"
    `include "g2l_tag_word.svh"
    /* verilator lint_on UNUSEDPARAM */

    localparam int TDC_N_TAPS = TDC_N_CHAINS * 4 * TDC_N_CARRY4;  // taps of all chains of one channel

    initial begin
        if (N_CHANNELS < 2 || N_CHANNELS > 32) $error("%m: N_CHANNELS must be 2..32 (CHANNEL_ENABLE width)");
        if (N_PAIRS < 1 || N_PAIRS > 8) $error("%m: N_PAIRS must be 1..8");
        if (CLK_PERIOD_PS < 1 || CLK_PERIOD_PS > 65536) $error("%m: CLK_PERIOD_PS must fit the 16-bit fine time");
        if (MAX_PHOTONS < 1 || MAX_PHOTONS > 63) $error("%m: MAX_PHOTONS must be 1..63");
        if (SYNC_INPUT < 0 || SYNC_INPUT >= N_CHANNELS) $error("%m: SYNC_INPUT must be an input channel");
        if (MARKER_LATENCY > TDC_LATENCY + CHANNEL_LATENCY)
            $error("%m: the marker path must not be slower than a channel's (merge watermarks)");
        if (TDC_LATENCY < g2l_tdc_latency(TDC_N_TAPS))
            $error("%m: TDC_LATENCY must be >= the TDC's pipeline depth g2l_tdc_latency(taps)");
    end

    localparam int CHANNEL_LATENCY = 2;            // g2l_channel: hit to tag_valid
    localparam int MARKER_LATENCY = 3;             // g2l_marker: edge cycle to tag_valid
    localparam int N_MERGE = N_CHANNELS + N_MARKERS;  // merge inputs: channels, then markers
    localparam logic [63:0] P = 64'(CLK_PERIOD_PS);

    // ---- registers ----------------------------------------------------------------------
    logic [31:0] reg_control, reg_channel_enable, reg_sync_channel, reg_bin_width_ps, reg_n_bins;
    logic [31:0] reg_offset_ps, reg_integration_cycles, reg_pulsed_window_ps, reg_sync_divider;
    logic [31:0] reg_marker_enable;
    logic [63:0] reg_time_preset;
    logic [N_PAIRS*32-1:0] reg_pair;
    logic [N_CHANNELS*32-1:0] reg_dead_time_ps, reg_delay_ps;
    logic cmd_clear, cmd_swap;
    logic [31:0] st_status;
    logic [N_CHANNELS*32-1:0] st_count, st_lost_count, st_dead_count;
    logic [31:0] st_sync_filtered, st_sync_period;
    logic [31:0] reg_tdc_control, reg_tdc_cal_enable, reg_tdc_select, st_tdc_status, st_tdc_table;
    logic [N_CHANNELS*32-1:0] st_tdc_overlap;
    logic cmd_tdc_restart;
    logic [31:0] reg_packet_words, reg_packet_timeout_cycles;

    g2l_axil_regs #(
        .N_CHANNELS(N_CHANNELS), .N_PAIRS(N_PAIRS), .N_BINS_LOG2(N_BINS_LOG2),
        .MAX_PHOTONS(MAX_PHOTONS), .CLK_PERIOD_PS(CLK_PERIOD_PS), .SYNC_INPUT(SYNC_INPUT)
    ) u_regs (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .reg_control(reg_control), .reg_channel_enable(reg_channel_enable),
        .reg_sync_channel(reg_sync_channel), .reg_bin_width_ps(reg_bin_width_ps),
        .reg_n_bins(reg_n_bins), .reg_offset_ps(reg_offset_ps),
        .reg_integration_cycles(reg_integration_cycles), .reg_pulsed_window_ps(reg_pulsed_window_ps),
        .reg_sync_divider(reg_sync_divider), .reg_marker_enable(reg_marker_enable),
        .st_marker_sizes((32'(N_MARKERS) << G2L_REG_MARKER_SIZES_N_MARKERS_LSB)
                         | (32'(MARKER_LATENCY) << G2L_REG_MARKER_SIZES_LATENCY_LSB)),
        .reg_time_preset(reg_time_preset), .reg_pair(reg_pair), .reg_dead_time_ps(reg_dead_time_ps),
        .reg_delay_ps(reg_delay_ps), .reg_packet_words(reg_packet_words),
        .reg_packet_timeout_cycles(reg_packet_timeout_cycles), .reg_clock_control(clock_control),
        .cmd_clear(cmd_clear), .cmd_swap(cmd_swap),
        .st_status(st_status), .st_count(st_count), .st_lost_count(st_lost_count),
        .st_dead_count(st_dead_count), .st_sync_filtered(st_sync_filtered), .st_sync_period(st_sync_period),
        .st_clock_status(clock_status),
        .reg_tdc_control(reg_tdc_control), .reg_tdc_cal_enable(reg_tdc_cal_enable),
        .reg_tdc_select(reg_tdc_select), .cmd_tdc_restart(cmd_tdc_restart), .st_tdc_status(st_tdc_status),
        .st_tdc_table(st_tdc_table),
        .st_tdc_sizes((32'(TDC_N_TAPS) << G2L_REG_TDC_SIZES_N_TAPS_LSB)
                      | (32'(TDC_N_CHAINS) << G2L_REG_TDC_SIZES_N_CHAINS_LSB)
                      | (32'(TDC_LINE) << G2L_REG_TDC_SIZES_LINE_LSB)
                      | (32'(TDC_LATENCY) << G2L_REG_TDC_SIZES_LATENCY_LSB)),
        .st_tdc_nom_bin_ps(32'(TDC_NOM_BIN_PS)), .st_tdc_overlap_count(st_tdc_overlap)
    );

    wire run = reg_control[G2L_REG_CONTROL_RUN_LSB];
    wire raw_enable = reg_control[G2L_REG_CONTROL_RAW_ENABLE_LSB];
    wire hist_enable = reg_control[G2L_REG_CONTROL_HIST_ENABLE_LSB];
    wire pulsed_enable = reg_control[G2L_REG_CONTROL_PULSED_ENABLE_LSB];
    wire sync_filter = reg_control[G2L_REG_CONTROL_SYNC_FILTER_LSB];

    // ---- clear and time base (registered arithmetic) ----------------------------------------
    // TIME_PRESET * CLK_PERIOD_PS is formed in registered pieces (four 16-bit partial products,
    // then two levels of adds) and the edge base from it; COMMAND.clear takes effect CLEAR_DELAY
    // clocks after its write, when the preset written before it has passed the pipeline. STATUS
    // .clearing covers the delay, so a driver that waits for it sees the clear done.
    localparam int CLEAR_DELAY = 4;
    logic [CLEAR_DELAY-1:0] clear_pipe;
    always_ff @(posedge clk) clear_pipe <= rst ? '0 : {clear_pipe[CLEAR_DELAY-2:0], cmd_clear};
    wire clear = clear_pipe[CLEAR_DELAY-1];
    wire clear_pending = |clear_pipe;

    logic [4*33-1:0] pre_part;      // stage 1: reg_time_preset[16k +: 16] * P
    logic [63:0] pre_lo, pre_hi;    // stage 2: parts 0 + 1, parts 2 + 3
    logic [63:0] preset_ps;         // stage 3: TIME_PRESET * P
    logic [63:0] preset_edge_ps;    // stage 4: minus the TDC latency
    always_ff @(posedge clk) begin
        for (int k = 0; k < 4; k++)
            pre_part[k*33 +: 33] <= 33'(reg_time_preset[k*16 +: 16]) * 33'(CLK_PERIOD_PS);
        pre_lo <= 64'(pre_part[0 +: 33]) + (64'(pre_part[33 +: 33]) << 16);
        pre_hi <= 64'(pre_part[66 +: 33]) + (64'(pre_part[99 +: 33]) << 16);
        preset_ps <= pre_lo + (pre_hi << 32);
        preset_edge_ps <= preset_ps - 64'(TDC_LATENCY) * P;
    end

    // time_ps: start of this clock cycle; edge_base_ps = time_ps - TDC_LATENCY * P, its own counter
    logic [63:0] time_ps /*verilator public_flat_rd*/;  // read by sim/harness
    logic [63:0] edge_base_ps;
    always_ff @(posedge clk) begin
        if (rst) begin
            time_ps <= '0;
            edge_base_ps <= '0 - 64'(TDC_LATENCY) * P;
        end else if (clear) begin
            time_ps <= preset_ps;
            edge_base_ps <= preset_edge_ps;
        end else begin
            time_ps <= time_ps + P;
            edge_base_ps <= edge_base_ps + P;
        end
    end

    // ---- integration timer ----------------------------------------------------------------
    // `since` counts the cycles of the running integration; a boundary at time_ps closes it
    // (INTEGRATION_CYCLES reached or COMMAND.swap). If the merge cannot take the boundary yet,
    // it fires later and the recorded length says so exactly.
    logic [31:0] since;
    logic        swap_pending;
    logic        bnd_full;
    wire         due = run && ((reg_integration_cycles != 0 && since >= reg_integration_cycles)
                               || swap_pending || cmd_swap);
    wire         bnd_fire = due && !bnd_full;
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            since <= '0;
            swap_pending <= 1'b0;
        end else begin
            if (bnd_fire) since <= 32'd1;
            else if (run && since != 32'hFFFF_FFFF) since <= since + 1'b1;
            if (bnd_fire) swap_pending <= 1'b0;
            else if (cmd_swap && run) swap_pending <= 1'b1;
        end
    end

    // ---- channels ---------------------------------------------------------------------------
    logic [N_CHANNELS-1:0]    ch_valid;
    logic [N_CHANNELS*64-1:0] ch_time;
    logic [N_CHANNELS-1:0]    ch_dead_unused;

    // ---- carry-chain TDC per channel: calibration settings, status of the selected channel ----
    wire        tdc_use_nominal = reg_tdc_control[G2L_REG_TDC_CONTROL_USE_NOMINAL_LSB];
    wire [4:0]  tdc_log2_hits = reg_tdc_control[G2L_REG_TDC_CONTROL_CAL_LOG2_HITS_LSB +: 5];
    wire [5:0]  tdc_sel = reg_tdc_select[G2L_REG_TDC_SELECT_CHANNEL_LSB +: 6];
    wire [15:0] tdc_code = reg_tdc_select[G2L_REG_TDC_SELECT_CODE_LSB +: 16];
    wire  [N_CHANNELS*32-1:0] tdc_status_all;  // continuous: one always_comb per channel on a shared
                                                // vector makes Icarus re-evaluate them without end
    logic [N_CHANNELS*16-1:0] tdc_table_all;
    always_comb begin
        st_tdc_status = '0;
        st_tdc_table = '0;
        for (int c = 0; c < N_CHANNELS; c++)
            if (tdc_sel == 6'(c)) begin
                st_tdc_status = tdc_status_all[c*32 +: 32];
                st_tdc_table = {16'd0, tdc_table_all[c*16 +: 16]};
            end
    end

    // Sync prescaler on the sync input (g2l_sync_div), in front of its TDC. Its count restarts
    // at reset and COMMAND.clear (from a register: a glitch-free asynchronous reset).
    logic div_arst;
    always_ff @(posedge clk) div_arst <= rst || clear;
    wire div_out;
    logic [N_CHANNELS-1:0] line;
    always_comb begin
        line = in_pulse;
        line[SYNC_INPUT] = div_out;
    end
    g2l_sync_div #(.MAX_LOG2(4)) u_sync_div (
        .in_async(in_pulse[SYNC_INPUT]), .arst(div_arst),
        .cfg_log2(reg_sync_divider[G2L_REG_SYNC_DIVIDER_LOG2_LSB +: 3]), .out_async(div_out)
    );

    for (genvar c = 0; c < N_CHANNELS; c++) begin : g_ch
        wire hit;
        wire [15:0] fine;
        wire tdc_valid, tdc_bank, tdc_collecting, tdc_building, tdc_short, tdc_overrange;
        wire [15:0] tdc_cal_count;
        g2l_tdc #(
            .CLK_PERIOD_PS(CLK_PERIOD_PS), .FINE_W(16), .LINE(TDC_LINE), .N_CHAINS(TDC_N_CHAINS),
            .CARRY4_MIN_PS(TDC_CARRY4_MIN_PS), .N_CARRY4(TDC_N_CARRY4), .CARRY4_NOM_PS(TDC_CARRY4_NOM_PS),
            .NOM_BIN_PS(TDC_NOM_BIN_PS), .LATENCY(TDC_LATENCY)
        ) u_tdc (
            .clk(clk), .rst(rst), .clear(clear), .in_pulse(line[c]), .sim_fine_ps(in_fine_ps[c*16 +: 16]),
            .cal_enable(reg_tdc_cal_enable[c]), .cal_log2_hits(tdc_log2_hits), .cal_restart(cmd_tdc_restart),
            .use_nominal(tdc_use_nominal), .host_addr(tdc_code), .host_data(tdc_table_all[c*16 +: 16]),
            .bank(tdc_bank), .table_valid(tdc_valid), .collecting(tdc_collecting), .building(tdc_building),
            .cal_count(tdc_cal_count), .overlap_count(st_tdc_overlap[c*32 +: 32]), .short_seen(tdc_short),
            .overrange_seen(tdc_overrange), .hit(hit), .fine_ps(fine)
        );
        assign tdc_status_all[c*32 +: 32] = (32'(tdc_valid) << G2L_REG_TDC_STATUS_TABLE_VALID_LSB)
            | (32'(tdc_bank) << G2L_REG_TDC_STATUS_BANK_LSB)
            | (32'(tdc_collecting) << G2L_REG_TDC_STATUS_COLLECTING_LSB)
            | (32'(tdc_building) << G2L_REG_TDC_STATUS_BUILDING_LSB)
            | (32'(tdc_short) << G2L_REG_TDC_STATUS_SHORT_SEEN_LSB)
            | (32'(tdc_overrange) << G2L_REG_TDC_STATUS_OVERRANGE_SEEN_LSB)
            | (32'(tdc_cal_count) << G2L_REG_TDC_STATUS_CAL_COUNT_LSB);
        g2l_channel #(.FINE_W(16)) u_channel (
            .clk(clk), .rst(rst), .clear(clear),
            .cfg_enable(reg_channel_enable[c]),
            .cfg_dead_time_ps(reg_dead_time_ps[c*32 +: 32]),
            .cfg_delay_ps(reg_delay_ps[c*32 +: 32]),
            .in_hit(hit && run), .in_fine_ps(fine), .edge_base_ps(edge_base_ps),
            .tag_valid(ch_valid[c]), .tag_time(ch_time[c*64 +: 64]),
            .dead_drop(ch_dead_unused[c]), .dead_count(st_dead_count[c*32 +: 32])
        );
    end

    // ---- marker inputs: coarse-time edges, merged as channels 32 + m ---------------------------
    logic [N_MARKERS-1:0]    mk_valid;
    logic [N_MARKERS*64-1:0] mk_time;
    g2l_marker #(.N_MARKERS(N_MARKERS)) u_marker (
        .clk(clk), .rst(rst), .clear(clear), .run(run), .cfg_enable(reg_marker_enable[N_MARKERS-1:0]),
        .in_marker(in_marker), .time_ps(time_ps), .tag_valid(mk_valid), .tag_time(mk_time)
    );

    // ---- merge --------------------------------------------------------------------------------
    // Merge positions N_CHANNELS + m are the marker inputs (zero delay: their watermark is the
    // channels' lag, which the marker path is not slower than); out of the merge they become
    // channel G2L_MARKER_CHANNEL + m, which the binners, the pulsed block and the rate counters
    // never see.
    logic              m_valid, m_ready, m_boundary, m_held;
    logic [5:0]        m_pos, m_channel;
    logic [63:0]       m_time;
    logic [N_MERGE-1:0] overflow_all;
    logic [N_CHANNELS-1:0] overflow;
    assign overflow = overflow_all[N_CHANNELS-1:0];
    wire m_marker = !m_boundary && m_pos >= 6'(N_CHANNELS);
    assign m_channel = m_marker ? 6'(G2L_MARKER_CHANNEL) + (m_pos - 6'(N_CHANNELS)) : m_pos;

    g2l_merge #(
        .N_CHANNELS(N_MERGE), .FIFO_DEPTH_LOG2(MERGE_FIFO_LOG2), .BND_DEPTH_LOG2(2),
        .CLK_PERIOD_PS(CLK_PERIOD_PS), .IN_LATENCY(TDC_LATENCY + CHANNEL_LATENCY)
    ) u_merge (
        .clk(clk), .rst(rst), .clear(clear),
        .in_valid({mk_valid, ch_valid}), .in_time({mk_time, ch_time}),
        .cfg_delay_ps({{(N_MARKERS*32){1'b0}}, reg_delay_ps}), .time_ps(time_ps),
        .bnd_valid(bnd_fire), .bnd_time(time_ps), .bnd_full(bnd_full),
        .overflow(overflow_all), .held(m_held),
        .out_valid(m_valid), .out_ready(m_ready), .out_channel(m_pos), .out_time(m_time),
        .out_boundary(m_boundary)
    );

    // ---- fan-out to the consumers: each takes every beat exactly once ------------------------
    // The binners get a register stage each (g2l_skid), so their ready logic never reaches the
    // merge combinationally; the rate counters and the raw path take a beat in the clock it leaves.
    // A beat leaves when both register stages have room and the rate counters can take it.
    logic hist_in_ready, pulsed_in_ready, rates_bnd_ready;
    assign m_ready = hist_in_ready && pulsed_in_ready && (!m_boundary || rates_bnd_ready);
    wire m_fire = m_valid && m_ready;

    // Loss cause for merge overflows: 1 when a consumer held the merge (within the tree's depth
    // before the overflow), 2 otherwise.
    wire [N_MERGE-1:0] lost_c1 = m_held ? overflow_all : '0;
    wire [N_MERGE-1:0] lost_c2 = m_held ? '0 : overflow_all;

    logic       hq_valid, hq_ready, hq_boundary, pq_valid, pq_ready, pq_boundary;
    logic [5:0] hq_channel, pq_channel;
    logic [63:0] hq_time, pq_time;
    g2l_skid #(.WIDTH(71)) u_hist_in (
        .clk(clk), .rst(rst || clear),
        .in_valid(m_fire && !m_marker), .in_ready(hist_in_ready), .in_data({m_boundary, m_channel, m_time}),
        .out_valid(hq_valid), .out_ready(hq_ready), .out_data({hq_boundary, hq_channel, hq_time})
    );
    g2l_skid #(.WIDTH(71)) u_pulsed_in (
        .clk(clk), .rst(rst || clear),
        .in_valid(m_fire && !m_marker), .in_ready(pulsed_in_ready), .in_data({m_boundary, m_channel, m_time}),
        .out_valid(pq_valid), .out_ready(pq_ready), .out_data({pq_boundary, pq_channel, pq_time})
    );

    // ---- correlation histogrammer -------------------------------------------------------------
    logic [N_PAIRS*6-1:0] pair_a, pair_b;
    logic [N_PAIRS-1:0]   pair_en;
    for (genvar k = 0; k < N_PAIRS; k++) begin : g_pair
        assign pair_a[k*6 +: 6] = reg_pair[k*32 + G2L_REG_PAIR_A_LSB +: 6];
        assign pair_b[k*6 +: 6] = reg_pair[k*32 + G2L_REG_PAIR_B_LSB +: 6];
        assign pair_en[k] = reg_pair[k*32 + G2L_REG_PAIR_ENABLE_LSB];
    end

    logic [63:0] hist_tdata, pulsed_tdata, rates_tdata;
    logic hist_tvalid, hist_tready, hist_tlast, pulsed_tvalid, pulsed_tready, pulsed_tlast;
    logic rates_tvalid, rates_tready, rates_tlast;
    logic hist_dumping, pulsed_dumping, hist_clearing;
    logic [31:0] hist_lost, pulsed_lost, hist_saturate, pulsed_pre_sync, pulsed_out_of_window, pulsed_clip;
    logic hist_bank, hist_cfg_error, pulsed_cfg_error, hist_lost_inexact;

    g2l_coinc_hist #(.N_CHANNELS(N_CHANNELS), .N_PAIRS(N_PAIRS), .N_BINS_LOG2(N_BINS_LOG2)) u_hist (
        .clk(clk), .rst(rst), .clear(clear), .cfg_enable(hist_enable),
        .cfg_bin_width_ps(reg_bin_width_ps), .cfg_n_bins(reg_n_bins), .cfg_offset_ps(reg_offset_ps),
        .cfg_pair_a(pair_a), .cfg_pair_b(pair_b), .cfg_pair_enable(pair_en),
        .s_tag_valid(hq_valid), .s_tag_ready(hq_ready), .s_tag_channel(hq_channel),
        .s_tag_time(hq_time), .s_tag_boundary(hq_boundary),
        .m_axis_tdata(hist_tdata), .m_axis_tvalid(hist_tvalid), .m_axis_tready(hist_tready),
        .m_axis_tlast(hist_tlast), .dumping(hist_dumping), .clearing(hist_clearing), .bank(hist_bank),
        .cfg_error(hist_cfg_error),
        .lost_count(hist_lost), .lost_inexact(hist_lost_inexact), .saturate_count(hist_saturate)
    );

    g2l_pulsed #(.N_CHANNELS(N_CHANNELS), .MAX_PHOTONS(MAX_PHOTONS), .PERIOD_AVG_LOG2(PERIOD_AVG_LOG2)) u_pulsed (
        .clk(clk), .rst(rst), .clear(clear), .cfg_enable(pulsed_enable),
        .cfg_sync_channel(reg_sync_channel[5:0]), .cfg_window_ps(reg_pulsed_window_ps),
        .cfg_divider_log2(reg_sync_divider[G2L_REG_SYNC_DIVIDER_LOG2_LSB +: 3]),
        .s_tag_valid(pq_valid), .s_tag_ready(pq_ready), .s_tag_channel(pq_channel),
        .s_tag_time(pq_time), .s_tag_boundary(pq_boundary),
        .m_axis_tdata(pulsed_tdata), .m_axis_tvalid(pulsed_tvalid), .m_axis_tready(pulsed_tready),
        .m_axis_tlast(pulsed_tlast), .dumping(pulsed_dumping), .lost_count(pulsed_lost),
        .cfg_error(pulsed_cfg_error), .pre_sync_count(pulsed_pre_sync), .out_of_window_count(pulsed_out_of_window),
        .clip_count(pulsed_clip), .period_q8(st_sync_period)
    );

    // ---- rate / loss counters ---------------------------------------------------------------
    logic [N_MERGE-1:0] lost_c0;
    g2l_rate_counters #(.N_CHANNELS(N_CHANNELS)) u_rates (
        .clk(clk), .rst(rst), .clear(clear),
        .t_fire(m_fire && !m_marker), .t_channel(m_channel), .t_boundary(m_boundary),
        .bnd_ready(rates_bnd_ready), .len_valid(bnd_fire), .len_cycles(since),
        .lost_a(lost_c0[N_CHANNELS-1:0]), .lost_b(overflow),
        .count(st_count), .lost_total(st_lost_count),
        .m_axis_tdata(rates_tdata), .m_axis_tvalid(rates_tvalid), .m_axis_tready(rates_tready),
        .m_axis_tlast(rates_tlast)
    );

    // ---- raw path: conditional sync filter, then the raw tag FIFO ------------------------------
    // Never holds the merge; a full FIFO drops and counts (cause 0). Markers take it whether or
    // not CONTROL.raw_enable: they are rare, and the host needs them to gate histograms.
    logic        rf_valid;
    logic [5:0]  rf_channel;
    logic [63:0] rf_time;
    g2l_sync_filter u_sync_filter (
        .clk(clk), .rst(rst), .clear(clear),
        .cfg_enable(sync_filter), .cfg_sync_channel(reg_sync_channel[5:0]),
        .in_valid(m_fire && !m_boundary && (raw_enable || m_marker)), .in_channel(m_channel), .in_time(m_time),
        .out_valid(rf_valid), .out_channel(rf_channel), .out_time(rf_time),
        .filtered_count(st_sync_filtered)
    );
    logic raw_full, raw_empty, raw_pop;
    logic [RAW_FIFO_LOG2:0] raw_count_unused;
    logic [69:0] raw_head;
    g2l_fifo #(.WIDTH(70), .DEPTH_LOG2(RAW_FIFO_LOG2)) u_raw (
        .clk(clk), .rst(rst || clear), .wr_en(rf_valid), .wr_data({rf_channel, rf_time}),
        .rd_en(raw_pop), .rd_data(raw_head), .empty(raw_empty), .full(raw_full), .count(raw_count_unused)
    );
    always_ff @(posedge clk) begin
        if (rst || clear) lost_c0 <= '0;
        else for (int c = 0; c < N_MERGE; c++)
            lost_c0[c] <= rf_valid && raw_full
                          && rf_channel == (c < N_CHANNELS ? 6'(c) : 6'(G2L_MARKER_CHANNEL + c - N_CHANNELS));
    end

    // ---- output: framer, then DMA packets (tlast where the host wants it) ---------------------
    // Register stages in front of the framer: the raw FIFO's head (its block-RAM read is slow) and
    // each frame source, so the framer's arbitration never reaches back into them.
    logic        rq_valid, rq_ready, rq_in_ready;
    logic [69:0] rq_data;
    assign raw_pop = rq_in_ready;
    g2l_skid #(.WIDTH(70)) u_raw_head (
        .clk(clk), .rst(rst || clear),
        .in_valid(!raw_empty), .in_ready(rq_in_ready), .in_data(raw_head),
        .out_valid(rq_valid), .out_ready(rq_ready), .out_data(rq_data)
    );
    logic [3*64-1:0] fq_tdata;
    logic [2:0]      fq_tvalid, fq_tready, fq_tlast, fs_tready;
    wire  [3*65-1:0] fs_in = {rates_tlast, rates_tdata, pulsed_tlast, pulsed_tdata, hist_tlast, hist_tdata};
    wire  [2:0]      fs_valid = {rates_tvalid, pulsed_tvalid, hist_tvalid};
    assign {rates_tready, pulsed_tready, hist_tready} = fs_tready;
    for (genvar k = 0; k < 3; k++) begin : g_frame_in
        g2l_skid #(.WIDTH(65)) u_frame_in (
            .clk(clk), .rst(rst || clear),
            .in_valid(fs_valid[k]), .in_ready(fs_tready[k]), .in_data(fs_in[k*65 +: 65]),
            .out_valid(fq_tvalid[k]), .out_ready(fq_tready[k]), .out_data({fq_tlast[k], fq_tdata[k*64 +: 64]})
        );
    end

    logic [63:0] fr_tdata;
    logic        fr_tvalid, fr_tready, fr_tlast_unused;
    g2l_stream_out #(.N_CHANNELS(N_CHANNELS), .N_MARKERS(N_MARKERS), .N_SRC(3)) u_out (
        .clk(clk), .rst(rst), .clear(clear),
        // the head is the last raw tag buffered when it is alone in its stage and the FIFO is empty
        .raw_valid(rq_valid), .raw_ready(rq_ready), .raw_channel(rq_data[69:64]),
        .raw_time(rq_data[63:0]), .raw_last(rq_valid && rq_in_ready && raw_empty),
        .lost_c0(lost_c0), .lost_c1(lost_c1), .lost_c2(lost_c2),
        .s_frame_tdata(fq_tdata), .s_frame_tvalid(fq_tvalid), .s_frame_tready(fq_tready),
        .s_frame_tlast(fq_tlast),
        .m_axis_tdata(fr_tdata), .m_axis_tvalid(fr_tvalid), .m_axis_tready(fr_tready),
        .m_axis_tlast(fr_tlast_unused)
    );
    g2l_axis_packetizer u_packets (
        .clk(clk), .rst(rst), .clear(clear),
        .cfg_packet_words(reg_packet_words), .cfg_timeout_cycles(reg_packet_timeout_cycles),
        .s_axis_tdata(fr_tdata), .s_axis_tvalid(fr_tvalid), .s_axis_tready(fr_tready),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
        .m_axis_tlast(m_axis_tlast)
    );

    // ---- status -----------------------------------------------------------------------------------
    // Sticky loss flag: events dropped anywhere, or histogram entries lost or saturated.
    logic lost_sticky;
    always_ff @(posedge clk) begin
        if (rst || clear) lost_sticky <= 1'b0;
        else if (|lost_c0 || |overflow_all || hist_lost != 0 || hist_lost_inexact || pulsed_lost != 0
                 || hist_saturate != 0)
            lost_sticky <= 1'b1;
    end
    always_comb begin
        st_status = '0;
        st_status[G2L_REG_STATUS_RUNNING_LSB] = run;
        st_status[G2L_REG_STATUS_BANK_LSB] = hist_bank;
        st_status[G2L_REG_STATUS_DUMPING_LSB] = hist_dumping || pulsed_dumping || rates_tvalid || |fq_tvalid;
        st_status[G2L_REG_STATUS_LOST_LSB] = lost_sticky;
        st_status[G2L_REG_STATUS_CLEARING_LSB] = hist_clearing || clear_pending;
    end

    // Diagnostics without a register in map version 1.1 (kept as ports for the next minor).
    wire unused_ok = &{1'b0, ch_dead_unused, reg_channel_enable[31:N_CHANNELS], reg_sync_channel[31:6],
                       reg_sync_divider[31:3], raw_count_unused,
                       reg_marker_enable[31:N_MARKERS],
                       reg_tdc_cal_enable, reg_tdc_control, reg_tdc_select,
                       hist_cfg_error, pulsed_cfg_error, pulsed_pre_sync, pulsed_out_of_window, pulsed_clip,
                       fr_tlast_unused};
endmodule

`resetall
