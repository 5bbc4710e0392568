// SPDX-License-Identifier: BSD-3-Clause
// Pipeline depth of the carry-chain TDC (g2l_tdc), shared by the TDC and by g2l_top, whose merge
// watermark and time base follow it. Include once inside each module body that needs these
// (no include guard, like the generated contract headers).
//
// Stages from the clock edge that samples the delay line to the TDC's `hit` output:
//   1 first-rank flip-flops (in the slices of the carry chain), 1 second rank (metastability),
//   g2l_tdc_pop_stages() ones-counter stages, 1 hit-detect register, G2L_TDC_CALIB_LATENCY
//   (table read and fine-time register). A hit then appears g2l_tdc_latency() clocks after the
//   cycle in which its edge occurred.

localparam int G2L_TDC_ADDS_PER_STAGE = 2;  // adder levels of the ones counter between registers
localparam int G2L_TDC_CALIB_LATENCY = 2;   // g2l_tdc_calib: code in -> fine time out
localparam int G2L_TDC_HEAD_TAPS = 8;       // taps per chain that tell the input level
localparam int G2L_TDC_TAIL_TAPS = 4;       // taps per chain at the far end (over-range check)

// (Verilator sees each function's result variable hide the function of the including module.)
/* verilator lint_off VARHIDDEN */
function automatic int g2l_tdc_clog2(input int x);
    int r;
    r = 0;
    while ((1 << r) < x) r++;
    g2l_tdc_clog2 = r;
endfunction

// Adder levels of the ones counter above its 6-bit leaves.
function automatic int g2l_tdc_tree_levels(input int n_bits);
    g2l_tdc_tree_levels = g2l_tdc_clog2((n_bits + 5) / 6);
endfunction

// Register stages of the ones counter: the top level and every G2L_TDC_ADDS_PER_STAGE below it.
function automatic int g2l_tdc_pop_stages(input int n_bits);
    g2l_tdc_pop_stages = g2l_tdc_tree_levels(n_bits) / G2L_TDC_ADDS_PER_STAGE + 1;
endfunction

// Clocks from the cycle of an edge to the TDC's hit for it (n_bits: taps of all chains).
function automatic int g2l_tdc_latency(input int n_bits);
    g2l_tdc_latency = 2 + g2l_tdc_pop_stages(n_bits) + 1 + G2L_TDC_CALIB_LATENCY;
endfunction
/* verilator lint_on VARHIDDEN */

// g2l_tdc_calib: the table built from a collection whose last hit is in cycle c serves hits
// from cycle c + 2**CODE_W + G2L_TDC_BUILD_TAIL on (the C twin g2l_tdc_cal_run uses the same).
localparam int G2L_TDC_BUILD_TAIL = 9;
