// SPDX-License-Identifier: BSD-3-Clause
// Port declarations of the Xilinx 7-series primitives the RTL instantiates, for `make lint` only
// (Verilator needs the ports; synthesis and Vivado use the vendor cells). No behaviour here.
/* verilator lint_off UNDRIVEN */
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
/* verilator lint_off DECLFILENAME */
`timescale 1ns / 1ps
module CARRY4 (
    output wire [3:0] CO,
    output wire [3:0] O,
    input  wire       CI,
    input  wire       CYINIT,
    input  wire [3:0] DI,
    input  wire [3:0] S
);
endmodule

module FDRE #(
    parameter [0:0] INIT = 1'b0
) (
    output wire Q,
    input  wire C,
    input  wire CE,
    input  wire R,
    input  wire D
);
endmodule

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
endmodule
/* verilator lint_on DECLFILENAME */
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
/* verilator lint_on UNDRIVEN */
