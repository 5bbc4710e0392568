// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Behavioural delay line for the event-driven TDC testbenches (Icarus, Verilator): N_TAPS taps
// with explicit, individual delays from the input, read from a file the testbench writes from
// its delay-line model (g2live.tdc.DelayLine: out-of-order taps inside each CARRY4, spread, an
// ultra-wide bin at a clock-region crossing, chain offsets, per-flop clock skew). Tap i holds the
// input as it was delay_i ago: a transport delay, for any pulse shape.
//
// The taps are evaluated at each rising clock edge from the input's recent transitions (times to
// the picosecond) instead of being propagated as events: the same transport delay, ~100 times
// cheaper in simulation (a propagated line costs one event per tap and transition). A tap whose
// transition falls within G2L_TDC_META_PS of the clock edge is sampled as a random bit
// (metastability); one within G2L_TDC_BUBBLE_PS is flipped with probability G2L_TDC_BUBBLE_PPM
// per million (injected bubbles). `scale_ppm` (written by the testbench) scales every delay:
// 1 000 000 = as in the file, 1 050 000 = every delay +5 % (temperature drift).
//
// Plusargs: +G2L_TDC_TAPS=<file> (one hex delay in ps per line, tap order = snapshot bit order),
// +G2L_TDC_META_PS=<n>, +G2L_TDC_BUBBLE_PS=<n>, +G2L_TDC_BUBBLE_PPM=<n>, +G2L_TDC_SEED=<n>.
/* verilator lint_off BLKSEQ */
/* verilator lint_off PROCASSINIT */
/* verilator lint_off UNUSEDSIGNAL */
module g2l_tdc_line_behav #(
    parameter int N_TAPS = 576,  // taps of all chains (chain-major, as the carry-chain line)
    parameter int HIST = 16      // input transitions that can be inside the line at once
) (
    input  wire logic              clk,
    input  wire logic              in_pulse,
    output logic      [N_TAPS-1:0] sample    // first rank, updated at each rising clock edge
);
    int unsigned scale_ppm /*verilator public_flat_rw*/ = 1000000;  // delay scale, ppm of the file's
    int unsigned meta_ps = 0, bubble_ps = 0, bubble_ppm = 0;
    int          seed = 1;
    int          found = 0;  // optional plusargs given
    string       taps_file;

    int unsigned       base_ps [N_TAPS];    // delay of each tap as in the file
    longint            sorted_e [N_TAPS];   // scaled delays, ascending
    int                order [N_TAPS];      // tap of each sorted position
    logic [N_TAPS-1:0] prefix [N_TAPS+1];   // taps of the first k sorted positions
    int unsigned       built_scale = 0;
    longint            e_max = 0;

    longint tr_t [HIST];  // input transitions still inside the line (ps), oldest first
    logic   tr_l [HIST];  // level after each
    int     n_tr = 0;
    logic   lvl_old = 1'b0;  // level every tap has seen

    initial begin
        if (!$value$plusargs("G2L_TDC_TAPS=%s", taps_file)) $fatal(1, "%m: +G2L_TDC_TAPS=<file> is required");
        $readmemh(taps_file, base_ps);
        if ($value$plusargs("G2L_TDC_META_PS=%d", meta_ps)) found = found + 1;
        if ($value$plusargs("G2L_TDC_BUBBLE_PS=%d", bubble_ps)) found = found + 1;
        if ($value$plusargs("G2L_TDC_BUBBLE_PPM=%d", bubble_ppm)) found = found + 1;
        if ($value$plusargs("G2L_TDC_SEED=%d", seed)) found = found + 1;
    end

    function automatic longint now_ps();
        now_ps = longint'($realtime * 1000.0);
    endfunction

    // Scaled delays in ascending order and the prefix masks (after a scale change).
    task automatic rebuild;
        longint v;
        int j;
        for (int i = 0; i < N_TAPS; i++) begin
            v = (longint'(base_ps[i]) * longint'(scale_ppm) + 64'sd500000) / 64'sd1000000;
            j = i;
            while (j > 0 && sorted_e[j - 1] > v) begin
                sorted_e[j] = sorted_e[j - 1];
                order[j] = order[j - 1];
                j = j - 1;
            end
            sorted_e[j] = v;
            order[j] = i;
        end
        prefix[0] = '0;
        for (int k = 0; k < N_TAPS; k++) begin
            prefix[k + 1] = prefix[k];
            prefix[k + 1][order[k]] = 1'b1;
        end
        e_max = sorted_e[N_TAPS - 1];
        built_scale = scale_ppm;
    endtask

    // Number of taps with a scaled delay <= x.
    function automatic int upto(input longint x);
        int lo, hi, mid;
        lo = 0;
        hi = N_TAPS;
        while (lo < hi) begin
            mid = (lo + hi) / 2;
            if (sorted_e[mid] <= x) lo = mid + 1;
            else hi = mid;
        end
        upto = lo;
    endfunction

    // Input transitions (a change from X to 0 at start-up is none).
    logic lvl_in = 1'b0;
    always @(posedge in_pulse or negedge in_pulse) begin
        if ((in_pulse === 1'b1) != lvl_in) begin
            if (n_tr == HIST) $fatal(1, "%m: more than %0d input transitions inside the line", HIST);
            lvl_in = in_pulse === 1'b1;
            tr_t[n_tr] = now_ps();
            tr_l[n_tr] = lvl_in;
            n_tr = n_tr + 1;
        end
    end

    always @(posedge clk) begin : g_sample
        longint now, x, dt, win;
        int lo, hi, k;
        logic [N_TAPS-1:0] s;
        if (scale_ppm != built_scale) rebuild();
        now = now_ps();
        // forget transitions that every tap has seen
        while (n_tr > 0 && now - tr_t[0] > e_max + longint'(bubble_ps) + 1) begin
            lvl_old = tr_l[0];
            for (int j = 1; j < n_tr; j++) begin
                tr_t[j - 1] = tr_t[j];
                tr_l[j - 1] = tr_l[j];
            end
            n_tr = n_tr - 1;
        end
        s = {N_TAPS{lvl_old}};
        for (int j = 0; j < n_tr; j++) begin
            k = upto(now - tr_t[j]);
            s = tr_l[j] ? (s | prefix[k]) : (s & ~prefix[k]);
        end
        // taps switching right at the clock edge: metastable, or bubbles
        win = bubble_ps > meta_ps ? longint'(bubble_ps) : longint'(meta_ps);
        for (int j = 0; j < n_tr; j++) begin
            x = now - tr_t[j];
            lo = upto(x - win - 1);
            hi = upto(x + win);
            for (int p = lo; p < hi; p++) begin
                dt = sorted_e[p] - x;
                if (dt < 0) dt = -dt;
                if (dt <= longint'(meta_ps)) s[order[p]] = 1'($random(seed));
                else if (dt <= longint'(bubble_ps) && $unsigned($random(seed)) % 1000000 < bubble_ppm)
                    s[order[p]] = !s[order[p]];
            end
        end
        sample <= s;
    end
endmodule
/* verilator lint_on UNUSEDSIGNAL */
/* verilator lint_on PROCASSINIT */
/* verilator lint_on BLKSEQ */

`resetall
