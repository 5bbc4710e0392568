`resetall
`timescale 1ns / 1ps
`default_nettype none

// DMA packetiser for the tag-word stream (docs/tag_word.md): passes every word through unchanged
// and in order, drops the upstream tlast and raises tlast only where the host wants a DMA
// transfer to end. The rule (the Python twin is g2live.device.packets.packet_ends):
//
//   a word ends a packet  iff  it ends a record  and  (it is word N of the packet or later,
//                                                     or T == 0,
//                                                     or the packet has been open >= T clocks)
//
// with N = cfg_packet_words and T = cfg_timeout_cycles. Records come from the word kinds: a FRAME
// header and its `length` payload words are one record, HERALD and the HERALD_DELAYS after it are
// one record, every other word is a record of its own. So frames and herald pairs are never
// split, a packet holds at most N - 1 + (largest record) words, and T = 0 gives one packet per
// record. "Open for T clocks" is counted from the cycle the packet's first word was taken in to
// the cycle its last word is first offered on m_axis.
//
// One hold register: a word that ends a record is offered only once the next word is there
// (then it goes on without tlast unless the packet is due) or the packet is due; otherwise it
// waits in the register, so an idle stream closes its packet T clocks after it opened. Latency
// one clock; one word per clock sustained. Back-pressure passes straight upstream: the core
// counts what it cannot deliver as LOST, this block never drops a word.
module g2l_axis_packetizer #(
    parameter int DATA_W = 64  // tag words
) (
    input  wire logic              clk,
    input  wire logic              rst,                // synchronous, active high
    input  wire logic              clear,              // drop the held word, start a new packet

    input  wire logic [31:0]       cfg_packet_words,   // N (0 behaves as 1)
    input  wire logic [31:0]       cfg_timeout_cycles, // T (0 = close at every record end)

    input  wire logic [DATA_W-1:0] s_axis_tdata,
    input  wire logic              s_axis_tvalid,
    output logic                   s_axis_tready,

    output logic      [DATA_W-1:0] m_axis_tdata,
    output logic                   m_axis_tvalid,
    input  wire logic              m_axis_tready,
    output logic                   m_axis_tlast
);
    // The contract header defines every field; a block uses only some of them.
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tag_word.svh"
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if (DATA_W != G2L_WORD_BITS) $error("%m: DATA_W must be the tag-word width %0d", G2L_WORD_BITS);
    end

    // ---- record parser on the input side ------------------------------------------------------
    logic [31:0] frame_left;   // payload words of the current frame still to come
    logic        herald_open;  // the previous word was a HERALD: this one closes the pair
    wire [G2L_KIND_WIDTH-1:0] in_kind = s_axis_tdata[G2L_KIND_LSB +: G2L_KIND_WIDTH];
    wire [31:0] in_frame_len = s_axis_tdata[G2L_FRAME_LENGTH_LSB +: 32];
    logic in_end;              // the input word ends a record
    always_comb begin
        if (frame_left != 0) in_end = frame_left == 32'd1;
        else if (herald_open) in_end = 1'b1;
        else if (in_kind == G2L_KIND_FRAME) in_end = in_frame_len == 32'd0;
        else in_end = in_kind != G2L_KIND_HERALD;
    end

    // ---- hold register and packet state ------------------------------------------------------------
    logic        h_valid;      // a word is held
    logic        h_end;        // it ends a record
    logic [31:0] h_count;      // its position in the packet (1 = first), saturating
    logic [31:0] age;          // clocks since the packet's first word was taken in, saturating
    logic        offered;      // the held word was offered last cycle and not taken: keep tlast
    logic        last_q;       // the tlast it was offered with

    wire due = h_end && (h_count >= cfg_packet_words || age >= cfg_timeout_cycles);
    assign m_axis_tlast = offered ? last_q : due;
    assign m_axis_tvalid = h_valid && (offered || s_axis_tvalid || due);
    wire out_go = m_axis_tvalid && m_axis_tready;
    assign s_axis_tready = !h_valid || out_go;
    wire in_go = s_axis_tvalid && s_axis_tready;
    // The word taken in now starts a new packet unless the held one goes on without tlast.
    wire new_packet = !h_valid || m_axis_tlast;

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            frame_left <= '0;
            herald_open <= 1'b0;
            h_valid <= 1'b0;
            h_end <= 1'b0;
            h_count <= '0;
            age <= '0;
            offered <= 1'b0;
            last_q <= 1'b0;
            m_axis_tdata <= '0;
        end else begin
            if (in_go) begin
                if (frame_left != 0) frame_left <= frame_left - 1'b1;
                else if (herald_open) herald_open <= 1'b0;
                else if (in_kind == G2L_KIND_FRAME) frame_left <= in_frame_len;
                else herald_open <= in_kind == G2L_KIND_HERALD;
            end

            offered <= m_axis_tvalid && !m_axis_tready;
            if (m_axis_tvalid && !m_axis_tready) last_q <= m_axis_tlast;

            if (in_go) begin
                h_valid <= 1'b1;
                h_end <= in_end;
                m_axis_tdata <= s_axis_tdata;
                if (new_packet) begin
                    h_count <= 32'd1;
                    age <= 32'd1;
                end else begin
                    if (h_count != '1) h_count <= h_count + 1'b1;
                    if (age != '1) age <= age + 1'b1;
                end
            end else begin
                if (out_go) h_valid <= 1'b0;
                if (age != '1) age <= age + 1'b1;
            end
        end
    end
endmodule

`resetall
