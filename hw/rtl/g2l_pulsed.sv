`resetall
`timescale 1ns / 1ps
`default_nettype none

// Pulsed mode against the laser sync, exactly as docs/semantics.md "Pulsed mode against the
// sync" and its C twin g2live.core.PulsedCounter: per-period photon counting, the photon-number
// histogram (bin MAX_PHOTONS = that many or more) dumped as a FRAME PHOTON_NUMBER at every
// integration boundary (a period belongs to the integration in which it is closed), and a
// heralded record (HERALD + HERALD_DELAYS, tlast on the second word) for every closed period with
// two or more photons, streamed as it closes. Every non-sync tag is a photon (disabled channels
// never reach this block: the front-end drops them).
//
// Photons at the latest time are held ("pending") until the time moves on, because a sync at the
// same time, later in stream order (higher channel), claims them for the period it starts.
//
// One tag per clock; s_tag_ready only drops while the herald FIFO is full (m_axis back-pressure)
// or when a boundary arrives before the previous frame has left. Nothing is ever dropped.
// Configuration is taken at reset, clear and each boundary, and follows the inputs while the
// integration has seen no tag yet; taking a different configuration restarts the period
// numbering and drops the open period, like a new PulsedCounter.
module g2l_pulsed #(
    parameter int N_CHANNELS = 64,       // input channels; a sync channel >= this is a cfg_error
    parameter int MAX_PHOTONS = 15,      // last bin of the photon-number histogram (1..63, SIZES)
    parameter int COUNT_W = 48,          // bits per photon-number counter (saturating; 2**48 periods
                                         // is 40 days at 80 MHz, so one integration cannot fill it)
    parameter int HERALD_FIFO_LOG2 = 4   // log2 of the heralded records buffered under back-pressure
) (
    input  wire logic        clk,
    input  wire logic        rst,
    input  wire logic        clear,           // 1-cycle pulse: restart numbering, empty the filling bank

    input  wire logic        s_tag_valid,
    output logic             s_tag_ready,
    input  wire logic [5:0]  s_tag_channel,
    input  wire logic [63:0] s_tag_time,
    input  wire logic        s_tag_boundary,

    input  wire logic        cfg_enable,      // CONTROL.pulsed_enable
    input  wire logic [5:0]  cfg_sync_channel,
    input  wire logic [31:0] cfg_window_ps,   // 0 = whole period

    output logic [63:0]      m_axis_tdata,
    output logic             m_axis_tvalid,
    input  wire logic        m_axis_tready,
    output logic             m_axis_tlast,

    output logic             dumping,         // a finished photon-number histogram is being sent
    output logic [31:0]      lost_count,      // always 0: this block back-pressures, never drops
    output logic             cfg_error,       // the sync channel is not an input channel
    output logic [31:0]      pre_sync_count,  // photons before the first sync, since clear
    output logic [31:0]      out_of_window_count, // photons later than cfg_window_ps after their sync
    output logic [31:0]      clip_count       // heralded delays >= 2**30 ps sent as 2**30 - 1
);
    // The contract header defines every field; a block uses only some of them.
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tag_word.svh"
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if (N_CHANNELS < 1 || N_CHANNELS > 64) $error("%m: N_CHANNELS must be 1..64");
        if (MAX_PHOTONS < 1 || MAX_PHOTONS > 63) $error("%m: MAX_PHOTONS must be 1..63");
        if (COUNT_W < 2 || COUNT_W > 64) $error("%m: COUNT_W must be 2..64");
        if (HERALD_FIFO_LOG2 < 1 || HERALD_FIFO_LOG2 > 10) $error("%m: HERALD_FIFO_LOG2 must be 1..10");
    end

    localparam int NB = MAX_PHOTONS + 1;   // photon-number bins
    localparam int BW = $clog2(NB);        // bits of a bin index
    localparam int DW = G2L_HERALD_DELAYS_DELAY_FIRST_PS_WIDTH;
    localparam logic [63:0] DMAX = 64'((64'd1 << DW) - 1);

    // ---- configuration ---------------------------------------------------------------------
    logic l_enable;
    logic [5:0] l_sync;
    logic [31:0] l_window;
    logic fresh;   // no tag taken since the configuration was last taken
    wire c_ok = 32'(cfg_sync_channel) < N_CHANNELS;
    wire changed = {cfg_enable && c_ok, cfg_sync_channel, cfg_window_ps} != {l_enable, l_sync, l_window};

    // ---- period state (names follow cext/src/g2l_pulsed.c) -----------------------------------
    logic open_q;
    logic [47:0] n_syncs;         // index of the next period
    logic [47:0] period;          // index of the open period
    logic [63:0] t_sync;
    logic [15:0] cur_n;           // photons of the open period (saturating)
    logic [5:0] cur_ch0, cur_ch1;
    logic [63:0] cur_d0, cur_d1;  // their delays after the sync
    logic [15:0] pend_n;          // photons held at time t_pend
    logic [5:0] pend_ch0, pend_ch1;
    logic [63:0] t_pend;

    // ---- handshake ------------------------------------------------------------------------------
    logic h_full, h_empty;
    logic frame_pend;
    assign s_tag_ready = !rst && !clear && !h_full && !(s_tag_boundary && frame_pend);
    wire fire = s_tag_valid && s_tag_ready;
    wire tag = fire && !s_tag_boundary && l_enable;
    wire bnd = fire && s_tag_boundary;
    wire is_sync = s_tag_channel == l_sync;

    function automatic logic [15:0] sat16(input logic [16:0] x);
        sat16 = x[16] ? 16'hFFFF : x[15:0];
    endfunction

    // step 1: the time moved on, so no sync can claim the held photons any more
    wire commit = tag && pend_n != 0 && s_tag_time != t_pend;
    wire [63:0] pend_delay = t_pend - t_sync;
    wire late = l_window != 0 && pend_delay >= 64'(l_window);
    wire to_pre = commit && !open_q;
    wire to_oow = commit && open_q && late;
    wire to_cur = commit && open_q && !late;

    // the open period after step 1
    logic [15:0] m_n;
    logic [5:0] m_ch0, m_ch1;
    logic [63:0] m_d0, m_d1;
    always_comb begin
        m_n = cur_n;
        m_ch0 = cur_ch0;
        m_ch1 = cur_ch1;
        m_d0 = cur_d0;
        m_d1 = cur_d1;
        if (to_cur) begin
            if (cur_n == 0) begin
                m_ch0 = pend_ch0;
                m_d0 = pend_delay;
                m_ch1 = pend_ch1;   // meaningful only if pend_n >= 2
                m_d1 = pend_delay;
            end else if (cur_n == 1) begin
                m_ch1 = pend_ch0;
                m_d1 = pend_delay;
            end
            m_n = sat16(17'(cur_n) + 17'(pend_n));
        end
    end
    wire [15:0] p_n = commit ? 16'd0 : pend_n;   // photons still held after step 1

    // step 2: a sync closes the open period and opens the next one
    wire close = tag && is_sync && open_q;
    wire herald = close && m_n >= 2;
    wire [BW-1:0] pn_bin = m_n >= 16'(MAX_PHOTONS) ? BW'(MAX_PHOTONS) : BW'(m_n);
    wire clip0 = m_d0 > DMAX;
    wire clip1 = m_d1 > DMAX;
    wire [DW-1:0] h_d0 = clip0 ? DW'(DMAX) : DW'(m_d0);
    wire [DW-1:0] h_d1 = clip1 ? DW'(DMAX) : DW'(m_d1);
    wire [63:0] h_word0 = (64'(G2L_KIND_HERALD) << G2L_KIND_LSB)
                        | (64'(m_ch0) << G2L_HERALD_CHANNEL_FIRST_LSB)
                        | (64'(m_ch1) << G2L_HERALD_CHANNEL_SECOND_LSB)
                        | (64'(period) << G2L_HERALD_PERIOD_LSB);
    wire [63:0] h_word1 = (64'(G2L_KIND_HERALD_DELAYS) << G2L_KIND_LSB)
                        | (64'(h_d0) << G2L_HERALD_DELAYS_DELAY_FIRST_PS_LSB)
                        | (64'(h_d1) << G2L_HERALD_DELAYS_DELAY_SECOND_PS_LSB);

    // ---- photon-number histogram: two banks of registers --------------------------------------
    logic bank;
    logic [COUNT_W-1:0] pn_hist [2][NB];
    logic [19:0] seq;        // integration number since clear (FRAME index)
    logic [19:0] f_seq;
    logic [$clog2(NB+1)-1:0] f_idx;   // 0 = header, i = bin i - 1
    localparam logic [1:0] O_IDLE = 2'd0, O_HER0 = 2'd1, O_HER1 = 2'd2, O_FRAME = 2'd3;
    logic [1:0] o_state;
    wire o_fire = m_axis_tvalid && m_axis_tready;
    wire f_bin_fire = o_fire && o_state == O_FRAME && f_idx != 0;
    wire [BW-1:0] f_bin = BW'(f_idx - 1'b1);
    wire relatch = bnd || (fresh && !tag && !clear && changed);
    wire restart = clear || (relatch && changed);

    always_ff @(posedge clk) begin
        if (close && !(&pn_hist[bank][pn_bin])) pn_hist[bank][pn_bin] <= pn_hist[bank][pn_bin] + 1'b1;
        if (f_bin_fire) pn_hist[!bank][f_bin] <= '0;
        if (clear) for (int i = 0; i < NB; i++) pn_hist[bank][i] <= '0;
        if (rst) begin
            for (int i = 0; i < NB; i++) begin
                pn_hist[0][i] <= '0;
                pn_hist[1][i] <= '0;
            end
        end
    end

    // ---- period state update -------------------------------------------------------------------
    function automatic logic [31:0] sat32(input logic [31:0] acc, input logic [15:0] n);
        logic [32:0] s;
        s = 33'(acc) + 33'(n);
        sat32 = s[32] ? 32'hFFFF_FFFF : s[31:0];
    endfunction

    always_ff @(posedge clk) begin
        if (to_pre) pre_sync_count <= sat32(pre_sync_count, pend_n);
        if (to_oow) out_of_window_count <= sat32(out_of_window_count, pend_n);
        if (herald) clip_count <= sat32(clip_count, 16'(clip0) + 16'(clip1));
        if (tag) begin
            if (is_sync) begin
                open_q <= 1'b1;
                period <= n_syncs;
                n_syncs <= n_syncs + 1'b1;
                t_sync <= s_tag_time;
                // photons held at exactly this sync time belong to the new period (delay 0)
                cur_n <= p_n;
                cur_ch0 <= pend_ch0;
                cur_ch1 <= pend_ch1;
                cur_d0 <= '0;
                cur_d1 <= '0;
                pend_n <= '0;
            end else begin
                cur_n <= m_n;
                cur_ch0 <= m_ch0;
                cur_ch1 <= m_ch1;
                cur_d0 <= m_d0;
                cur_d1 <= m_d1;
                if (p_n == 0) pend_ch0 <= s_tag_channel;
                if (p_n == 1) pend_ch1 <= s_tag_channel;
                pend_n <= sat16(17'(p_n) + 17'd1);
                t_pend <= s_tag_time;
            end
        end
        if (tag) fresh <= 1'b0;
        if (relatch) begin
            fresh <= 1'b1;
            l_enable <= cfg_enable && c_ok;
            l_sync <= cfg_sync_channel;
            l_window <= cfg_window_ps;
            cfg_error <= !c_ok;
        end
        if (bnd) begin
            bank <= !bank;
            seq <= seq + 1'b1;
            f_seq <= seq;
            frame_pend <= l_enable;
        end
        if (o_state == O_FRAME && o_fire && 32'(f_idx) == NB) frame_pend <= 1'b0;
        if (rst || restart) begin
            open_q <= 1'b0;
            n_syncs <= '0;
            period <= '0;
            cur_n <= '0;
            pend_n <= '0;
        end
        if (rst || clear) begin
            seq <= '0;
            pre_sync_count <= '0;
            out_of_window_count <= '0;
            clip_count <= '0;
        end
        if (rst) begin
            bank <= 1'b0;
            frame_pend <= 1'b0;
            fresh <= 1'b1;
            l_enable <= 1'b0;
            l_sync <= '0;
            l_window <= '0;
            cfg_error <= 1'b0;
        end
    end

    // ---- output: heralded records and frames, never interleaved ---------------------------------
    logic [127:0] h_head;
    logic [HERALD_FIFO_LOG2:0] h_count;
    wire h_pop = o_state == O_HER1 && o_fire;

    g2l_fifo #(
        .WIDTH(128),
        .DEPTH_LOG2(HERALD_FIFO_LOG2)
    ) u_heralds (
        .clk(clk),
        .rst(rst),
        .wr_en(herald),
        .wr_data({h_word0, h_word1}),
        .rd_en(h_pop),
        .rd_data(h_head),
        .empty(h_empty),
        .full(h_full),
        .count(h_count)
    );

    always_ff @(posedge clk) begin
        case (o_state)
            // a pending frame goes first: it is bounded, while heralds wait in their FIFO
            O_IDLE: begin
                if (frame_pend) begin
                    o_state <= O_FRAME;
                    f_idx <= '0;
                end else if (!h_empty) o_state <= O_HER0;
            end
            O_HER0: if (o_fire) o_state <= O_HER1;
            // back to back while more records wait: one word per clock
            O_HER1: if (o_fire) o_state <= (!frame_pend && h_count > 1) ? O_HER0 : O_IDLE;
            default: begin
                if (o_fire) begin
                    f_idx <= f_idx + 1'b1;
                    if (32'(f_idx) == NB) o_state <= O_IDLE;
                end
            end
        endcase
        if (rst) o_state <= O_IDLE;
    end

    wire [63:0] f_header = (64'(G2L_KIND_FRAME) << G2L_KIND_LSB)
                         | (64'(G2L_FRAME_PHOTON_NUMBER) << G2L_FRAME_FRAME_KIND_LSB)
                         | (64'(f_seq) << G2L_FRAME_INDEX_LSB)
                         | (64'(NB) << G2L_FRAME_LENGTH_LSB);

    always_comb begin
        m_axis_tvalid = o_state != O_IDLE;
        m_axis_tlast = 1'b0;
        case (o_state)
            O_HER0: m_axis_tdata = h_head[127:64];
            O_HER1: begin
                m_axis_tdata = h_head[63:0];
                m_axis_tlast = 1'b1;
            end
            O_FRAME: begin
                m_axis_tdata = f_idx == 0 ? f_header : 64'(pn_hist[!bank][f_bin]);
                m_axis_tlast = 32'(f_idx) == NB;
            end
            default: m_axis_tdata = '0;
        endcase
    end

    assign dumping = frame_pend;
    assign lost_count = '0;
endmodule

`resetall
