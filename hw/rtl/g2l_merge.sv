`resetall
`timescale 1ns / 1ps
`default_nettype none

// Time-ordered merge of all channels plus integration boundaries (docs/semantics.md "Stream
// order"): output beats are non-decreasing in (time, channel); a boundary at time T comes
// before every tag with time >= T.
//
// Each input has a FIFO. A head is released only when no earlier beat can still arrive: every
// input without a head contributes its watermark (a lower bound on the time of anything it may
// still deliver) to the minimum search, and the minimum must be a real head. Tag watermarks are
// `wm_base_ps + delay_ps[c]`; the boundary watermark is `bnd_wm_ps`. Ties are broken in stream
// order: boundary first, then ascending channel. A full channel FIFO drops the new tag and
// pulses `overflow[c]`, so losses are counted exactly upstream of the binners.
module g2l_merge #(
    parameter int N_CHANNELS = 9,        // tag inputs (channel numbers 0..N_CHANNELS-1)
    parameter int FIFO_DEPTH_LOG2 = 5,   // log2 entries per channel FIFO
    parameter int BND_DEPTH_LOG2 = 2     // log2 entries of the boundary FIFO
) (
    input  wire logic                     clk,
    input  wire logic                     rst,          // synchronous, active high
    input  wire logic                     clear,        // drop everything buffered
    input  wire logic [N_CHANNELS-1:0]    in_valid,     // tag from channel c this cycle
    input  wire logic [N_CHANNELS*64-1:0] in_time,      // its absolute time, ps
    input  wire logic [N_CHANNELS*32-1:0] cfg_delay_ps, // signed per-channel delays (watermarks)
    input  wire logic [63:0]              wm_base_ps,   // no tag not yet pushed has raw time < this
    input  wire logic                     bnd_valid,    // integration boundary request
    input  wire logic [63:0]              bnd_time,     // its time
    output logic                          bnd_full,     // boundary FIFO full: hold the request
    input  wire logic [63:0]              bnd_wm_ps,    // no later boundary has time < this
    output logic      [N_CHANNELS-1:0]    overflow,     // a tag of channel c was dropped
    output logic                          out_valid,
    input  wire logic                     out_ready,
    output logic      [5:0]               out_channel,
    output logic      [63:0]              out_time,
    output logic                          out_boundary
);
    initial begin
        if (N_CHANNELS < 1 || N_CHANNELS > 64) $error("%m: N_CHANNELS must be 1..64");
        if (FIFO_DEPTH_LOG2 < 1) $error("%m: FIFO_DEPTH_LOG2 must be >= 1");
    end

    localparam int N_IN = N_CHANNELS + 1;  // index N_CHANNELS is the boundary input

    logic [N_IN-1:0]    head_valid;
    logic [N_IN*64-1:0] head_time;
    logic [N_IN-1:0]    pop;
    logic [N_IN-1:0]    fifo_full;

    for (genvar c = 0; c < N_CHANNELS; c++) begin : g_ch
        wire e;
        wire [FIFO_DEPTH_LOG2:0] cnt_unused;
        g2l_fifo #(.WIDTH(64), .DEPTH_LOG2(FIFO_DEPTH_LOG2)) u_fifo (
            .clk(clk), .rst(rst || clear),
            .wr_en(in_valid[c]), .wr_data(in_time[c*64 +: 64]),
            .rd_en(pop[c]), .rd_data(head_time[c*64 +: 64]),
            .empty(e), .full(fifo_full[c]), .count(cnt_unused)
        );
        assign head_valid[c] = !e;
    end

    wire bnd_empty;
    wire [BND_DEPTH_LOG2:0] bnd_cnt_unused;
    g2l_fifo #(.WIDTH(64), .DEPTH_LOG2(BND_DEPTH_LOG2)) u_bnd_fifo (
        .clk(clk), .rst(rst || clear),
        .wr_en(bnd_valid), .wr_data(bnd_time),
        .rd_en(pop[N_CHANNELS]), .rd_data(head_time[N_CHANNELS*64 +: 64]),
        .empty(bnd_empty), .full(fifo_full[N_CHANNELS]), .count(bnd_cnt_unused)
    );
    assign head_valid[N_CHANNELS] = !bnd_empty;
    assign bnd_full = fifo_full[N_CHANNELS];

    // Minimum search in stream order: the boundary input first, then channels ascending; a later
    // input wins only when strictly earlier, so ties go to the earlier position.
    logic [63:0] best_key;
    logic [6:0]  best_idx;
    logic        best_real;
    always_comb begin
        best_key = head_valid[N_CHANNELS] ? head_time[N_CHANNELS*64 +: 64] : bnd_wm_ps;
        best_idx = 7'(N_CHANNELS);
        best_real = head_valid[N_CHANNELS];
        for (int c = 0; c < N_CHANNELS; c++) begin
            logic [64:0] wm;
            logic [63:0] key;
            // Watermark saturates at 0 so a negative delay near time 0 cannot wrap around.
            wm = {1'b0, wm_base_ps} + {{33{cfg_delay_ps[c*32+31]}}, cfg_delay_ps[c*32 +: 32]};
            key = head_valid[c] ? head_time[c*64 +: 64] : (cfg_delay_ps[c*32+31] && wm[64]) ? 64'd0 : wm[63:0];
            if (key < best_key) begin
                best_key = key;
                best_idx = 7'(c);
                best_real = head_valid[c];
            end
        end
    end

    wire load = !out_valid || out_ready;
    wire take = load && best_real;

    always_comb begin
        for (int i = 0; i < N_IN; i++) pop[i] = take && best_idx == 7'(i);
    end

    always_ff @(posedge clk) begin
        if (take) begin
            out_time <= best_key;
            out_boundary <= best_idx == 7'(N_CHANNELS);
            out_channel <= best_idx == 7'(N_CHANNELS) ? 6'd0 : best_idx[5:0];
        end
        if (rst || clear) begin
            out_valid <= 1'b0;
            overflow <= '0;
        end else begin
            if (load) out_valid <= best_real;
            overflow <= in_valid & fifo_full[N_CHANNELS-1:0];
        end
    end
endmodule

`resetall
