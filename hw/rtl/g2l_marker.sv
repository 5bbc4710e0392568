// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Marker inputs (docs/hardware.md "Marker inputs"): external frame / line / power-step signals.
// Each input is synchronised (two flip-flops), its rising edge detected, and the edge time-stamped
// at the coarse clock: the start of the clock cycle it was first sampled in (one period of
// resolution, plus at most one period of synchroniser uncertainty on hardware; markers mark
// frames and steps, not photons, so no TDC is spent on them). An enabled edge while `run` gives a
// one-clock `tag_valid[m]` three clocks after its cycle (sync1, sync2 + edge, output register;
// MARKER_SIZES.latency); the top feeds it to the time-ordered
// merge as channel G2L_MARKER_CHANNEL + m, where it is buffered, ordered and loss-counted like a
// channel's tag. COMMAND.clear (and reset) forget a line that is high, so only an edge after it
// counts; a line must be low for a clock between two edges.
module g2l_marker #(
    parameter int N_MARKERS = 2  // marker inputs (1..15)
) (
    input  wire logic                    clk,
    input  wire logic                    rst,         // synchronous, active high
    input  wire logic                    clear,       // COMMAND.clear: the time base restarts
    input  wire logic                    run,         // CONTROL.run
    input  wire logic [N_MARKERS-1:0]    cfg_enable,  // MARKER_ENABLE
    input  wire logic [N_MARKERS-1:0]    in_marker,   // asynchronous marker lines
    input  wire logic [63:0]             time_ps,     // time base: start of this clock cycle
    output logic      [N_MARKERS-1:0]    tag_valid,   // marker m rose (one clock)
    output logic      [N_MARKERS*64-1:0] tag_time     // its coarse time, ps
);
    initial begin
        if (N_MARKERS < 1 || N_MARKERS > 15) $error("%m: N_MARKERS must be 1..15 (MARKER_SIZES.n_markers)");
    end

    (* ASYNC_REG = "TRUE" *) logic [N_MARKERS-1:0] sync1, sync2;
    logic [N_MARKERS-1:0] prev;
    logic [63:0]          t1, t2;  // time of the cycle each stage's sample was taken in

    wire [N_MARKERS-1:0] rise = sync2 & ~prev & cfg_enable & {N_MARKERS{run}};

    always_ff @(posedge clk) begin
        sync1 <= in_marker;
        sync2 <= sync1;
        prev <= sync2;
        t1 <= time_ps;
        t2 <= t1;
        tag_valid <= rise;
        for (int m = 0; m < N_MARKERS; m++) tag_time[m*64 +: 64] <= t2;
        if (rst || clear) begin
            // a line high across the clear is not an edge after it; the stamps of the old time
            // base are never used (sync2 and prev start high)
            sync2 <= '1;
            prev <= '1;
            tag_valid <= '0;
        end
    end
endmodule

`resetall
