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

## The inputs are asynchronous to every clock: g2l_sync_edge synchronises them (ASYNC_REG flops).
set_false_path -from [get_ports { spad_in[*] }]

## ==== Clocks (g2l_pynq_clocks.v) =========================================================