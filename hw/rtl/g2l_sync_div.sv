// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Sync prescaler (like PicoQuant's SyncDiv) in front of the sync input's TDC: passes every
// 2**cfg_log2-th rising edge of the laser sync line. The carry-chain TDC (g2l_tdc) needs its input
// high for more than a clock and low for more than the line's delay plus a clock (about 20 ns at
// 125 MHz): an 80 MHz laser enters divided by 4 or more (25 ns low), and the pulsed block
// reconstructs the periods in between (docs/semantics.md "Sync prescaler").
//
// The counter is clocked by the sync line itself (an asynchronous ripple prescaler, no sampling),
// so no edge is missed whatever the clock. Its output is a register of that domain: a clean
// square wave whose rising edge follows laser edges 1, 1 + D, 1 + 2D, ... after the reset by a
// fixed clock-to-out delay (calibrated away with DELAY_PS like any cable), high for D/2 and low
// for D/2 laser periods, so the TDC sees it low and high for at least one period each.
// cfg_log2 = 0 passes the line straight through. `arst` (a register of the core clock, e.g.
// reset or COMMAND.clear) restarts the count; on hardware its release is asynchronous to the
// laser, so which edge is first after a clear is not defined (any is a laser edge); in simulation
// it is the first edge after the release.
module g2l_sync_div #(
    parameter int MAX_LOG2 = 4  // largest divider 2**MAX_LOG2
) (
    input  wire logic       in_async,   // laser sync line
    input  wire logic       arst,       // asynchronous reset of the count, active high (glitch-free)
    input  wire logic [2:0] cfg_log2,   // divide by 2**min(cfg_log2, MAX_LOG2); quasi-static
    output logic            out_async   // to the TDC
);
    initial begin
        if (MAX_LOG2 < 1 || MAX_LOG2 > 7) $error("%m: MAX_LOG2 must be 1..7");
    end

    wire [2:0] lg = cfg_log2 > 3'(MAX_LOG2) ? 3'(MAX_LOG2) : cfg_log2;
    logic [MAX_LOG2-1:0] cnt;   // counts down; a wrap starts the high half
    logic q;
    wire [MAX_LOG2-1:0] top_val = MAX_LOG2'((1 << lg) - 1);        // D - 1
    wire [MAX_LOG2-1:0] half = MAX_LOG2'((1 << lg) >> 1);          // D / 2
    wire [MAX_LOG2-1:0] nxt = cnt == '0 ? top_val : cnt - 1'b1;

    always_ff @(posedge in_async or posedge arst) begin
        if (arst) begin
            cnt <= '0;
            q <= 1'b0;
        end else begin
            cnt <= nxt;
            q <= nxt >= half;
        end
    end

    assign out_async = lg == 3'd0 ? in_async : q;
endmodule

`resetall
