// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// One channel of the carry-chain TDC: delay line -> encoder (hit + code from one snapshot) ->
// code-density calibration (code -> fine time in ps). A rising edge of `in_pulse` in the clock
// cycle whose time base reads T gives `hit` with `fine_ps` (0 .. P - 1) exactly LATENCY clocks
// after that cycle (the pipeline's own depth g2l_tdc_latency(taps) unless set deeper), and the edge's time is T + fine_ps (plus the line's constant insertion delay,
// which DELAY_PS absorbs like a cable). See docs/hardware.md "TDC".
//
// LINE selects the delay line: 1 = CARRY4 chains (synthesis), 2 = behavioural line with
// per-tap delays (event-driven testbenches), 0 = zero-time line fed with `sim_fine_ps`
// (cycle-based simulation: the Verilator harness and the g2l_top testbench). The encoder and the
// calibration are the same for all three.
//
// Input requirements for a clean measurement: a pulse stays high for more than one clock period
// (else `short` counts it: its time may be late) and the line has emptied before the next rising
// edge, i.e. the input is low for more than the line's delay plus one period (else the edge is
// lost and counted in `overlap_count`). SPAD pulses (10-20 ns wide, >= 22 ns dead time) meet
// both at 125 MHz; shorter NIM pulses need a pulse stretcher in front.
module g2l_tdc #(
    parameter int CLK_PERIOD_PS = 4000,  // P: sampling clock period (the time base)
    parameter int FINE_W = 16,           // bits of the fine time
    parameter int LINE = 1,              // 1 = CARRY4 (synthesis), 2 = behavioural, 0 = zero-time
    parameter int N_CHAINS = 2,          // parallel chains summed into one code
    parameter int CARRY4_MIN_PS = 70,    // fastest CARRY4 (CI->CO3) the line must still cover P with
    parameter int N_CARRY4 = (CLK_PERIOD_PS * 5 + 4 * CARRY4_MIN_PS - 1) / (4 * CARRY4_MIN_PS),
                                         // CARRY4 per chain: reach 1.25 P at CARRY4_MIN_PS
    parameter int CARRY4_NOM_PS = 114,   // nominal CARRY4 delay (prjxray Artix-7 CI->CO3)
    parameter int NOM_BIN_PS = (CARRY4_NOM_PS + 2 * N_CHAINS) / (4 * N_CHAINS),  // bin before calibration
    parameter int CAL_LOG2_MAX = 20,     // largest calibration (2**20 hits per table)
    // clocks from an edge's cycle to its hit: the pipeline's own depth (g2l_tdc.svh) or more, padded
    // with registers (g2l_top's TDC_LATENCY; the testbenches read it)
    parameter int LATENCY = g2l_tdc_latency(N_CHAINS * 4 * N_CARRY4)
) (
    input  wire logic              clk,
    input  wire logic              rst,            // synchronous, active high
    input  wire logic              clear,          // zero the diagnostics (COMMAND.clear)
    input  wire logic              in_pulse,       // SPAD / sync line
    input  wire logic [FINE_W-1:0] sim_fine_ps,    // LINE = 0 only: fine time of the edge
    input  wire logic              cal_enable,     // rebuild the table online from the hits
    input  wire logic [4:0]        cal_log2_hits,  // hits per table (log2)
    input  wire logic              cal_restart,    // pulse: restart the calibration
    input  wire logic              use_nominal,    // 1 = nominal bin width, no table
    input  wire logic [15:0]       host_addr,      // table entry to show on host_data
    output logic      [FINE_W-1:0] host_data,
    output logic                   bank,           // active table bank
    output logic                   table_valid,    // a calibrated table is in use
    output logic                   collecting,
    output logic                   building,
    output logic      [15:0]       cal_count,      // tables built since reset
    output logic      [31:0]       overlap_count,  // edges lost: line still busy (saturates)
    output logic                   short_seen,     // sticky: a pulse shorter than a period
    output logic                   overrange_seen, // sticky: an edge reached the end of the line
    output logic                   hit,            // one cycle per edge, LATENCY clocks later
    output logic      [FINE_W-1:0] fine_ps         // its fine time
);
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tdc.svh"
    /* verilator lint_on UNUSEDPARAM */

    localparam int TAPS_PER_CHAIN = 4 * N_CARRY4;
    localparam int N_TAPS = N_CHAINS * TAPS_PER_CHAIN;
    localparam int CODE_W = g2l_tdc_clog2(N_TAPS + 1);
    localparam int PIPE_LATENCY = g2l_tdc_latency(N_TAPS);  // the pipeline's own depth
    localparam int PAD = LATENCY - PIPE_LATENCY;            // registers after the calibration

    initial begin
        if (LINE < 0 || LINE > 2) $error("%m: LINE must be 0 (zero-time), 1 (CARRY4) or 2 (behavioural)");
        if (CODE_W > 16) $error("%m: at most 65535 taps");
        if (NOM_BIN_PS * N_TAPS < CLK_PERIOD_PS) $error("%m: the line is shorter than a period at NOM_BIN_PS");
        if (PAD < 0) $error("%m: LATENCY must be >= g2l_tdc_latency(taps), the pipeline's own depth");
    end

    logic [N_TAPS-1:0] sample;
    if (LINE == 1) begin : g_carry4
        g2l_tdc_line_carry4 #(.N_CHAINS(N_CHAINS), .N_CARRY4(N_CARRY4)) u_line (
            .clk(clk), .in_pulse(in_pulse), .sample(sample)
        );
    end else if (LINE == 2) begin : g_behav
        g2l_tdc_line_behav #(.N_TAPS(N_TAPS)) u_line (.clk(clk), .in_pulse(in_pulse), .sample(sample));
    end else begin : g_ideal
        g2l_tdc_line_ideal #(
            .CLK_PERIOD_PS(CLK_PERIOD_PS), .FINE_W(FINE_W), .N_CHAINS(N_CHAINS),
            .TAPS_PER_CHAIN(TAPS_PER_CHAIN), .NOM_BIN_PS(NOM_BIN_PS)
        ) u_line (.clk(clk), .in_pulse(in_pulse), .sim_fine_ps(sim_fine_ps), .sample(sample));
    end

    logic              enc_hit, overlap, short_pulse, overrange, cal_hit;
    logic [FINE_W-1:0] cal_fine;
    logic [CODE_W-1:0] code;
    g2l_tdc_encoder #(
        .N_CHAINS(N_CHAINS), .TAPS_PER_CHAIN(TAPS_PER_CHAIN), .CODE_W(CODE_W), .XILINX_LUTS(LINE == 1)
    ) u_enc (
        .clk(clk), .rst(rst), .sample(sample), .hit(enc_hit), .code(code),
        .overlap(overlap), .short_pulse(short_pulse), .overrange(overrange)
    );

    g2l_tdc_calib #(
        .CLK_PERIOD_PS(CLK_PERIOD_PS), .FINE_W(FINE_W), .CODE_W(CODE_W), .NOM_BIN_PS(NOM_BIN_PS),
        .CAL_LOG2_MAX(CAL_LOG2_MAX)
    ) u_cal (
        .clk(clk), .rst(rst), .in_hit(enc_hit), .in_code(code), .cal_enable(cal_enable),
        .cal_log2_hits(cal_log2_hits), .cal_restart(cal_restart), .use_nominal(use_nominal),
        .host_addr(host_addr[CODE_W-1:0]), .host_data(host_data), .bank(bank), .table_valid(table_valid),
        .collecting(collecting), .building(building), .cal_count(cal_count),
        .out_hit(cal_hit), .out_fine(cal_fine)
    );

    // A LATENCY deeper than the pipeline: the hit and its fine time ride PAD more registers.
    if (PAD <= 0) begin : g_direct
        assign hit = cal_hit;
        assign fine_ps = cal_fine;
    end else begin : g_pad
        logic [PAD-1:0]        hit_pipe;
        logic [PAD*FINE_W-1:0] fine_pipe;  // stage i at bits [i*FINE_W +: FINE_W]
        always_ff @(posedge clk) begin
            hit_pipe[0] <= !rst && cal_hit;
            for (int i = 1; i < PAD; i++) hit_pipe[i] <= !rst && hit_pipe[i-1];
            fine_pipe[0 +: FINE_W] <= cal_fine;
            for (int i = 1; i < PAD; i++) fine_pipe[i*FINE_W +: FINE_W] <= fine_pipe[(i-1)*FINE_W +: FINE_W];
        end
        assign hit = hit_pipe[PAD-1];
        assign fine_ps = fine_pipe[(PAD-1)*FINE_W +: FINE_W];
    end

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            overlap_count <= '0;
            short_seen <= 1'b0;
            overrange_seen <= 1'b0;
        end else begin
            if (overlap && overlap_count != 32'hFFFF_FFFF) overlap_count <= overlap_count + 1'b1;
            if (short_pulse) short_seen <= 1'b1;
            if (overrange) overrange_seen <= 1'b1;
        end
    end

    wire unused_ok = &{1'b0, host_addr, sim_fine_ps};
endmodule

`resetall
