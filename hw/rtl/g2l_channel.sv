`resetall
`timescale 1ns / 1ps
`default_nettype none

// Per-channel front-end (docs/semantics.md "Channel front-end"): enable, dead time on raw edge
// times, signed delay. Two registered stages (LATENCY = 2): a hit in cycle n gives `tag_valid` in
// cycle n + 2 with tag_time = edge_base_ps + fine_ps + delay_ps, where edge_base_ps is the absolute
// time of the start of the clock cycle in which the edge occurred (the top subtracts the TDC
// latency). Stage 1 forms the raw time; stage 2 applies the dead time and adds the delay. One
// hit per clock is accepted.
module g2l_channel #(
    parameter int FINE_W = 16  // bits of the TDC fine time
) (
    input  wire logic              clk,
    input  wire logic              rst,              // synchronous, active high
    input  wire logic              clear,            // forget the last edge, zero dead_count
    input  wire logic              cfg_enable,       // 0 = drop every edge (not counted)
    input  wire logic [31:0]       cfg_dead_time_ps, // dead time on raw times; 0 = none
    input  wire logic [31:0]       cfg_delay_ps,     // signed delay added to accepted edges
    input  wire logic              in_hit,           // TDC hit this cycle
    input  wire logic [FINE_W-1:0] in_fine_ps,       // its fine time
    input  wire logic [63:0]       edge_base_ps,     // absolute time of the hit's clock cycle
    output logic                   tag_valid,        // accepted tag, one cycle
    output logic      [63:0]       tag_time,         // its absolute time after delay, ps
    output logic                   dead_drop,        // an edge was discarded by the dead time
    output logic      [31:0]       dead_count        // discarded edges since clear (saturates)
);
    initial begin
        if (FINE_W < 1 || FINE_W > 32) $error("%m: FINE_W must be 1..32");
    end

    // ---- stage 1: raw time ----------------------------------------------------------------
    // edge_base_ps + fine as a short add of the low bits and a choice between the high bits and
    // the high bits + 1 (formed in parallel): the fine time may come late from the TDC.
    localparam int LO = FINE_W;
    logic        hit1;
    logic [63:0] raw1;
    wire  [LO:0]     lo_sum = {1'b0, edge_base_ps[LO-1:0]} + {1'b0, in_fine_ps};
    wire  [63-LO:0]  hi = edge_base_ps[63:LO];
    wire  [63-LO:0]  hi_p1 = hi + 1'b1;
    always_ff @(posedge clk) begin
        raw1 <= {lo_sum[LO] ? hi_p1 : hi, lo_sum[LO-1:0]};
        hit1 <= !(rst || clear) && in_hit && cfg_enable;
    end

    // ---- stage 2: dead time, delay ----------------------------------------------------------
    // An edge is dead when raw - last_raw < dead_time, i.e. raw < last_raw + dead_time (65 bits:
    // no wrap-around), with last_raw the raw time of the last accepted edge. That end is kept in
    // registers, so the test is a single compare: end_new for an edge accepted in the previous
    // clock, end_old (following DEAD_TIME_PS within a clock) for one accepted earlier.
    logic [63:0] last_raw;
    logic [64:0] end_new, end_old;
    logic        acc_q, have_last;
    wire  [64:0] dead_end = acc_q ? end_new : end_old;
    wire         in_dead = have_last && {1'b0, raw1} < dead_end;
    wire         accept = hit1 && !in_dead;
    wire         drop = hit1 && in_dead;

    always_ff @(posedge clk) begin
        tag_time <= raw1 + {{32{cfg_delay_ps[31]}}, cfg_delay_ps};
        end_new <= {1'b0, raw1} + {33'd0, cfg_dead_time_ps};
        end_old <= {1'b0, last_raw} + {33'd0, cfg_dead_time_ps};
        acc_q <= accept;
        if (accept) last_raw <= raw1;
        if (rst || clear) begin
            have_last <= 1'b0;
            tag_valid <= 1'b0;
            dead_drop <= 1'b0;
            dead_count <= '0;
            acc_q <= 1'b0;
        end else begin
            tag_valid <= accept;
            dead_drop <= drop;
            if (accept) have_last <= 1'b1;
            if (drop && dead_count != 32'hFFFF_FFFF) dead_count <= dead_count + 1'b1;
        end
    end
endmodule

`resetall
