`resetall
`timescale 1ns / 1ps
`default_nettype none

// Per-channel front-end (docs/semantics.md "Channel front-end"): enable, dead time on raw edge
// times, signed delay. One registered stage: a hit in cycle n gives `tag_valid` in cycle n + 1
// with tag_time = edge_base_ps + fine_ps + delay_ps, where edge_base_ps is the absolute time of
// the start of the clock cycle in which the edge occurred (the top subtracts the TDC latency).
module g2l_channel #(
    parameter int FINE_W = 16  // bits of the TDC fine time
) (
    input  wire logic              clk,
    input  wire logic              rst,              // synchronous, active high
    input  wire logic              clear,            // forget the last edge, zero dead_count
    input  wire logic              cfg_enable,       // 0 = drop every edge (not counted)
    input  wire logic [31:0]       cfg_dead_time_ps, // dead time on raw times; 0 = none
    input  wire logic [31:0]       cfg_delay_ps,     // signed delay added to accepted edges
    input  wire logic              in_hit,           // TDC hit this cycle
    input  wire logic [FINE_W-1:0] in_fine_ps,       // its fine time
    input  wire logic [63:0]       edge_base_ps,     // absolute time of the hit's clock cycle
    output logic                   tag_valid,        // accepted tag, one cycle
    output logic      [63:0]       tag_time,         // its absolute time after delay, ps
    output logic                   dead_drop,        // an edge was discarded by the dead time
    output logic      [31:0]       dead_count        // discarded edges since clear (saturates)
);
    initial begin
        if (FINE_W < 1 || FINE_W > 32) $error("%m: FINE_W must be 1..32");
    end

    logic [63:0] last_raw;  // raw time of the last accepted edge
    logic        have_last;

    wire [63:0] raw = edge_base_ps + {{(64 - FINE_W){1'b0}}, in_fine_ps};
    wire [63:0] since = raw - last_raw;
    wire        in_dead = have_last && (since < {32'd0, cfg_dead_time_ps});
    wire        accept = in_hit && cfg_enable && !in_dead;
    wire        drop = in_hit && cfg_enable && in_dead;

    always_ff @(posedge clk) begin
        tag_time <= raw + {{32{cfg_delay_ps[31]}}, cfg_delay_ps};
        if (rst || clear) begin
            have_last <= 1'b0;
            last_raw <= '0;
            tag_valid <= 1'b0;
            dead_drop <= 1'b0;
            dead_count <= '0;
        end else begin
            tag_valid <= accept;
            dead_drop <= drop;
            if (accept) begin
                last_raw <= raw;
                have_last <= 1'b1;
            end
            if (drop && dead_count != 32'hFFFF_FFFF) dead_count <= dead_count + 1'b1;
        end
    end
endmodule

`resetall
