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
    // Byte-strobe mask: a register takes the written bytes and keeps the others.
    wire [31:0] bmask = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}}, {8{s_axil_wstrb[1]}}, {8{s_axil_wstrb[0]}}};
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
                    reg_control <= (reg_control & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_COMMAND) begin
                    cmd_clear <= s_axil_wstrb[0] && s_axil_wdata[G2L_REG_COMMAND_CLEAR_LSB];
                    cmd_swap <= s_axil_wstrb[0] && s_axil_wdata[G2L_REG_COMMAND_SWAP_LSB];
                end else if (wa == G2L_REG_CHANNEL_ENABLE) begin
                    reg_channel_enable <= (reg_channel_enable & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_SYNC_CHANNEL) begin
                    reg_sync_channel <= (reg_sync_channel & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_BIN_WIDTH_PS) begin
                    reg_bin_width_ps <= (reg_bin_width_ps & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_N_BINS) begin
                    reg_n_bins <= (reg_n_bins & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_OFFSET_PS) begin
                    reg_offset_ps <= (reg_offset_ps & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_INTEGRATION_CYCLES) begin
                    reg_integration_cycles <= (reg_integration_cycles & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_PULSED_WINDOW_PS) begin
                    reg_pulsed_window_ps <= (reg_pulsed_window_ps & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_SYNC_DIVIDER) begin
                    reg_sync_divider <= (reg_sync_divider & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_MARKER_ENABLE) begin
                    reg_marker_enable <= (reg_marker_enable & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_TIME_PRESET_LO) begin
                    reg_time_preset[31:0] <= (reg_time_preset[31:0] & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_TIME_PRESET_HI) begin
                    reg_time_preset[63:32] <= (reg_time_preset[63:32] & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_PACKET_WORDS) begin
                    reg_packet_words <= (reg_packet_words & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_PACKET_TIMEOUT_CYCLES) begin
                    reg_packet_timeout_cycles <= (reg_packet_timeout_cycles & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_CLOCK_CONTROL) begin
                    reg_clock_control <= (reg_clock_control & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa_in_pair) begin
                    for (int i = 0; i < N_PAIRS; i++)
                        if (wa_pair_slot == 10'(i))
                            reg_pair[i*32 +: 32] <= (reg_pair[i*32 +: 32] & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa_in_dead_time_ps) begin
                    for (int i = 0; i < N_CHANNELS; i++)
                        if (wa_dead_time_ps_slot == 10'(i))
                            reg_dead_time_ps[i*32 +: 32] <= (reg_dead_time_ps[i*32 +: 32] & ~bmask)
                                                    | (s_axil_wdata & bmask);
                end else if (wa_in_delay_ps) begin
                    for (int i = 0; i < N_CHANNELS; i++)
                        if (wa_delay_ps_slot == 10'(i))
                            reg_delay_ps[i*32 +: 32] <= (reg_delay_ps[i*32 +: 32] & ~bmask) | (s_axil_wdata & bmask);
                // ---- carry-chain TDC ----
                end else if (wa == G2L_REG_TDC_CONTROL) begin
                    reg_tdc_control <= (reg_tdc_control & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_TDC_CAL_ENABLE) begin
                    reg_tdc_cal_enable <= (reg_tdc_cal_enable & ~bmask) | (s_axil_wdata & bmask);
                end else if (wa == G2L_REG_TDC_COMMAND) begin
                    cmd_tdc_restart <= s_axil_wstrb[0] && s_axil_wdata[G2L_REG_TDC_COMMAND_CAL_RESTART_LSB];
                end else if (wa == G2L_REG_TDC_SELECT) begin
                    reg_tdc_select <= (reg_tdc_select & ~bmask) | (s_axil_wdata & bmask);
                end else begin
                    s_axil_bresp <= SLVERR;  // read-only or unmapped
                end
            end
        end
    end

    // ---- read channel ------------------------------------------------------------------
    assign s_axil_arready = !s_axil_rvalid;
    wire [11:0] ra = {s_axil_araddr[11:2], 2'b00};
    wire ra_in_pair = in_array(ra, G2L_REG_PAIR, 8'(G2L_REG_PAIR_COUNT));
    wire [9:0] ra_pair_slot = slot(ra, G2L_REG_PAIR);
    wire ra_in_dead_time_ps = in_array(ra, G2L_REG_DEAD_TIME_PS, 8'(G2L_REG_DEAD_TIME_PS_COUNT));
    wire [9:0] ra_dead_time_ps_slot = slot(ra, G2L_REG_DEAD_TIME_PS);
    wire ra_in_delay_ps = in_array(ra, G2L_REG_DELAY_PS, 8'(G2L_REG_DELAY_PS_COUNT));
    wire [9:0] ra_delay_ps_slot = slot(ra, G2L_REG_DELAY_PS);
    wire ra_in_count = in_array(ra, G2L_REG_COUNT, 8'(G2L_REG_COUNT_COUNT));
    wire [9:0] ra_count_slot = slot(ra, G2L_REG_COUNT);
    wire ra_in_lost_count = in_array(ra, G2L_REG_LOST_COUNT, 8'(G2L_REG_LOST_COUNT_COUNT));
    wire [9:0] ra_lost_count_slot = slot(ra, G2L_REG_LOST_COUNT);
    wire ra_in_dead_count = in_array(ra, G2L_REG_DEAD_COUNT, 8'(G2L_REG_DEAD_COUNT_COUNT));
    wire [9:0] ra_dead_count_slot = slot(ra, G2L_REG_DEAD_COUNT);
    wire ra_in_tdc_overlap = in_array(ra, G2L_REG_TDC_OVERLAP_COUNT, 8'(G2L_REG_TDC_OVERLAP_COUNT_COUNT));
    wire [9:0] ra_tdc_overlap_slot = slot(ra, G2L_REG_TDC_OVERLAP_COUNT);

    logic [31:0] rd;
    logic        rd_ok;
    always_comb begin
        rd = '0;
        rd_ok = 1'b1;
        if (ra == G2L_REG_ID) rd = G2L_REG_ID_VALUE;
        else if (ra == G2L_REG_VERSION) rd = G2L_REG_VERSION_VALUE;
        else if (ra == G2L_REG_SIZES) rd = SIZES;
        else if (ra == G2L_REG_CLK_PERIOD_PS) rd = 32'(CLK_PERIOD_PS);
        else if (ra == G2L_REG_CONTROL) rd = reg_control;
        else if (ra == G2L_REG_COMMAND) rd = '0;
        else if (ra == G2L_REG_STATUS) rd = st_status;
        else if (ra == G2L_REG_CHANNEL_ENABLE) rd = reg_channel_enable;
        else if (ra == G2L_REG_SYNC_CHANNEL) rd = reg_sync_channel;
        else if (ra == G2L_REG_BIN_WIDTH_PS) rd = reg_bin_width_ps;
        else if (ra == G2L_REG_N_BINS) rd = reg_n_bins;
        else if (ra == G2L_REG_OFFSET_PS) rd = reg_offset_ps;
        else if (ra == G2L_REG_INTEGRATION_CYCLES) rd = reg_integration_cycles;
        else if (ra == G2L_REG_PULSED_WINDOW_PS) rd = reg_pulsed_window_ps;
        else if (ra == G2L_REG_SYNC_DIVIDER) rd = reg_sync_divider;
        else if (ra == G2L_REG_SYNC_FILTERED) rd = st_sync_filtered;
        else if (ra == G2L_REG_SYNC_PERIOD) rd = st_sync_period;
        else if (ra == G2L_REG_MARKER_ENABLE) rd = reg_marker_enable;
        else if (ra == G2L_REG_MARKER_SIZES) rd = st_marker_sizes;
        else if (ra == G2L_REG_TIME_PRESET_LO) rd = reg_time_preset[31:0];
        else if (ra == G2L_REG_TIME_PRESET_HI) rd = reg_time_preset[63:32];
        else if (ra == G2L_REG_PACKET_WORDS) rd = reg_packet_words;
        else if (ra == G2L_REG_PACKET_TIMEOUT_CYCLES) rd = reg_packet_timeout_cycles;
        else if (ra == G2L_REG_CLOCK_CONTROL) rd = reg_clock_control;
        else if (ra == G2L_REG_CLOCK_STATUS) rd = st_clock_status;
        else if (ra_in_pair) begin
            for (int i = 0; i < N_PAIRS; i++) if (ra_pair_slot == 10'(i)) rd = reg_pair[i*32 +: 32];
        end else if (ra_in_dead_time_ps) begin
            for (int i = 0; i < N_CHANNELS; i++)
                if (ra_dead_time_ps_slot == 10'(i)) rd = reg_dead_time_ps[i*32 +: 32];
        end else if (ra_in_delay_ps) begin
            for (int i = 0; i < N_CHANNELS; i++) if (ra_delay_ps_slot == 10'(i)) rd = reg_delay_ps[i*32 +: 32];
        end else if (ra_in_count) begin
            for (int i = 0; i < N_CHANNELS; i++) if (ra_count_slot == 10'(i)) rd = st_count[i*32 +: 32];
        end else if (ra_in_lost_count) begin
            for (int i = 0; i < N_CHANNELS; i++)
                if (ra_lost_count_slot == 10'(i)) rd = st_lost_count[i*32 +: 32];
        end else if (ra_in_dead_count) begin
            for (int i = 0; i < N_CHANNELS; i++)
                if (ra_dead_count_slot == 10'(i)) rd = st_dead_count[i*32 +: 32];
        // ---- carry-chain TDC ----
        end else if (ra == G2L_REG_TDC_CONTROL) rd = reg_tdc_control;
        else if (ra == G2L_REG_TDC_CAL_ENABLE) rd = reg_tdc_cal_enable;
        else if (ra == G2L_REG_TDC_COMMAND) rd = '0;
        else if (ra == G2L_REG_TDC_SELECT) rd = reg_tdc_select;
        else if (ra == G2L_REG_TDC_STATUS) rd = st_tdc_status;
        else if (ra == G2L_REG_TDC_TABLE) rd = st_tdc_table;
        else if (ra == G2L_REG_TDC_SIZES) rd = st_tdc_sizes;
        else if (ra == G2L_REG_TDC_NOM_BIN_PS) rd = st_tdc_nom_bin_ps;
        else if (ra_in_tdc_overlap) begin
            for (int i = 0; i < N_CHANNELS; i++)
                if (ra_tdc_overlap_slot == 10'(i)) rd = st_tdc_overlap_count[i*32 +: 32];
        end else rd_ok = 1'b0;
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
endmodule

`resetall
