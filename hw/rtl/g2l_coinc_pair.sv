`resetall
`timescale 1ns / 1ps
`default_nettype none

// One correlation pair of g2l_coinc_hist: the recent-tag histories of its two channels, the
// scanner that pairs a new tag with the opposite history (one history entry per clock), and
// two histogram banks with a read-modify-write increment pipeline (one increment per clock).
//
// Histories: hist_a keeps recent tags of channel a (an auto pair, a == b, only uses hist_a),
// hist_b those of channel b. A new tag on b pairs with hist_a (d = t - t_a >= 0), a new tag on a
// with hist_b (d = t_b - t <= 0), a new tag of an auto pair with both orders (d and -d). The scan
// runs from the newest entry back and ends at the first entry that can no longer pair: with
// delta = t - t_old, entries with delta > KEEP are useless for this and every later tag (older
// entries have larger deltas, so the entries the pipeline has already read behind it produce
// nothing either). The tag is inserted into its own history after its scan, so it is never paired
// with itself. When a history is full the oldest entry is overwritten; if that entry could still
// pair (delta <= KEEP) it becomes a ghost (below): never binned, but each later partner tag
// reports in `missed` exactly how many of its pairs were lost that way.
//
// Every step is registered so the pair meets the clock: the scan is a pipeline (read the entry |
// the differences t - g, (t - lo) - g, g - (t + lo) | the window tests and bin numbers | issue
// the increment; an auto pair with both orders in the window issues two), the increment is
// read, register, add-and-write with the last two writes forwarded, and the ghost windows move
// in rounds of read, difference, compare. A tag of the pair takes at least four clocks and then
// one clock per history entry it pairs with.
module g2l_coinc_pair #(
    parameter int N_BINS_LOG2 = 10,  // log2 of the bins per bank
    parameter int HIST_DEPTH = 32,   // entries per history (power of two)
    parameter int COUNT_W = 32,      // bits per bin counter; counters saturate
    parameter int GHOST_DEPTH = 16,  // overwritten entries remembered per history (power of two)
    parameter int MISS_W = $clog2(GHOST_DEPTH) + 2  // bits of `missed`
) (
    input  wire logic                   clk,
    input  wire logic                   rst,
    // configuration of the running integration (held by the parent)
    input  wire logic                   cfg_en,       // pair enabled and the window valid
    input  wire logic [5:0]             cfg_a,
    input  wire logic [5:0]             cfg_b,
    input  wire logic [63:0]            cfg_lo,       // signed lower window edge, ps
    input  wire logic [63:0]            cfg_width,    // n_bins << cfg_shift
    input  wire logic [5:0]             cfg_shift,    // log2(bin_width_ps)
    input  wire logic [63:0]            cfg_keep_a,   // signed: hist_a entries with delta <= this can pair
    input  wire logic [63:0]            cfg_keep_b,   // same for hist_b
    input  wire logic [63:0]            cfg_keep_auto,
    input  wire logic                   flush,        // forget both histories
    // the tag in the parent's scan stage
    input  wire logic                   s_tag,        // a tag (not a boundary) is in the scan stage
    input  wire logic                   s_first,      // ... and this is its first cycle there
    input  wire logic [5:0]             s_channel,
    input  wire logic [63:0]            s_time,
    input  wire logic                   s_advance,    // the parent retires the tag this cycle
    output logic                        s_done,       // this pair is finished with the tag
    // banks
    input  wire logic                   bank,         // bank being filled
    output logic                        busy,         // increments still in flight
    input  wire logic                   dump_rd,      // read-and-clear dump_addr of the other bank
    input  wire logic [N_BINS_LOG2-1:0] dump_addr,
    output logic      [COUNT_W-1:0]     dump_data,    // valid the cycle after dump_rd
    input  wire logic                   sweep,        // write zero at sweep_addr
    input  wire logic                   sweep_both,   // ... in both banks (else the filling one)
    input  wire logic [N_BINS_LOG2-1:0] sweep_addr,
    output logic      [MISS_W-1:0]      missed,       // pairs of the current tag lost to overwritten entries
    output logic                        inexact,      // pulse: a ghost was not kept, `missed` is a lower bound
    output logic                        saturate      // pulse: an increment found its bin full
);
    initial begin
        if (N_BINS_LOG2 < 1 || N_BINS_LOG2 > 20) $error("%m: N_BINS_LOG2 must be 1..20");
        if (HIST_DEPTH < 2 || (HIST_DEPTH & (HIST_DEPTH - 1)) != 0)
            $error("%m: HIST_DEPTH must be a power of two >= 2");
        if (COUNT_W < 2 || COUNT_W > 64) $error("%m: COUNT_W must be 2..64");
        if (MISS_W != $clog2(GHOST_DEPTH) + 2) $error("%m: MISS_W must be $clog2(GHOST_DEPTH) + 2");
    end

    localparam int PW = $clog2(HIST_DEPTH);
    localparam int NB = N_BINS_LOG2;

    // ---- histories -------------------------------------------------------------------------
    logic [63:0] hist_a [HIST_DEPTH];
    logic [63:0] hist_b [HIST_DEPTH];
    logic [PW-1:0] wp_a, wp_b;   // next write position; the newest entry is at wp - 1
    logic [PW:0] cnt_a, cnt_b;   // valid entries (saturates at HIST_DEPTH)

    wire is_auto = cfg_a == cfg_b;
    wire is_a = cfg_en && s_channel == cfg_a;
    wire is_b = cfg_en && s_channel == cfg_b;
    wire work = s_tag && (is_a || is_b);
    wire scan_hb = !is_auto && is_a;      // a new a tag scans hist_b; every other case hist_a
    wire want_pos = is_auto || !scan_hb;  // d = +delta
    wire want_neg = is_auto || scan_hb;   // d = -delta
    wire [63:0] keep = is_auto ? cfg_keep_auto : (scan_hb ? cfg_keep_b : cfg_keep_a);

    // per-tag constants, registered in its first clock
    logic [63:0] t_lo_pos;   // t - lo:  e_pos = (t - lo) - g = delta - lo
    logic [63:0] t_lo_neg;   // t + lo:  e_neg = g - (t + lo) = -delta - lo
    logic [2:0] age;         // clocks since s_first, saturating
    always_ff @(posedge clk) begin
        if (s_first) begin
            t_lo_pos <= s_time - cfg_lo;
            t_lo_neg <= s_time + cfg_lo;
        end
        if (s_first) age <= 3'd1;
        else if (age != 3'd7) age <= age + 1'b1;
    end

    // ---- scan pipeline -----------------------------------------------------------------------
    // P0: pointer over the history (from the newest entry back, `rem` entries)
    logic [PW-1:0] ptr;
    logic [PW:0] rem;
    logic stop;              // an entry that can no longer pair reached P3: the scan is over
    logic v1, v2, v3;        // entries in P1..P3
    logic hold;              // P3 issues the second increment of an auto pair: P0..P2 wait
    wire issue0 = work && !s_first && !stop && rem != '0 && !hold;
    logic [63:0] g1;
    logic [63:0] delta2, epos2, eneg2;
    logic in3, pos3, neg3, phase3;
    logic [NB-1:0] kpos3, kneg3;

    always_ff @(posedge clk) begin
        if (s_first) begin
            ptr <= (scan_hb ? wp_b : wp_a) - 1'b1;
            rem <= scan_hb ? cnt_b : cnt_a;
        end else if (issue0) begin
            ptr <= ptr - 1'b1;
            rem <= rem - 1'b1;
        end
        if (!hold) begin
            // P1: the entry
            v1 <= issue0;
            g1 <= scan_hb ? hist_b[ptr] : hist_a[ptr];
            // P2: differences
            v2 <= v1 && !stop;
            delta2 <= s_time - g1;
            epos2 <= t_lo_pos - g1;
            eneg2 <= g1 - t_lo_neg;
            // P3: window tests, bins
            v3 <= v2 && !stop;
            in3 <= $signed(delta2) <= $signed(keep);
            pos3 <= want_pos && epos2 < cfg_width;
            neg3 <= want_neg && eneg2 < cfg_width;
            kpos3 <= NB'(epos2 >> cfg_shift);
            kneg3 <= NB'(eneg2 >> cfg_shift);
        end
        if (s_first) begin
            stop <= 1'b0;
            v1 <= 1'b0;
            v2 <= 1'b0;
            v3 <= 1'b0;
        end else if (v3 && !in3) begin
            stop <= 1'b1;
        end
        if (rst) begin
            v1 <= 1'b0;
            v2 <= 1'b0;
            v3 <= 1'b0;
            stop <= 1'b0;
        end
    end

    // P3: issue; with both orders of an auto pair in the window, +delta first, -delta next clock
    wire p3_live = v3 && in3 && !stop;
    wire both = pos3 && neg3;
    assign hold = p3_live && both && !phase3;
    wire inc_now = p3_live && (pos3 || neg3);
    always_ff @(posedge clk) begin
        phase3 <= hold;
        if (rst || s_first) phase3 <= 1'b0;
    end

    // the scan is over when an entry failed, or every entry has passed P3
    wire scan_end = stop || (v3 && !in3) || (rem == '0 && !v1 && !v2 && !hold);
    logic fin_q;             // finished with the current tag, waiting for the other pairs

    // ---- the entry the insertion will overwrite: can it still pair? -------------------------
    logic [63:0] old_a_q, old_b_q, dold_a, dold_b;
    logic old_a_live, old_b_live;       // evaluated for this tag from age 3 on
    wire [63:0] keep_ha = is_auto ? cfg_keep_auto : cfg_keep_a;
    always_ff @(posedge clk) begin
        old_a_q <= hist_a[wp_a];
        old_b_q <= hist_b[wp_b];
        dold_a <= s_time - old_a_q;
        dold_b <= s_time - old_b_q;
        old_a_live <= cnt_a[PW] && $signed(dold_a) <= $signed(keep_ha);
        old_b_live <= cnt_b[PW] && $signed(dold_b) <= $signed(cfg_keep_b);
    end

    // ---- insertion --------------------------------------------------------------------------
    wire ins_a = s_advance && s_tag && (is_a || (is_auto && is_b));
    wire ins_b = s_advance && s_tag && is_b && !is_auto;
    wire lost_a = ins_a && old_a_live;
    wire lost_b = ins_b && old_b_live;

    always_ff @(posedge clk) begin
        if (ins_a) hist_a[wp_a] <= s_time;
        if (ins_b) hist_b[wp_b] <= s_time;
        if (ins_a) begin
            wp_a <= wp_a + 1'b1;
            if (!cnt_a[PW]) cnt_a <= cnt_a + 1'b1;
        end
        if (ins_b) begin
            wp_b <= wp_b + 1'b1;
            if (!cnt_b[PW]) cnt_b <= cnt_b + 1'b1;
        end
        if (rst || flush) begin
            wp_a <= '0;
            wp_b <= '0;
            cnt_a <= '0;
            cnt_b <= '0;
        end
    end

    // ---- ghosts: entries overwritten while they could still pair -----------------------------
    // They are never binned, but every later partner tag learns exactly how many pairs it missed
    // with them. Ghosts arrive in time order. For the latest tag time t = s_time and
    // delta = t - g: n_pos = ghosts with lo <= delta < hi (partner later in the stream, d = +delta),
    // n_neg = ghosts with lo <= -delta < hi (d = -delta). Each window lies between two pointers
    // that only move forward (t never decreases). They move in rounds (read the ghosts at the
    // four pointers | t - g | compare | move each pointer whose ghost is below its edge by one);
    // the windows are `settled` after a round that moved nothing and saw no new tag or ghost.
    // A ghost that finds the FIFO full is not kept: `inexact` says so.
    // g_ghosts[0] serves hist_a (d >= 0, and d <= 0 too for an auto pair), g_ghosts[1] hist_b.
    localparam int GW = $clog2(GHOST_DEPTH);
    logic [63:0] cfg_hi, neg_lo, neg_hi;   // registered from the (static) configuration
    always_ff @(posedge clk) begin
        cfg_hi <= cfg_lo + cfg_width;
        neg_lo <= 64'd0 - cfg_lo;
        neg_hi <= 64'd0 - cfg_hi;
    end
    logic [1:0] settled_g, drop_g, idle_g;
    logic [GW:0] npos_a, nneg_a, nneg_b;

    for (genvar j = 0; j < 2; j++) begin : g_ghosts
        wire use_pos = j == 0;
        wire use_neg = j == 1 || is_auto;
        wire push = j == 0 ? lost_a : lost_b;
        wire [63:0] push_time = j == 0 ? old_a_q : old_b_q;
        logic [63:0] mem [GHOST_DEPTH];
        logic [GW:0] head, tail;
        logic [GW:0] lp, up, ln, un;   // lower/upper pointers of the pos and neg windows
        logic [1:0] rnd;               // round step: 0 read, 1 difference, 2 compare, 3 move
        logic dirty;                   // a tag or ghost arrived since the round started
        logic [63:0] g_lp, g_up, g_ln, g_un, d_lp, d_up, d_ln, d_un;
        logic c_lp, c_up, c_ln, c_un;  // the ghost is below the edge
        // a pointer passes a ghost that is (and stays) below its edge; a lower pointer never
        // passes its upper one; pointers of an unused window run free
        wire adv_up = up != tail && (!use_pos || c_up);
        wire adv_lp = lp != up && (!use_pos || c_lp);
        wire adv_un = un != tail && (!use_neg || c_un);
        wire adv_ln = ln != un && (!use_neg || c_ln);
        wire moving = rnd == 2'd3 && (adv_up || adv_lp || adv_un || adv_ln);
        wire full = (tail - head) == (GW + 1)'(GHOST_DEPTH);
        // both lower pointers at the tail: no ghost can be in a window again, nothing to evaluate
        assign idle_g[j] = lp == tail && ln == tail;

        if (j == 0) begin : g_counts_a
            assign npos_a = up - lp;
            assign nneg_a = un - ln;
        end else begin : g_counts_b
            assign nneg_b = un - ln;
        end

        always_ff @(posedge clk) begin
            if (push && !full) mem[tail[GW-1:0]] <= push_time;
            drop_g[j] <= push && full;
            if (push && !full) tail <= tail + 1'b1;
            g_lp <= mem[lp[GW-1:0]];
            g_up <= mem[up[GW-1:0]];
            g_ln <= mem[ln[GW-1:0]];
            g_un <= mem[un[GW-1:0]];
            d_lp <= s_time - g_lp;
            d_up <= s_time - g_up;
            d_ln <= s_time - g_ln;
            d_un <= s_time - g_un;
            c_up <= $signed(d_up) >= $signed(cfg_lo);
            c_lp <= $signed(d_lp) >= $signed(cfg_hi);
            c_un <= $signed(d_un) > $signed(neg_hi);
            c_ln <= $signed(d_ln) > $signed(neg_lo);
            rnd <= rnd + 1'b1;
            if (rnd == 2'd3) begin
                if (adv_up) up <= up + 1'b1;
                if (adv_lp) lp <= lp + 1'b1;
                if (adv_un) un <= un + 1'b1;
                if (adv_ln) ln <= ln + 1'b1;
                settled_g[j] <= !moving && !dirty && !s_first && !push;
                dirty <= s_first || push;
            end else begin
                if (s_first || push || moving) settled_g[j] <= 1'b0;
                if (s_first || push) dirty <= 1'b1;
            end
            if (head != lp && head != ln) head <= head + 1'b1;   // passed by both: free
            if (rst || flush) begin
                head <= '0;
                tail <= '0;
                lp <= '0;
                up <= '0;
                ln <= '0;
                un <= '0;
                rnd <= '0;
                dirty <= 1'b1;
                settled_g[j] <= 1'b0;
                drop_g[j] <= 1'b0;
            end
        end
    end

    // settled: the last clean round found nothing to move, or there is no ghost to look at (for
    // two clocks, so the registered `missed` has caught up)
    logic [1:0] idle_q;
    always_ff @(posedge clk) idle_q <= idle_g;
    wire settled_a = settled_g[0] || (idle_g[0] && idle_q[0]);
    wire settled_b = settled_g[1] || (idle_g[1] && idle_q[1]);
    wire settled = scan_hb ? settled_b : settled_a;

    // done: the scan is over, the overwritten entry (age 3) and the ghost windows are evaluated
    wire done_now = work && !s_first && scan_end && age >= 3'd3;
    assign s_done = !work || ((fin_q || done_now) && settled);
    always_ff @(posedge clk) begin
        if (s_advance || s_first) fin_q <= 1'b0;
        else if (done_now) fin_q <= 1'b1;
        if (rst) fin_q <= 1'b0;
    end

    // registered: settled windows have not moved for a clock, so it is current when s_done
    always_ff @(posedge clk)
        missed <= !work ? '0
                : is_auto ? MISS_W'(npos_a) + MISS_W'(nneg_a)
                : scan_hb ? MISS_W'(nneg_b) : MISS_W'(npos_a);
    assign inexact = |drop_g;

    // ---- banks and the increment pipeline -----------------------------------------------------
    // I: the increment (bin), read of the filling bank issued | R: read data out of the block
    // RAM | Q: read data registered; add one and write back. The two writes just before the
    // read came out are not in its data: forward them (w1 the newer, w2 the older). A full bin is
    // not written (it stays full; `saturate`).
    logic inc_v, r_v, q_v;
    logic [NB-1:0] inc_k, r_k, q_k;
    logic [COUNT_W-1:0] q_d;
    logic w1_v;
    logic [NB-1:0] w1_k;
    logic [COUNT_W-1:0] w1_d, w2_d;
    logic w1_full, w2_full;
    logic dz_v;   // clear the bin read by the dump in the previous cycle
    logic [NB-1:0] dz_k;

    logic [2*COUNT_W-1:0] rd_data;   // read ports of bank 1 and 0
    wire [COUNT_W-1:0] rd_fill = bank ? rd_data[COUNT_W +: COUNT_W] : rd_data[0 +: COUNT_W];
    wire [COUNT_W-1:0] rd_dump = bank ? rd_data[0 +: COUNT_W] : rd_data[COUNT_W +: COUNT_W];
    // forwarding decided one clock ahead: the entry now in Q becomes w1, w1 becomes w2
    logic fw1, fw2;
    wire [COUNT_W-1:0] old = fw1 ? w1_d : fw2 ? w2_d : q_d;
    wire old_full = fw1 ? w1_full : fw2 ? w2_full : &q_d;
    wire [COUNT_W-1:0] new_val = old + 1'b1;
    wire w_en = q_v && !old_full;

    always_ff @(posedge clk) begin
        inc_v <= inc_now;
        inc_k <= pos3 && !phase3 ? kpos3 : kneg3;
        r_v <= inc_v;
        r_k <= inc_k;
        q_v <= r_v;
        q_k <= r_k;
        q_d <= rd_fill;
        fw1 <= q_v && q_k == r_k;
        fw2 <= w1_v && w1_k == r_k;
        w1_v <= q_v;
        w1_k <= q_k;
        w1_d <= old_full ? old : new_val;
        w1_full <= old_full || &new_val;
        w2_d <= w1_d;
        w2_full <= w1_full;
        saturate <= q_v && old_full;
        dz_v <= dump_rd;
        dz_k <= dump_addr;
        if (rst) begin
            inc_v <= 1'b0;
            r_v <= 1'b0;
            q_v <= 1'b0;
            w1_v <= 1'b0;
            fw1 <= 1'b0;
            fw2 <= 1'b0;
            dz_v <= 1'b0;
            saturate <= 1'b0;
        end
    end

    assign busy = inc_v || r_v || q_v;
    assign dump_data = rd_dump;

    for (genvar j = 0; j < 2; j++) begin : g_bank
        wire filling = bank == 1'(j);
        wire zero = sweep && (sweep_both || filling);
        wire we = zero || (filling ? w_en : dz_v);
        wire [NB-1:0] wa = zero ? sweep_addr : (filling ? q_k : dz_k);
        wire [COUNT_W-1:0] wd = (zero || !filling) ? '0 : new_val;
        g2l_bram_sdp #(
            .WIDTH(COUNT_W),
            .ADDR_W(NB)
        ) u_bram (
            .clk(clk),
            .wr_en(we),
            .wr_addr(wa),
            .wr_data(wd),
            .rd_en(filling ? inc_v : dump_rd),
            .rd_addr(filling ? inc_k : dump_addr),
            .rd_data(rd_data[j*COUNT_W +: COUNT_W])
        );
    end
endmodule

`resetall
