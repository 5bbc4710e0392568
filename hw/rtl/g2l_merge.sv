// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Time-ordered merge of all channels plus integration boundaries (docs/semantics.md "Stream
// order"): output beats are non-decreasing in (time, channel); a boundary at time T comes
// before every tag with time >= T.
//
// Each input has a FIFO (LUT RAM) drained into a two-entry register stage (g2l_skid): its head.
// Input positions are 0 = boundaries, 1 + c = channel c. A registered comparison tree of
// g2l_merge_node (2**LEVELS leaves, positions beyond the last input are empty and never hold
// anything back) picks, at each node, the side whose key is smaller (the left side at equal keys,
// which is the stream order: boundary first, then ascending channel); an input without a head
// contributes its watermark, a lower bound on the time of anything it may still deliver, so a
// head leaves only when nothing earlier can still arrive. Every stage is a register: the tree
// meets the clock for any N_CHANNELS and passes one beat per clock, LEVELS + 2 clocks deep.
//
// Watermarks follow the time base: a tag pushed in cycle n comes from an edge in cycle
// n - IN_LATENCY or later, so channel c's watermark is time_ps - IN_LATENCY * CLK_PERIOD_PS +
// delay_ps[c] (saturating at 0), the boundary input's is time_ps. They are registered on their way
// to the leaves, which only makes them older and so still valid bounds. A full channel FIFO drops
// the new tag and pulses `overflow[c]`, so losses are counted exactly upstream of the binners.
module g2l_merge #(
    parameter int N_CHANNELS = 9,        // tag inputs (channel numbers 0..N_CHANNELS-1)
    parameter int FIFO_DEPTH_LOG2 = 5,   // log2 entries per channel FIFO (plus two in its head stage)
    parameter int BND_DEPTH_LOG2 = 2,    // log2 entries of the boundary FIFO
    parameter int CLK_PERIOD_PS = 4000,  // time-base clock period
    parameter int IN_LATENCY = 4         // clocks from an edge's cycle to its in_valid (TDC + channel)
) (
    input  wire logic                     clk,
    input  wire logic                     rst,          // synchronous, active high
    input  wire logic                     clear,        // drop everything buffered
    input  wire logic [N_CHANNELS-1:0]    in_valid,     // tag from channel c this cycle
    input  wire logic [N_CHANNELS*64-1:0] in_time,      // its absolute time, ps
    input  wire logic [N_CHANNELS*32-1:0] cfg_delay_ps, // signed per-channel delays (watermarks)
    input  wire logic [63:0]              time_ps,      // time base: start of this clock cycle
    input  wire logic                     bnd_valid,    // integration boundary request
    input  wire logic [63:0]              bnd_time,     // its time (>= time_ps)
    output logic                          bnd_full,     // boundary FIFO full: hold the request
    output logic      [N_CHANNELS-1:0]    overflow,     // a tag of channel c was dropped
    output logic                          held,         // the output was held in the last HOLD_WINDOW clocks
    output logic                          out_valid,
    input  wire logic                     out_ready,
    output logic      [5:0]               out_channel,
    output logic      [63:0]              out_time,
    output logic                          out_boundary
);
    initial begin
        if (N_CHANNELS < 1 || N_CHANNELS > 63) $error("%m: N_CHANNELS must be 1..63");
        if (FIFO_DEPTH_LOG2 < 1) $error("%m: FIFO_DEPTH_LOG2 must be >= 1");
        if (IN_LATENCY < 1) $error("%m: IN_LATENCY must be >= 1");
    end

    localparam int N_IN = N_CHANNELS + 1;    // position 0 is the boundary input
    localparam int LEVELS = $clog2(N_IN);    // comparison levels
    localparam int M = 1 << LEVELS;          // leaves; tree node n has children 2n, 2n + 1
    localparam int TW = 7;                   // {boundary, channel}
    localparam logic [63:0] LAG = 64'(IN_LATENCY) * 64'(CLK_PERIOD_PS);
    // Clocks an overflow may lag behind the output stall that caused it (tree and head stages).
    localparam int HOLD_WINDOW = LEVELS + 2;

    // ---- watermarks (registered; older is still valid) -------------------------------------
    logic [63:0] base_q, bnd_wm_q;
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            base_q <= '0;
            bnd_wm_q <= '0;
        end else begin
            base_q <= time_ps < LAG ? 64'd0 : time_ps - LAG;
            bnd_wm_q <= time_ps;
        end
    end

    // ---- node outputs, heap-indexed: 1 = root, M + p = leaf of input position p --------------
    logic [2*M-1:0]    n_valid, n_pop;
    logic [2*M*64-1:0] n_key;  // the head's time when n_valid, else the watermark
    logic [2*M*TW-1:0] n_tag;
    logic [N_IN-1:0]   fifo_full;

    for (genvar p = 0; p < M; p++) begin : g_leaf
        localparam int L = M + p;
        if (p < N_IN) begin : g_in
            wire wr = p == 0 ? bnd_valid : in_valid[p - 1];
            wire [63:0] wr_time = p == 0 ? bnd_time : in_time[(p - 1) * 64 +: 64];
            wire f_empty;
            wire [63:0] f_head, h_time;
            wire [(p == 0 ? BND_DEPTH_LOG2 : FIFO_DEPTH_LOG2):0] f_cnt_unused;
            wire h_ready;
            g2l_fifo #(.WIDTH(64), .DEPTH_LOG2(p == 0 ? BND_DEPTH_LOG2 : FIFO_DEPTH_LOG2)) u_fifo (
                .clk(clk), .rst(rst || clear), .wr_en(wr), .wr_data(wr_time),
                .rd_en(h_ready), .rd_data(f_head), .empty(f_empty), .full(fifo_full[p]),
                .count(f_cnt_unused)
            );
            g2l_skid #(.WIDTH(64)) u_head (
                .clk(clk), .rst(rst || clear),
                .in_valid(!f_empty), .in_ready(h_ready), .in_data(f_head),
                .out_valid(n_valid[L]), .out_ready(n_pop[L]), .out_data(h_time)
            );
            assign n_tag[L*TW +: TW] = p == 0 ? {1'b1, 6'd0} : {1'b0, 6'(p - 1)};
            // Watermark of the head stage: a head is visible one clock after the FIFO held it,
            // so the bound of one clock earlier covers what is still on its way.
            logic [63:0] wm_q;
            if (p == 0) begin : g_bwm
                always_ff @(posedge clk) wm_q <= (rst || clear) ? 64'd0 : bnd_wm_q;
            end else begin : g_cwm
                wire [31:0] d = cfg_delay_ps[(p - 1) * 32 +: 32];
                wire [64:0] s = {1'b0, base_q} + {{33{d[31]}}, d};
                // saturate at 0: a negative delay near time 0 must not wrap around
                always_ff @(posedge clk) wm_q <= (rst || clear || (d[31] && s[64])) ? 64'd0 : s[63:0];
            end
            assign n_key[L*64 +: 64] = n_valid[L] ? h_time : wm_q;
        end else begin : g_pad
            assign n_valid[L] = 1'b0;
            assign n_tag[L*TW +: TW] = '0;
            assign n_key[L*64 +: 64] = '1;  // never holds anything back
        end
    end

    for (genvar n = 1; n < M; n++) begin : g_node
        g2l_merge_node #(.TAG_W(TW)) u_node (
            .clk(clk), .rst(rst || clear),
            .a_valid(n_valid[2*n]), .a_key(n_key[2*n*64 +: 64]), .a_tag(n_tag[2*n*TW +: TW]),
            .a_pop(n_pop[2*n]),
            .b_valid(n_valid[2*n+1]), .b_key(n_key[(2*n+1)*64 +: 64]), .b_tag(n_tag[(2*n+1)*TW +: TW]),
            .b_pop(n_pop[2*n+1]),
            .out_valid(n_valid[n]), .out_key(n_key[n*64 +: 64]), .out_tag(n_tag[n*TW +: TW]),
            .out_pop(n_pop[n])
        );
    end

    // ---- output: the root's register stage ---------------------------------------------------
    assign out_valid = n_valid[1];
    assign out_time = n_key[64 +: 64];  // the head's time when out_valid
    assign out_boundary = n_tag[TW + 6];
    assign out_channel = n_tag[TW +: 6];
    assign n_pop[1] = out_ready;
    assign n_pop[0] = 1'b0;
    assign n_valid[0] = 1'b0;
    assign n_key[63:0] = '0;
    assign n_tag[TW-1:0] = '0;
    assign bnd_full = fifo_full[0];

    logic [HOLD_WINDOW-1:0] stall_hist;
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            overflow <= '0;
            stall_hist <= '0;
        end else begin
            overflow <= in_valid & fifo_full[N_IN-1:1];
            stall_hist <= {stall_hist[HOLD_WINDOW-2:0], out_valid && !out_ready};
        end
    end
    assign held = |stall_hist;

    // Node 0 and the padding leaves exist only to keep the heap indexing simple.
    wire unused_ok = &{1'b0, n_pop[0], n_valid[0], n_key[63:0], n_tag[TW-1:0]};
endmodule

`resetall
