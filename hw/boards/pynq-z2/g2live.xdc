# SPDX-License-Identifier: BSD-3-Clause
## g2live on PYNQ-Z2: SPAD and sync inputs (3.3 V LVCMOS). Pins from the PYNQ-Z2 v1.0 master XDC;
## check them against your board revision before connecting detectors.
## Detector outputs are usually NIM or TTL into 50 ohm: use a level shifter / comparator board,
## never feed NIM (negative) pulses into these pins.

## PMOD A: detector channels 0..7
set_property -dict { PACKAGE_PIN Y18 IOSTANDARD LVCMOS33 } [get_ports { spad_in[0] }]
set_property -dict { PACKAGE_PIN Y19 IOSTANDARD LVCMOS33 } [get_ports { spad_in[1] }]
set_property -dict { PACKAGE_PIN Y16 IOSTANDARD LVCMOS33 } [get_ports { spad_in[2] }]
set_property -dict { PACKAGE_PIN Y17 IOSTANDARD LVCMOS33 } [get_ports { spad_in[3] }]
set_property -dict { PACKAGE_PIN U18 IOSTANDARD LVCMOS33 } [get_ports { spad_in[4] }]
set_property -dict { PACKAGE_PIN U19 IOSTANDARD LVCMOS33 } [get_ports { spad_in[5] }]
set_property -dict { PACKAGE_PIN W18 IOSTANDARD LVCMOS33 } [get_ports { spad_in[6] }]
set_property -dict { PACKAGE_PIN W19 IOSTANDARD LVCMOS33 } [get_ports { spad_in[7] }]
## PMOD B pin 1: laser sync (channel 8, the default SYNC_CHANNEL is 0: set it to 8)
set_property -dict { PACKAGE_PIN W14 IOSTANDARD LVCMOS33 } [get_ports { spad_in[8] }]

## PMOD B pins 3, 4, 7, 8 (jb[2..5]): marker inputs 0..3 (g2l_marker: frame / line / power-step
## signals, 3.3 V, rising edge; time-stamped at the 125 MHz core clock, so 8 ns resolution). The
## pull-downs keep an unconnected marker quiet (the driver enables every marker input).
set_property -dict { PACKAGE_PIN T11 IOSTANDARD LVCMOS33 PULLDOWN TRUE } [get_ports { marker_in[0] }]
set_property -dict { PACKAGE_PIN T10 IOSTANDARD LVCMOS33 PULLDOWN TRUE } [get_ports { marker_in[1] }]
set_property -dict { PACKAGE_PIN V16 IOSTANDARD LVCMOS33 PULLDOWN TRUE } [get_ports { marker_in[2] }]
set_property -dict { PACKAGE_PIN W16 IOSTANDARD LVCMOS33 PULLDOWN TRUE } [get_ports { marker_in[3] }]
## Two-flop synchronisers (ASYNC_REG) take them into the core clock: no timed path from the pins.
set_false_path -from [get_ports { marker_in[*] }]

## The inputs are asynchronous to every clock: each drives its TDC's carry chains, whose first-rank
## flip-flops sample it (the path through a chain is longer than a clock period by design).
set_false_path -from [get_ports { spad_in[*] }]

## ---- sync prescaler (g2l_sync_div on channel 8, SYNC_DIVIDER) ------------------------------
## Its counter is clocked by the sync line itself (up to 80 MHz laser syncs). W14 is not a
## clock-capable pin: local routing is fine for a 4-bit counter at 80 MHz.
create_clock -name laser_sync -period 12.500 [get_ports { spad_in[8] }]
set_property CLOCK_DEDICATED_ROUTE FALSE [get_nets -of_objects [get_ports { spad_in[8] }]]
## The divided line reaches the core clock only through channel 8's TDC (its carry chains and
## first-rank flip-flops, like any input); the reset of the count comes from a core-clock register
## and is released asynchronously on purpose.
set_clock_groups -asynchronous -group [get_clocks laser_sync]

## ==== Clocks (g2l_pynq_clocks.v) ================================================================
## Kept together in this section; the TDC's placement constraints live in their own section.
## 125 MHz PL oscillator: the time base and the TDC clock come from it through u_mmcm_main.
set_property -dict { PACKAGE_PIN H16 IOSTANDARD LVCMOS33 } [get_ports { sysclk }]
create_clock -name sysclk -period 8.000 [get_ports { sysclk }]

