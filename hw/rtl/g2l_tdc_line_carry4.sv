// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Carry-chain delay line for synthesis (Xilinx 7-series): N_CHAINS chains of N_CARRY4 CARRY4
// cells fed by the same input at their CYINIT, each tap sampled by the flip-flop of its own
// slice (g2l_tdc_carry4_cell). The chains sit in neighbouring slice columns; their different
// input routing interleaves their taps, so the summed code has about N_CHAINS times as many bins.
//
// The path from `in_pulse` through the chain is asynchronous by design (longer than a clock
// period): the module keeps its hierarchy so that it can be placed as a unit (board XDC) and so
// that a cell-delay timing run of the design (Yosys sta) sees it as a black box, the equivalent
// of the false path on the input in the XDC. Its length is the line's reach, not a timing path.
(* keep_hierarchy = "yes" *)
module g2l_tdc_line_carry4 #(
    parameter int N_CHAINS = 2,   // parallel chains
    parameter int N_CARRY4 = 72   // CARRY4 cells per chain (4 taps each)
) (
    input  wire logic                        clk,
    input  wire logic                        in_pulse,
    output logic      [N_CHAINS*N_CARRY4*4-1:0] sample  // first rank, chain-major
);
    for (genvar c = 0; c < N_CHAINS; c++) begin : g_chain
        wire [N_CARRY4-1:0] co3;  // carry out of each CARRY4
        for (genvar k = 0; k < N_CARRY4; k++) begin : g_c4
            wire ci;
            if (k == 0) begin : g_first
                assign ci = 1'b0;
            end else begin : g_next
                assign ci = co3[k - 1];
            end
            g2l_tdc_carry4_cell u_cell (
                .clk(clk), .ci(ci), .cyinit(k == 0 ? in_pulse : 1'b0),
                .co3(co3[k]), .q(sample[(c * N_CARRY4 + k) * 4 +: 4])
            );
        end
        wire unused_ok = co3[N_CARRY4 - 1];  // the last carry out goes nowhere
    end
endmodule

`resetall
