// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Thermometer-to-binary encoder and hit detector of the carry-chain TDC.
//
// `sample` is the first-rank snapshot of every tap (chain-major: chain c's tap t at bit
// c * TAPS_PER_CHAIN + t, tap 0 nearest the input). A second rank gives metastable first-rank
// flops a clock to settle; then a pipelined ones counter turns the snapshot into a code. A ones
// count is bubble-proof: taps that switch out of order (inside a CARRY4, or between chains) and
// metastable taps near the edge move the code by at most their own number, never by a
// thermometer segment, and the count grows monotonically with the time since the edge.
//
// Hit and code come from the same snapshot: a hit is reported for the first snapshot that is
// not empty after an empty one, with that snapshot's code, so an edge near a clock edge lands in
// exactly one cycle, with a code near the top (early in the cycle) or near 1 (just before the
// edge): never one coarse cycle off. Diagnostics (never create or drop a hit):
//   overlap   - the input rose while the line still held the previous pulse (that edge is lost);
//   short     - at the hit the input was already low again (pulse shorter than a clock period);
//   overrange - at the hit the edge had reached the far end (the line is shorter than a period).
module g2l_tdc_encoder #(
    parameter int N_CHAINS = 2,          // parallel delay lines, summed into one code
    parameter int TAPS_PER_CHAIN = 288,  // taps of each line (4 per CARRY4)
    parameter int CODE_W = 10            // bits of the code (>= clog2(N_CHAINS*TAPS_PER_CHAIN+1))
) (
    input  wire logic                                  clk,
    input  wire logic                                  rst,       // synchronous, active high
    input  wire logic [N_CHAINS*TAPS_PER_CHAIN-1:0]    sample,    // first-rank snapshot
    output logic                                       hit,       // one cycle per detected edge
    output logic      [CODE_W-1:0]                     code,      // taps set in its snapshot
    output logic                                       overlap,   // an edge was lost (line busy)
    output logic                                       short_pulse,
    output logic                                       overrange
);
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tdc.svh"
    /* verilator lint_on UNUSEDPARAM */

    localparam int N = N_CHAINS * TAPS_PER_CHAIN;
    localparam int W = g2l_tdc_clog2(N + 1);           // width of every ones-counter node
    localparam int LEAVES = (N + 5) / 6;
    localparam int NLEV = g2l_tdc_tree_levels(N);
    localparam int POP = g2l_tdc_pop_stages(N);

    initial begin
        if (N_CHAINS < 1 || N_CHAINS > 8) $error("%m: N_CHAINS must be 1..8");
        if (TAPS_PER_CHAIN < G2L_TDC_HEAD_TAPS + G2L_TDC_TAIL_TAPS || TAPS_PER_CHAIN % 4 != 0)
            $error("%m: TAPS_PER_CHAIN must be a multiple of 4 and >= %0d", G2L_TDC_HEAD_TAPS + G2L_TDC_TAIL_TAPS);
        if (CODE_W < W) $error("%m: CODE_W must be >= %0d for %0d taps", W, N);
    end

    // Nodes of level l of the ones-counter tree.
    function automatic int nodes(input int l);
        int m;
        m = LEAVES;
        for (int k = 0; k < l; k++) m = (m + 1) / 2;
        nodes = m;
    endfunction
    // A register closes level l: the top level and every G2L_TDC_ADDS_PER_STAGE levels below it.
    function automatic bit closed(input int l);
        closed = (NLEV - l) % G2L_TDC_ADDS_PER_STAGE == 0;
    endfunction

    // ---- second rank -----------------------------------------------------------------------
    logic [N-1:0] s2;
    always_ff @(posedge clk) s2 <= sample;

    // Input level (any of the first taps of any chain) and far end (last taps), per snapshot.
    logic head2, tail2;
    always_comb begin
        head2 = 1'b0;
        tail2 = 1'b0;
        for (int c = 0; c < N_CHAINS; c++) begin
            head2 |= |s2[c * TAPS_PER_CHAIN +: G2L_TDC_HEAD_TAPS];
            tail2 |= |s2[(c + 1) * TAPS_PER_CHAIN - G2L_TDC_TAIL_TAPS +: G2L_TDC_TAIL_TAPS];
        end
    end

    // ---- pipelined ones counter -------------------------------------------------------------
    // Each node has its own signals (not slices of one vector): event-driven simulators then wake
    // only the node above a changed one.
    wire [LEAVES*6-1:0] padded = {{(LEAVES * 6 - N){1'b0}}, s2};

    for (genvar l = 0; l <= NLEV; l++) begin : g_lev
        for (genvar i = 0; i < nodes(l); i++) begin : g_node
            wire [W-1:0] d;  // this node's sum
            wire [W-1:0] v;  // what the level above reads: the sum, or its register
            if (l == 0) begin : g_leaf
                wire [5:0] x = padded[i*6 +: 6];
                assign d = W'($countones(x));
            end else if (2 * i + 1 < nodes(l - 1)) begin : g_add
                assign d = g_lev[l - 1].g_node[2 * i].v + g_lev[l - 1].g_node[2 * i + 1].v;
            end else begin : g_pass
                assign d = g_lev[l - 1].g_node[2 * i].v;
            end
            if (closed(l)) begin : g_reg
                logic [W-1:0] q;
                always_ff @(posedge clk) q <= d;
                assign v = q;
            end else begin : g_wire
                assign v = d;
            end
        end
    end
    wire [W-1:0] count = g_lev[NLEV].g_node[0].v;

    // Head and tail ride along the counter's stages.
    logic [POP-1:0] head_pipe, tail_pipe;
    always_ff @(posedge clk) begin
        head_pipe <= {head_pipe[POP-2:0], head2};
        tail_pipe <= {tail_pipe[POP-2:0], tail2};
    end
    wire head = head_pipe[POP-1];
    wire tail = tail_pipe[POP-1];

    // ---- hit detection -------------------------------------------------------------------------
    // After reset the snapshots still in the pipeline are ignored, and a line that is high gives
    // no hit until it has been seen empty.
    wire  busy = count != '0;
    logic busy_q, head_q;
    logic [g2l_tdc_clog2(POP + 2):0] flush;
    always_ff @(posedge clk) begin
        code <= CODE_W'(count);
        if (flush != '0) flush <= flush - 1'b1;
        if (rst || flush != '0) begin
            if (rst) flush <= ($bits(flush))'(POP + 1);  // snapshots taken during reset
            busy_q <= 1'b1;
            head_q <= 1'b1;
            hit <= 1'b0;
            overlap <= 1'b0;
            short_pulse <= 1'b0;
            overrange <= 1'b0;
        end else begin
            busy_q <= busy;
            head_q <= head;
            hit <= busy && !busy_q;
            overlap <= head && !head_q && busy_q;
            short_pulse <= busy && !busy_q && !head;
            overrange <= busy && !busy_q && tail;
        end
    end
endmodule

`resetall
