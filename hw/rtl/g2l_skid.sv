// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Two-entry register FIFO (a skid buffer): every output is a flip-flop and `in_ready` depends
// only on the fill level, so neither the consumer's `out_ready` nor the producer's `in_valid`
// reaches the other side combinationally. It passes one item per clock without a bubble: with
// one entry held, a push and a pop in the same cycle keep it at one; the second entry absorbs a
// cycle in which the consumer did not take. Used between pipeline stages that must meet the
// clock (g2l_merge's comparison tree, the binners' tag inputs).
module g2l_skid #(
    parameter int WIDTH = 64  // bits per item
) (
    input  wire logic             clk,
    input  wire logic             rst,        // synchronous, active high: empties the buffer
    input  wire logic             in_valid,
    output logic                  in_ready,   // fewer than two entries held (no combinational input)
    input  wire logic [WIDTH-1:0] in_data,
    output logic                  out_valid,  // an entry is held
    input  wire logic             out_ready,
    output logic      [WIDTH-1:0] out_data    // the oldest entry
);
    initial begin
        if (WIDTH < 1) $error("%m: WIDTH must be >= 1");
    end

    logic [1:0] cnt;
    logic [WIDTH-1:0] r1;

    assign in_ready = !cnt[1];
    assign out_valid = cnt != 2'd0;
    wire push = in_valid && in_ready;
    wire pop = out_valid && out_ready;

    always_ff @(posedge clk) begin
        // the head: new data when it is the only entry after this cycle, else the second entry moves up
        if (cnt == 2'd0 || (cnt == 2'd1 && pop)) begin
            if (push) out_data <= in_data;
        end else if (cnt == 2'd2 && pop) begin
            out_data <= r1;
        end
        if (push && cnt == 2'd1 && !pop) r1 <= in_data;
        if (rst) cnt <= 2'd0;
        else cnt <= cnt + {1'b0, push} - {1'b0, pop};
    end
endmodule

`resetall
