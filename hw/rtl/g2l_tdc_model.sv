// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Behavioural TDC for simulation. A TDC reports each rising edge of its input as a one-cycle
// `hit` with the edge's fine time (ps after the start of the clock cycle in which it occurred),
// exactly LATENCY clocks after that cycle (STAGES + 1 by default; more stands for a real TDC's
// encoder and calibration pipeline). Here the fine time is not measured: the harness/testbench
// drives `sim_fine_ps` together with the pulse and this block delays it to line up with the
// synchronised edge. A carry-chain TDC is port-compatible (it ignores `sim_fine_ps`); whatever
// its fixed latency, g2l_top's TDC_LATENCY states it and the top compensates it.
module g2l_tdc_model #(
    parameter int CLK_PERIOD_PS = 4000,  // clock period: fine times are 0..CLK_PERIOD_PS-1
    parameter int FINE_W = 16,           // bits of the fine time
    parameter int STAGES = 2,            // synchroniser flops
    parameter int LATENCY = STAGES + 1   // clocks from an edge's cycle to its hit (>= STAGES + 1)
) (
    input  wire logic              clk,
    input  wire logic              rst,          // synchronous, active high
    input  wire logic              in_pulse,     // SPAD / sync line
    input  wire logic [FINE_W-1:0] sim_fine_ps,  // simulation only: fine time of the pulse's edge
    output logic                   hit,          // one cycle per detected edge
    output logic      [FINE_W-1:0] fine_ps       // fine time of that edge
);
    initial begin
        if (CLK_PERIOD_PS < 1 || CLK_PERIOD_PS > (1 << FINE_W))
            $error("%m: CLK_PERIOD_PS must be 1..2**FINE_W");
        if (LATENCY < STAGES + 1) $error("%m: LATENCY must be >= STAGES + 1");
    end

    localparam int EXTRA = LATENCY - (STAGES + 1);  // stages after the synchroniser

    logic [LATENCY*FINE_W-1:0] fine_pipe;  // stage i at bits [i*FINE_W +: FINE_W]
    logic rise;

    g2l_sync_edge #(.STAGES(STAGES)) u_sync (
        .clk(clk), .rst(rst), .in_async(in_pulse), .rise(rise)
    );
    if (EXTRA == 0) begin : g_direct
        assign hit = rise;
    end else begin : g_deeper
        logic [EXTRA-1:0] hit_pipe;
        always_ff @(posedge clk) begin
            hit_pipe[0] <= !rst && rise;
            for (int i = 1; i < EXTRA; i++) hit_pipe[i] <= !rst && hit_pipe[i-1];
        end
        assign hit = hit_pipe[EXTRA-1];
    end

    // The fine time rides along the synchroniser so it arrives with `hit`.
    always_ff @(posedge clk) fine_pipe <= {fine_pipe[(LATENCY-1)*FINE_W-1:0], sim_fine_ps};
    assign fine_ps = fine_pipe[(LATENCY-1)*FINE_W +: FINE_W];
endmodule

`resetall
