// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Simple dual-port block RAM: one write port, one registered read port (1-cycle latency).
// A read of the address written in the same cycle returns the old contents; callers that need
// the new value forward it themselves (g2l_coinc_pair does).
module g2l_bram_sdp #(
    parameter int WIDTH = 32,      // bits per word
    parameter int ADDR_W = 10      // log2 of the number of words
) (
    input  wire logic              clk,
    input  wire logic              wr_en,
    input  wire logic [ADDR_W-1:0] wr_addr,
    input  wire logic [WIDTH-1:0]  wr_data,
    input  wire logic              rd_en,     // rd_data holds its value while low
    input  wire logic [ADDR_W-1:0] rd_addr,
    output logic      [WIDTH-1:0]  rd_data
);
    initial begin
        if (WIDTH < 1) $error("%m: WIDTH must be >= 1");
        if (ADDR_W < 1 || ADDR_W > 20) $error("%m: ADDR_W must be 1..20");
    end

    logic [WIDTH-1:0] mem [1 << ADDR_W];

    always_ff @(posedge clk) begin
        if (wr_en) mem[wr_addr] <= wr_data;
        if (rd_en) rd_data <= mem[rd_addr];
    end
endmodule

`resetall
