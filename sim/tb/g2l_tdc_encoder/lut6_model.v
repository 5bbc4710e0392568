// SPDX-License-Identifier: BSD-3-Clause
// Behaviour of the Xilinx LUT6 primitive (O = INIT[{I5..I0}]) so the testbench can run
// g2l_tdc_encoder with XILINX_LUTS = 1, the netlist synthesis builds.
`timescale 1ns / 1ps
module LUT6 #(
    parameter [63:0] INIT = 64'h0
) (
    output wire O,
    input  wire I0,
    input  wire I1,
    input  wire I2,
    input  wire I3,
    input  wire I4,
    input  wire I5
);
    assign O = INIT[{I5, I4, I3, I2, I1, I0}];
endmodule
