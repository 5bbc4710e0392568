# Build the g2live PYNQ-Z2 overlay: g2live.bit + g2live.hwh (same base name, as pynq.Overlay needs),
# with g2live_utilization.txt and g2live_timing.txt beside them.
#   vivado -mode batch -source hw/boards/pynq-z2/build.tcl     (or ./build.sh, or `make bitstream`)
# Sources: hw/rtl/g2l_top.f (the list simulation, lint and yosys read as well), the board shell
# g2l_pynq_top.v, the clocking g2l_pynq_clocks.v, the constraints g2live.xdc, the block design
# g2live_bd.tcl. Environment: JOBS (parallel jobs, default 2), PYNQ_Z2_BOARD_FILES (a folder with
# the board files, if they are not installed in Vivado).
#
# It FAILS (exit status 1, and no g2live.bit / g2live.hwh is left behind) when:
#   1. the PYNQ-Z2 board files are not installed: the message gives the commands that install them;
#   2. synthesis or implementation does not complete;
#   3. timing is not met after implementation: WNS < 0 (setup) or WHS < 0 (hold);
#   4. any CRITICAL WARNING was issued (this session, synthesis or implementation) whose ID is not
#      listed in critical_warnings_waived.txt beside this script (one ID a line as Vivado prints it
#      between the brackets, e.g. "Timing 38-282", then '#' and the reason).
# The utilisation and timing summaries are written in cases 3 and 4 too, for the diagnosis.

set here [file normalize [file dirname [info script]]]
set repo [file normalize [file join $here .. .. ..]]
set part xc7z020clg400-1
set board_pattern tul.com.tw:pynq-z2:*
set jobs [expr {[info exists ::env(JOBS)] ? $::env(JOBS) : 2}]
set bit_out [file join $here g2live.bit]
set hwh_out [file join $here g2live.hwh]
set util_out [file join $here g2live_utilization.txt]
set timing_out [file join $here g2live_timing.txt]

proc fail {msg} {
    puts stderr "build.tcl: FAILED: $msg"
    exit 1
}

# A failed build must not leave an older bitstream that looks like its result.
file delete -force $bit_out $hwh_out

# ---- 1. board files ----------------------------------------------------------------------------------
if {[info exists ::env(PYNQ_Z2_BOARD_FILES)]} {
    set_param board.repoPaths [list $::env(PYNQ_Z2_BOARD_FILES)]
}
if {[llength [get_board_parts -quiet $board_pattern]] == 0} {
    fail "the PYNQ-Z2 board files ($board_pattern) are not installed; the PS7's DDR and MIO settings come from them.
  Install them, then run again:
    - Vivado 2021.1 or newer, in its Tcl console:
        xhub::refresh_catalog \[xhub::get_xstores xilinx_board_store\]
        xhub::install \[xhub::get_xitems *pynq-z2*\]
    - or download TUL's PYNQ-Z2 board files (pynq-z2.zip, tulembedded.com, PYNQ-Z2 resources), unzip them
      into <Vivado>/data/boards/board_files/, or anywhere and: export PYNQ_Z2_BOARD_FILES=<that folder>"
}

# ---- project and sources ------------------------------------------------------------------------------
create_project -force g2live [file join $here build vivado] -part $part
set_property board_part [lindex [get_board_parts $board_pattern] end] [current_project]

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
add_files -norecurse [file join $here g2l_pynq_top.v] [file join $here g2l_pynq_clocks.v]
add_files -fileset constrs_1 -norecurse [file join $here g2live.xdc]
update_compile_order -fileset sources_1

source [file join $here g2live_bd.tcl]

set bd [get_files g2live.bd]
generate_target all $bd
set wrapper [make_wrapper -files $bd -top]
add_files -norecurse $wrapper
set_property top g2live_wrapper [current_fileset]
update_compile_order -fileset sources_1

# ---- 2. synthesis and implementation --------------------------------------------------------------------
launch_runs impl_1 -to_step write_bitstream -jobs $jobs
wait_on_run impl_1
foreach run {synth_1 impl_1} {
    if {[get_property PROGRESS [get_runs $run]] ne "100%"} {
        fail "$run did not complete: see [file join [get_property DIRECTORY [get_runs $run]] runme.log]"
    }
}

# ---- summaries beside the bitstream ----------------------------------------------------------------------
open_run impl_1
report_utilization -file $util_out
report_timing_summary -max_paths 20 -file $timing_out
puts "build.tcl: wrote $util_out and $timing_out"

# ---- 3. timing ------------------------------------------------------------------------------------------------
set wns [get_property SLACK [get_timing_paths -delay_type max -max_paths 1 -nworst 1]]
set whs [get_property SLACK [get_timing_paths -delay_type min -max_paths 1 -nworst 1]]
if {$wns eq "" || $wns < 0} { fail "setup timing not met: WNS = $wns ns (worst paths in $timing_out)" }
if {$whs eq "" || $whs < 0} { fail "hold timing not met: WHS = $whs ns (worst paths in $timing_out)" }
puts "build.tcl: timing met, WNS = $wns ns, WHS = $whs ns"

# ---- 4. critical warnings -------------------------------------------------------------------------------
set waived {}
set waiver_file [file join $here critical_warnings_waived.txt]
if {[file exists $waiver_file]} {
    set fw [open $waiver_file]
    foreach line [split [read $fw] "\n"] {
        set id [string trim [lindex [split $line "#"] 0]]
        if {$id ne ""} { lappend waived $id }
    }
    close $fw
}
set logs [list]
if {[info exists ::env(G2L_VIVADO_LOG)]} { lappend logs $::env(G2L_VIVADO_LOG) }
foreach run {synth_1 impl_1} { lappend logs [file join [get_property DIRECTORY [get_runs $run]] runme.log] }
set critical {}
foreach log $logs {
    if {![file exists $log]} { continue }
    set fh [open $log]
    foreach line [split [read $fh] "\n"] {
        if {[regexp {^CRITICAL WARNING: \[([^\]]+)\]} $line -> id] && [lsearch -exact $waived $id] < 0} {
            lappend critical "[file tail [file dirname $log]]/[file tail $log]: $line"
        }
    }
    close $fh
}
if {[llength $critical] > 0} {
    fail "[llength $critical] critical warning(s), not waived in critical_warnings_waived.txt:\n  [join $critical "\n  "]"
}

# ---- outputs ----------------------------------------------------------------------------------------------------
set bit [lindex [glob -nocomplain [file join [get_property DIRECTORY [get_runs impl_1]] *.bit]] 0]
if {$bit eq ""} { fail "impl_1 wrote no bitstream" }
set hwh [lindex [glob -nocomplain [file join $here build vivado g2live.gen sources_1 bd g2live hw_handoff g2live.hwh] \
                                   [file join $here build vivado g2live.srcs sources_1 bd g2live hw_handoff g2live.hwh]] 0]
if {$hwh eq ""} { fail "no g2live.hwh found under build/vivado" }
file copy -force $bit $bit_out
file copy -force $hwh $hwh_out
puts "build.tcl: wrote $bit_out and $hwh_out"
