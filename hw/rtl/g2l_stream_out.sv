// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Stream framer/arbiter: one 64-bit AXI4-Stream master carrying
//  - raw TAG words (from the raw tag FIFO), each epoch announced by a ROLLOVER word before its
//    first TAG, and once after every clear (so a decoder never assumes epoch 0); a raw entry of
//    channel G2L_MARKER_CHANNEL + m is marker input m and leaves as a MARKER word;
//  - LOST words: exact per-(channel, cause) counts of events lost since the previous LOST word
//    for that pair, accumulated from one-cycle loss pulses (marker m: channel G2L_MARKER_CHANNEL + m);
//  - frames from N_SRC frame sources (histograms, photon-number/herald records, rates/losses),
//    forwarded whole: arbitration switches only after a source's tlast.
// Round-robin among raw, lost and each frame source, one word per clock. Raw words end a packet
// (tlast) when the raw FIFO runs empty, so a DMA transfer never waits for more tags.
module g2l_stream_out #(
    parameter int N_CHANNELS = 9,  // channels with LOST counters
    parameter int N_MARKERS = 0,   // marker inputs with LOST counters (after the channels)
    parameter int N_IN = N_CHANNELS + N_MARKERS,  // loss inputs: channels, then markers (derived)
    parameter int N_SRC = 3        // frame sources
) (
    input  wire logic                  clk,
    input  wire logic                  rst,        // synchronous, active high
    input  wire logic                  clear,      // re-announce the epoch, zero pending losses
    // raw tags, first-word-fall-through
    input  wire logic                  raw_valid,
    output logic                       raw_ready,
    input  wire logic [5:0]            raw_channel,
    input  wire logic [63:0]           raw_time,
    input  wire logic                  raw_last,   // this is the last raw tag buffered right now
    // loss pulses per cause (docs/tag_word.md LOST.cause)
    input  wire logic [N_IN-1:0]       lost_c0,    // stream FIFO overflow
    input  wire logic [N_IN-1:0]       lost_c1,    // binning back-pressure
    input  wire logic [N_IN-1:0]       lost_c2,    // merge overflow
    // frame sources
    input  wire logic [N_SRC*64-1:0]   s_frame_tdata,
    input  wire logic [N_SRC-1:0]      s_frame_tvalid,
    output logic      [N_SRC-1:0]      s_frame_tready,
    input  wire logic [N_SRC-1:0]      s_frame_tlast,
    // output
    output logic      [63:0]           m_axis_tdata,
    output logic                       m_axis_tvalid,
    input  wire logic                  m_axis_tready,
    output logic                       m_axis_tlast
);
    // The contract header defines every field; a block uses only some of them.
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tag_word.svh"
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if (N_CHANNELS < 1 || N_CHANNELS > 64) $error("%m: N_CHANNELS must be 1..64");
        if (N_MARKERS < 0 || N_MARKERS > 15) $error("%m: N_MARKERS must be 0..15");
        if (N_MARKERS > 0 && N_CHANNELS > G2L_MARKER_CHANNEL) $error("%m: with markers, N_CHANNELS <= G2L_MARKER_CHANNEL");
        if (N_IN != N_CHANNELS + N_MARKERS) $error("%m: N_IN is derived: leave it at its default");
        if (N_SRC < 1 || N_SRC > 8) $error("%m: N_SRC must be 1..8");
    end

    localparam int N_ARB = N_SRC + 2;       // 0 = raw, 1 = lost, 2.. = frame sources
    localparam int N_LOST = 3 * N_IN;       // pending counters, index cause * N_IN + input
    localparam int ARB_W = $clog2(N_ARB);
    localparam int LOST_W = $clog2(N_LOST + 1);

    // ---- pending loss counters -----------------------------------------------------------
    logic [31:0] pending [N_LOST];
    wire [N_LOST-1:0] inc = {lost_c2, lost_c1, lost_c0};
    // The counter to send next: the first non-zero one, chosen from registered counts into a
    // register (a 3*N_CHANNELS-way priority search would not fit the clock in front of the
    // output mux). The choice is one clock old: after a LOST word the next one waits a clock
    // (lost_cool), so the choice has seen the sent counter restart and its count is non-zero.
    // The chosen counter's channel and cause are registered with it: constants of the loop index,
    // so no division sits between the choice and the output word.
    logic [LOST_W-1:0] lost_sel;
    logic              lost_any, lost_cool;
    logic [5:0]        lost_channel, lost_cause;
    always_ff @(posedge clk) begin
        lost_sel <= '0;
        lost_any <= 1'b0;
        lost_channel <= '0;
        lost_cause <= '0;
        for (int i = N_LOST - 1; i >= 0; i--) begin
            if (pending[i] != 0) begin
                lost_sel <= LOST_W'(i);
                lost_any <= 1'b1;
                lost_channel <= (i % N_IN) < N_CHANNELS ? 6'(i % N_IN)
                                : 6'(G2L_MARKER_CHANNEL + (i % N_IN) - N_CHANNELS);
                lost_cause <= 6'(i / N_IN);
            end
        end
        if (rst || clear) lost_any <= 1'b0;
    end

    // ---- arbitration ----------------------------------------------------------------------
    // LOST words wait while raw tags flow, at most LOST_GAP words: under overload they would
    // otherwise take half of the output (the counts stay exact while they wait).
    localparam int LOST_GAP = 63;
    logic [5:0] since_lost;
    logic [N_ARB-1:0] avail;
    assign avail = {s_frame_tvalid, lost_any && !lost_cool && (!raw_valid || since_lost == 6'(LOST_GAP)), raw_valid};

    logic             locked;     // inside a frame of source `lock_src`
    logic [ARB_W-1:0] lock_src;
    logic [ARB_W-1:0] rr;         // round-robin start
    logic [15:0]      epoch;      // epoch of the last ROLLOVER word
    logic             announced;  // a ROLLOVER was sent since clear

    wire load = !m_axis_tvalid || m_axis_tready;

    logic             grant_any;
    logic [ARB_W-1:0] grant;
    logic [ARB_W-1:0] cand;
    always_comb begin
        grant_any = 1'b0;
        grant = '0;
        cand = '0;
        if (locked) begin
            grant_any = avail[lock_src];
            grant = lock_src;
        end else begin
            // rr + k modulo N_ARB by one conditional subtract (rr < N_ARB, k < N_ARB): a
            // 32-bit modulo per candidate was hundreds of carry chains
            for (int k = N_ARB - 1; k >= 0; k--) begin
                cand = 32'(rr) + 32'(k) >= N_ARB ? ARB_W'(32'(rr) + 32'(k) - N_ARB) : ARB_W'(32'(rr) + 32'(k));
                if (avail[cand]) begin
                    grant_any = 1'b1;
                    grant = cand;
                end
            end
        end
    end

    wire need_roll = !announced || raw_time[63:48] != epoch;
    wire go = load && grant_any;

    always_comb begin
        raw_ready = go && grant == '0 && !need_roll;
        s_frame_tready = '0;
        for (int s = 0; s < N_SRC; s++)
            if (go && grant == ARB_W'(s + 2)) s_frame_tready[s] = 1'b1;
    end

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            m_axis_tvalid <= 1'b0;
            m_axis_tdata <= '0;
            m_axis_tlast <= 1'b0;
            locked <= 1'b0;
            lock_src <= '0;
            rr <= '0;
            since_lost <= '0;
            lost_cool <= 1'b0;
            epoch <= '0;
            announced <= 1'b0;
            for (int i = 0; i < N_LOST; i++) pending[i] <= '0;
        end else begin
            for (int i = 0; i < N_LOST; i++) begin
                if (go && grant == ARB_W'(1) && lost_sel == LOST_W'(i)) pending[i] <= {31'd0, inc[i]};
                else if (inc[i] && pending[i] != 32'hFFFF_FFFF) pending[i] <= pending[i] + 1'b1;
            end
            lost_cool <= go && grant == ARB_W'(1);
            if (load) m_axis_tvalid <= grant_any;
            if (go) begin
                rr <= (grant == ARB_W'(N_ARB - 1)) ? '0 : grant + 1'b1;
                if (grant == ARB_W'(1)) since_lost <= '0;
                else if (since_lost != 6'(LOST_GAP)) since_lost <= since_lost + 1'b1;
                if (grant == '0) begin
                    if (need_roll) begin
                        m_axis_tdata <= {G2L_KIND_ROLLOVER, 12'd0, 32'd0, raw_time[63:48]};
                        m_axis_tlast <= 1'b0;
                        epoch <= raw_time[63:48];
                        announced <= 1'b1;
                    end else begin
                        m_axis_tdata <= raw_channel >= 6'(G2L_MARKER_CHANNEL)
                            ? {G2L_KIND_MARKER, raw_channel - 6'(G2L_MARKER_CHANNEL), 6'd0, raw_time[47:0]}
                            : {G2L_KIND_TAG, raw_channel, 6'd0, raw_time[47:0]};
                        m_axis_tlast <= raw_last;
                    end
                end else if (grant == ARB_W'(1)) begin
                    m_axis_tdata <= {G2L_KIND_LOST, lost_channel, lost_cause, 16'd0, pending[lost_sel]};
                    m_axis_tlast <= 1'b1;
                end else begin
                    for (int f = 0; f < N_SRC; f++) begin
                        if (grant == ARB_W'(f + 2)) begin
                            m_axis_tdata <= s_frame_tdata[f * 64 +: 64];
                            m_axis_tlast <= s_frame_tlast[f];
                            locked <= !s_frame_tlast[f];
                        end
                    end
                    lock_src <= grant;
                end
            end
        end
    end
endmodule

`resetall
