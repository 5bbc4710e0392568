// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// AXI4-Lite register block implementing docs/register_map.md from the generated g2l_regmap.svh.
// Write and read channels are independent; a write needs address and data together. Byte
// strobes are honoured. Array registers exist for the instance's channels/pairs; array slots
// beyond them read 0 and ignore writes (OKAY); addresses outside the map and writes to
// read-only registers answer SLVERR so a driver bug is visible.
module g2l_axil_regs #(
    parameter int N_CHANNELS = 9,      // channels (array registers implemented per channel)
    parameter int N_PAIRS = 4,         // correlation pairs (PAIR registers implemented)
    parameter int N_BINS_LOG2 = 12,    // reported in SIZES
    parameter int MAX_PHOTONS = 15,    // reported in SIZES
    parameter int CLK_PERIOD_PS = 4000, // reported in CLK_PERIOD_PS
    parameter int SYNC_INPUT = N_CHANNELS - 1 // input with the sync prescaler, reported in SIZES
) (
    input  wire logic                     clk,
    input  wire logic                     rst,  // synchronous, active high

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

    output logic      [31:0]              reg_control,
    output logic      [31:0]              reg_channel_enable,
    output logic      [31:0]              reg_sync_channel,
    output logic      [31:0]              reg_bin_width_ps,
    output logic      [31:0]              reg_n_bins,
    output logic      [31:0]              reg_offset_ps,
    output logic      [31:0]              reg_integration_cycles,
    output logic      [31:0]              reg_pulsed_window_ps,
    output logic      [31:0]              reg_sync_divider,
    output logic      [31:0]              reg_marker_enable,
    output logic      [63:0]              reg_time_preset,
    output logic      [N_PAIRS*32-1:0]    reg_pair,
    output logic      [N_CHANNELS*32-1:0] reg_dead_time_ps,
    output logic      [N_CHANNELS*32-1:0] reg_delay_ps,
    output logic      [31:0]              reg_packet_words,
    output logic      [31:0]              reg_packet_timeout_cycles,
    output logic      [31:0]              reg_clock_control,
    output logic                          cmd_clear,    // one-cycle pulse (COMMAND.clear)
    output logic                          cmd_swap,     // one-cycle pulse (COMMAND.swap)

    input  wire logic [31:0]              st_status,
    input  wire logic [N_CHANNELS*32-1:0] st_count,
    input  wire logic [N_CHANNELS*32-1:0] st_lost_count,
    input  wire logic [N_CHANNELS*32-1:0] st_dead_count,
    input  wire logic [31:0]              st_sync_filtered,
    input  wire logic [31:0]              st_sync_period,
    input  wire logic [31:0]              st_marker_sizes,
    input  wire logic [31:0]              st_clock_status,

    // ---- carry-chain TDC (map 1.4) ----
    output logic      [31:0]              reg_tdc_control,
    output logic      [31:0]              reg_tdc_cal_enable,
    output logic      [31:0]              reg_tdc_select,
    output logic                          cmd_tdc_restart,  // one-cycle pulse (TDC_COMMAND.cal_restart)
    input  wire logic [31:0]              st_tdc_status,    // of the TDC_SELECT channel
    input  wire logic [31:0]              st_tdc_table,
    input  wire logic [31:0]              st_tdc_sizes,
    input  wire logic [31:0]              st_tdc_nom_bin_ps,
    input  wire logic [N_CHANNELS*32-1:0] st_tdc_overlap_count
);
    // The contract header defines every field; a block uses only some of them.
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_regmap.svh"
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if (N_CHANNELS < 1 || N_CHANNELS > G2L_REG_DELAY_PS_COUNT) $error("%m: N_CHANNELS out of range");
        if (N_PAIRS < 1 || N_PAIRS > G2L_REG_PAIR_COUNT) $error("%m: N_PAIRS must be 1..8");
        if (N_BINS_LOG2 < 1 || N_BINS_LOG2 > 31) $error("%m: N_BINS_LOG2 must be 1..31");
        if (MAX_PHOTONS < 1 || MAX_PHOTONS > 63) $error("%m: MAX_PHOTONS must be 1..63");
        if (SYNC_INPUT < 0 || SYNC_INPUT >= N_CHANNELS) $error("%m: SYNC_INPUT must be an input channel");
    end

    localparam logic [31:0] SIZES = (32'(N_CHANNELS) << G2L_REG_SIZES_N_CHANNELS_LSB)
                                  | (32'(N_PAIRS) << G2L_REG_SIZES_N_PAIRS_LSB)
                                  | (32'(N_BINS_LOG2) << G2L_REG_SIZES_N_BINS_LOG2_LSB)
                                  | (32'(MAX_PHOTONS) << G2L_REG_SIZES_MAX_PHOTONS_LSB)
                                  | (32'(SYNC_INPUT) << G2L_REG_SIZES_SYNC_INPUT_LSB);
    localparam logic [1:0] OKAY = 2'b00;
    localparam logic [1:0] SLVERR = 2'b10;

    // Array register helpers: `addr` inside the `n`-slot array at `base`, and its slot number.
    function automatic logic in_array(input logic [11:0] addr, input logic [11:0] base, input logic [7:0] n);
        in_array = addr >= base && addr < base + {2'b00, n, 2'b00};
    endfunction
    function automatic logic [9:0] slot(input logic [11:0] addr, input logic [11:0] base);
        slot = 10'((addr - base) >> 2);
    endfunction

    // ---- write channel -----------------------------------------------------------------
    wire wr_go = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    assign s_axil_awready = wr_go;
    assign s_axil_wready = wr_go;
    wire [11:0] wa = {s_axil_awaddr[11:2], 2'b00};
    // Byte strobes: a register takes the written bytes and keeps the others. Written as one
    // enable per byte (not a read-modify-write mask) so each byte's flip-flops take the enable
    // on CE and the data straight on D: no LUT per register bit.
`define G2L_AXIL_WRITE(r, lsb) \
    for (int b = 0; b < 4; b++) if (s_axil_wstrb[b]) r[(lsb) + b*8 +: 8] <= s_axil_wdata[b*8 +: 8];
    wire wa_in_pair = in_array(wa, G2L_REG_PAIR, 8'(G2L_REG_PAIR_COUNT));
    wire [9:0] wa_pair_slot = slot(wa, G2L_REG_PAIR);
    wire wa_in_dead_time_ps = in_array(wa, G2L_REG_DEAD_TIME_PS, 8'(G2L_REG_DEAD_TIME_PS_COUNT));
    wire [9:0] wa_dead_time_ps_slot = slot(wa, G2L_REG_DEAD_TIME_PS);
    wire wa_in_delay_ps = in_array(wa, G2L_REG_DELAY_PS, 8'(G2L_REG_DELAY_PS_COUNT));
    wire [9:0] wa_delay_ps_slot = slot(wa, G2L_REG_DELAY_PS);

    always_ff @(posedge clk) begin
        cmd_clear <= 1'b0;
        cmd_swap <= 1'b0;
        cmd_tdc_restart <= 1'b0;
        if (rst) begin
            s_axil_bvalid <= 1'b0;
            s_axil_bresp <= OKAY;
            reg_control <= G2L_REG_CONTROL_RESET;
            reg_channel_enable <= G2L_REG_CHANNEL_ENABLE_RESET;
            reg_sync_channel <= G2L_REG_SYNC_CHANNEL_RESET;
            reg_bin_width_ps <= G2L_REG_BIN_WIDTH_PS_RESET;
            reg_n_bins <= G2L_REG_N_BINS_RESET;
            reg_offset_ps <= G2L_REG_OFFSET_PS_RESET;
            reg_integration_cycles <= G2L_REG_INTEGRATION_CYCLES_RESET;
            reg_pulsed_window_ps <= G2L_REG_PULSED_WINDOW_PS_RESET;
            reg_sync_divider <= G2L_REG_SYNC_DIVIDER_RESET;
            reg_marker_enable <= G2L_REG_MARKER_ENABLE_RESET;
            reg_time_preset <= {G2L_REG_TIME_PRESET_HI_RESET, G2L_REG_TIME_PRESET_LO_RESET};
            reg_packet_words <= G2L_REG_PACKET_WORDS_RESET;
            reg_packet_timeout_cycles <= G2L_REG_PACKET_TIMEOUT_CYCLES_RESET;
            reg_clock_control <= G2L_REG_CLOCK_CONTROL_RESET;
            for (int i = 0; i < N_PAIRS; i++) reg_pair[i*32 +: 32] <= G2L_REG_PAIR_RESET;
            for (int i = 0; i < N_CHANNELS; i++) begin
                reg_dead_time_ps[i*32 +: 32] <= G2L_REG_DEAD_TIME_PS_RESET;
                reg_delay_ps[i*32 +: 32] <= G2L_REG_DELAY_PS_RESET;
            end
            reg_tdc_control <= G2L_REG_TDC_CONTROL_RESET;
            reg_tdc_cal_enable <= G2L_REG_TDC_CAL_ENABLE_RESET;
            reg_tdc_select <= G2L_REG_TDC_SELECT_RESET;
        end else begin
            if (s_axil_bvalid && s_axil_bready) s_axil_bvalid <= 1'b0;
            if (wr_go) begin
                s_axil_bvalid <= 1'b1;
                s_axil_bresp <= OKAY;
                if (wa == G2L_REG_CONTROL) begin
                    `G2L_AXIL_WRITE(reg_control, 0)
                end else if (wa == G2L_REG_COMMAND) begin
                    cmd_clear <= s_axil_wstrb[0] && s_axil_wdata[G2L_REG_COMMAND_CLEAR_LSB];
                    cmd_swap <= s_axil_wstrb[0] && s_axil_wdata[G2L_REG_COMMAND_SWAP_LSB];
                end else if (wa == G2L_REG_CHANNEL_ENABLE) begin
                    `G2L_AXIL_WRITE(reg_channel_enable, 0)
                end else if (wa == G2L_REG_SYNC_CHANNEL) begin
                    `G2L_AXIL_WRITE(reg_sync_channel, 0)
                end else if (wa == G2L_REG_BIN_WIDTH_PS) begin
                    `G2L_AXIL_WRITE(reg_bin_width_ps, 0)
                end else if (wa == G2L_REG_N_BINS) begin
                    `G2L_AXIL_WRITE(reg_n_bins, 0)
                end else if (wa == G2L_REG_OFFSET_PS) begin
                    `G2L_AXIL_WRITE(reg_offset_ps, 0)
                end else if (wa == G2L_REG_INTEGRATION_CYCLES) begin
                    `G2L_AXIL_WRITE(reg_integration_cycles, 0)
                end else if (wa == G2L_REG_PULSED_WINDOW_PS) begin
                    `G2L_AXIL_WRITE(reg_pulsed_window_ps, 0)
                end else if (wa == G2L_REG_SYNC_DIVIDER) begin
                    `G2L_AXIL_WRITE(reg_sync_divider, 0)
                end else if (wa == G2L_REG_MARKER_ENABLE) begin
                    `G2L_AXIL_WRITE(reg_marker_enable, 0)
                end else if (wa == G2L_REG_TIME_PRESET_LO) begin
                    `G2L_AXIL_WRITE(reg_time_preset, 0)
                end else if (wa == G2L_REG_TIME_PRESET_HI) begin
                    `G2L_AXIL_WRITE(reg_time_preset, 32)
                end else if (wa == G2L_REG_PACKET_WORDS) begin
                    `G2L_AXIL_WRITE(reg_packet_words, 0)
                end else if (wa == G2L_REG_PACKET_TIMEOUT_CYCLES) begin
                    `G2L_AXIL_WRITE(reg_packet_timeout_cycles, 0)
                end else if (wa == G2L_REG_CLOCK_CONTROL) begin
                    `G2L_AXIL_WRITE(reg_clock_control, 0)
                end else if (wa_in_pair) begin
                    for (int i = 0; i < N_PAIRS; i++)
                        if (wa_pair_slot == 10'(i))
                            `G2L_AXIL_WRITE(reg_pair, i*32)
                end else if (wa_in_dead_time_ps) begin
                    for (int i = 0; i < N_CHANNELS; i++)
                        if (wa_dead_time_ps_slot == 10'(i))
                            `G2L_AXIL_WRITE(reg_dead_time_ps, i*32)
                end else if (wa_in_delay_ps) begin
                    for (int i = 0; i < N_CHANNELS; i++)
                        if (wa_delay_ps_slot == 10'(i))
                            `G2L_AXIL_WRITE(reg_delay_ps, i*32)
                // ---- carry-chain TDC ----
                end else if (wa == G2L_REG_TDC_CONTROL) begin
                    `G2L_AXIL_WRITE(reg_tdc_control, 0)
                end else if (wa == G2L_REG_TDC_CAL_ENABLE) begin
                    `G2L_AXIL_WRITE(reg_tdc_cal_enable, 0)
                end else if (wa == G2L_REG_TDC_COMMAND) begin
                    cmd_tdc_restart <= s_axil_wstrb[0] && s_axil_wdata[G2L_REG_TDC_COMMAND_CAL_RESTART_LSB];
                end else if (wa == G2L_REG_TDC_SELECT) begin
                    `G2L_AXIL_WRITE(reg_tdc_select, 0)
                end else begin
                    s_axil_bresp <= SLVERR;  // read-only or unmapped
                end
            end
        end
    end

    // ---- read channel ------------------------------------------------------------------
    // A mux tree on the address bits, not a priority chain of compares: the per-channel arrays
    // fill 0x100-aligned pages of 64 words (slot = address[7:2]), PAIR one 32-byte block of page
    // 0, the scalars pages 0 and 8 (checked at elaboration below against the generated map).
    assign s_axil_arready = !s_axil_rvalid;
    wire [11:0] ra = {s_axil_araddr[11:2], 2'b00};
    wire [3:0] ra_page = ra[11:8];
    wire [5:0] ra_slot = ra[7:2];

    initial begin
        if (G2L_REG_DEAD_TIME_PS[7:0] != 0 || G2L_REG_DELAY_PS[7:0] != 0 || G2L_REG_COUNT[7:0] != 0
            || G2L_REG_LOST_COUNT[7:0] != 0 || G2L_REG_DEAD_COUNT[7:0] != 0
            || G2L_REG_TDC_OVERLAP_COUNT[7:0] != 0 || G2L_REG_DEAD_TIME_PS_COUNT != 64
            || G2L_REG_DELAY_PS_COUNT != 64 || G2L_REG_COUNT_COUNT != 64 || G2L_REG_LOST_COUNT_COUNT != 64
            || G2L_REG_DEAD_COUNT_COUNT != 64 || G2L_REG_TDC_OVERLAP_COUNT_COUNT != 64)
            $error("%m: a per-channel register array no longer fills one 0x100 page");
        if (G2L_REG_PAIR[4:0] != 0 || G2L_REG_PAIR_COUNT != 8)
            $error("%m: PAIR no longer fills one aligned block of 8 words");
    end

    // One word of each array at the addressed slot: an indexed select (a mux tree on the slot
    // bits); slots past the instance's channels or pairs read 0.
    localparam int SLOT_W = N_CHANNELS > 1 ? $clog2(N_CHANNELS) : 1;
    function automatic logic [31:0] pick(input logic [N_CHANNELS*32-1:0] arr, input logic [5:0] s);
        logic [(32 << SLOT_W)-1:0] padded;
        padded = (32 << SLOT_W)'(arr);
        pick = 32'(s) < N_CHANNELS ? padded[s[SLOT_W-1:0]*32 +: 32] : '0;
    endfunction
    wire [31:0] rd_dead_time = pick(reg_dead_time_ps, ra_slot);
    wire [31:0] rd_delay = pick(reg_delay_ps, ra_slot);
    wire [31:0] rd_count = pick(st_count, ra_slot);
    wire [31:0] rd_lost = pick(st_lost_count, ra_slot);
    wire [31:0] rd_deadc = pick(st_dead_count, ra_slot);
    wire [31:0] rd_overlap = pick(st_tdc_overlap_count, ra_slot);

    // The scalars as words of their pages, so that a read is a mux on the address bits: page 0
    // (0x000-0x0FC: scalars and PAIR) and page 8 (0x800-0x81C: the TDC scalars).
    initial begin
        if (G2L_REG_ID[11:8] != 0 || G2L_REG_VERSION[11:8] != 0 || G2L_REG_SIZES[11:8] != 0 ||
            G2L_REG_CLK_PERIOD_PS[11:8] != 0 || G2L_REG_CONTROL[11:8] != 0 ||
            G2L_REG_COMMAND[11:8] != 0 || G2L_REG_STATUS[11:8] != 0 ||
            G2L_REG_CHANNEL_ENABLE[11:8] != 0 || G2L_REG_SYNC_CHANNEL[11:8] != 0 ||
            G2L_REG_BIN_WIDTH_PS[11:8] != 0 || G2L_REG_N_BINS[11:8] != 0 ||
            G2L_REG_OFFSET_PS[11:8] != 0 || G2L_REG_INTEGRATION_CYCLES[11:8] != 0 ||
            G2L_REG_PULSED_WINDOW_PS[11:8] != 0 || G2L_REG_SYNC_DIVIDER[11:8] != 0 ||
            G2L_REG_SYNC_FILTERED[11:8] != 0 || G2L_REG_SYNC_PERIOD[11:8] != 0 ||
            G2L_REG_MARKER_ENABLE[11:8] != 0 || G2L_REG_MARKER_SIZES[11:8] != 0 ||
            G2L_REG_TIME_PRESET_LO[11:8] != 0 || G2L_REG_TIME_PRESET_HI[11:8] != 0 ||
            G2L_REG_PACKET_WORDS[11:8] != 0 || G2L_REG_PACKET_TIMEOUT_CYCLES[11:8] != 0 ||
            G2L_REG_CLOCK_CONTROL[11:8] != 0 || G2L_REG_CLOCK_STATUS[11:8] != 0
            || G2L_REG_PAIR[11:8] != 0)
            $error("%m: a page-0 register moved out of page 0");
        if (G2L_REG_TDC_CONTROL[11:5] != {4'h8, 3'h0} || G2L_REG_TDC_CAL_ENABLE[11:5] != {4'h8, 3'h0} ||
            G2L_REG_TDC_COMMAND[11:5] != {4'h8, 3'h0} || G2L_REG_TDC_SELECT[11:5] != {4'h8, 3'h0} ||
            G2L_REG_TDC_STATUS[11:5] != {4'h8, 3'h0} || G2L_REG_TDC_TABLE[11:5] != {4'h8, 3'h0} ||
            G2L_REG_TDC_SIZES[11:5] != {4'h8, 3'h0} || G2L_REG_TDC_NOM_BIN_PS[11:5] != {4'h8, 3'h0})
            $error("%m: a TDC scalar moved out of 0x800-0x81C");
    end
    logic [64*32-1:0] page0;
    logic [8*32-1:0] page8;
    always_comb begin
        page0 = '0;
        page0[32*G2L_REG_ID[7:2] +: 32] = G2L_REG_ID_VALUE;
        page0[32*G2L_REG_VERSION[7:2] +: 32] = G2L_REG_VERSION_VALUE;
        page0[32*G2L_REG_SIZES[7:2] +: 32] = SIZES;
        page0[32*G2L_REG_CLK_PERIOD_PS[7:2] +: 32] = 32'(CLK_PERIOD_PS);
        page0[32*G2L_REG_CONTROL[7:2] +: 32] = reg_control;
        page0[32*G2L_REG_COMMAND[7:2] +: 32] = '0;
        page0[32*G2L_REG_STATUS[7:2] +: 32] = st_status;
        page0[32*G2L_REG_CHANNEL_ENABLE[7:2] +: 32] = reg_channel_enable;
        page0[32*G2L_REG_SYNC_CHANNEL[7:2] +: 32] = reg_sync_channel;
        page0[32*G2L_REG_BIN_WIDTH_PS[7:2] +: 32] = reg_bin_width_ps;
        page0[32*G2L_REG_N_BINS[7:2] +: 32] = reg_n_bins;
        page0[32*G2L_REG_OFFSET_PS[7:2] +: 32] = reg_offset_ps;
        page0[32*G2L_REG_INTEGRATION_CYCLES[7:2] +: 32] = reg_integration_cycles;
        page0[32*G2L_REG_PULSED_WINDOW_PS[7:2] +: 32] = reg_pulsed_window_ps;
        page0[32*G2L_REG_SYNC_DIVIDER[7:2] +: 32] = reg_sync_divider;
        page0[32*G2L_REG_SYNC_FILTERED[7:2] +: 32] = st_sync_filtered;
        page0[32*G2L_REG_SYNC_PERIOD[7:2] +: 32] = st_sync_period;
        page0[32*G2L_REG_MARKER_ENABLE[7:2] +: 32] = reg_marker_enable;
        page0[32*G2L_REG_MARKER_SIZES[7:2] +: 32] = st_marker_sizes;
        page0[32*G2L_REG_TIME_PRESET_LO[7:2] +: 32] = reg_time_preset[31:0];
        page0[32*G2L_REG_TIME_PRESET_HI[7:2] +: 32] = reg_time_preset[63:32];
        page0[32*G2L_REG_PACKET_WORDS[7:2] +: 32] = reg_packet_words;
        page0[32*G2L_REG_PACKET_TIMEOUT_CYCLES[7:2] +: 32] = reg_packet_timeout_cycles;
        page0[32*G2L_REG_CLOCK_CONTROL[7:2] +: 32] = reg_clock_control;
        page0[32*G2L_REG_CLOCK_STATUS[7:2] +: 32] = st_clock_status;
        for (int i = 0; i < N_PAIRS; i++) page0[32*(32'(G2L_REG_PAIR[7:2]) + i) +: 32] = reg_pair[i*32 +: 32];
        page8 = '0;
        page8[32*G2L_REG_TDC_CONTROL[4:2] +: 32] = reg_tdc_control;
        page8[32*G2L_REG_TDC_CAL_ENABLE[4:2] +: 32] = reg_tdc_cal_enable;
        page8[32*G2L_REG_TDC_COMMAND[4:2] +: 32] = '0;
        page8[32*G2L_REG_TDC_SELECT[4:2] +: 32] = reg_tdc_select;
        page8[32*G2L_REG_TDC_STATUS[4:2] +: 32] = st_tdc_status;
        page8[32*G2L_REG_TDC_TABLE[4:2] +: 32] = st_tdc_table;
        page8[32*G2L_REG_TDC_SIZES[4:2] +: 32] = st_tdc_sizes;
        page8[32*G2L_REG_TDC_NOM_BIN_PS[4:2] +: 32] = st_tdc_nom_bin_ps;
    end

    // Which addresses answer OKAY (decode only: one bit).
    logic rd_ok;
    always_comb begin
        unique case (ra)
            G2L_REG_ID,
            G2L_REG_VERSION,
            G2L_REG_SIZES,
            G2L_REG_CLK_PERIOD_PS,
            G2L_REG_CONTROL,
            G2L_REG_COMMAND,
            G2L_REG_STATUS,
            G2L_REG_CHANNEL_ENABLE,
            G2L_REG_SYNC_CHANNEL,
            G2L_REG_BIN_WIDTH_PS,
            G2L_REG_N_BINS,
            G2L_REG_OFFSET_PS,
            G2L_REG_INTEGRATION_CYCLES,
            G2L_REG_PULSED_WINDOW_PS,
            G2L_REG_SYNC_DIVIDER,
            G2L_REG_SYNC_FILTERED,
            G2L_REG_SYNC_PERIOD,
            G2L_REG_MARKER_ENABLE,
            G2L_REG_MARKER_SIZES,
            G2L_REG_TIME_PRESET_LO,
            G2L_REG_TIME_PRESET_HI,
            G2L_REG_PACKET_WORDS,
            G2L_REG_PACKET_TIMEOUT_CYCLES,
            G2L_REG_CLOCK_CONTROL,
            G2L_REG_CLOCK_STATUS,
            G2L_REG_TDC_CONTROL,
            G2L_REG_TDC_CAL_ENABLE,
            G2L_REG_TDC_COMMAND,
            G2L_REG_TDC_SELECT,
            G2L_REG_TDC_STATUS,
            G2L_REG_TDC_TABLE,
            G2L_REG_TDC_SIZES,
            G2L_REG_TDC_NOM_BIN_PS: rd_ok = 1'b1;
            default: rd_ok = ra[11:5] == G2L_REG_PAIR[11:5]
                             || ra_page == G2L_REG_DEAD_TIME_PS[11:8] || ra_page == G2L_REG_DELAY_PS[11:8]
                             || ra_page == G2L_REG_COUNT[11:8] || ra_page == G2L_REG_LOST_COUNT[11:8]
                             || ra_page == G2L_REG_DEAD_COUNT[11:8]
                             || ra_page == G2L_REG_TDC_OVERLAP_COUNT[11:8];
        endcase
    end

    logic [31:0] rd;
    always_comb begin
        unique case (ra_page)
            4'h0: rd = page0[32*ra_slot +: 32];
            4'h8: rd = ra_slot[5:3] == 0 ? page8[32*ra_slot[2:0] +: 32] : '0;
            G2L_REG_DEAD_TIME_PS[11:8]: rd = rd_dead_time;
            G2L_REG_DELAY_PS[11:8]: rd = rd_delay;
            G2L_REG_COUNT[11:8]: rd = rd_count;
            G2L_REG_LOST_COUNT[11:8]: rd = rd_lost;
            G2L_REG_DEAD_COUNT[11:8]: rd = rd_deadc;
            G2L_REG_TDC_OVERLAP_COUNT[11:8]: rd = rd_overlap;
            default: rd = '0;
        endcase
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            s_axil_rvalid <= 1'b0;
            s_axil_rdata <= '0;
            s_axil_rresp <= OKAY;
        end else begin
            if (s_axil_rvalid && s_axil_rready) s_axil_rvalid <= 1'b0;
            if (s_axil_arvalid && s_axil_arready) begin
                s_axil_rvalid <= 1'b1;
                s_axil_rdata <= rd;
                s_axil_rresp <= rd_ok ? OKAY : SLVERR;
            end
        end
    end

    // Protection bits carry no meaning for this block.
    wire unused_ok = &{1'b0, s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0], s_axil_araddr[1:0]};
`undef G2L_AXIL_WRITE
endmodule

`resetall
