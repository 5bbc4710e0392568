# Block design "g2live" for PYNQ-Z2: Zynq PS7, the g2live core (g2l_pynq_top as a module
# reference, cell g2l_top_0) with its registers on M_AXI_GP0, and an AXI DMA (S2MM only, cell
# axi_dma_0) writing the core's AXI4-Stream into DDR through S_AXI_HP0 (64 bit).
# Sourced by build.tcl inside an open project whose sources already hold the RTL.
# Cell names are the driver's contract: host/g2live/device/pynq.py looks up g2l_top_0 and axi_dma_0.

set design_name g2live
create_bd_design $design_name

set ps [create_bd_cell -type ip -vlnv xilinx.com:ip:processing_system7:5.5 processing_system7_0]
# DDR and MIO from the PYNQ-Z2 board preset (board files installed), else the defaults.
apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \
    -config {make_external "FIXED_IO, DDR" apply_board_preset "1" Master "Disable" Slave "Disable"} $ps
set_property -dict [list \
    CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {125} \
    CONFIG.PCW_USE_M_AXI_GP0 {1} \
    CONFIG.PCW_USE_S_AXI_HP0 {1} \
    CONFIG.PCW_S_AXI_HP0_DATA_WIDTH {64} \
] $ps

set core [create_bd_cell -type module -reference g2l_pynq_top g2l_top_0]

set dma [create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:7.1 axi_dma_0]
# Simple (register) mode, receive only; 26-bit length register = transfers up to 64 MiB.
set_property -dict [list \
    CONFIG.c_include_sg {0} \
    CONFIG.c_include_mm2s {0} \
    CONFIG.c_include_s2mm {1} \
    CONFIG.c_sg_length_width {26} \
    CONFIG.c_m_axi_s2mm_data_width {64} \
    CONFIG.c_s_axis_s2mm_tdata_width {64} \
    CONFIG.c_s2mm_burst_size {64} \
] $dma

connect_bd_intf_net [get_bd_intf_pins g2l_top_0/m_axis] [get_bd_intf_pins axi_dma_0/S_AXIS_S2MM]

# Registers of the core and of the DMA on GP0; the DMA's memory port on HP0. The automation adds
# the interconnects and a proc_sys_reset on FCLK_CLK0.
apply_bd_automation -rule xilinx.com:bd_rule:axi4 \
    -config {Master "/processing_system7_0/M_AXI_GP0" Clk "/processing_system7_0/FCLK_CLK0 (125 MHz)"} \
    [get_bd_intf_pins g2l_top_0/s_axil]
apply_bd_automation -rule xilinx.com:bd_rule:axi4 \
    -config {Master "/processing_system7_0/M_AXI_GP0" Clk "/processing_system7_0/FCLK_CLK0 (125 MHz)"} \
    [get_bd_intf_pins axi_dma_0/S_AXI_LITE]
apply_bd_automation -rule xilinx.com:bd_rule:axi4 \
    -config {Slave "/processing_system7_0/S_AXI_HP0" Clk "/processing_system7_0/FCLK_CLK0 (125 MHz)"} \
    [get_bd_intf_pins axi_dma_0/M_AXI_S2MM]

# The core's clock and reset (the automation connects them when it recognises the interface
# association; connect whatever is still open).
set clk_pin [get_bd_pins g2l_top_0/clk]
if {[llength [get_bd_nets -quiet -of_objects $clk_pin]] == 0} {
    connect_bd_net [get_bd_pins processing_system7_0/FCLK_CLK0] $clk_pin
}
set rstn_pin [get_bd_pins g2l_top_0/aresetn]
if {[llength [get_bd_nets -quiet -of_objects $rstn_pin]] == 0} {
    set rst_cell [lindex [get_bd_cells -filter {VLNV =~ "*proc_sys_reset*"}] 0]
    connect_bd_net [get_bd_pins $rst_cell/peripheral_aresetn] $rstn_pin
}

# Detector and sync lines.
set n_channels [get_property CONFIG.N_CHANNELS $core]
create_bd_port -dir I -from [expr {$n_channels - 1}] -to 0 spad_in
connect_bd_net [get_bd_ports spad_in] [get_bd_pins g2l_top_0/spad_in]

assign_bd_address
validate_bd_design
save_bd_design
