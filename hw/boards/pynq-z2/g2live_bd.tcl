# SPDX-License-Identifier: BSD-3-Clause
# Block design "g2live" for PYNQ-Z2, sourced by build.tcl inside an open project whose sources
# already hold the RTL. Cell names are the driver's contract: host/g2live/device/pynq.py looks up
# g2l_top_0 and axi_dma_0; pynq finds the DMA's interrupt through axi_intc_0.
#
#   sysclk (H16) --+                       FCLK_CLK0 (100 MHz): GP0, DMA registers, interrupt controller
#   ref_in (PMOD) -+-> g2l_clocks_0 -- clk_core (125 MHz) --> g2l_top_0, DMA S2MM, HP0
#                                   \- clk_tdc  (250 MHz) --> g2l_top_0/clk_tdc (when the core has it)
#   PS M_AXI_GP0 -> ps7_0_axi_periph -> g2l_top_0/s_axil (clock converter to clk_core)
#                                    -> axi_dma_0/S_AXI_LITE, axi_intc_0/s_axi
#   g2l_top_0/m_axis -> axi_dma_0 (S2MM, simple mode) -> axi_mem_intercon -> PS S_AXI_HP0 (64 bit)
#   axi_dma_0/s2mm_introut -> axi_intc_0 -> PS IRQ_F2P[0]
#
# The core's clock domain (clk_core) is reset only by the processor (FCLK_RESET0_N), never by the
# MMCM's lock: a switch to or from the 10 MHz reference pauses clk_core but keeps the core's
# registers, CLOCK_CONTROL among them.
# Not run here (no Vivado on the development machine): the commands are plain, one per connection.

set design_name g2live
create_bd_design $design_name

# ---- processing system ---------------------------------------------------------------------------
set ps [create_bd_cell -type ip -vlnv xilinx.com:ip:processing_system7:5.5 processing_system7_0]
# DDR and MIO from the PYNQ-Z2 board preset (build.tcl refuses to run without the board files).
apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \
    -config {make_external "FIXED_IO, DDR" apply_board_preset "1" Master "Disable" Slave "Disable"} $ps
set_property -dict [list \
    CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {100} \
    CONFIG.PCW_USE_M_AXI_GP0 {1} \
    CONFIG.PCW_USE_S_AXI_HP0 {1} \
    CONFIG.PCW_S_AXI_HP0_DATA_WIDTH {64} \
    CONFIG.PCW_USE_FABRIC_INTERRUPT {1} \
    CONFIG.PCW_IRQ_F2P_INTR {1} \
] $ps
set fclk [get_bd_pins processing_system7_0/FCLK_CLK0]

# ---- board clocking ---------------------------------------------------------------------------------
create_bd_cell -type module -reference g2l_pynq_clocks g2l_clocks_0
create_bd_port -dir I -type clk -freq_hz 125000000 sysclk
create_bd_port -dir I -type clk -freq_hz 10000000 ref_in
connect_bd_net [get_bd_ports sysclk] [get_bd_pins g2l_clocks_0/sysclk]
connect_bd_net [get_bd_ports ref_in] [get_bd_pins g2l_clocks_0/ref_in]
set clk_core [get_bd_pins g2l_clocks_0/clk_core]

# ---- resets: one per clock domain, both from the processor's reset ----------------------------------
create_bd_cell -type ip -vlnv xilinx.com:ip:proc_sys_reset:5.0 rst_ps7
connect_bd_net $fclk [get_bd_pins rst_ps7/slowest_sync_clk]
connect_bd_net [get_bd_pins processing_system7_0/FCLK_RESET0_N] [get_bd_pins rst_ps7/ext_reset_in]
create_bd_cell -type ip -vlnv xilinx.com:ip:proc_sys_reset:5.0 rst_core
connect_bd_net $clk_core [get_bd_pins rst_core/slowest_sync_clk]
connect_bd_net [get_bd_pins processing_system7_0/FCLK_RESET0_N] [get_bd_pins rst_core/ext_reset_in]
create_bd_cell -type ip -vlnv xilinx.com:ip:xlconstant:1.1 one
connect_bd_net [get_bd_pins one/dout] [get_bd_pins rst_core/dcm_locked]

# ---- the g2live core ------------------------------------------------------------------------------
set core [create_bd_cell -type module -reference g2l_pynq_top g2l_top_0]
connect_bd_net $clk_core [get_bd_pins g2l_top_0/clk]
connect_bd_net [get_bd_pins rst_core/peripheral_aresetn] [get_bd_pins g2l_top_0/aresetn]
connect_bd_net [get_bd_pins g2l_clocks_0/status] [get_bd_pins g2l_top_0/clock_status_osc]
connect_bd_net [get_bd_pins g2l_top_0/ref_request] [get_bd_pins g2l_clocks_0/ref_request]
# The carry-chain TDC's sampling clock, when the core has that port.
if {[llength [get_bd_pins -quiet g2l_top_0/clk_tdc]] > 0} {
    connect_bd_net [get_bd_pins g2l_clocks_0/clk_tdc] [get_bd_pins g2l_top_0/clk_tdc]
}
set n_channels [get_property CONFIG.N_CHANNELS $core]
create_bd_port -dir I -from [expr {$n_channels - 1}] -to 0 spad_in
connect_bd_net [get_bd_ports spad_in] [get_bd_pins g2l_top_0/spad_in]
set n_markers [get_property CONFIG.N_MARKERS $core]
create_bd_port -dir I -from [expr {$n_markers - 1}] -to 0 marker_in
connect_bd_net [get_bd_ports marker_in] [get_bd_pins g2l_top_0/marker_in]

