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
    parameter int CODE_W = 10,           // bits of the code (>= clog2(N_CHAINS*TAPS_PER_CHAIN+1))
    parameter bit XILINX_LUTS = 1'b0     // 1: the counters as instantiated LUT6 (synthesis: one LUT6 per
                                         // output bit, which ABC would otherwise re-decompose into more)
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
    localparam int W = g2l_tdc_clog2(N + 1);           // width of the ones count
    localparam int POP = g2l_tdc_pop_stages(N);

    initial begin
        if (N_CHAINS < 1 || N_CHAINS > 8) $error("%m: N_CHAINS must be 1..8");
        if (TAPS_PER_CHAIN < G2L_TDC_HEAD_TAPS + G2L_TDC_TAIL_TAPS || TAPS_PER_CHAIN % 4 != 0)
            $error("%m: TAPS_PER_CHAIN must be a multiple of 4 and >= %0d", G2L_TDC_HEAD_TAPS + G2L_TDC_TAIL_TAPS);
        if (CODE_W < W) $error("%m: CODE_W must be >= %0d for %0d taps", W, N);
    end

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

    // ---- pipelined ones counter: a column compressor in LUTs ---------------------------------
    // The taps are bits of weight 1 (column 0). Each level replaces every group of 3..6 bits of a
    // column by their count (a 6:3 counter: three LUT6, one per output bit), whose bits go to
    // columns j, j+1, j+2; groups of 1..2 bits pass. When every column holds at most two bits, one
    // W-bit add (the only carry chain: W / 4 CARRY4) gives the count. Synthesis keeps counters out
    // of carry chains (Yosys maps adds wider than 2 bits to CARRY4; a counter here is a table).
    // g2l_tdc_pop_stages(N) registers: POP - 1 spread over the levels, the last after the add, so
    // the latency stays g2l_tdc_latency(N) whatever the tree's depth.
    localparam int CMAX = W + 4;  // columns tracked (bits above column W - 1 are always 0)
    localparam int LMAX = 24;     // levels tracked (a level about halves the tallest column)
    localparam int HB = 16;       // bits per stored column height

    // Counters in a column of h bits, bits passed through, counters with a weight-4 output (4..6 in).
    function automatic int ctrs(input int h);
        ctrs = h < 3 ? 0 : h / 6 + (h % 6 >= 3 ? 1 : 0);
    endfunction
    function automatic int passes(input int h);
        passes = h < 3 ? h : (h % 6 >= 3 ? 0 : h % 6);
    endfunction
    function automatic int carries2(input int h);
        carries2 = h < 3 ? 0 : h / 6 + (h % 6 >= 4 ? 1 : 0);
    endfunction
    // Height of every column at every level: bits [(l * CMAX + j) * HB +: HB].
    // (Loop variables are declared apart: Icarus 11 refuses a constant function whose
    // `for (int ...)` loop calls another function.)
    function automatic logic [LMAX*CMAX*HB-1:0] heights();
        logic [LMAX*CMAX*HB-1:0] t;
        int l, j, h0, h1, h2;
        t = '0;
        t[0 +: HB] = HB'(N);
        for (l = 1; l < LMAX; l = l + 1) begin
            for (j = 0; j < CMAX; j = j + 1) begin
                h0 = int'(t[((l - 1) * CMAX + j) * HB +: HB]);
                h1 = j >= 1 ? int'(t[((l - 1) * CMAX + j - 1) * HB +: HB]) : 0;
                h2 = j >= 2 ? int'(t[((l - 1) * CMAX + j - 2) * HB +: HB]) : 0;
                t[(l * CMAX + j) * HB +: HB] = HB'(ctrs(h0) + passes(h0) + ctrs(h1) + carries2(h2));
            end
        end
        heights = t;
    endfunction
    localparam logic [LMAX*CMAX*HB-1:0] HT = heights();
    function automatic int ht(input int l, input int j);
        ht = j < 0 ? 0 : int'(HT[(l * CMAX + j) * HB +: HB]);
    endfunction
    // Levels of compression: the first level whose columns all hold at most two bits.
    function automatic int n_levels();
        int nl, tall, l, j;
        nl = LMAX - 1;
        for (l = LMAX - 1; l >= 0; l = l - 1) begin
            tall = 0;
            for (j = 0; j < CMAX; j = j + 1) if (ht(l, j) > 2) tall = 1;
            if (tall == 0) nl = l;
        end
        n_levels = nl;
    endfunction
    localparam int NL = n_levels();
    // Registers among the levels 1 .. NL: POP - 1 of them, spread evenly (fewer if NL < POP - 1:
    // the rest ride after the add).
    function automatic bit closed(input int l);
        closed = l >= 1 && (l * POP) / (NL + 1) != ((l - 1) * POP) / (NL + 1);
    endfunction
    function automatic int n_closed();
        int l, n;
        n = 0;
        for (l = 1; l <= NL; l = l + 1) if (closed(l)) n = n + 1;
        n_closed = n;
    endfunction
    localparam int PADR = POP - 1 - n_closed();  // extra registers after the add

    // The 6:3 counter as three 64-entry tables (LUT6 contents): bit k of the number of ones.
    function automatic logic [63:0] pop6_bit(input int k);
        logic [63:0] t;
        int x, i, c;
        for (x = 0; x < 64; x = x + 1) begin
            c = 0;
            for (i = 0; i < 6; i = i + 1) c = c + ((x >> i) & 1);
            t[x] = ((c >> k) & 1) != 0;
        end
        pop6_bit = t;
    endfunction
    localparam logic [63:0] POP6_0 = pop6_bit(0), POP6_1 = pop6_bit(1), POP6_2 = pop6_bit(2);

    initial if (NL >= LMAX - 1 || ht(NL, CMAX - 1) != 0) $error("%m: ones counter does not converge");

    // Level l, column j: `b` its bits (registered when closed(l)). Each counter has its own
    // signals, so event-driven simulators wake only the counters whose inputs changed. (Columns
    // above W - 1 of the last level and the weight-4 output of a 3-input counter are never read.)
    /* verilator lint_off UNUSEDSIGNAL */
    for (genvar l = 0; l <= NL; l++) begin : g_lev
        for (genvar j = 0; j < CMAX; j++) begin : g_col
            localparam int H = ht(l, j);
            localparam int H0 = l == 0 ? 0 : ht(l - 1, j);      // the column below
            localparam int H1 = l == 0 ? 0 : ht(l - 1, j - 1);  // its right neighbour (carries 1)
            localparam int C0 = ctrs(H0), P0 = passes(H0), C1 = ctrs(H1), NC = ctrs(H);
            wire [(H > 0 ? H : 1)-1:0] d;  // this column's bits as the level below computes them
            wire [(H > 0 ? H : 1)-1:0] b;  // what the level above reads
            if (H == 0) begin : g_empty
                assign d = '0;
            end else if (l == 0) begin : g_taps
                assign d = s2;
            end else begin : g_from
                for (genvar i = 0; i < H; i++) begin : g_bit
                    if (i < C0) begin : g_sum
                        assign d[i] = g_lev[l - 1].g_col[j].g_cnt.g_ctr[i].y[0];
                    end else if (i < C0 + P0) begin : g_pass
                        assign d[i] = g_lev[l - 1].g_col[j].b[6 * (H0 / 6) + i - C0];
                    end else if (i < C0 + P0 + C1) begin : g_c1
                        assign d[i] = g_lev[l - 1].g_col[j - 1].g_cnt.g_ctr[i - C0 - P0].y[1];
                    end else begin : g_c2
                        assign d[i] = g_lev[l - 1].g_col[j - 2].g_cnt.g_ctr[i - C0 - P0 - C1].y[2];
                    end
                end
            end
            if (closed(l) && H > 0) begin : g_reg
                logic [H-1:0] q;
                always_ff @(posedge clk) q <= d;
                assign b = q;
            end else begin : g_wire
                assign b = d;
            end
            // the counters that compress this column into the next level
            if (l < NL) begin : g_cnt
                for (genvar k = 0; k < NC; k++) begin : g_ctr
                    localparam int G = H - 6 * k < 6 ? H - 6 * k : 6;  // inputs of this counter
                    wire [5:0] x = {{(6 - G){1'b0}}, b[6 * k +: G]};
                    wire [2:0] y;
                    if (XILINX_LUTS) begin : g_lut6
                        for (genvar o = 0; o < 3; o++) begin : g_out
                            if (o < 2 || G >= 4) begin : g_used  // 3 inputs count to 3 at most
                                LUT6 #(.INIT(o == 0 ? POP6_0 : o == 1 ? POP6_1 : POP6_2)) u_lut (
                                    .O(y[o]), .I0(x[0]), .I1(x[1]), .I2(x[2]), .I3(x[3]), .I4(x[4]), .I5(x[5])
                                );
                            end else begin : g_zero
                                assign y[o] = 1'b0;
                            end
                        end
                    end else begin : g_table
                        assign y = {POP6_2[x], POP6_1[x], POP6_0[x]};
                    end
                end
            end
        end
    end
    /* verilator lint_on UNUSEDSIGNAL */

    // The last level: at most two bits per column, one add, then the last register(s).
    wire [W-1:0] row_a, row_b;
    for (genvar j = 0; j < W; j++) begin : g_row
        assign row_a[j] = ht(NL, j) >= 1 ? g_lev[NL].g_col[j].b[0] : 1'b0;
        assign row_b[j] = ht(NL, j) >= 2 ? g_lev[NL].g_col[j].b[ht(NL, j) >= 2 ? 1 : 0] : 1'b0;
    end
    logic [(PADR+1)*W-1:0] sum_pipe;  // stage i at bits [i*W +: W]
    always_ff @(posedge clk) begin
        sum_pipe[0 +: W] <= row_a + row_b;
        for (int i = 1; i <= PADR; i++) sum_pipe[i*W +: W] <= sum_pipe[(i-1)*W +: W];
    end
    wire [W-1:0] count = sum_pipe[PADR*W +: W];

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
