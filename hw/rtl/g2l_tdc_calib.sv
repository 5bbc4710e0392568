// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Code-density calibration of the carry-chain TDC: raw codes -> fine time in ps through a table,
// rebuilt online while the TDC measures (docs/hardware.md "TDC").
//
// Hits that arrive uniformly over the clock period (detector photons are uncorrelated with the
// FPGA clock) fill a histogram of codes. After 2**L hits (L = cal_log2_hits, latched when a
// collection starts) the builder sweeps the codes in order and writes, for code k with h_k hits
// and C_k hits on lower codes, the centre of its bin:
//     fine(k) = min(P - 1, P - floor(P * (2 * C_k + h_k) / 2**(L + 1)))
// into the table bank that is not in use, clearing the histogram as it goes; then the banks
// swap in one clock and collection restarts. Measurement never stops: every hit is looked up in
// the active bank. Until the first table is built (and while use_nominal is set) the fine time
// comes from the nominal bin width NOM_BIN_PS:
//     fine_nom(k) = P - floor((2 * k - 1) * NOM_BIN_PS / 2)   (clamped to 0 .. P - 1; k = 0: P - 1)
//
// Schedule (the C twin g2l_tdc_cal_run follows it to the clock): after reset or cal_restart the
// histogram is cleared for 2**CODE_W clocks, then collection starts. A hit in cycle c counts when
// cal_enable is set and collection is running. If it is the 2**L-th, the sweep reads the
// histogram from cycle c + 3 on and the new table serves every hit from cycle c + 2**CODE_W +
// G2L_TDC_BUILD_TAIL on, when the next collection starts; hits in between are measured with the
// old table and not counted. Hits must be at least two clocks apart (g2l_tdc_encoder's are).
// Every block-RAM output is registered before arithmetic (its clock-to-out is 2.5 ns of the 4 ns
// cell-delay budget).
module g2l_tdc_calib #(
    parameter int CLK_PERIOD_PS = 4000,  // P: the table maps codes to 0 .. P - 1
    parameter int FINE_W = 16,           // bits of the fine time
    parameter int CODE_W = 10,           // bits of the code; the table has 2**CODE_W entries per bank
    parameter int NOM_BIN_PS = 14,       // nominal bin width before calibration, ps
    parameter int CAL_LOG2_MIN = 8,      // smallest 2**L accepted
    parameter int CAL_LOG2_MAX = 20      // largest 2**L accepted (histogram counters hold it)
) (
    input  wire logic              clk,
    input  wire logic              rst,            // synchronous, active high
    input  wire logic              in_hit,         // from g2l_tdc_encoder
    input  wire logic [CODE_W-1:0] in_code,
    input  wire logic              cal_enable,     // count hits into the histogram
    input  wire logic [4:0]        cal_log2_hits,  // L (clamped to CAL_LOG2_MIN .. CAL_LOG2_MAX)
    input  wire logic              cal_restart,    // pulse: drop the histogram, start over
    input  wire logic              use_nominal,    // 1 = nominal table even when one is built
    input  wire logic [CODE_W-1:0] host_addr,      // table entry shown on host_data
    output logic      [FINE_W-1:0] host_data,      // active table at host_addr (refreshed when idle)
    output logic                   bank,           // active table bank
    output logic                   table_valid,    // a table has been built since reset
    output logic                   collecting,     // histogram collection running
    output logic                   building,       // a table is being built
    output logic      [15:0]       cal_count,      // tables built since reset (wraps)
    output logic                   out_hit,        // in_hit, G2L_TDC_CALIB_LATENCY clocks later
    output logic      [FINE_W-1:0] out_fine        // its fine time, ps
);
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tdc.svh"
    /* verilator lint_on UNUSEDPARAM */

    localparam int NC = 1 << CODE_W;
    localparam int HW = CAL_LOG2_MAX + 1;  // histogram counter / cumulative sum width
    localparam int XW = HW + 1;            // 2 * C + h
    localparam int PW = XW + FINE_W;       // P * (2 * C + h)
    localparam logic [FINE_W-1:0] P = FINE_W'(CLK_PERIOD_PS);
    localparam int SHW = g2l_tdc_clog2(CAL_LOG2_MAX - CAL_LOG2_MIN + 1) > 0
                       ? g2l_tdc_clog2(CAL_LOG2_MAX - CAL_LOG2_MIN + 1) : 1;

    initial begin
        if (CLK_PERIOD_PS < 2 || CLK_PERIOD_PS >= (1 << FINE_W)) $error("%m: CLK_PERIOD_PS must be 2..2**FINE_W-1");
        if (CAL_LOG2_MIN < 1 || CAL_LOG2_MAX > 24 || CAL_LOG2_MIN > CAL_LOG2_MAX)
            $error("%m: need 1 <= CAL_LOG2_MIN <= CAL_LOG2_MAX <= 24");
        if (NOM_BIN_PS < 1 || NOM_BIN_PS > 127) $error("%m: NOM_BIN_PS must be 1..127");
        if (G2L_TDC_BUILD_TAIL != 9) $error("%m: the pipelines below swap nine clocks after 2**CODE_W reads");
        if (G2L_TDC_CALIB_LATENCY != 2) $error("%m: the lookup below has two stages");
    end

    localparam logic [1:0] S_CLEAR = 2'd0, S_COLLECT = 2'd1, S_DRAIN = 2'd2, S_BUILD = 2'd3;
    logic [1:0]          st;
    logic [CODE_W-1:0]   a;        // sweep address (clear, build)
    logic [HW-1:0]       n;        // hits in this collection
    logic [4:0]          l_q;      // L of this collection
    logic [SHW-1:0]      sh_q;     // CAL_LOG2_MAX - L: the builder's normalising shift
    wire  [4:0]          l_in = cal_log2_hits < 5'(CAL_LOG2_MIN) ? 5'(CAL_LOG2_MIN)
                              : cal_log2_hits > 5'(CAL_LOG2_MAX) ? 5'(CAL_LOG2_MAX) : cal_log2_hits;

    // ---- histogram (one write port, one read port) ---------------------------------------------
    logic              h_wr, h_rd;
    logic [CODE_W-1:0] h_wa, h_ra;
    logic [HW-1:0]     h_wd, h_q;
    g2l_bram_sdp #(.WIDTH(HW), .ADDR_W(CODE_W)) u_hist (
        .clk(clk), .wr_en(h_wr), .wr_addr(h_wa), .wr_data(h_wd), .rd_en(h_rd), .rd_addr(h_ra), .rd_data(h_q)
    );

    // ---- table: two banks --------------------------------------------------------------------
    logic              t_wr;
    logic [CODE_W:0]   t_wa, t_ra;
    logic [FINE_W-1:0] t_wd, t_q;
    g2l_bram_sdp #(.WIDTH(FINE_W), .ADDR_W(CODE_W + 1)) u_table (
        .clk(clk), .wr_en(t_wr), .wr_addr(t_wa), .wr_data(t_wd), .rd_en(1'b1), .rd_addr(t_ra), .rd_data(t_q)
    );

    // ---- collection: read-modify-write of the hit's counter ------------------------------------
    // read (c) -> counter registered (c+1) -> written back + 1 (c+2). A hit two clocks later on the
    // same code reads before that write lands: its counter is forwarded from the write.
    wire               count_hit = in_hit && cal_enable && st == S_COLLECT;
    logic              inc1, inc2, wrote;
    logic [CODE_W-1:0] inc_a1, inc_a2, wrote_a;
    logic [HW-1:0]     inc_q2, wrote_v;
    logic [1:0]        drain;  // clocks until the last increment has landed

    // ---- build pipeline: read (r) -> h (r+1) -> 2C + h (r+2) -> P * x (r+3, a DSP) -> copy
    // (r+4) -> fine (r+5) -> write (r+6) ----------------------------------------------------------
    // 2C + h <= 2**(L+1) is shifted left by CAL_LOG2_MAX - L as it is registered, so the division
    // by 2**(L+1) after the multiply is a fixed shift by CAL_LOG2_MAX + 1 (no barrel shifter on
    // the wide product; floor(P x 2**s / 2**(L+1+s)) = floor(P x / 2**(L+1)) exactly).
    logic              b_rd, b1, b2, b3, b4, b5, b6, last1, last2, last3, last4, last5, last6;
    logic [CODE_W-1:0] a1, a2, a3, a4, a5, a6;
    logic [HW-1:0]     h2;
    logic [HW-1:0]     cum;    // C_k: hits on the codes below the one in stage 2
    logic [XW-1:0]     x3;
    logic [PW-1:0]     p4;
    // the fixed shift drops p5's low CAL_LOG2_MAX + 1 bits (the fraction below one ps)
    /* verilator lint_off UNUSEDSIGNAL */
    logic [PW-1:0]     p5;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [FINE_W-1:0] f6;
    wire  [FINE_W:0]   e5 = p5[CAL_LOG2_MAX + 1 +: FINE_W + 1];  // <= P
    wire  [FINE_W-1:0] f5 = e5 == '0 ? P - 1'b1 : P - FINE_W'(e5);

    always_comb begin
        h_rd = 1'b0;
        h_ra = in_code;
        h_wr = 1'b0;
        h_wa = a;
        h_wd = '0;
        if (st == S_CLEAR) begin
            h_wr = 1'b1;
        end else if (st == S_BUILD) begin
            h_rd = b_rd;
            h_ra = a;
            h_wr = b1;  // clear each counter once read
            h_wa = a1;
        end else begin  // collecting or draining the last increment
            h_rd = count_hit;
            h_wr = inc2;
            h_wa = inc_a2;
            h_wd = inc_q2 + 1'b1;
        end
    end

    always_ff @(posedge clk) begin
        // collection pipeline
        inc1 <= count_hit;
        inc_a1 <= in_code;
        inc2 <= inc1;
        inc_a2 <= inc_a1;
        inc_q2 <= wrote && wrote_a == inc_a1 ? wrote_v : h_q;
        wrote <= inc2;
        wrote_a <= inc_a2;
        wrote_v <= inc_q2 + 1'b1;
        // build pipeline
        a1 <= a;
        last1 <= b_rd && a == CODE_W'(NC - 1);
        h2 <= h_q;
        a2 <= a1;
        last2 <= last1;
        x3 <= ({cum, 1'b0} + XW'(h2)) << sh_q;
        a3 <= a2;
        last3 <= last2;
        p4 <= PW'(x3) * PW'(CLK_PERIOD_PS);
        a4 <= a3;
        last4 <= last3;
        p5 <= p4;  // out of the DSP before the shift
        a5 <= a4;
        last5 <= last4;
        f6 <= f5;
        a6 <= a5;
        last6 <= last5;
        b1 <= b_rd && st == S_BUILD;
        b2 <= b1;
        b3 <= b2;
        b4 <= b3;
        b5 <= b4;
        b6 <= b5;
        if (b2) cum <= cum + h2;
        if (rst || cal_restart) begin
            st <= S_CLEAR;
            a <= '0;
            b_rd <= 1'b0;
            {inc1, inc2, wrote} <= '0;
            {b1, b2, b3, b4, b5, b6, last1, last2, last3, last4, last5, last6} <= '0;
        end else begin
            case (st)
                S_CLEAR: begin
                    a <= a + 1'b1;
                    if (a == CODE_W'(NC - 1)) begin
                        st <= S_COLLECT;
                        n <= '0;
                        l_q <= l_in;
                        sh_q <= SHW'(CAL_LOG2_MAX - l_in);
                    end
                end
                S_COLLECT: begin
                    if (count_hit) begin
                        n <= n + 1'b1;
                        if (n + 1'b1 == HW'(1) << l_q) begin  // the last hit of this collection
                            st <= S_DRAIN;
                            drain <= 2'd2;
                        end
                    end
                end
                S_DRAIN: begin
                    drain <= drain - 1'b1;
                    if (drain == 2'd1) begin  // the last increment lands this cycle
                        st <= S_BUILD;
                        a <= '0;
                        b_rd <= 1'b1;
                        cum <= '0;
                    end
                end
                default: begin  // S_BUILD
                    if (b_rd) begin
                        a <= a + 1'b1;
                        if (a == CODE_W'(NC - 1)) b_rd <= 1'b0;
                    end
                    if (last6) begin  // the last entry is written this cycle: swap at its edge
                        bank <= !bank;
                        table_valid <= 1'b1;
                        cal_count <= cal_count + 1'b1;
                        st <= S_COLLECT;
                        n <= '0;
                        l_q <= l_in;
                        sh_q <= SHW'(CAL_LOG2_MAX - l_in);
                    end
                end
            endcase
        end
        if (rst) begin
            n <= '0;
            l_q <= 5'(CAL_LOG2_MIN);
            sh_q <= SHW'(CAL_LOG2_MAX - CAL_LOG2_MIN);
            bank <= 1'b0;
            table_valid <= 1'b0;
            cal_count <= '0;
        end
    end

    assign t_wr = b6;
    assign t_wa = {!bank, a6};
    assign t_wd = f6;
    assign collecting = st == S_COLLECT;
    assign building = st == S_BUILD;

    // ---- lookup: code -> table (or nominal) -> fine ------------------------------------------
    // floor((2k - 1) * NOM_BIN_PS / 2) for k >= 1 (k = 0 is decided apart), as shifts and adds of
    // the constant's bits, registered from the code: a DSP48E1 without its pipeline registers
    // (what a `*` becomes) takes more than the 4 ns cell-delay budget by itself.
    function automatic logic [CODE_W+7:0] nom_half(input logic [CODE_W-1:0] k);
        logic [CODE_W+7:0] x, acc;
        int b;
        x = (CODE_W + 8)'({k, 1'b0}) - 1'b1;
        acc = '0;
        for (b = 0; b < 7; b = b + 1)
            if (((NOM_BIN_PS >> b) & 1) != 0) acc = acc + (x << b);
        nom_half = acc >> 1;
    endfunction
    logic              hit1, cal1;
    logic [CODE_W-1:0] code1;
    logic [CODE_W+7:0] nom_e;
    assign t_ra = {bank, in_hit ? in_code : host_addr};
    wire [FINE_W-1:0] fine_nom = code1 == '0 || nom_e == '0 ? P - 1'b1
                               : nom_e >= (CODE_W + 8)'(CLK_PERIOD_PS) ? '0 : P - FINE_W'(nom_e);
    always_ff @(posedge clk) begin
        hit1 <= in_hit;
        code1 <= in_code;
        nom_e <= nom_half(in_code);
        cal1 <= table_valid && !use_nominal;
        out_fine <= cal1 ? t_q : fine_nom;
        if (!hit1) host_data <= t_q;
        if (rst) begin
            hit1 <= 1'b0;
            out_hit <= 1'b0;
        end else begin
            out_hit <= hit1;
        end
    end
endmodule

`resetall