## Optional external 10 MHz reference (3.3 V square wave) on PMOD B pin 2 (jb[1]). The pull-down
## keeps an open input quiet, so "no reference" reads as not locked.
set_property -dict { PACKAGE_PIN Y14 IOSTANDARD LVCMOS33 PULLDOWN TRUE } [get_ports { ref_in }]
create_clock -name ref_10m -period 100.000 [get_ports { ref_in }]
## Y14 is not a clock-capable pin: the reference reaches its MMCM over general routing (some
## jitter, which the two MMCMs filter). For the cleanest reference put it on PMOD A pin 7 (U18,
## IO_L12P_T1_MRCC_34) instead and move detector channel 4 to Y14.
set_property CLOCK_DEDICATED_ROUTE FALSE [get_nets -of_objects [get_pins -hierarchical -filter {NAME =~ *u_ibuf_ref/O}]]

## The main MMCM makes each output clock twice, once per input (CLKIN1 = oscillator, CLKIN2 =
## reference); only one of the two exists at any time.
set g2l_main_clks [get_clocks -of_objects [get_pins -hierarchical -filter {NAME =~ *u_mmcm_main/CLKOUT*}]]
set_clock_groups -name g2l_main_inputs -physically_exclusive \
    -group [filter $g2l_main_clks {MASTER_CLOCK == sysclk}] \
    -group [filter $g2l_main_clks {MASTER_CLOCK != sysclk}]
## Domains that meet only through synchronisers (two flops per status bit, the Gray-coded unlock
## count, the AXI interconnect's and the DMA's clock converters) are timed separately.
set_clock_groups -name g2l_async -asynchronous \
    -group [get_clocks sysclk] \
    -group [get_clocks -include_generated_clocks ref_10m] \
    -group [get_clocks -include_generated_clocks clk_fpga_0] \
    -group [filter $g2l_main_clks {MASTER_CLOCK == sysclk}]
## ==== end of the clocks section ===================================================================

## ---- carry-chain TDC placement (g2l_tdc_line_carry4, one per input) ------------------------------
## One pblock per input, one CLB column wide (its two slice columns, one chain each) and 150 rows high
## (three clock regions): each chain of 143 CARRY4 runs straight up its slice column (the carry
## cascade fixes the order), and the RLOCs in g2l_tdc_carry4_cell keep each tap's flip-flop in the
## slice of its CARRY4. Crossing a clock-region boundary (rows 50 and 100) makes one wide bin; the
## online calibration absorbs it. The columns SLICE_X80..X97 lie in the right half of the PL, away
## from the processing system; keep the nine pblocks in full-height CLB columns (check the device
## view: no hard block may interrupt them) and close to the input pins if you move them.
create_pblock pb_tdc0
add_cells_to_pblock [get_pblocks pb_tdc0] [get_cells -hierarchical -filter {NAME =~ */g_ch[0].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc0] -add {SLICE_X80Y0:SLICE_X81Y149}
create_pblock pb_tdc1
add_cells_to_pblock [get_pblocks pb_tdc1] [get_cells -hierarchical -filter {NAME =~ */g_ch[1].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc1] -add {SLICE_X82Y0:SLICE_X83Y149}
create_pblock pb_tdc2
add_cells_to_pblock [get_pblocks pb_tdc2] [get_cells -hierarchical -filter {NAME =~ */g_ch[2].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc2] -add {SLICE_X84Y0:SLICE_X85Y149}
create_pblock pb_tdc3
add_cells_to_pblock [get_pblocks pb_tdc3] [get_cells -hierarchical -filter {NAME =~ */g_ch[3].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc3] -add {SLICE_X86Y0:SLICE_X87Y149}
create_pblock pb_tdc4
add_cells_to_pblock [get_pblocks pb_tdc4] [get_cells -hierarchical -filter {NAME =~ */g_ch[4].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc4] -add {SLICE_X88Y0:SLICE_X89Y149}
create_pblock pb_tdc5
add_cells_to_pblock [get_pblocks pb_tdc5] [get_cells -hierarchical -filter {NAME =~ */g_ch[5].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc5] -add {SLICE_X90Y0:SLICE_X91Y149}
create_pblock pb_tdc6
add_cells_to_pblock [get_pblocks pb_tdc6] [get_cells -hierarchical -filter {NAME =~ */g_ch[6].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc6] -add {SLICE_X92Y0:SLICE_X93Y149}
create_pblock pb_tdc7
add_cells_to_pblock [get_pblocks pb_tdc7] [get_cells -hierarchical -filter {NAME =~ */g_ch[7].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc7] -add {SLICE_X94Y0:SLICE_X95Y149}
create_pblock pb_tdc8
add_cells_to_pblock [get_pblocks pb_tdc8] [get_cells -hierarchical -filter {NAME =~ */g_ch[8].u_tdc/g_carry4.u_line}]
resize_pblock [get_pblocks pb_tdc8] -add {SLICE_X96Y0:SLICE_X97Y149}
set_property IS_SOFT FALSE [get_pblocks pb_tdc*]
set_property EXCLUDE_PLACEMENT TRUE [get_pblocks pb_tdc*]
