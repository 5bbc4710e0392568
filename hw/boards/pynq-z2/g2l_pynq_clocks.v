// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// PYNQ-Z2 clocking for the g2live core: the time base and a faster TDC clock from one MMCM fed by
// the board's 125 MHz PL oscillator (pin H16), or, on request and while it is present, by an
// external 10 MHz reference (a PMOD pin) through a second MMCM that multiplies it to 125 MHz.
//
//   sysclk 125 MHz --IBUF/BUFG--------------------------> CLKIN1 \
//   ref_in  10 MHz --IBUF/BUFG--> u_mmcm_ref (x100 /8) --> CLKIN2  > u_mmcm_main (x8 /1 = 1 GHz VCO)
//                                                                  /   CLKOUT0 /CORE_DIVIDE -> clk_core
//                                                                      CLKOUT1 /TDC_DIVIDE  -> clk_tdc
//
// A small state machine on the free-running oscillator switches the main MMCM's input
// (CLKINSEL): it first stops both output clocks cleanly (BUFGCE, enables synchronised in each
// output's own domain), holds the MMCM in reset for RELOCK_CYCLES, releases it and opens the
// outputs once LOCKED is back. The reference is used only while CLOCK_CONTROL.ref_select asks for
// it and its MMCM is locked: when the reference goes away the machine falls back to the
// oscillator by itself. The core keeps its registers through a switch; its time base pauses, so
// the driver clears afterwards. Every loss of lock of the main MMCM, and every loss of the
// reference while the time base runs from it, is counted (unlock_count).
//
// `status` is CLOCK_STATUS (docs/register_map.md) in the oscillator's domain, unlock_count in Gray
// code: the board top synchronises it into the core's domain (g2l_pynq_top).
//
// Simulation: MMCME2_ADV, BUFG, BUFGCE, BUFH and IBUF are Xilinx unisim cells; the simulations
// (Icarus, and Verilator with --timing) use the behavioural stand-ins in sim/unisim_standin.v,
// which Vivado never reads.
module g2l_pynq_clocks #(
    parameter VCO_MULT = 8,             // main MMCM: 125 MHz x 8 = 1000 MHz VCO (600..1200 on -1)
    parameter CORE_DIVIDE = 8,          // 1000 / 8 = 125 MHz time base (CLK_PERIOD_PS = 8000)
    parameter TDC_DIVIDE = 4,           // 1000 / 4 = 250 MHz TDC clock, phase-locked to clk_core
    parameter REF_MULT = 100,           // reference MMCM: 10 MHz x 100 = 1000 MHz VCO
    parameter REF_DIVIDE = 8,           // 1000 / 8 = 125 MHz into the main MMCM's CLKIN2
    parameter RELOCK_CYCLES = 1024,     // oscillator cycles the main MMCM is held in reset on a switch
    parameter SYSCLK_PERIOD = 8.0,      // ns, the oscillator
    parameter REF_PERIOD = 100.0        // ns, the external reference
) (
    (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 sysclk CLK" *)
    (* X_INTERFACE_PARAMETER = "FREQ_HZ 125000000" *)
    input  wire        sysclk,       // 125 MHz PL oscillator
    (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 ref_in CLK" *)
    (* X_INTERFACE_PARAMETER = "FREQ_HZ 10000000" *)
    input  wire        ref_in,       // external 10 MHz reference, may be absent
    input  wire        ref_request,  // CLOCK_CONTROL.ref_select, any domain
    (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 clk_core CLK" *)
    (* X_INTERFACE_PARAMETER = "FREQ_HZ 125000000" *)
    output wire        clk_core,     // time base (stops cleanly while the MMCM relocks)
    (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 clk_tdc CLK" *)
    (* X_INTERFACE_PARAMETER = "FREQ_HZ 250000000" *)
    output wire        clk_tdc,      // TDC clock (stops with clk_core)
    output wire        locked,       // clk_core runs from a locked MMCM (oscillator domain)
    output wire [31:0] status        // CLOCK_STATUS fields, unlock_count Gray-coded
);
    initial begin
        if (VCO_MULT * 125 < 600 || VCO_MULT * 125 > 1200) $display("%m: VCO outside 600..1200 MHz");
        if (REF_MULT * 10 < 600 || REF_MULT * 10 > 1200) $display("%m: reference VCO outside 600..1200 MHz");
        if (REF_MULT * 10 / REF_DIVIDE != 125) $display("%m: the reference MMCM must make 125 MHz for CLKIN2");
    end

    // ---- inputs ---------------------------------------------------------------------------------
    wire sysclk_ibuf, sysclk_g, ref_ibuf, ref_g;
    IBUF u_ibuf_sys (.I(sysclk), .O(sysclk_ibuf));
    BUFG u_bufg_sys (.I(sysclk_ibuf), .O(sysclk_g));  // the state machine's free-running clock
    IBUF u_ibuf_ref (.I(ref_in), .O(ref_ibuf));
    BUFG u_bufg_ref (.I(ref_ibuf), .O(ref_g));

    // ---- reference MMCM: 10 MHz -> 125 MHz ---------------------------------------------------------
    wire ref_fb, ref_fb_g, ref_125, ref_125_g, ref_locked_raw;
    MMCME2_ADV #(
        .BANDWIDTH("OPTIMIZED"), .CLKIN1_PERIOD(REF_PERIOD), .DIVCLK_DIVIDE(1),
        .CLKFBOUT_MULT_F(REF_MULT), .CLKOUT0_DIVIDE_F(REF_DIVIDE), .CLKOUT1_DIVIDE(1)
    ) u_mmcm_ref (
        .CLKIN1(ref_g), .CLKIN2(1'b0), .CLKINSEL(1'b1), .CLKFBIN(ref_fb_g), .RST(1'b0), .PWRDWN(1'b0),
        .CLKFBOUT(ref_fb), .CLKOUT0(ref_125), .CLKOUT1(), .LOCKED(ref_locked_raw),
        .DADDR(7'd0), .DCLK(1'b0), .DEN(1'b0), .DI(16'd0), .DWE(1'b0), .DO(), .DRDY(),
        .PSCLK(1'b0), .PSEN(1'b0), .PSINCDEC(1'b0), .PSDONE(), .CLKINSTOPPED(), .CLKFBSTOPPED()
    );
    BUFG u_bufg_ref_fb (.I(ref_fb), .O(ref_fb_g));
    BUFG u_bufg_ref_125 (.I(ref_125), .O(ref_125_g));

    // ---- main MMCM -----------------------------------------------------------------------------------
    reg  use_ref = 1'b0;     // CLKINSEL = !use_ref (1 = CLKIN1, the oscillator)
    reg  mmcm_rst = 1'b1;
    wire main_fb, main_fb_g, core_raw, tdc_raw, main_locked_raw;
    MMCME2_ADV #(
        .BANDWIDTH("OPTIMIZED"), .CLKIN1_PERIOD(SYSCLK_PERIOD), .CLKIN2_PERIOD(SYSCLK_PERIOD),
        .DIVCLK_DIVIDE(1), .CLKFBOUT_MULT_F(VCO_MULT), .CLKOUT0_DIVIDE_F(CORE_DIVIDE),
        .CLKOUT1_DIVIDE(TDC_DIVIDE)
    ) u_mmcm_main (
        .CLKIN1(sysclk_ibuf), .CLKIN2(ref_125_g), .CLKINSEL(!use_ref), .CLKFBIN(main_fb_g),
        .RST(mmcm_rst), .PWRDWN(1'b0),
        .CLKFBOUT(main_fb), .CLKOUT0(core_raw), .CLKOUT1(tdc_raw), .LOCKED(main_locked_raw),
        .DADDR(7'd0), .DCLK(1'b0), .DEN(1'b0), .DI(16'd0), .DWE(1'b0), .DO(), .DRDY(),
        .PSCLK(1'b0), .PSEN(1'b0), .PSINCDEC(1'b0), .PSDONE(), .CLKINSTOPPED(), .CLKFBSTOPPED()
    );
    BUFG u_bufg_main_fb (.I(main_fb), .O(main_fb_g));

    // ---- glitch-free output gates: enable synchronised by each output's own (ungated) clock ----------
    reg  gate = 1'b0;  // oscillator domain: outputs may run
    wire core_local, tdc_local;
    (* ASYNC_REG = "TRUE" *) reg [1:0] core_en = 2'b00;
    (* ASYNC_REG = "TRUE" *) reg [1:0] tdc_en = 2'b00;
    BUFH u_bufh_core (.I(core_raw), .O(core_local));
    BUFH u_bufh_tdc (.I(tdc_raw), .O(tdc_local));
    always @(posedge core_local) core_en <= {core_en[0], gate};
    always @(posedge tdc_local) tdc_en <= {tdc_en[0], gate};
    BUFGCE u_bufgce_core (.I(core_raw), .CE(core_en[1]), .O(clk_core));
    BUFGCE u_bufgce_tdc (.I(tdc_raw), .CE(tdc_en[1]), .O(clk_tdc));

    // ---- state machine (oscillator domain) -------------------------------------------------------------
    (* ASYNC_REG = "TRUE" *) reg [1:0] req_s = 2'b00;
    (* ASYNC_REG = "TRUE" *) reg [1:0] ref_lock_s = 2'b00;
    (* ASYNC_REG = "TRUE" *) reg [1:0] main_lock_s = 2'b00;
    always @(posedge sysclk_g) begin
        req_s <= {req_s[0], ref_request};
        ref_lock_s <= {ref_lock_s[0], ref_locked_raw};
        main_lock_s <= {main_lock_s[0], main_locked_raw};
    end
    wire want_ref = req_s[1] && ref_lock_s[1];
    wire main_lock = main_lock_s[1];

    localparam [1:0] S_RESET = 2'd0,  // MMCM held in reset
                     S_LOCK = 2'd1,   // waiting for LOCKED
                     S_RUN = 2'd2,    // outputs open
                     S_STOP = 2'd3;   // outputs closing before a switch
    reg [1:0]  state = S_RESET;
    reg [15:0] count = 16'd0;
    reg [7:0]  unlocks = 8'd0;  // saturating
    always @(posedge sysclk_g) begin
        case (state)
            S_RESET: begin
                mmcm_rst <= 1'b1;
                gate <= 1'b0;
                if (count == RELOCK_CYCLES) begin
                    mmcm_rst <= 1'b0;
                    count <= 16'd0;
                    state <= S_LOCK;
                end else count <= count + 16'd1;
            end
            S_LOCK: begin
                if (use_ref != want_ref) begin  // the reference came or went meanwhile
                    use_ref <= want_ref;
                    count <= 16'd0;
                    state <= S_RESET;
                end else if (main_lock) begin
                    gate <= 1'b1;
                    state <= S_RUN;
                end
            end
            S_RUN: begin
                if (!main_lock) begin
                    gate <= 1'b0;  // lost lock (reference gone, or the oscillator): stop the outputs
                    if (unlocks != 8'hFF) unlocks <= unlocks + 8'd1;
                    use_ref <= want_ref;
                    count <= 16'd0;
                    state <= S_RESET;
                end else if (use_ref != want_ref) begin
                    gate <= 1'b0;
                    // the reference vanished under the running time base: as bad as an unlock
                    if (use_ref && !ref_lock_s[1] && unlocks != 8'hFF) unlocks <= unlocks + 8'd1;
                    count <= 16'd0;
                    state <= S_STOP;
                end
            end
            default: begin  // S_STOP: let the closed enables pass their synchronisers
                if (count == 16'd15) begin
                    use_ref <= want_ref;
                    count <= 16'd0;
                    state <= S_RESET;
                end else count <= count + 16'd1;
            end
        endcase
    end

    assign locked = gate && main_lock;
    wire [7:0] unlocks_gray = unlocks ^ (unlocks >> 1);
    // CLOCK_STATUS: present, locked, ref_locked, ref_selected, unlock_count (Gray here)
    assign status = {16'd0, unlocks_gray, 4'd0, use_ref && gate, ref_lock_s[1], locked, 1'b1};
endmodule

`resetall
