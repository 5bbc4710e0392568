// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Behavioural stand-ins for the few Xilinx unisim primitives the PYNQ-Z2 board files use
// (IBUF, BUFG, BUFH, BUFGCE, MMCME2_ADV), so that g2l_pynq_clocks.v and g2l_pynq_top.v run in
// Icarus and Verilator (--timing). SIMULATION ONLY: Vivado uses its own cells and never reads
// this file (build.tcl does not add it). Only the ports and parameters the board files use are
// modelled, and only what the tests check:
//   MMCME2_ADV: the input chosen by CLKINSEL (1 = CLKIN1); LOCKED after 8 input periods of equal
//   length with RST low, lost on RST, on a CLKINSEL change and when the input stops (no edge for
//   3 periods); CLKOUTn = input period * DIVCLK_DIVIDE * CLKOUTn_DIVIDE / CLKFBOUT_MULT_F, running
//   only while LOCKED (the real outputs wander before lock; nothing may use them then anyway).
//   BUFGCE: CE taken while I is low, so the output never glitches.
// Not modelled: jitter, phase alignment to the input, dynamic reconfiguration, phase shift.

module IBUF (input wire I, output wire O);
    assign O = I;
endmodule

module BUFG (input wire I, output wire O);
    assign O = I;
endmodule

module BUFH (input wire I, output wire O);
    assign O = I;
endmodule

module BUFGCE (input wire I, input wire CE, output wire O);
    reg en = 1'b0;
    always @(negedge I) en <= CE;
    assign O = I & en;
endmodule

module MMCME2_ADV #(
    parameter BANDWIDTH = "OPTIMIZED",
    parameter real CLKIN1_PERIOD = 10.0,
    parameter real CLKIN2_PERIOD = 0.0,
    parameter integer DIVCLK_DIVIDE = 1,
    parameter real CLKFBOUT_MULT_F = 5.0,
    parameter real CLKOUT0_DIVIDE_F = 1.0,
    parameter integer CLKOUT1_DIVIDE = 1
) (
    input  wire        CLKIN1,
    input  wire        CLKIN2,
    input  wire        CLKINSEL,
    input  wire        CLKFBIN,
    input  wire        RST,
    input  wire        PWRDWN,
    output reg         CLKFBOUT,
    output reg         CLKOUT0,
    output reg         CLKOUT1,
    output reg         LOCKED,
    input  wire [6:0]  DADDR,
    input  wire        DCLK,
    input  wire        DEN,
    input  wire [15:0] DI,
    input  wire        DWE,
    output wire [15:0] DO,
    output wire        DRDY,
    input  wire        PSCLK,
    input  wire        PSEN,
    input  wire        PSINCDEC,
    output wire        PSDONE,
    output wire        CLKINSTOPPED,
    output wire        CLKFBSTOPPED
);
    wire clkin = CLKINSEL ? CLKIN1 : CLKIN2;
    realtime last_edge = 0.0;
    realtime period = 0.0;
    integer  steady = 0;

    initial begin
        LOCKED = 1'b0;
        CLKOUT0 = 1'b0;
        CLKOUT1 = 1'b0;
        CLKFBOUT = 1'b0;
    end

    always @(posedge clkin) begin
        if (RST || PWRDWN) begin
            steady = 0;
            LOCKED = 1'b0;
        end else begin
            if (period > 0.0 && $realtime - last_edge > 0.99 * period && $realtime - last_edge < 1.01 * period)
                steady = steady + 1;
            else
                steady = 0;
            if (last_edge > 0.0) period = $realtime - last_edge;
            if (steady >= 8) LOCKED = 1'b1;
        end
        last_edge = $realtime;
    end

    always @(posedge RST) begin
        steady = 0;
        LOCKED = 1'b0;
    end

    always @(CLKINSEL) begin  // switching inputs without a reset loses lock
        steady = 0;
        LOCKED = 1'b0;
    end

    // the input stopped: no edge for 3 periods
    always begin
        #5.0;
        if (LOCKED && $realtime - last_edge > 3.0 * period) begin
            steady = 0;
            LOCKED = 1'b0;
            period = 0.0;
        end
    end

    always begin
        if (LOCKED) begin
            CLKOUT0 = 1'b1;
            #(period * DIVCLK_DIVIDE * CLKOUT0_DIVIDE_F / CLKFBOUT_MULT_F / 2.0);
            CLKOUT0 = 1'b0;
            #(period * DIVCLK_DIVIDE * CLKOUT0_DIVIDE_F / CLKFBOUT_MULT_F / 2.0);
        end else @(posedge LOCKED);
    end

    always begin
        if (LOCKED) begin
            CLKOUT1 = 1'b1;
            #(period * DIVCLK_DIVIDE * CLKOUT1_DIVIDE / CLKFBOUT_MULT_F / 2.0);
            CLKOUT1 = 1'b0;
            #(period * DIVCLK_DIVIDE * CLKOUT1_DIVIDE / CLKFBOUT_MULT_F / 2.0);
        end else @(posedge LOCKED);
    end

    always begin
        if (LOCKED) begin
            CLKFBOUT = 1'b1;
            #(period * DIVCLK_DIVIDE / 2.0);
            CLKFBOUT = 1'b0;
            #(period * DIVCLK_DIVIDE / 2.0);
        end else @(posedge LOCKED);
    end

    assign DO = 16'd0;
    assign DRDY = 1'b0;
    assign PSDONE = 1'b0;
    assign CLKINSTOPPED = !LOCKED;
    assign CLKFBSTOPPED = 1'b0;
endmodule

`resetall
