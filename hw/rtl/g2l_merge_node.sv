// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// One node of g2l_merge's comparison tree: merges two time-ordered streams into one, one item
// per clock, with registered outputs (a g2l_skid) so the tree meets the clock whatever its depth.
//
// Each side presents its head (`*_valid`, `*_time`) or, when it has none, a watermark `*_wm`: a
// lower bound on the time of anything it may still deliver. The key of a side is its head time
// or its watermark. Every item of side A precedes every item of side B in stream order at equal
// time (A covers lower input positions), so A wins ties: the node takes A's head when
// key_A <= key_B and B's head when key_B < key_A, and only if that side has a real head;
// otherwise it waits (the side with the smaller key may still deliver something earlier).
// Its own watermark for the parent is min(key_A, key_B), registered (a one-cycle-old bound is
// still a bound: keys only describe what is not yet taken).
module g2l_merge_node #(
    parameter int TAG_W = 7  // bits of the item's payload besides its time
) (
    input  wire logic             clk,
    input  wire logic             rst,        // synchronous, active high (also the merge's clear)
    input  wire logic             a_valid,
    input  wire logic [63:0]      a_time,
    input  wire logic [TAG_W-1:0] a_tag,
    input  wire logic [63:0]      a_wm,
    output logic                  a_pop,
    input  wire logic             b_valid,
    input  wire logic [63:0]      b_time,
    input  wire logic [TAG_W-1:0] b_tag,
    input  wire logic [63:0]      b_wm,
    output logic                  b_pop,
    output logic                  out_valid,
    output logic      [63:0]      out_time,
    output logic      [TAG_W-1:0] out_tag,
    output logic      [63:0]      out_wm,
    input  wire logic             out_pop
);
    wire [63:0] ka = a_valid ? a_time : a_wm;
    wire [63:0] kb = b_valid ? b_time : b_wm;
    wire sel_a = ka <= kb;
    wire real_head = sel_a ? a_valid : b_valid;
    wire space;
    wire push = real_head && space;
    assign a_pop = push && sel_a;
    assign b_pop = push && !sel_a;

    g2l_skid #(.WIDTH(TAG_W + 64)) u_out (
        .clk(clk), .rst(rst),
        .in_valid(real_head), .in_ready(space), .in_data(sel_a ? {a_tag, a_time} : {b_tag, b_time}),
        .out_valid(out_valid), .out_ready(out_pop), .out_data({out_tag, out_time})
    );

    always_ff @(posedge clk) begin
        if (rst) out_wm <= '0;  // 0 bounds anything (and forgets the times before a clear)
        else out_wm <= sel_a ? ka : kb;
    end
endmodule

`resetall
