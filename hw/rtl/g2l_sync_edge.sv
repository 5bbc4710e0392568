// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Two-flop (STAGES-flop) synchroniser of an asynchronous SPAD pulse plus rising-edge detect.
// `rise` is a registered one-cycle pulse, STAGES + 1 clocks after the edge that first sampled
// the input high. The input must be low for at least one sampling edge between two pulses.
module g2l_sync_edge #(
    parameter int STAGES = 2  // synchroniser flops (>= 2 against metastability)
) (
    input  wire logic clk,
    input  wire logic rst,       // synchronous, active high
    input  wire logic in_async,  // asynchronous pulse line
    output logic      rise       // one-cycle pulse per rising edge of in_async
);
    initial begin
        if (STAGES < 2) $error("%m: STAGES must be >= 2 for a safe synchroniser");
    end

    (* ASYNC_REG = "TRUE" *) logic [STAGES-1:0] sync;
    logic last;

    always_ff @(posedge clk) begin
        if (rst) begin
            sync <= '0;
            last <= 1'b0;
            rise <= 1'b0;
        end else begin
            sync <= {sync[STAGES-2:0], in_async};
            last <= sync[STAGES-1];
            rise <= sync[STAGES-1] && !last;
        end
    end
endmodule

`resetall
