// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Pulsed mode against the laser sync, exactly as docs/semantics.md "Pulsed mode against the
// sync" and "Sync prescaler" and its C twin g2live.core.PulsedCounter: per-period photon counting,
// the photon-number histogram (bin MAX_PHOTONS = that many or more) dumped as a FRAME
// PHOTON_NUMBER at every integration boundary (a period belongs to the integration in which it is
// closed), and a heralded record (HERALD + HERALD_DELAYS, tlast on the second word) for every
// closed period with two or more photons, streamed as it closes. Every non-sync tag is a photon
// (disabled channels never reach this block: the front-end drops them).
//
// With the sync prescaler (cfg_divider_log2 > 0) each sync tag is every D-th laser pulse; the
// block measures the laser period over blocks of up to 2**PERIOD_AVG_LOG2 sync intervals and
// reconstructs the D laser periods of each interval at t_sync + off[j], off[j] = floor(j * span /
// (intervals * D)), so every laser period is numbered and counted.
//
// Photons at the latest time are held ("pending") until the time moves on, because a sync at the
// same time, later in stream order (higher channel), claims them for the period it starts.
//
// A registered pipeline, one tag per clock (the stages advance together; the flags are reset
// flip-flops, so they are not packed into slow shift-register LUTs):
//   S1 sync? and "time moved on" (t > previous tag) | S2 d = t - t_sync | S3 sub-period j of d
//   (compare with all offsets at once), measurement of the period at syncs | S4 offset of j |
//   S5 delay = d - off[j] | S6 window test, clipped delay | core: the period state, one close per
//   clock (with the prescaler, a sync whose held photons close an earlier sub-period takes a
//   second clock) | E: heralded records | E2: histogram increments.
// It stops while the offsets are recomputed (with the prescaler, D + 3 clocks after a new period
// measurement: after sync 1, 3, 7, ... and then every 2**PERIOD_AVG_LOG2 syncs) and while the
// herald FIFO is full.
// A boundary waits until the pipeline is empty and the previous frame has left; the configuration
// (taken at reset, clear and each boundary, and following the inputs while the integration has
// seen no tag) is taken then. Taking a different configuration restarts the period numbering and
// the period measurement and drops the open period, like a new PulsedCounter. Nothing is dropped.
module g2l_pulsed #(
    parameter int N_CHANNELS = 64,       // input channels; a sync channel >= this is a cfg_error
    parameter int MAX_PHOTONS = 15,      // last bin of the photon-number histogram (1..63, SIZES)
    parameter int COUNT_W = 48,          // bits per photon-number counter (saturating; 2**48 periods
                                         // is 40 days at 80 MHz, so one integration cannot fill it)
    parameter int HERALD_FIFO_LOG2 = 4,  // log2 of the heralded records buffered under back-pressure
    parameter int PERIOD_AVG_LOG2 = 8    // the laser period is measured over up to 2**this sync intervals
) (
    input  wire logic        clk,
    input  wire logic        rst,
    input  wire logic        clear,           // 1-cycle pulse: restart numbering, empty the running counters

    input  wire logic        s_tag_valid,
    output logic             s_tag_ready,
    input  wire logic [5:0]  s_tag_channel,
    input  wire logic [63:0] s_tag_time,
    input  wire logic        s_tag_boundary,

    input  wire logic        cfg_enable,      // CONTROL.pulsed_enable
    input  wire logic [5:0]  cfg_sync_channel,
    input  wire logic [31:0] cfg_window_ps,   // 0 = whole period
    input  wire logic [2:0]  cfg_divider_log2, // SYNC_DIVIDER.log2 (values above 4 act as 4)

    output logic [63:0]      m_axis_tdata,
    output logic             m_axis_tvalid,
    input  wire logic        m_axis_tready,
    output logic             m_axis_tlast,

    output logic             dumping,         // a finished photon-number histogram is being sent
    output logic [31:0]      lost_count,      // always 0: this block back-pressures, never drops
    output logic             cfg_error,       // the sync channel is not an input channel
    output logic [31:0]      pre_sync_count,  // photons before the first period, since clear
    output logic [31:0]      out_of_window_count, // photons later than cfg_window_ps after their sync
    output logic [31:0]      clip_count,      // heralded delays >= 2**30 ps sent as 2**30 - 1
    output logic [31:0]      period_q8        // measured laser period, 2**-8 ps (SYNC_PERIOD)
);
    // The contract header defines every field; a block uses only some of them.
    /* verilator lint_off UNUSEDPARAM */
    `include "g2l_tag_word.svh"
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if (N_CHANNELS < 1 || N_CHANNELS > 64) $error("%m: N_CHANNELS must be 1..64");
        if (MAX_PHOTONS < 1 || MAX_PHOTONS > 63) $error("%m: MAX_PHOTONS must be 1..63");
        if (COUNT_W < 6 || COUNT_W > 64) $error("%m: COUNT_W must be 6..64");
        if (HERALD_FIFO_LOG2 < 1 || HERALD_FIFO_LOG2 > 10) $error("%m: HERALD_FIFO_LOG2 must be 1..10");
        if (PERIOD_AVG_LOG2 < 0 || PERIOD_AVG_LOG2 > 16) $error("%m: PERIOD_AVG_LOG2 must be 0..16");
    end

    localparam int NB = MAX_PHOTONS + 1;   // photon-number bins
    localparam int BW = $clog2(NB);        // bits of a bin index
    localparam int DW = G2L_HERALD_DELAYS_DELAY_FIRST_PS_WIDTH;  // 30
    localparam logic [DW:0] DCLIP = (DW + 1)'(1) << DW;          // a stored delay of 2**DW = clipped
    localparam int MAXD = 16;              // largest divider
    localparam int OW = 52;                // offset bits: j * span < 16 * 2**48
    localparam logic [63:0] SPAN_MAX = (64'd1 << 48) - 64'd1;
    localparam int AW = $clog2(PERIOD_AVG_LOG2 + 1) + 1;

    // ---- configuration ---------------------------------------------------------------------
    logic l_enable;
    logic [5:0] l_sync;
    logic [31:0] l_window;
    logic [2:0] l_dlog;    // divider log2, 0..4
    logic fresh;           // no tag taken since the configuration was last taken
    wire c_ok = 32'(cfg_sync_channel) < N_CHANNELS;
    wire [2:0] c_dlog = cfg_divider_log2 > 3'd4 ? 3'd4 : cfg_divider_log2;
    wire changed = {cfg_enable && c_ok, cfg_sync_channel, cfg_window_ps, c_dlog}
                   != {l_enable, l_sync, l_window, l_dlog};
    wire [4:0] dm1 = 5'((5'd1 << l_dlog) - 5'd1);   // D - 1

    // ---- flow control --------------------------------------------------------------------
    logic h_full, h_empty, frame_pend, busy;
    logic v1, v2, v3, v4, v5, v6, e_v;
    logic core_stall;                     // the core commits held photons before it takes a sync
    wire adv = !h_full && !busy;          // every stage moves (the core too)
    wire move = adv && !core_stall;       // S1..S6 move
    logic e2_v;
    wire pipe_empty = !(v1 || v2 || v3 || v4 || v5 || v6 || e_v || e2_v);
    // A clear waits until the tags taken before it have left the pipeline (like the C twin's
    // clear() after update()); tags offered meanwhile wait.
    logic clear_pend;
    wire clear_go = (clear || clear_pend) && pipe_empty;
    assign s_tag_ready = !rst && !clear && !clear_pend && move
                         && (!s_tag_boundary || (pipe_empty && !frame_pend));
    wire fire = s_tag_valid && s_tag_ready;
    wire tag_in = fire && !s_tag_boundary && l_enable;
    wire bnd = fire && s_tag_boundary;
    wire relatch = bnd || (fresh && !tag_in && !clear && !clear_pend && changed);
    wire restart = clear_go || (relatch && changed);
    always_ff @(posedge clk) begin
        if (rst || clear_go) clear_pend <= 1'b0;
        else if (clear) clear_pend <= 1'b1;
    end

    // ---- S1: sync or photon, time moved on -------------------------------------------------
    logic [63:0] t_prev;
    logic s1_sync, s1_newer;
    logic [5:0] s1_ch;
    logic [63:0] s1_t;
    always_ff @(posedge clk) begin
        if (move) begin
            v1 <= tag_in;
            s1_sync <= s_tag_channel == l_sync;
            s1_newer <= s_tag_time != t_prev;  // tags arrive in time order
            s1_ch <= s_tag_channel;
            s1_t <= s_tag_time;
            if (tag_in) t_prev <= s_tag_time;
        end
        if (rst || restart) begin
            v1 <= 1'b0;
            s1_sync <= 1'b0;
            s1_newer <= 1'b0;
        end
    end

    // ---- S2: time after the last sync ----------------------------------------------------
    logic [63:0] t_k;      // time of the last sync (as seen by the tags behind it)
    logic s2_sync, s2_newer;
    logic [5:0] s2_ch;
    logic [63:0] s2_t, s2_d;
    always_ff @(posedge clk) begin
        if (move) begin
            v2 <= v1;
            s2_sync <= s1_sync;
            s2_newer <= s1_newer;
            s2_ch <= s1_ch;
            s2_t <= s1_t;
            s2_d <= s1_t - t_k;
            if (v1 && s1_sync) t_k <= s1_t;
        end
        if (rst || restart) begin
            v2 <= 1'b0;
            s2_sync <= 1'b0;
            s2_newer <= 1'b0;
        end
    end

    // ---- S3: sub-period; the period measurement at each sync ---------------------------------
    logic [OW-1:0] off [MAXD];            // off[0] = 0
    logic [1:0] n_rec;                    // syncs since restart, saturating at 2
    logic [63:0] t_blk;                   // sync that starts the measuring block
    logic [16:0] blk_n;
    logic [AW-1:0] blk_log;
    logic [63:0] span_raw;                // last finished block, ps
    logic [47:0] span;                    // ... saturated (one clock later)
    logic [AW-1:0] span_log;
    // log2(intervals * D): the offsets' and the period's shift, as narrow as it can be (a 32-bit
    // amount makes the shifters handle amounts that never occur)
    wire  [AW:0]   shr = (AW + 1)'(span_log) + (AW + 1)'(l_dlog);
    logic [OW-1:0] acc;                   // j * span while the offsets are recomputed
    logic [4:0] rc_j;                     // offset being recomputed, 0 = idle
    logic [3:0] j_zero;                   // sub-period of d = 0 (offsets that are 0)
    logic [15:0] ge;
    always_comb begin
        ge = '0;
        for (int j = 1; j < MAXD; j++)
            ge[j] = 5'(j) <= dm1 && (s2_d[63:OW] != '0 || s2_d[OW-1:0] >= off[j]);
    end
    // offsets do not decrease, so ge is a run of ones from j = 1: j is its last one
    logic [3:0] j_of_d;
    always_comb begin
        j_of_d = '0;
        for (int j = 1; j < MAXD; j++) if (ge[j]) j_of_d = 4'(j);
    end
    wire blk_end = n_rec != 2'd0 && 17'(blk_n + 1'b1) == 17'(17'd1 << blk_log);
    wire [63:0] blk_span = s2_t - t_blk;
    logic s3_sync, s3_newer, s3_opens;
    logic [5:0] s3_ch;
    logic [63:0] s3_d;
    logic [3:0] s3_j;
    always_ff @(posedge clk) begin
        if (move) begin
            v3 <= v2;
            s3_sync <= s2_sync;
            s3_newer <= s2_newer;
            s3_opens <= l_dlog == 3'd0 || n_rec != 2'd0;
            s3_ch <= s2_ch;
            s3_d <= s2_d;
            s3_j <= j_of_d;
            if (v2 && s2_sync) begin
                if (n_rec != 2'd2) n_rec <= n_rec + 1'b1;
                if (n_rec == 2'd0) begin
                    t_blk <= s2_t;
                    blk_n <= '0;
                end else if (blk_end) begin
                    span_raw <= blk_span;
                    span_log <= blk_log;
                    t_blk <= s2_t;
                    blk_n <= '0;
                    if (32'(blk_log) < PERIOD_AVG_LOG2) blk_log <= blk_log + 1'b1;
                    // recompute the offsets before the next tag is placed (none without a divider)
                    rc_j <= l_dlog != 3'd0 ? 5'd1 : 5'd0;
                    acc <= '0;
                end else begin
                    blk_n <= blk_n + 1'b1;
                end
            end
        end
        span <= span_raw > SPAN_MAX ? 48'(SPAN_MAX) : span_raw[47:0];
        // offsets (span is ready from rc_j = 2 on): acc = (rc_j - 2) * span, off[rc_j - 2] =
        // acc >> (span_log + dlog), one per clock; two more clocks for j_zero
        if (rc_j != 5'd0) begin
            if (rc_j >= 5'd2) acc <= acc + OW'(span);
            if (rc_j >= 5'd3 && rc_j - 5'd2 <= dm1)
                off[4'(rc_j - 5'd2)] <= acc >> shr;
            rc_j <= rc_j == dm1 + 5'd4 ? 5'd0 : rc_j + 1'b1;
        end
        if (rst || restart) begin
            v3 <= 1'b0;
            s3_sync <= 1'b0;
            s3_newer <= 1'b0;
            s3_opens <= 1'b0;
            n_rec <= '0;
            blk_log <= '0;
            blk_n <= '0;
            rc_j <= 5'd0;
            span_raw <= '0;
            span_log <= '0;
            for (int j = 0; j < MAXD; j++) off[j] <= '0;
        end
    end
    assign busy = rc_j != 5'd0;
    // j_zero: the sub-period of d = 0, i.e. the last zero offset (zero offsets come first)
    logic [15:0] zf;
    always_ff @(posedge clk) begin
        for (int j = 0; j < MAXD; j++) zf[j] <= j != 0 && 5'(j) <= dm1 && off[j] == '0;
        j_zero <= '0;
        for (int j = 1; j < MAXD; j++) if (zf[j]) j_zero <= 4'(j);
        period_q8 <= rst || restart ? 32'd0 : 32'((64'(span) << 8) >> shr);
    end

    // ---- S4: offset of the sub-period; a sync carries j_zero for photons held at its time ----
    logic s4_sync, s4_newer, s4_opens;
    logic [5:0] s4_ch;
    logic [63:0] s4_d;
    logic [3:0] s4_j;
    logic [OW-1:0] s4_off;
    always_ff @(posedge clk) begin
        if (move) begin
            v4 <= v3;
            s4_sync <= s3_sync;
            s4_newer <= s3_newer;
            s4_opens <= s3_opens;
            s4_ch <= s3_ch;
            s4_d <= s3_d;
            s4_j <= s3_sync ? j_zero : s3_j;
            s4_off <= s3_sync ? '0 : off[s3_j];
        end
        if (rst || restart) begin
            v4 <= 1'b0;
            s4_sync <= 1'b0;
            s4_newer <= 1'b0;
            s4_opens <= 1'b0;
        end
    end

    // ---- S5: delay after the (reconstructed) sync ---------------------------------------------
    logic s5_sync, s5_newer, s5_opens;
    logic [5:0] s5_ch;
    logic [3:0] s5_j;
    logic [63:0] s5_delay;
    always_ff @(posedge clk) begin
        if (move) begin
            v5 <= v4;
            s5_sync <= s4_sync;
            s5_newer <= s4_newer;
            s5_opens <= s4_opens;
            s5_ch <= s4_ch;
            s5_j <= s4_j;
            s5_delay <= s4_sync ? 64'd0 : s4_d - 64'(s4_off);
        end
        if (rst || restart) begin
            v5 <= 1'b0;
            s5_sync <= 1'b0;
            s5_newer <= 1'b0;
            s5_opens <= 1'b0;
        end
    end

    // ---- S6: window, clipped delay -------------------------------------------------------------
    logic s6_sync, s6_newer, s6_opens, s6_late;
    logic [5:0] s6_ch;
    logic [3:0] s6_j;
    logic [DW:0] s6_dc;    // delay, 2**DW when it does not fit the HERALD_DELAYS field
    always_ff @(posedge clk) begin
        if (move) begin
            v6 <= v5;
            s6_sync <= s5_sync;
            s6_newer <= s5_newer;
            s6_opens <= s5_opens;
            s6_ch <= s5_ch;
            s6_j <= s5_j;
            s6_late <= l_window != 0 && s5_delay >= 64'(l_window);
            s6_dc <= s5_delay >= 64'(DCLIP) ? DCLIP : (DW + 1)'(s5_delay);
        end
        if (rst || restart) begin
            v6 <= 1'b0;
            s6_sync <= 1'b0;
            s6_newer <= 1'b0;
            s6_opens <= 1'b0;
            s6_late <= 1'b0;
        end
    end

    // ---- core: the period state (names follow cext/src/g2l_pulsed.c) -------------------------
    logic open_q, ever;
    logic [47:0] base;          // period index of sub-period 0 of the open interval
    logic [3:0] j_cur;
    logic [15:0] cur_n, pend_n; // saturating
    logic [5:0] cur_ch0, cur_ch1, pend_ch0, pend_ch1;
    logic [DW:0] cur_d0, cur_d1, pend_d;
    logic [3:0] pend_j;
    logic pend_late;

    function automatic logic [15:0] sat16(input logic [16:0] x);
        sat16 = x[16] ? 16'hFFFF : x[15:0];
    endfunction
    function automatic logic [31:0] sat32(input logic [31:0] acc_in, input logic [15:0] n);
        logic [32:0] s;
        s = 33'(acc_in) + 33'(n);
        sat32 = s[32] ? 32'hFFFF_FFFF : s[31:0];
    endfunction

    wire commit = v6 && pend_n != 0 && s6_newer;       // time moved past the held photons
    wire jump = commit && open_q && pend_j > j_cur;    // held photons lie in a later sub-period
    // A sync whose commit closes a sub-period would close two in one clock: commit first, the
    // sync next clock (only with the prescaler; then at most one close per clock).
    assign core_stall = jump && s6_sync;
    wire take = v6 && !core_stall;                     // the tag itself is processed
    wire to_pre = commit && !open_q;
    wire to_oow = commit && open_q && pend_late;
    wire to_cur = commit && open_q && !pend_late;
    wire s_close = take && s6_sync && open_q;
    // the open sub-period after step 1
    wire [15:0] n_before = jump ? 16'd0 : cur_n;
    logic [15:0] m_n;
    logic [5:0] m_ch0, m_ch1;
    logic [DW:0] m_d0, m_d1;
    always_comb begin
        m_n = n_before;
        m_ch0 = cur_ch0;
        m_ch1 = cur_ch1;
        m_d0 = cur_d0;
        m_d1 = cur_d1;
        if (to_cur) begin
            if (n_before == 0) begin
                m_ch0 = pend_ch0;
                m_d0 = pend_d;
                m_ch1 = pend_ch1;  // meaningful only if pend_n >= 2
                m_d1 = pend_d;
            end else if (n_before == 1) begin
                m_ch1 = pend_ch0;
                m_d1 = pend_d;
            end
            m_n = sat16(17'(n_before) + 17'(pend_n));
        end
    end

    // close event register (stage E): sub-period j_cur with its photons, then empty periods
    logic [15:0] e_n;
    logic [4:0] e_emp;
    logic [5:0] e_ch0, e_ch1;
    logic [DW:0] e_d0, e_d1;
    logic [47:0] e_period;
    wire [15:0] c_n = jump ? cur_n : m_n;

    always_ff @(posedge clk) begin
        if (adv) begin
            e_v <= jump || s_close;
            e_n <= c_n;
            e_emp <= jump ? 5'(pend_j - j_cur - 1'b1) : 5'(dm1 - 5'(j_cur));
            e_ch0 <= jump ? cur_ch0 : m_ch0;
            e_ch1 <= jump ? cur_ch1 : m_ch1;
            e_d0 <= jump ? cur_d0 : m_d0;
            e_d1 <= jump ? cur_d1 : m_d1;
            e_period <= base + 48'(j_cur);
            if (to_pre) pre_sync_count <= sat32(pre_sync_count, pend_n);
            if (to_oow) out_of_window_count <= sat32(out_of_window_count, pend_n);
            // step 1: held photons go to their sub-period
            if (commit) begin
                if (jump) j_cur <= pend_j;
                cur_n <= m_n;
                cur_ch0 <= m_ch0;
                cur_ch1 <= m_ch1;
                cur_d0 <= m_d0;
                cur_d1 <= m_d1;
                pend_n <= '0;
            end
            // step 2: the tag
            if (take && s6_sync) begin
                if (s6_opens) begin
                    open_q <= 1'b1;
                    ever <= 1'b1;
                    base <= ever ? base + 48'(dm1) + 48'd1 : 48'd0;
                    j_cur <= '0;
                    cur_n <= '0;
                end
                // photons held at exactly this sync time belong to the new period (d = 0)
                pend_j <= s6_j;
                pend_d <= '0;
                pend_late <= 1'b0;
            end else if (take) begin
                if (!commit && pend_n != 0) begin
                    if (pend_n == 1) pend_ch1 <= s6_ch;
                    pend_n <= sat16(17'(pend_n) + 17'd1);
                end else begin
                    pend_ch0 <= s6_ch;
                    pend_n <= 16'd1;
                end
                pend_j <= s6_j;
                pend_d <= s6_dc;
                pend_late <= s6_late;
            end
        end
        if (rst || restart) begin
            e_v <= 1'b0;
            open_q <= 1'b0;
            ever <= 1'b0;
            base <= '0;
            j_cur <= '0;
            cur_n <= '0;
            pend_n <= '0;
        end
        if (rst || clear_go) begin
            pre_sync_count <= '0;
            out_of_window_count <= '0;
        end
    end

    // ---- E: photon-number histogram (counters and a copy of the last integration's) and
    // heralded records ---------------------------------------------------------------------------
    // The counters of the running integration are copied at its boundary into the registers the
    // frame is sent from, and restart from 0 (the boundary waits for an empty pipeline and for
    // the previous frame to have left, so no increment is pending then and the copy is free).
    // One incrementer per bin and a 16-way read: no bank-indexed access.
    logic [COUNT_W-1:0] pn_cnt [NB];   // the running integration
    logic [COUNT_W-1:0] pn_done [NB];  // the last finished one (its frame)
    logic [19:0] seq;        // integration number since clear (FRAME index)
    logic [19:0] f_seq;
    logic [$clog2(NB+1)-1:0] f_idx;   // 0 = header, i = bin i - 1
    localparam logic [1:0] O_IDLE = 2'd0, O_HER0 = 2'd1, O_HER1 = 2'd2, O_FRAME = 2'd3;
    logic [1:0] o_state;
    wire o_fire = m_axis_tvalid && m_axis_tready;
    wire [BW-1:0] f_bin = BW'(f_idx - 1'b1);
    wire e_apply = adv && e_v;

    // E2: the histogram bin of the close event, registered; applied once, in the clock after it
    // left E (the increment is an add of its own and does not wait for the pipeline)
    logic [NB-1:0] e2_hit;     // one-hot bin
    logic [5:0] e2_inc0;       // increment of bin 0: the empty periods, plus the closed one if empty
    always_ff @(posedge clk) begin
        for (int i = 0; i < NB; i++)
            e2_hit[i] <= e_apply && (i == MAX_PHOTONS ? e_n >= 16'(MAX_PHOTONS) : e_n == 16'(i));
        e2_inc0 <= e_apply ? 6'(e_emp) + 6'(e_n == 16'd0) : 6'd0;
        e2_v <= e_apply;
        if (rst || restart) begin
            e2_v <= 1'b0;
            e2_hit <= '0;
            e2_inc0 <= '0;
        end
    end

    always_ff @(posedge clk) begin
        for (int i = 1; i < NB; i++)
            if (e2_hit[i] && !(&pn_cnt[i])) pn_cnt[i] <= pn_cnt[i] + 1'b1;
        begin
            logic [COUNT_W:0] s0;
            s0 = (COUNT_W + 1)'(pn_cnt[0]) + (COUNT_W + 1)'(e2_inc0);
            if (e2_inc0 != 0) pn_cnt[0] <= s0[COUNT_W] ? '1 : s0[COUNT_W-1:0];
        end
        if (bnd) begin
            for (int i = 0; i < NB; i++) begin
                pn_done[i] <= pn_cnt[i];
                pn_cnt[i] <= '0;
            end
        end
        if (clear_go) for (int i = 0; i < NB; i++) pn_cnt[i] <= '0;
        if (rst) begin
            for (int i = 0; i < NB; i++) begin
                pn_cnt[i] <= '0;
                pn_done[i] <= '0;
            end
        end
    end

    wire herald = e_apply && e_n >= 16'd2;
    wire clip0 = e_d0[DW];
    wire clip1 = e_d1[DW];
    wire [DW-1:0] h_d0 = clip0 ? '1 : e_d0[DW-1:0];
    wire [DW-1:0] h_d1 = clip1 ? '1 : e_d1[DW-1:0];
    wire [63:0] h_word0 = (64'(G2L_KIND_HERALD) << G2L_KIND_LSB)
                        | (64'(e_ch0) << G2L_HERALD_CHANNEL_FIRST_LSB)
                        | (64'(e_ch1) << G2L_HERALD_CHANNEL_SECOND_LSB)
                        | (64'(e_period) << G2L_HERALD_PERIOD_LSB);
    wire [63:0] h_word1 = (64'(G2L_KIND_HERALD_DELAYS) << G2L_KIND_LSB)
                        | (64'(h_d0) << G2L_HERALD_DELAYS_DELAY_FIRST_PS_LSB)
                        | (64'(h_d1) << G2L_HERALD_DELAYS_DELAY_SECOND_PS_LSB);

    always_ff @(posedge clk) begin
        if (herald) clip_count <= sat32(clip_count, 16'(clip0) + 16'(clip1));
        if (tag_in) fresh <= 1'b0;
        if (relatch) begin
            fresh <= 1'b1;
            l_enable <= cfg_enable && c_ok;
            l_sync <= cfg_sync_channel;
            l_window <= cfg_window_ps;
            l_dlog <= c_dlog;
            cfg_error <= !c_ok;
        end
        if (bnd) begin
            seq <= seq + 1'b1;
            f_seq <= seq;
            frame_pend <= l_enable;
        end
        if (o_state == O_FRAME && o_fire && 32'(f_idx) == NB) frame_pend <= 1'b0;
        if (rst || clear_go) begin
            seq <= '0;
            clip_count <= '0;
        end
        if (rst) begin
            frame_pend <= 1'b0;
            fresh <= 1'b1;
            l_enable <= 1'b0;
            l_sync <= '0;
            l_window <= '0;
            l_dlog <= '0;
            cfg_error <= 1'b0;
            t_prev <= '0;
        end
    end

    // ---- output: heralded records and frames, never interleaved ---------------------------------
    logic [127:0] h_head;
    logic [HERALD_FIFO_LOG2:0] h_count;
    wire h_pop = o_state == O_HER1 && o_fire;

    // A full FIFO stops the pipeline (stage E pushes only when it moves).
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
                m_axis_tdata = f_idx == 0 ? f_header : 64'(pn_done[f_bin]);
                m_axis_tlast = 32'(f_idx) == NB;
            end
            default: m_axis_tdata = '0;
        endcase
    end

    assign dumping = frame_pend;
    assign lost_count = '0;
endmodule

`resetall
