// SPDX-License-Identifier: BSD-3-Clause
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
// the differences t - g, (t - lo) - g, g - (t + lo) | the window tests | issue the increment
// and shift out its bin number; an auto pair with both orders in the window issues two), the
// increment is read, register, add-and-write with the last two writes forwarded, and one
// comparator moves the four ghost-window pointers in turn (read, difference, compare, move).
// A tag of the pair takes at least four clocks and then one clock per history entry it pairs
// with. The arithmetic is 64-bit modular, with differences read as signed numbers.
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
    input  wire logic [63:0]            cfg_out_mask, // ~(width - 1), width = n_bins << cfg_shift: d - lo
                                                      // with any of these bits set is outside the window
    input  wire logic [4:0]             cfg_shift,    // log2(bin_width_ps) (a 32-bit bin width)
    input  wire logic [63:0]            cfg_keep_a,   // hi - 1 (signed): hist_a entries with delta <= this can pair
    input  wire logic [63:0]            cfg_keep_b,   // -lo: same for hist_b
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

    // ---- histories ----------------------------------------------------------------------------
    // One memory: hist_a at [0, HIST_DEPTH), hist_b at [HIST_DEPTH, 2*HIST_DEPTH), one read port
    // (the scan, and the entry the tag's insertion will overwrite) and one write (the insertion).
    logic [63:0] hist [2*HIST_DEPTH];
    logic [PW-1:0] wp_a, wp_b;   // next write position; the newest entry is at wp - 1
    logic [PW:0] cnt_a, cnt_b;   // valid entries (saturates at HIST_DEPTH)

    wire is_auto = cfg_a == cfg_b;
    wire is_a = cfg_en && s_channel == cfg_a;
    wire is_b = cfg_en && s_channel == cfg_b;
    wire work = s_tag && (is_a || is_b);
    wire scan_hb = !is_auto && is_a;      // a new a tag scans hist_b; every other case hist_a
    wire to_hb = !is_auto && is_b;        // a new b tag goes into hist_b; every other case hist_a
    wire want_pos = is_auto || !scan_hb;  // d = +delta
    wire want_neg = is_auto || scan_hb;   // d = -delta
    wire [PW-1:0] wp = to_hb ? wp_b : wp_a;

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
    // P0: pointer over the history (from the newest entry back, `rem` entries). In a tag's first
    // clock P1 reads instead the entry its insertion will overwrite, and the pipeline judges
    // whether that entry can still pair (o1, o2: it is in P1, P2; `old_live` from age 3 on).
    logic [PW-1:0] ptr;
    logic [PW:0] rem;
    logic stop;              // an entry that can no longer pair reached P3: the scan is over
    logic v1, v2, v3;        // entries in P1..P3
    logic hold;              // P3 issues the second increment of an auto pair: P0..P2 wait
    wire issue0 = work && !s_first && !stop && rem != '0 && !hold;
    localparam int EW = NB + 31;   // bits of d - lo that hold the bin when d is in the window
    logic [63:0] g1;
    logic [63:0] delta2, epos2, eneg2;
    logic o1, o2;
    logic in3, pos3, neg3, phase3;
    logic [EW-1:0] epos3, eneg3;
    logic [63:0] old_q;      // the entry the insertion will overwrite
    logic old_live;          // ... and it can still pair
    // the keep of the scanned history, or (o2) of the one the tag goes into; registered beside
    // delta2, so the compare's carry chain takes it straight from flip-flops
    logic [63:0] keep2;
    wire in2 = $signed(delta2) <= $signed(keep2);
    wire [PW:0] raddr = s_first ? {to_hb, wp} : {scan_hb, ptr};

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
            g1 <= hist[raddr];
            // P2: differences
            v2 <= v1 && !stop;
            delta2 <= s_time - g1;
            keep2 <= is_auto ? cfg_keep_auto : ((o1 ? to_hb : scan_hb) ? cfg_keep_b : cfg_keep_a);
            epos2 <= t_lo_pos - g1;
            eneg2 <= g1 - t_lo_neg;
            // P3: window tests, bins
            v3 <= v2 && !stop;
            in3 <= in2;
            pos3 <= want_pos && (epos2 & cfg_out_mask) == '0;
            neg3 <= want_neg && (eneg2 & cfg_out_mask) == '0;
            epos3 <= EW'(epos2);
            eneg3 <= EW'(eneg2);
        end
        o1 <= s_first;
        o2 <= o1;
        if (o1) old_q <= g1;
        if (o2) old_live <= (to_hb ? cnt_b[PW] : cnt_a[PW]) && in2;
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
            o1 <= 1'b0;
            o2 <= 1'b0;
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

    // ---- insertion --------------------------------------------------------------------------
    wire ins = s_advance && work;   // into hist_b when to_hb, else hist_a
    wire lost = ins && old_live;    // the overwritten entry becomes a ghost

    always_ff @(posedge clk) begin
        if (ins) hist[{to_hb, wp}] <= s_time;
        if (ins && !to_hb) begin
            wp_a <= wp_a + 1'b1;
            if (!cnt_a[PW]) cnt_a <= cnt_a + 1'b1;
        end
        if (ins && to_hb) begin
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
    // with them. Ghost FIFO 0 holds overwritten hist_a entries, FIFO 1 overwritten hist_b
    // entries (one memory, FIFO j at [j*GHOST_DEPTH, (j+1)*GHOST_DEPTH)); ghosts arrive in time
    // order. For the latest tag time t = s_time and D = t - g (64-bit, as a signed number):
    //   pos window, FIFO 0: ghosts with lo <= D < hi lie between pointers lp and up; a later b
    //     tag (any tag of an auto pair) missed d = +D with each;
    //   neg window, FIFO 1 (FIFO 0 for an auto pair): ghosts with lo <= -D < hi lie between ln
    //     and un; a later a tag (any tag of an auto pair) missed d = -D with each.
    // A pointer passes a ghost that is (and, t never decreasing, stays) below its edge:
    //   up: D >= lo, lp: D >= hi, un: D > -hi, ln: D > -lo, i.e. D > x with
    //   x = lo - 1 = ~keep_b, hi - 1 = keep_a, -hi = ~keep_a, -lo = keep_b (keep_a = hi - 1 and
    //   keep_b = -lo as the parent derives them), and a lower pointer never passes its upper one.
    // One comparator serves the four pointers in turn, one slot per clock (0 up, 1 lp, 2 un,
    // 3 ln) through four stages: read the ghost at the pointer (and whether there is one) |
    // D = t - g | D > x | move. So each pointer moves at most once per four clocks, and only one
    // pointer moves in any clock. A slot is `ok` when its last pass moved nothing and saw no new
    // tag, ghost or flush from its read to its move; a move of up (un) clears lp's (ln's) ok, as
    // lp (ln) may now follow. A window is settled when both its slots are ok, or when its lower
    // pointer has been at the tail for two clocks (no ghost left to count, and the registered
    // `missed` has caught up). A ghost that finds its FIFO full is not kept: `inexact` says so.
    localparam int GW = $clog2(GHOST_DEPTH);
    logic [63:0] gmem [2*GHOST_DEPTH];
    logic [GW:0] head0, tail0, head1, tail1;
    logic [GW:0] lp, up, ln, un;   // lower/upper pointers of the pos and neg windows
    wire [GW:0] tail_n = is_auto ? tail0 : tail1;   // the tail of the neg window's FIFO
    wire full0 = (tail0 - head0) == (GW + 1)'(GHOST_DEPTH);
    wire full1 = (tail1 - head1) == (GW + 1)'(GHOST_DEPTH);
    wire keep_ghost = lost && !(to_hb ? full1 : full0);
    wire [GW-1:0] gtail = GW'(to_hb ? tail1 : tail0);   // where a kept ghost is written
    logic drop;

    // read stage: the slot's pointer, its FIFO, and whether a ghost is there
    logic [1:0] rs;                // slot in the read stage; the compare stage holds rs - 2, the move stage rs - 3
    logic [GW-1:0] rptr;
    logic rv;
    always_comb begin
        case (rs)
            2'd0: begin rptr = GW'(up); rv = up != tail0; end
            2'd1: begin rptr = GW'(lp); rv = lp != tail0; end
            2'd2: begin rptr = GW'(un); rv = un != tail_n; end
            default: begin rptr = GW'(ln); rv = ln != tail_n; end
        endcase
    end
    wire rfifo = rs[1] && !is_auto;
    wire [1:0] ds = rs - 2'd1;
    wire [1:0] ms = rs + 2'd1;
    // x of the slot in the difference stage, registered for the compare stage: keep_a for lp
    // and un, keep_b for up and ln, inverted for up and un
    logic [63:0] gx;

    logic [63:0] g_r, d_r;         // the ghost read; D
    logic v_r, v_d, c_m;           // a ghost was read; ... is in the difference; it is below the edge
    logic [3:0] ok;
    logic [2:0] ev_q;              // events in the last three clocks
    wire ev = s_first || lost || flush || rst;
    wire clean = !ev && ev_q == '0;
    wire mv = c_m && (ms == 2'd1 ? lp != up : ms == 2'd3 ? ln != un : 1'b1);

    always_ff @(posedge clk) begin
        if (keep_ghost) gmem[{to_hb, gtail}] <= old_q;
        if (keep_ghost && !to_hb) tail0 <= tail0 + 1'b1;
        if (keep_ghost && to_hb) tail1 <= tail1 + 1'b1;
        drop <= lost && !keep_ghost;
        rs <= rs + 1'b1;
        g_r <= gmem[{rfifo, rptr}];
        v_r <= rv;
        d_r <= s_time - g_r;
        gx <= ((ds[0] ^ ds[1]) ? cfg_keep_a : cfg_keep_b) ^ {64{!ds[0]}};
        v_d <= v_r;
        c_m <= v_d && $signed(d_r) > $signed(gx);
        if (mv) begin
            case (ms)
                2'd0: up <= up + 1'b1;
                2'd1: lp <= lp + 1'b1;
                2'd2: un <= un + 1'b1;
                default: ln <= ln + 1'b1;
            endcase
        end
        ev_q <= {ev_q[1:0], ev};
        if (ev) begin
            ok <= '0;
        end else begin
            ok[ms] <= clean && !mv;
            if (mv && ms == 2'd0) ok[1] <= 1'b0;
            if (mv && ms == 2'd2) ok[3] <= 1'b0;
        end
        // a ghost passed by the lower pointers of every window on its FIFO is free
        if (head0 != lp && (!is_auto || head0 != ln)) head0 <= head0 + 1'b1;
        if (head1 != ln && !is_auto) head1 <= head1 + 1'b1;
        if (rst || flush) begin
            head0 <= '0;
            tail0 <= '0;
            head1 <= '0;
            tail1 <= '0;
            lp <= '0;
            up <= '0;
            ln <= '0;
            un <= '0;
            rs <= '0;
            v_r <= 1'b0;
            v_d <= 1'b0;
            c_m <= 1'b0;
            drop <= 1'b0;
            ev_q <= '1;
        end
    end

    logic idle_p_q, idle_n_q;
    wire idle_p = lp == tail0;     // then up == tail0 too: the pos window is empty
    wire idle_n = ln == tail_n;
    always_ff @(posedge clk) begin
        idle_p_q <= idle_p;
        idle_n_q <= idle_n;
    end
    wire settled_p = (ok[0] && ok[1]) || (idle_p && idle_p_q);
    wire settled_n = (ok[2] && ok[3]) || (idle_n && idle_n_q);
    wire settled = is_auto ? settled_p && settled_n : (scan_hb ? settled_n : settled_p);

    // done: the scan is over, the overwritten entry (age 3) and the ghost windows are evaluated
    wire done_now = work && !s_first && scan_end && age >= 3'd3;
    assign s_done = !work || ((fin_q || done_now) && settled);
    always_ff @(posedge clk) begin
        if (s_advance || s_first) fin_q <= 1'b0;
        else if (done_now) fin_q <= 1'b1;
        if (rst) fin_q <= 1'b0;
    end

    // registered: settled windows have not moved for a clock, so it is current when s_done
    wire [GW:0] npos = up - lp, nneg = un - ln;
    always_ff @(posedge clk)
        missed <= !work ? '0
                : is_auto ? MISS_W'(npos) + MISS_W'(nneg)
                : scan_hb ? MISS_W'(nneg) : MISS_W'(npos);
    assign inexact = drop;

    // ---- banks and the increment pipeline -----------------------------------------------------
    // I: the increment (its bin shifted out of d - lo, of the order P3 issues: one shifter for
    // both), read of the filling bank issued | R: read data out of the block
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
        inc_k <= NB'((pos3 && !phase3 ? epos3 : eneg3) >> cfg_shift);
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
