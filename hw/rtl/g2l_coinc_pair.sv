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
// runs from the newest entry back and stops at the first entry that can no longer pair: with
// delta = t - t_old, entries with delta > KEEP are useless for this and every later tag.
// The tag is inserted into its own history after its scan, so it is never paired with itself.
// When a history is full the oldest entry is overwritten; if that entry could still pair
// (delta <= KEEP) it becomes a ghost (below): never binned, but each later partner tag
// reports in `missed` exactly how many of its pairs were lost that way.
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

    // ---- histories -------------------------------------------------------------------------
    logic [63:0] hist_a [HIST_DEPTH];
    logic [63:0] hist_b [HIST_DEPTH];
    logic [PW-1:0] wp_a, wp_b;   // next write position; the newest entry is at wp - 1
    logic [PW:0] cnt_a, cnt_b;   // valid entries (saturates at HIST_DEPTH)

    wire is_auto = cfg_a == cfg_b;
    wire is_a = cfg_en && s_channel == cfg_a;
    wire is_b = cfg_en && s_channel == cfg_b;
    wire work = s_tag && (is_a || is_b);
    wire scan_hb = !is_auto && is_a;   // a new a tag scans hist_b; every other case hist_a
    wire want_pos = is_auto || !scan_hb;  // d = +delta
    wire want_neg = is_auto || scan_hb;   // d = -delta

    // scan state: valid from the second cycle of a tag on
    logic [PW-1:0] ptr_q;
    logic [PW:0] rem_q;
    logic phase_q;   // auto pair: +delta of the current entry already counted
    logic fin_q;     // finished with the current tag, waiting for the other pairs

    wire [PW-1:0] ptr = s_first ? (scan_hb ? wp_b : wp_a) - 1'b1 : ptr_q;
    wire [PW:0] rem = s_first ? (scan_hb ? cnt_b : cnt_a) : rem_q;
    wire phase = s_first ? 1'b0 : phase_q;
    wire [PW-1:0] ptr_next = ptr - 1'b1;
    wire [63:0] g_cur = scan_hb ? hist_b[ptr] : hist_a[ptr];
    wire [63:0] g_next = scan_hb ? hist_b[ptr_next] : hist_a[ptr_next];
    wire [63:0] keep = is_auto ? cfg_keep_auto : (scan_hb ? cfg_keep_b : cfg_keep_a);
    wire [63:0] delta_cur = s_time - g_cur;
    wire [63:0] delta_next = s_time - g_next;
    wire in_cur = rem != 0 && $signed(delta_cur) <= $signed(keep);
    wire in_next = rem > 1 && $signed(delta_next) <= $signed(keep);
    // e = d - lo; the pair is in the window iff 0 <= e < width (one unsigned compare)
    wire [63:0] e_pos = delta_cur - cfg_lo;
    wire [63:0] e_neg = (64'd0 - delta_cur) - cfg_lo;
    wire pos_ok = want_pos && !phase && e_pos < cfg_width;
    wire neg_ok = want_neg && e_neg < cfg_width;
    wire [N_BINS_LOG2-1:0] k_pos = N_BINS_LOG2'(e_pos >> cfg_shift);
    wire [N_BINS_LOG2-1:0] k_neg = N_BINS_LOG2'(e_neg >> cfg_shift);

    wire active = work && !fin_q;
    wire step = active && in_cur;
    wire both = pos_ok && neg_ok;           // auto pair, both orders in the window: two cycles
    wire advance_ptr = step && !both;
    wire done_now = active && (!in_cur || (advance_ptr && !in_next));
    // the tag is finished when its scan is and the ghost counts have caught up with its time
    logic settled_a, settled_b;
    wire settled = scan_hb ? settled_b : settled_a;
    assign s_done = !work || ((fin_q || done_now) && settled);

    logic inc_v;
    logic [N_BINS_LOG2-1:0] inc_k;

    always_ff @(posedge clk) begin
        inc_v <= step && (pos_ok || neg_ok);
        inc_k <= pos_ok ? k_pos : k_neg;
        if (active) begin
            ptr_q <= advance_ptr ? ptr_next : ptr;
            rem_q <= advance_ptr ? rem - 1'b1 : rem;
            phase_q <= both;
        end
        if (s_advance) fin_q <= 1'b0;
        else if (done_now) fin_q <= 1'b1;
        if (rst) begin
            inc_v <= 1'b0;
            fin_q <= 1'b0;
            phase_q <= 1'b0;
        end
    end

    // insertion after the scan; overflow when the overwritten oldest entry could still pair
    wire ins_a = s_advance && s_tag && (is_a || (is_auto && is_b));
    wire ins_b = s_advance && s_tag && is_b && !is_auto;
    wire [63:0] old_a = hist_a[wp_a];
    wire [63:0] old_b = hist_b[wp_b];
    wire [63:0] keep_ha = is_auto ? cfg_keep_auto : cfg_keep_a;
    wire lost_a = ins_a && cnt_a[PW] && $signed(s_time - old_a) <= $signed(keep_ha);
    wire lost_b = ins_b && cnt_b[PW] && $signed(s_time - old_b) <= $signed(cfg_keep_b);

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
    // that only move forward (t never decreases), one ghost per clock; `settled` says they have
    // caught up. A ghost that finds the FIFO full is not kept: `inexact` says so.
    // g_ghosts[0] serves hist_a (d >= 0, and d <= 0 too for an auto pair), g_ghosts[1] hist_b.
    localparam int GW = $clog2(GHOST_DEPTH);
    wire [63:0] cfg_hi = cfg_lo + cfg_width;
    wire [63:0] neg_lo = 64'd0 - cfg_lo;
    wire [63:0] neg_hi = 64'd0 - cfg_hi;
    logic [1:0] settled_g, drop_g;
    logic [GW:0] npos_a, nneg_a, nneg_b;

    for (genvar j = 0; j < 2; j++) begin : g_ghosts
        wire use_pos = j == 0;
        wire use_neg = j == 1 || is_auto;
        wire push = j == 0 ? lost_a : lost_b;
        wire [63:0] push_time = j == 0 ? old_a : old_b;
        logic [63:0] mem [GHOST_DEPTH];
        logic [GW:0] head, tail;
        logic [GW:0] lp, up, ln, un;   // lower/upper pointers of the pos and neg windows
        wire [63:0] d_lp = s_time - mem[lp[GW-1:0]];
        wire [63:0] d_up = s_time - mem[up[GW-1:0]];
        wire [63:0] d_ln = s_time - mem[ln[GW-1:0]];
        wire [63:0] d_un = s_time - mem[un[GW-1:0]];
        // a pointer passes a ghost that is (and stays) below its edge; a lower pointer never
        // passes its upper one; pointers of an unused window run free
        wire adv_up = up != tail && (!use_pos || $signed(d_up) >= $signed(cfg_lo));
        wire adv_lp = lp != up && (!use_pos || $signed(d_lp) >= $signed(cfg_hi));
        wire adv_un = un != tail && (!use_neg || $signed(d_un) > $signed(neg_hi));
        wire adv_ln = ln != un && (!use_neg || $signed(d_ln) > $signed(neg_lo));
        wire full = (tail - head) == (GW + 1)'(GHOST_DEPTH);

        assign settled_g[j] = !(adv_up || adv_lp || adv_un || adv_ln);
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
            if (adv_up) up <= up + 1'b1;
            if (adv_lp) lp <= lp + 1'b1;
            if (adv_un) un <= un + 1'b1;
            if (adv_ln) ln <= ln + 1'b1;
            if (head != lp && head != ln) head <= head + 1'b1;   // passed by both: free
            if (rst || flush) begin
                head <= '0;
                tail <= '0;
                lp <= '0;
                up <= '0;
                ln <= '0;
                un <= '0;
                drop_g[j] <= 1'b0;
            end
        end
    end

    assign settled_a = settled_g[0];
    assign settled_b = settled_g[1];

    assign missed = !work ? '0
                  : is_auto ? MISS_W'(npos_a) + MISS_W'(nneg_a)
                  : scan_hb ? MISS_W'(nneg_b) : MISS_W'(npos_a);
    assign inexact = |drop_g;

    // ---- banks and the increment pipeline -----------------------------------------------------
    // cycle 1: read bin inc_k of the filling bank; cycle 2: add one and write back. A write of the
    // previous cycle is not yet visible in the read data: forward it (w_*).
    logic r_v, w_v;
    logic [N_BINS_LOG2-1:0] r_k, w_k;
    logic [COUNT_W-1:0] w_d;
    logic dz_v;   // clear the bin read by the dump in the previous cycle
    logic [N_BINS_LOG2-1:0] dz_k;

    logic [2*COUNT_W-1:0] rd_data;   // read ports of bank 1 and 0
    wire [COUNT_W-1:0] rd_fill = bank ? rd_data[COUNT_W +: COUNT_W] : rd_data[0 +: COUNT_W];
    wire [COUNT_W-1:0] rd_dump = bank ? rd_data[0 +: COUNT_W] : rd_data[COUNT_W +: COUNT_W];
    wire [COUNT_W-1:0] old = (w_v && w_k == r_k) ? w_d : rd_fill;
    wire full_bin = &old;
    wire [COUNT_W-1:0] new_val = full_bin ? old : old + 1'b1;

    always_ff @(posedge clk) begin
        r_v <= inc_v;
        r_k <= inc_k;
        w_v <= r_v;
        w_k <= r_k;
        w_d <= new_val;
        saturate <= r_v && full_bin;
        dz_v <= dump_rd;
        dz_k <= dump_addr;
        if (rst) begin
            r_v <= 1'b0;
            w_v <= 1'b0;
            dz_v <= 1'b0;
            saturate <= 1'b0;
        end
    end

    assign busy = inc_v || r_v || w_v;
    assign dump_data = rd_dump;

    for (genvar j = 0; j < 2; j++) begin : g_bank
        wire filling = bank == 1'(j);
        wire zero = sweep && (sweep_both || filling);
        wire we = zero || (filling ? r_v : dz_v);
        wire [N_BINS_LOG2-1:0] wa = zero ? sweep_addr : (filling ? r_k : dz_k);
        wire [COUNT_W-1:0] wd = (zero || !filling) ? '0 : new_val;
        g2l_bram_sdp #(
            .WIDTH(COUNT_W),
            .ADDR_W(N_BINS_LOG2)
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
