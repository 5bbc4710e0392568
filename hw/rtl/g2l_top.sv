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
module g2l_top #(
    parameter int N_CHANNELS = 9,        // input channels including the sync (<= 32)
    parameter int N_PAIRS = 4,           // correlation pairs (<= 8)
    parameter int N_BINS_LOG2 = 12,      // log2 of the largest histogram
    parameter int MAX_PHOTONS = 15,      // last bin of the photon-number histogram
    parameter int CLK_PERIOD_PS = 4000,  // time-base clock period (250 MHz)
    parameter int MERGE_FIFO_LOG2 = 5,   // log2 entries of each channel FIFO in the merge
    parameter int RAW_FIFO_LOG2 = 9,     // log2 entries of the raw tag FIFO before the stream
    // ---- carry-chain TDC (g2l_tdc; docs/hardware.md "TDC") ----
    parameter int TDC_LINE = 1,          // 1 = CARRY4 line (synthesis), 0 = zero-time line (cycle-based sim)
    parameter int TDC_N_CHAINS = 2,      // carry chains per channel
    parameter int TDC_CARRY4_MIN_PS = 70,  // fastest CARRY4 the line must cover a period with
    parameter int TDC_N_CARRY4 = (CLK_PERIOD_PS * 5 + 4 * TDC_CARRY4_MIN_PS - 1) / (4 * TDC_CARRY4_MIN_PS),
    parameter int TDC_CARRY4_NOM_PS = 114,  // nominal CARRY4 delay: bin width before calibration
    parameter int TDC_NOM_BIN_PS = (TDC_CARRY4_NOM_PS + 2 * TDC_N_CHAINS) / (4 * TDC_N_CHAINS)
) (
    input  wire logic                     clk,
    input  wire logic                     rst,          // synchronous, active high

    input  wire logic [N_CHANNELS-1:0]    in_pulse,     // SPAD / sync lines
    input  wire logic [N_CHANNELS*16-1:0] in_fine_ps,   // TDC_LINE = 0 only: fine time of each edge

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
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if (N_CHANNELS < 2 || N_CHANNELS > 32) $error("%m: N_CHANNELS must be 2..32 (CHANNEL_ENABLE width)");
        if (N_PAIRS < 1 || N_PAIRS > 8) $error("%m: N_PAIRS must be 1..8");
        if (CLK_PERIOD_PS < 1 || CLK_PERIOD_PS > 65536) $error("%m: CLK_PERIOD_PS must fit the 16-bit fine time");
        if (MAX_PHOTONS < 1 || MAX_PHOTONS > 63) $error("%m: MAX_PHOTONS must be 1..63");
    end

    // g2l_tdc: a hit this many clocks after its edge's cycle (its pipeline depth, from its geometry)
    localparam int TDC_N_TAPS = TDC_N_CHAINS * 4 * TDC_N_CARRY4;
    localparam int TDC_LATENCY = g2l_tdc_latency(TDC_N_TAPS);
    localparam logic [63:0] P = 64'(CLK_PERIOD_PS);
    // No tag that has not reached a merge FIFO can have a raw time before time_ps - WM_LAG: the
    // TDC latency plus the channel register plus one cycle of margin.
    localparam logic [63:0] WM_LAG = 64'(TDC_LATENCY + 2) * P;

    // ---- registers ----------------------------------------------------------------------
    logic [31:0] reg_control, reg_channel_enable, reg_sync_channel, reg_bin_width_ps, reg_n_bins;
    logic [31:0] reg_offset_ps, reg_integration_cycles, reg_pulsed_window_ps;
    logic [63:0] reg_time_preset;
    logic [N_PAIRS*32-1:0] reg_pair;
    logic [N_CHANNELS*32-1:0] reg_dead_time_ps, reg_delay_ps;
    logic cmd_clear, cmd_swap;
    logic [31:0] st_status;
    logic [N_CHANNELS*32-1:0] st_count, st_lost_count, st_dead_count;
    logic [31:0] reg_tdc_control, reg_tdc_cal_enable, reg_tdc_select, st_tdc_status, st_tdc_table;
    logic [N_CHANNELS*32-1:0] st_tdc_overlap;
    logic cmd_tdc_restart;
    logic [31:0] reg_packet_words, reg_packet_timeout_cycles;

    g2l_axil_regs #(
        .N_CHANNELS(N_CHANNELS), .N_PAIRS(N_PAIRS), .N_BINS_LOG2(N_BINS_LOG2),
        .MAX_PHOTONS(MAX_PHOTONS), .CLK_PERIOD_PS(CLK_PERIOD_PS)
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
        .reg_time_preset(reg_time_preset), .reg_pair(reg_pair), .reg_dead_time_ps(reg_dead_time_ps),
        .reg_delay_ps(reg_delay_ps), .reg_packet_words(reg_packet_words),
        .reg_packet_timeout_cycles(reg_packet_timeout_cycles), .reg_clock_control(clock_control),
        .cmd_clear(cmd_clear), .cmd_swap(cmd_swap),
        .st_status(st_status), .st_count(st_count), .st_lost_count(st_lost_count),
        .st_dead_count(st_dead_count), .st_clock_status(clock_status),
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
    wire clear = cmd_clear;

    // ---- time base ------------------------------------------------------------------------
    logic [63:0] time_ps /*verilator public_flat_rd*/;  // read by sim/harness
    always_ff @(posedge clk) begin
        if (rst) time_ps <= '0;
        else if (clear) time_ps <= reg_time_preset * P;
        else time_ps <= time_ps + P;
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
    wire  [63:0]              edge_base_ps = time_ps - 64'(TDC_LATENCY) * P;

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

    for (genvar c = 0; c < N_CHANNELS; c++) begin : g_ch
        wire hit;
        wire [15:0] fine;
        wire tdc_valid, tdc_bank, tdc_collecting, tdc_building, tdc_short, tdc_overrange;
        wire [15:0] tdc_cal_count;
        g2l_tdc #(
            .CLK_PERIOD_PS(CLK_PERIOD_PS), .FINE_W(16), .LINE(TDC_LINE), .N_CHAINS(TDC_N_CHAINS),
            .CARRY4_MIN_PS(TDC_CARRY4_MIN_PS), .N_CARRY4(TDC_N_CARRY4), .CARRY4_NOM_PS(TDC_CARRY4_NOM_PS),
            .NOM_BIN_PS(TDC_NOM_BIN_PS)
        ) u_tdc (
            .clk(clk), .rst(rst), .clear(clear), .in_pulse(in_pulse[c]), .sim_fine_ps(in_fine_ps[c*16 +: 16]),
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

    // ---- merge --------------------------------------------------------------------------------
    logic              m_valid, m_ready, m_boundary;
    logic [5:0]        m_channel;
    logic [63:0]       m_time;
    logic [N_CHANNELS-1:0] overflow;

    g2l_merge #(.N_CHANNELS(N_CHANNELS), .FIFO_DEPTH_LOG2(MERGE_FIFO_LOG2), .BND_DEPTH_LOG2(2)) u_merge (
        .clk(clk), .rst(rst), .clear(clear),
        .in_valid(ch_valid), .in_time(ch_time), .cfg_delay_ps(reg_delay_ps),
        .wm_base_ps(time_ps < WM_LAG ? 64'd0 : time_ps - WM_LAG),
        .bnd_valid(bnd_fire), .bnd_time(time_ps), .bnd_full(bnd_full), .bnd_wm_ps(time_ps),
        .overflow(overflow),
        .out_valid(m_valid), .out_ready(m_ready), .out_channel(m_channel), .out_time(m_time),
        .out_boundary(m_boundary)
    );

    // ---- fan-out to the consumers: each takes every beat exactly once ------------------------
    // 0 = correlation histogrammer, 1 = pulsed block, 2 = rate counters, 3 = raw FIFO.
    localparam int N_CONS = 4;
    logic [N_CONS-1:0] taken, cons_valid, cons_ready;
    assign cons_valid = {N_CONS{m_valid}} & ~taken;
    wire [N_CONS-1:0] cons_fire = cons_valid & cons_ready;
    assign m_ready = &(taken | cons_ready);
    always_ff @(posedge clk) begin
        if (rst || clear || (m_valid && m_ready)) taken <= '0;
        else taken <= taken | cons_fire;
    end

    // Loss cause for merge overflows: 1 when a consumer holds the merge, 2 otherwise.
    logic stalled_q;
    always_ff @(posedge clk) stalled_q <= m_valid && !m_ready;
    wire [N_CHANNELS-1:0] lost_c1 = stalled_q ? overflow : '0;
    wire [N_CHANNELS-1:0] lost_c2 = stalled_q ? '0 : overflow;

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
        .s_tag_valid(cons_valid[0]), .s_tag_ready(cons_ready[0]), .s_tag_channel(m_channel),
        .s_tag_time(m_time), .s_tag_boundary(m_boundary),
        .m_axis_tdata(hist_tdata), .m_axis_tvalid(hist_tvalid), .m_axis_tready(hist_tready),
        .m_axis_tlast(hist_tlast), .dumping(hist_dumping), .clearing(hist_clearing), .bank(hist_bank),
        .cfg_error(hist_cfg_error),
        .lost_count(hist_lost), .lost_inexact(hist_lost_inexact), .saturate_count(hist_saturate)
    );

    g2l_pulsed #(.N_CHANNELS(N_CHANNELS), .MAX_PHOTONS(MAX_PHOTONS)) u_pulsed (
        .clk(clk), .rst(rst), .clear(clear), .cfg_enable(pulsed_enable),
        .cfg_sync_channel(reg_sync_channel[5:0]), .cfg_window_ps(reg_pulsed_window_ps),
        .s_tag_valid(cons_valid[1]), .s_tag_ready(cons_ready[1]), .s_tag_channel(m_channel),
        .s_tag_time(m_time), .s_tag_boundary(m_boundary),
        .m_axis_tdata(pulsed_tdata), .m_axis_tvalid(pulsed_tvalid), .m_axis_tready(pulsed_tready),
        .m_axis_tlast(pulsed_tlast), .dumping(pulsed_dumping), .lost_count(pulsed_lost),
        .cfg_error(pulsed_cfg_error), .pre_sync_count(pulsed_pre_sync), .out_of_window_count(pulsed_out_of_window),
        .clip_count(pulsed_clip)
    );

    // ---- rate / loss counters ---------------------------------------------------------------
    logic rates_bnd_ready;
    logic [N_CHANNELS-1:0] lost_c0;
    assign cons_ready[2] = !m_boundary || rates_bnd_ready;
    g2l_rate_counters #(.N_CHANNELS(N_CHANNELS)) u_rates (
        .clk(clk), .rst(rst), .clear(clear),
        .t_fire(cons_fire[2]), .t_channel(m_channel), .t_boundary(m_boundary),
        .bnd_ready(rates_bnd_ready), .len_valid(bnd_fire), .len_cycles(since),
        .lost_a(lost_c0), .lost_b(overflow),
        .count(st_count), .lost_total(st_lost_count),
        .m_axis_tdata(rates_tdata), .m_axis_tvalid(rates_tvalid), .m_axis_tready(rates_tready),
        .m_axis_tlast(rates_tlast)
    );

    // ---- raw tag FIFO: never holds the merge; a full FIFO drops and counts (cause 0) ---------
    assign cons_ready[3] = 1'b1;
    wire raw_push = cons_fire[3] && !m_boundary && raw_enable;
    logic raw_full, raw_empty, raw_pop;
    logic [RAW_FIFO_LOG2:0] raw_count;
    logic [69:0] raw_head;
    g2l_fifo #(.WIDTH(70), .DEPTH_LOG2(RAW_FIFO_LOG2)) u_raw (
        .clk(clk), .rst(rst || clear), .wr_en(raw_push), .wr_data({m_channel, m_time}),
        .rd_en(raw_pop), .rd_data(raw_head), .empty(raw_empty), .full(raw_full), .count(raw_count)
    );
    always_ff @(posedge clk) begin
        if (rst || clear) lost_c0 <= '0;
        else for (int c = 0; c < N_CHANNELS; c++) lost_c0[c] <= raw_push && raw_full && m_channel == 6'(c);
    end

    // ---- output: framer, then DMA packets (tlast where the host wants it) ---------------------
    logic [63:0] fr_tdata;
    logic        fr_tvalid, fr_tready, fr_tlast_unused;
    g2l_stream_out #(.N_CHANNELS(N_CHANNELS), .N_SRC(3)) u_out (
        .clk(clk), .rst(rst), .clear(clear),
        .raw_valid(!raw_empty), .raw_ready(raw_pop), .raw_channel(raw_head[69:64]),
        .raw_time(raw_head[63:0]), .raw_last(raw_count == (RAW_FIFO_LOG2 + 1)'(1)),
        .lost_c0(lost_c0), .lost_c1(lost_c1), .lost_c2(lost_c2),
        .s_frame_tdata({rates_tdata, pulsed_tdata, hist_tdata}),
        .s_frame_tvalid({rates_tvalid, pulsed_tvalid, hist_tvalid}),
        .s_frame_tready({rates_tready, pulsed_tready, hist_tready}),
        .s_frame_tlast({rates_tlast, pulsed_tlast, hist_tlast}),
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
        else if (|lost_c0 || |overflow || hist_lost != 0 || hist_lost_inexact || pulsed_lost != 0
                 || hist_saturate != 0)
            lost_sticky <= 1'b1;
    end
    always_comb begin
        st_status = '0;
        st_status[G2L_REG_STATUS_RUNNING_LSB] = run;
        st_status[G2L_REG_STATUS_BANK_LSB] = hist_bank;
        st_status[G2L_REG_STATUS_DUMPING_LSB] = hist_dumping || pulsed_dumping || rates_tvalid;
        st_status[G2L_REG_STATUS_LOST_LSB] = lost_sticky;
        st_status[G2L_REG_STATUS_CLEARING_LSB] = hist_clearing;
    end

    // Diagnostics without a register in map version 1.1 (kept as ports for the next minor).
    wire unused_ok = &{1'b0, ch_dead_unused, reg_channel_enable[31:N_CHANNELS], reg_sync_channel[31:6],
                       reg_tdc_cal_enable, reg_tdc_control, reg_tdc_select,
                       hist_cfg_error, pulsed_cfg_error, pulsed_pre_sync, pulsed_out_of_window, pulsed_clip,
                       fr_tlast_unused};
endmodule

`resetall
