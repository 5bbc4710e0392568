// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Zero-time delay line for cycle-based simulation (the Verilator harness, the g2l_top testbench):
// the snapshot a uniform line with NOM_BIN_PS per code would hold, computed from the edge's fine
// time instead of propagated. It feeds the same encoder and calibration as the carry-chain line,
// so the cycle-based RTL and the C twin g2l_tdc_ideal_code() quantise every edge alike.
//
// An edge is `in_pulse` sampled high after it was sampled low; `sim_fine_ps` (0 .. P - 1) is its
// time after the start of that cycle. The snapshot at the end of the cycle has
//     k = floor((P - 1 - sim_fine_ps) / NOM_BIN_PS) + 1
// taps set (1 .. about P / NOM_BIN_PS), dealt round-robin over the chains (chain c holds the
// codes c, c + N_CHAINS, ...), each chain a clean thermometer from its tap 0. While the input
// stays high the line reads full; once it is low it reads empty at once (an idealised line).
module g2l_tdc_line_ideal #(
    parameter int CLK_PERIOD_PS = 4000,  // P
    parameter int FINE_W = 16,           // bits of sim_fine_ps
    parameter int N_CHAINS = 2,          // chains (chain-major snapshot, as the carry-chain line)
    parameter int TAPS_PER_CHAIN = 288,  // taps per chain
    parameter int NOM_BIN_PS = 14        // width of one code, ps
) (
    input  wire logic                               clk,
    input  wire logic                               in_pulse,
    input  wire logic [FINE_W-1:0]                  sim_fine_ps,
    output logic      [N_CHAINS*TAPS_PER_CHAIN-1:0] sample
);
    localparam int N = N_CHAINS * TAPS_PER_CHAIN;

    initial begin
        if ((CLK_PERIOD_PS - 1) / NOM_BIN_PS + 1 > N)
            $error("%m: %0d taps cannot hold a period of %0d ps at %0d ps per code", N, CLK_PERIOD_PS, NOM_BIN_PS);
    end

    wire [31:0] k = (32'(CLK_PERIOD_PS - 1) - 32'(sim_fine_ps)) / 32'(NOM_BIN_PS) + 1;

    // The thermometer is built only in the cycle of an edge (keeps the cycle-based model fast).
    logic was_high;
    initial was_high = 1'b0;
    always_ff @(posedge clk) begin
        was_high <= in_pulse;
        if (!in_pulse) sample <= '0;
        else if (was_high) sample <= '1;
        else
            for (int c = 0; c < N_CHAINS; c++)
                for (int t = 0; t < TAPS_PER_CHAIN; t++)
                    sample[c * TAPS_PER_CHAIN + t] <= 32'(t * N_CHAINS + c) < k;
    end
endmodule

`resetall