# ---- DMA: S2MM only, simple (direct register) mode --------------------------------------------------
# 26-bit length register = transfers up to 64 MiB; registers on FCLK, data path on clk_core.
set dma [create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:7.1 axi_dma_0]
set_property -dict [list \
    CONFIG.c_include_sg {0} \
    CONFIG.c_include_mm2s {0} \
    CONFIG.c_include_s2mm {1} \
    CONFIG.c_sg_length_width {26} \
    CONFIG.c_m_axi_s2mm_data_width {64} \
    CONFIG.c_s_axis_s2mm_tdata_width {64} \
    CONFIG.c_s2mm_burst_size {64} \
    CONFIG.c_prmry_is_aclk_async {1} \
] $dma
connect_bd_intf_net [get_bd_intf_pins g2l_top_0/m_axis] [get_bd_intf_pins axi_dma_0/S_AXIS_S2MM]
connect_bd_net $fclk [get_bd_pins axi_dma_0/s_axi_lite_aclk]
connect_bd_net $clk_core [get_bd_pins axi_dma_0/m_axi_s2mm_aclk]
connect_bd_net [get_bd_pins rst_ps7/peripheral_aresetn] [get_bd_pins axi_dma_0/axi_resetn]

# ---- interrupt controller: the DMA's completion interrupt for pynq ----------------------------------
create_bd_cell -type ip -vlnv xilinx.com:ip:axi_intc:4.1 axi_intc_0
set_property -dict [list CONFIG.C_IRQ_CONNECTION {1}] [get_bd_cells axi_intc_0]
connect_bd_net $fclk [get_bd_pins axi_intc_0/s_axi_aclk]
connect_bd_net [get_bd_pins rst_ps7/peripheral_aresetn] [get_bd_pins axi_intc_0/s_axi_aresetn]
connect_bd_net [get_bd_pins axi_dma_0/s2mm_introut] [get_bd_pins axi_intc_0/intr]
connect_bd_net [get_bd_pins axi_intc_0/irq] [get_bd_pins processing_system7_0/IRQ_F2P]

# ---- register bus: GP0 -> core (clk_core), DMA and interrupt controller (FCLK) ----------------------
create_bd_cell -type ip -vlnv xilinx.com:ip:axi_interconnect:2.1 ps7_0_axi_periph
set_property -dict [list CONFIG.NUM_SI {1} CONFIG.NUM_MI {3}] [get_bd_cells ps7_0_axi_periph]
connect_bd_net $fclk [get_bd_pins processing_system7_0/M_AXI_GP0_ACLK]
connect_bd_intf_net [get_bd_intf_pins processing_system7_0/M_AXI_GP0] [get_bd_intf_pins ps7_0_axi_periph/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins ps7_0_axi_periph/M00_AXI] [get_bd_intf_pins g2l_top_0/s_axil]
connect_bd_intf_net [get_bd_intf_pins ps7_0_axi_periph/M01_AXI] [get_bd_intf_pins axi_dma_0/S_AXI_LITE]
connect_bd_intf_net [get_bd_intf_pins ps7_0_axi_periph/M02_AXI] [get_bd_intf_pins axi_intc_0/s_axi]
foreach p {ACLK S00_ACLK M01_ACLK M02_ACLK} {
    connect_bd_net $fclk [get_bd_pins ps7_0_axi_periph/$p]
}
connect_bd_net $clk_core [get_bd_pins ps7_0_axi_periph/M00_ACLK]
connect_bd_net [get_bd_pins rst_ps7/interconnect_aresetn] [get_bd_pins ps7_0_axi_periph/ARESETN]
foreach p {S00_ARESETN M01_ARESETN M02_ARESETN} {
    connect_bd_net [get_bd_pins rst_ps7/peripheral_aresetn] [get_bd_pins ps7_0_axi_periph/$p]
}
connect_bd_net [get_bd_pins rst_core/peripheral_aresetn] [get_bd_pins ps7_0_axi_periph/M00_ARESETN]

# ---- memory bus: DMA -> HP0, all on clk_core (the HP port's FIFO crosses into DDR) ------------------
create_bd_cell -type ip -vlnv xilinx.com:ip:axi_interconnect:2.1 axi_mem_intercon
set_property -dict [list CONFIG.NUM_SI {1} CONFIG.NUM_MI {1}] [get_bd_cells axi_mem_intercon]
connect_bd_intf_net [get_bd_intf_pins axi_dma_0/M_AXI_S2MM] [get_bd_intf_pins axi_mem_intercon/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins axi_mem_intercon/M00_AXI] [get_bd_intf_pins processing_system7_0/S_AXI_HP0]
foreach p {ACLK S00_ACLK M00_ACLK} {
    connect_bd_net $clk_core [get_bd_pins axi_mem_intercon/$p]
}
connect_bd_net $clk_core [get_bd_pins processing_system7_0/S_AXI_HP0_ACLK]
connect_bd_net [get_bd_pins rst_core/interconnect_aresetn] [get_bd_pins axi_mem_intercon/ARESETN]
foreach p {S00_ARESETN M00_ARESETN} {
    connect_bd_net [get_bd_pins rst_core/peripheral_aresetn] [get_bd_pins axi_mem_intercon/$p]
}

assign_bd_address
validate_bd_design
save_bd_design
