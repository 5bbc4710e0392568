# Build the g2live PYNQ-Z2 overlay: g2live.bit + g2live.hwh (same base name, as pynq.Overlay needs).
#   vivado -mode batch -source hw/boards/pynq-z2/build.tcl      (or ./build.sh)
# Sources come from hw/rtl/g2l_top.f, the list simulation, lint and yosys read as well.

set here [file normalize [file dirname [info script]]]
set repo [file normalize [file join $here .. .. ..]]
set part xc7z020clg400-1
set jobs [expr {[info exists ::env(JOBS)] ? $::env(JOBS) : 2}]

create_project -force g2live [file join $here build vivado] -part $part
# The PYNQ-Z2 board files give the PS7 preset (DDR timing, MIO); without them the part defaults hold.
if {[llength [get_board_parts -quiet tul.com.tw:pynq-z2:*]] > 0} {
    set_property board_part [lindex [get_board_parts tul.com.tw:pynq-z2:*] end] [current_project]
} else {
    puts "WARNING: PYNQ-Z2 board files not installed: the PS7 uses part defaults, check DDR settings"
}

set fl [open [file join $repo hw rtl g2l_top.f]]
foreach line [split [read $fl] "\n"] {
    # the same rule as g2live.tools.rtl.read_filelist: a path per line, `//` starts a comment
    regsub {//.*} $line "" line
    set line [string trim $line]
    if {$line ne ""} { add_files -norecurse [file join $repo $line] }
}
close $fl
add_files -norecurse [glob [file join $repo hw rtl *.svh]]
set_property file_type SystemVerilog [get_files -filter {FILE_TYPE == Verilog} *.sv]
set_property include_dirs [list [file join $repo hw rtl]] [current_fileset]
add_files -norecurse [file join $here g2l_pynq_top.v]
add_files -fileset constrs_1 -norecurse [file join $here g2live.xdc]
update_compile_order -fileset sources_1

source [file join $here g2live_bd.tcl]

set bd [get_files g2live.bd]
generate_target all $bd
set wrapper [make_wrapper -files $bd -top]
add_files -norecurse $wrapper
set_property top g2live_wrapper [current_fileset]
update_compile_order -fileset sources_1

launch_runs impl_1 -to_step write_bitstream -jobs $jobs
wait_on_run impl_1
if {[get_property PROGRESS [get_runs impl_1]] ne "100%"} {
    error "implementation failed: see [get_property DIRECTORY [get_runs impl_1]]"
}

open_run impl_1
report_utilization -file [file join $here build utilization.txt]
report_timing_summary -file [file join $here build timing.txt]
if {[get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -setup]] < 0} {
    puts "WARNING: timing not met at 125 MHz: see build/timing.txt"
}

set bit [glob [file join [get_property DIRECTORY [get_runs impl_1]] *.bit]]
file copy -force $bit [file join $here g2live.bit]
set hwh [lindex [glob -nocomplain [file join $here build vivado g2live.gen sources_1 bd g2live hw_handoff g2live.hwh] \
                                   [file join $here build vivado g2live.srcs sources_1 bd g2live hw_handoff g2live.hwh]] 0]
if {$hwh eq ""} { error "no g2live.hwh found under build/vivado" }
file copy -force $hwh [file join $here g2live.hwh]
puts "wrote [file join $here g2live.bit] and g2live.hwh"
