// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Verilog-2001 shell around g2l_top for a Vivado block-design module reference (the block
// designer does not take a SystemVerilog top). Board parameters: 9 inputs (8 detectors on PMOD A,
// the laser sync on PMOD B pin 1), a 125 MHz time base (CLK_PERIOD_PS = 8000) from
// g2l_pynq_clocks (the board's oscillator or an external 10 MHz reference), whose status this
// shell brings into the core's clock domain for CLOCK_STATUS.
// Fine time: every input has a carry-chain TDC (g2l_tdc, TDC_LINE = 1): two chains of
// TDC_N_CARRY4 CARRY4 cells sampled by the 125 MHz time-base clock, calibrated online (TDC_*
// registers); placed by the pblocks in g2live.xdc. in_fine_ps is the simulation-only input of the
// zero-time line and is not used by the carry chains (tied off here). The core has no clk_tdc
// port yet: g2l_pynq_clocks' 250 MHz clk_tdc stays unconnected (g2live_bd.tcl checks for it).
module g2l_pynq_top #(
    parameter N_CHANNELS = 9,        // detector + sync inputs
    parameter N_PAIRS = 4,           // correlation pairs
    parameter N_BINS_LOG2 = 12,      // largest histogram: 4096 bins
    parameter MAX_PHOTONS = 15,      // last photon-number bin
    parameter CLK_PERIOD_PS = 8000,  // g2l_pynq_clocks clk_core = 125 MHz: the TDC samples its lines with it
    parameter TDC_N_CHAINS = 2,      // carry chains per input
    parameter TDC_N_CARRY4 = 143,    // CARRY4 per chain: 1.25 periods at 70 ps per CARRY4, fits a 150-row column
    parameter N_MARKERS = 4          // marker inputs (frame / line / power step): PMOD B pins 3, 4, 7, 8
) (
    (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 clk CLK" *)
    (* X_INTERFACE_PARAMETER = "ASSOCIATED_BUSIF s_axil:m_axis, ASSOCIATED_RESET aresetn" *)
    input  wire                  clk,
    input  wire                  aresetn,
    input  wire [N_CHANNELS-1:0] spad_in,
    input  wire [N_MARKERS-1:0]  marker_in,  // asynchronous; g2l_marker synchronises them

    input  wire [11:0]           s_axil_awaddr,
    input  wire [2:0]            s_axil_awprot,
    input  wire                  s_axil_awvalid,
    output wire                  s_axil_awready,
    input  wire [31:0]           s_axil_wdata,
    input  wire [3:0]            s_axil_wstrb,
    input  wire                  s_axil_wvalid,
    output wire                  s_axil_wready,
    output wire [1:0]            s_axil_bresp,
    output wire                  s_axil_bvalid,
    input  wire                  s_axil_bready,
    input  wire [11:0]           s_axil_araddr,
    input  wire [2:0]            s_axil_arprot,
    input  wire                  s_axil_arvalid,
    output wire                  s_axil_arready,
    output wire [31:0]           s_axil_rdata,
    output wire [1:0]            s_axil_rresp,
    output wire                  s_axil_rvalid,
    input  wire                  s_axil_rready,

    output wire [63:0]           m_axis_tdata,
    output wire [7:0]            m_axis_tkeep,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,

    // board clocking (g2l_pynq_clocks, its own cell in the block design)
    input  wire [31:0]           clock_status_osc,  // CLOCK_STATUS, oscillator domain, count in Gray code
    output wire                  ref_request        // CLOCK_CONTROL.ref_select
);
    // Synchronous reset from the processor's active-low reset.
    reg rst = 1'b1;
    always @(posedge clk) rst <= !aresetn;

    assign m_axis_tkeep = 8'hFF;

    // ---- clock status into this domain: two flops per bit, then the Gray count back to binary ----
    (* ASYNC_REG = "TRUE" *) reg [31:0] clk_st_meta = 32'd0;
    (* ASYNC_REG = "TRUE" *) reg [31:0] clk_st_sync = 32'd0;
    always @(posedge clk) begin
        clk_st_meta <= clock_status_osc;
        clk_st_sync <= clk_st_meta;
    end
    reg [7:0] unlocks_bin;
    integer k;
    always @(*) begin
        unlocks_bin[7] = clk_st_sync[15];
        for (k = 6; k >= 0; k = k - 1) unlocks_bin[k] = unlocks_bin[k + 1] ^ clk_st_sync[8 + k];
    end
    wire [31:0] clock_status = {clk_st_sync[31:16], unlocks_bin, clk_st_sync[7:0]};
    wire [31:0] clock_control;
    assign ref_request = clock_control[0];
    wire unused_ok = &{1'b0, clock_control[31:1]};

    g2l_top #(
        .N_CHANNELS(N_CHANNELS), .N_PAIRS(N_PAIRS), .N_BINS_LOG2(N_BINS_LOG2),
        .MAX_PHOTONS(MAX_PHOTONS), .CLK_PERIOD_PS(CLK_PERIOD_PS),
        .TDC_LINE(1), .TDC_N_CHAINS(TDC_N_CHAINS), .TDC_N_CARRY4(TDC_N_CARRY4), .N_MARKERS(N_MARKERS)
    ) u_core (
        .clk(clk), .rst(rst),
        .in_pulse(spad_in), .in_fine_ps({(N_CHANNELS * 16){1'b0}}),  // zero-time line only: unused
        .in_marker(marker_in),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
        .m_axis_tlast(m_axis_tlast),
        .clock_status(clock_status), .clock_control(clock_control)
    );
endmodule

`resetall
