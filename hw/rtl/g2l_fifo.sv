// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Synchronous FIFO with a first-word-fall-through head (read data valid whenever !empty).
// Small depths map to LUT RAM; the count output lets producers see how full it is.
module g2l_fifo #(
    parameter int WIDTH = 64,      // bits per entry
    parameter int DEPTH_LOG2 = 4   // log2 of the number of entries
) (
    input  wire logic                  clk,
    input  wire logic                  rst,          // synchronous, active high: empties the FIFO
    input  wire logic                  wr_en,        // push wr_data (ignored when full)
    input  wire logic [WIDTH-1:0]      wr_data,
    input  wire logic                  rd_en,        // pop the head (ignored when empty)
    output logic      [WIDTH-1:0]      rd_data,      // head entry
    output logic                       empty,
    output logic                       full,
    output logic      [DEPTH_LOG2:0]   count         // entries held
);
    initial begin
        if (WIDTH < 1) $error("%m: WIDTH must be >= 1");
        if (DEPTH_LOG2 < 1 || DEPTH_LOG2 > 16) $error("%m: DEPTH_LOG2 must be 1..16");
    end

    localparam int DEPTH = 1 << DEPTH_LOG2;

    logic [WIDTH-1:0] mem [DEPTH];
    logic [DEPTH_LOG2:0] wr_ptr;
    logic [DEPTH_LOG2:0] rd_ptr;

    wire do_wr = wr_en && !full;
    wire do_rd = rd_en && !empty;

    assign count = wr_ptr - rd_ptr;
    assign empty = wr_ptr == rd_ptr;
    assign full = count[DEPTH_LOG2];
    assign rd_data = mem[rd_ptr[DEPTH_LOG2-1:0]];

    always_ff @(posedge clk) begin
        if (do_wr) mem[wr_ptr[DEPTH_LOG2-1:0]] <= wr_data;
        if (rst) begin
            wr_ptr <= '0;
            rd_ptr <= '0;
        end else begin
            if (do_wr) wr_ptr <= wr_ptr + 1'b1;
            if (do_rd) rd_ptr <= rd_ptr + 1'b1;
        end
    end
endmodule

`resetall
