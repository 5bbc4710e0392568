// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// One slice of the carry-chain delay line (Xilinx 7-series): a CARRY4 in pure propagate mode
// (S = 1111, DI = 0000) whose four carry outputs are the taps, sampled by the four flip-flops of
// the same slice (RLOC X0Y0 on all five cells makes each instance one relatively placed set;
// the carry cascade then stacks the instances of a chain vertically, one slice per CARRY4).
// Taps inside a CARRY4 do not switch in index order (CI->CO3 is the fastest path): the encoder
// counts ones, so the order does not matter.
module g2l_tdc_carry4_cell (
    input  wire logic       clk,
    input  wire logic       ci,      // carry in from the slice below (0 for the first)
    input  wire logic       cyinit,  // the input pulse at the first slice, else 0
    output logic            co3,     // carry out to the slice above
    output logic      [3:0] q        // taps sampled at the rising clock edge
);
    wire [3:0] co;  // carry outputs: the taps
    wire [3:0] o_unused;
    assign co3 = co[3];

    (* DONT_TOUCH = "TRUE", RLOC = "X0Y0", keep *)
    CARRY4 u_carry (.CO(co), .O(o_unused), .CI(ci), .CYINIT(cyinit), .DI(4'b0000), .S(4'b1111));

    (* DONT_TOUCH = "TRUE", RLOC = "X0Y0", BEL = "AFF", keep *)
    FDRE #(.INIT(1'b0)) u_ff0 (.Q(q[0]), .C(clk), .CE(1'b1), .R(1'b0), .D(co[0]));
    (* DONT_TOUCH = "TRUE", RLOC = "X0Y0", BEL = "BFF", keep *)
    FDRE #(.INIT(1'b0)) u_ff1 (.Q(q[1]), .C(clk), .CE(1'b1), .R(1'b0), .D(co[1]));
    (* DONT_TOUCH = "TRUE", RLOC = "X0Y0", BEL = "CFF", keep *)
    FDRE #(.INIT(1'b0)) u_ff2 (.Q(q[2]), .C(clk), .CE(1'b1), .R(1'b0), .D(co[2]));
    (* DONT_TOUCH = "TRUE", RLOC = "X0Y0", BEL = "DFF", keep *)
    FDRE #(.INIT(1'b0)) u_ff3 (.Q(q[3]), .C(clk), .CE(1'b1), .R(1'b0), .D(co[3]));

    wire unused_ok = &{1'b0, o_unused};
endmodule

`resetall
