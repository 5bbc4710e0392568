// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Per-channel event and loss counters per integration. Observes the merged tag bus: every tag
// delivered by the merge counts for its channel; a boundary beat latches the counts (COUNT
// registers) and streams a RATES frame (counts + integration length in cycles) followed by a
// LOSSES frame (events lost in that integration, all causes). Also keeps LOST_COUNT totals since
// the last clear. While a frame pair is still streaming, `bnd_ready` is low so the merge holds the
// next boundary instead of overwriting the snapshot.
module g2l_rate_counters #(
    parameter int N_CHANNELS = 9  // channels counted
) (
    input  wire logic                     clk,
    input  wire logic                     rst,          // synchronous, active high
    input  wire logic                     clear,        // zero everything, restart numbering
    input  wire logic                     t_fire,       // a beat transferred on the tag bus
    input  wire logic [5:0]               t_channel,
    input  wire logic                     t_boundary,
    output logic                          bnd_ready,    // a boundary beat may transfer
    input  wire logic                     len_valid,    // the timer closed an integration ...
    input  wire logic [31:0]              len_cycles,   // ... of this many cycles (FIFO order)
    input  wire logic [N_CHANNELS-1:0]    lost_a,       // one event of channel c lost (any cause)
    input  wire logic [N_CHANNELS-1:0]    lost_b,       // another cause, same cycle
    output logic      [N_CHANNELS*32-1:0] count,        // counts of the last finished integration
    output logic      [N_CHANNELS*32-1:0] lost_total,   // lost since clear, saturating
    output logic      [63:0]              m_axis_tdata,
    output logic                          m_axis_tvalid,
    input  wire logic                     m_axis_tready,
    output logic                          m_axis_tlast
);
    // The contract header defines every field; a block uses only some of them.
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tag_word.svh"
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if (N_CHANNELS < 1 || N_CHANNELS > 64) $error("%m: N_CHANNELS must be 1..64");
    end

    localparam int N_WORDS = 2 * N_CHANNELS + 3;  // RATES header+N+len, LOSSES header+N
    localparam int IDX_W = $clog2(N_WORDS + 1);

    logic [31:0] live_count [N_CHANNELS];
    logic [31:0] live_lost [N_CHANNELS];
    logic [31:0] snap_lost [N_CHANNELS];
    logic [31:0] snap_count [N_CHANNELS];
    logic [31:0] snap_len;
    logic [19:0] seq;
    logic [IDX_W-1:0] idx;
    logic busy;

    // Integration lengths from the timer, consumed in order by boundary beats.
    wire len_empty;
    wire len_full_unused;
    wire [2:0] len_cnt_unused;
    wire [31:0] len_head;
    wire bnd_fire = t_fire && t_boundary;
    g2l_fifo #(.WIDTH(32), .DEPTH_LOG2(2)) u_len (
        .clk(clk), .rst(rst || clear), .wr_en(len_valid), .wr_data(len_cycles),
        .rd_en(bnd_fire), .rd_data(len_head), .empty(len_empty), .full(len_full_unused),
        .count(len_cnt_unused)
    );

    assign bnd_ready = !busy;

    for (genvar c = 0; c < N_CHANNELS; c++) begin : g_out
        assign count[c*32 +: 32] = snap_count[c];
    end

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            for (int c = 0; c < N_CHANNELS; c++) begin
                live_count[c] <= '0;
                live_lost[c] <= '0;
                snap_count[c] <= '0;
                snap_lost[c] <= '0;
                lost_total[c*32 +: 32] <= '0;
            end
            snap_len <= '0;
            seq <= '0;
            idx <= '0;
            busy <= 1'b0;
        end else begin
            for (int c = 0; c < N_CHANNELS; c++) begin
                logic [1:0] inc;
                logic [32:0] tot;
                inc = {1'b0, lost_a[c]} + {1'b0, lost_b[c]};
                tot = {1'b0, lost_total[c*32 +: 32]} + {31'd0, inc};
                lost_total[c*32 +: 32] <= tot[32] ? 32'hFFFF_FFFF : tot[31:0];
                if (bnd_fire) begin
                    snap_count[c] <= live_count[c];
                    snap_lost[c] <= live_lost[c];
                    live_count[c] <= '0;
                    live_lost[c] <= {30'd0, inc};
                end else begin
                    // Saturating: an integration ended only by COMMAND.swap can outlast 2**32 events.
                    if (t_fire && t_channel == 6'(c) && live_count[c] != 32'hFFFF_FFFF)
                        live_count[c] <= live_count[c] + 1'b1;
                    live_lost[c] <= ({1'b0, live_lost[c]} + {31'd0, inc}) > 33'hFFFF_FFFF ? 32'hFFFF_FFFF
                                  : live_lost[c] + {30'd0, inc};
                end
            end
            if (bnd_fire) begin
                // A boundary the timer did not time (COMMAND.swap) has no queued length.
                snap_len <= len_empty ? 32'd0 : len_head;
                busy <= 1'b1;
                idx <= '0;
            end else if (busy && m_axis_tready) begin
                if (idx == IDX_W'(N_WORDS - 1)) begin
                    busy <= 1'b0;
                    seq <= seq + 1'b1;
                end
                idx <= idx + 1'b1;
            end
        end
    end

    // Output word for position idx of the RATES + LOSSES frame pair.
    always_comb begin
        m_axis_tdata = '0;
        m_axis_tlast = 1'b0;
        if (idx == '0) begin
            m_axis_tdata = {G2L_KIND_FRAME, G2L_FRAME_RATES, seq, 32'(N_CHANNELS + 1)};
        end else if (idx <= IDX_W'(N_CHANNELS)) begin
            m_axis_tdata = {32'd0, snap_count[32'(idx) - 1]};
        end else if (idx == IDX_W'(N_CHANNELS + 1)) begin
            m_axis_tdata = {32'd0, snap_len};
            m_axis_tlast = 1'b1;
        end else if (idx == IDX_W'(N_CHANNELS + 2)) begin
            m_axis_tdata = {G2L_KIND_FRAME, G2L_FRAME_LOSSES, seq, 32'(N_CHANNELS)};
        end else begin
            m_axis_tdata = {32'd0, snap_lost[32'(idx) - 32'(N_CHANNELS + 3)]};
            m_axis_tlast = idx == IDX_W'(N_WORDS - 1);
        end
    end
    assign m_axis_tvalid = busy;
endmodule

`resetall
