// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// One node of g2l_merge's comparison tree: merges two time-ordered streams into one, one item
// per clock, with registered outputs (a two-entry output stage) so the tree meets the clock
// whatever its depth.
//
// Each side presents its key: the time of its head when `*_valid`, else its watermark, a lower
// bound on the time of anything it may still deliver. Every item of side A precedes every item
// of side B in stream order at equal time (A covers lower input positions), so A wins ties: the
// node takes A's head when key_A <= key_B and B's head when key_B < key_A, and only if that side
// has a real head; otherwise it waits (the side with the smaller key may still deliver something
// earlier). Its own key for the parent is registered: the time of its oldest held item, or when
// it holds none, min(key_A, key_B) of the clock before (a one-cycle-old bound is still a bound:
// keys only describe what is not yet taken).
//
// One 64-bit multiplexer per node: the time of a taken head is the smaller key itself, and the
// output key is kept as a register (rather than choosing between a head register and a
// watermark register in the parent), so the node holds one key register, one spare entry and
// the choice between them.
module g2l_merge_node #(
    parameter int TAG_W = 7  // bits of the item's payload besides its time
) (
    input  wire logic             clk,
    input  wire logic             rst,        // synchronous, active high (also the merge's clear)
    input  wire logic             a_valid,    // side A has a head
    input  wire logic [63:0]      a_key,      // its time, else A's watermark
    input  wire logic [TAG_W-1:0] a_tag,
    output logic                  a_pop,
    input  wire logic             b_valid,
    input  wire logic [63:0]      b_key,
    input  wire logic [TAG_W-1:0] b_tag,
    output logic                  b_pop,
    output logic                  out_valid,  // an item is held
    output logic      [63:0]      out_key,    // its time, else this node's watermark
    output logic      [TAG_W-1:0] out_tag,
    input  wire logic             out_pop
);
    wire sel_a = a_key <= b_key;
    wire [63:0] kmin = sel_a ? a_key : b_key;  // the taken head's time, or the new watermark
    wire real_head = sel_a ? a_valid : b_valid;
    wire [TAG_W-1:0] tag = sel_a ? a_tag : b_tag;

    // Output stage: `cnt` items held, the oldest in (out_key, out_tag), the next in (r1_*).
    logic [1:0]       cnt;
    logic [63:0]      r1_key;
    logic [TAG_W-1:0] r1_tag;
    wire space = !cnt[1];
    wire push = real_head && space;
    wire pop = out_pop && cnt != 2'd0;
    assign a_pop = push && sel_a;
    assign b_pop = push && !sel_a;
    assign out_valid = cnt != 2'd0;

    // The oldest entry is replaced when it leaves or was empty: by the spare when there is one,
    // else by the pushed head or, with nothing pushed, by the watermark; both are kmin.
    wire take_new = cnt == 2'd0 || (cnt == 2'd1 && pop);
    always_ff @(posedge clk) begin
        if (rst) out_key <= '0;  // 0 bounds anything (and forgets the times before a clear)
        else if (cnt == 2'd2 && pop) out_key <= r1_key;
        else if (take_new) out_key <= kmin;
        if (cnt == 2'd2 && pop) out_tag <= r1_tag;
        else if (take_new && push) out_tag <= tag;
        if (push && cnt == 2'd1 && !pop) begin
            r1_key <= kmin;
            r1_tag <= tag;
        end
        if (rst) cnt <= 2'd0;
        else cnt <= cnt + {1'b0, push} - {1'b0, pop};
    end
endmodule

`resetall
