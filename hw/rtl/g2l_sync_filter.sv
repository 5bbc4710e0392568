// SPDX-License-Identifier: BSD-3-Clause
`resetall
`timescale 1ns / 1ps
`default_nettype none

// Conditional filter on the raw tag stream (docs/semantics.md "Conditional filter"; C twin
// g2live.core.SyncFilter): with cfg_enable set, a sync tag is passed only if a tag of another
// channel follows it in the stream before the next sync tag, so an 80 MHz laser does not flood the
// raw stream while every photon keeps the sync it is measured against. A sync tag is held until
// that is decided: the next non-sync tag releases it (kept, then that tag), the next sync tag drops
// it (counted in filtered_count). Tags keep their stream order; at most one leaves per clock (a
// kept sync takes the slot and the tag that released it follows one clock later), which the
// input rate allows: a kept sync needs a sync tag that produced nothing before it.
// Disabled, every tag passes (a held sync first).
module g2l_sync_filter (
    input  wire logic        clk,
    input  wire logic        rst,            // synchronous, active high
    input  wire logic        clear,          // forget a held sync, zero the count
    input  wire logic        cfg_enable,     // CONTROL.sync_filter
    input  wire logic [5:0]  cfg_sync_channel,
    input  wire logic        in_valid,       // a tag of the merged stream (no boundaries)
    input  wire logic [5:0]  in_channel,
    input  wire logic [63:0] in_time,
    output logic             out_valid,      // a tag for the raw stream, one clock
    output logic      [5:0]  out_channel,
    output logic      [63:0] out_time,
    output logic      [31:0] filtered_count  // sync tags dropped since clear (saturating)
);
    // q: one tag waiting: a held sync (q_sync) or a tag delayed by one clock behind a kept sync
    logic        q_valid, q_sync;
    logic [5:0]  q_channel;
    logic [63:0] q_time;

    wire x_sync = cfg_enable && in_channel == cfg_sync_channel;
    wire held = q_valid && q_sync;
    // what leaves this clock: the waiting tag when it must go now, else the new one
    wire emit_q = q_valid && (!q_sync || (in_valid && !x_sync) || !cfg_enable);
    wire emit_x = in_valid && !x_sync && !q_valid;
    wire drop_q = held && in_valid && x_sync;
    // the new tag waits when it is a sync (held) or when the waiting tag takes the slot
    wire keep_x = in_valid && (x_sync || emit_q);

    always_ff @(posedge clk) begin
        out_valid <= emit_q || emit_x;
        out_channel <= emit_q ? q_channel : in_channel;
        out_time <= emit_q ? q_time : in_time;
        if (keep_x) begin
            q_sync <= x_sync;
            q_channel <= in_channel;
            q_time <= in_time;
        end
        if (keep_x) q_valid <= 1'b1;
        else if (emit_q || drop_q) q_valid <= 1'b0;
        if (drop_q && filtered_count != 32'hFFFF_FFFF) filtered_count <= filtered_count + 1'b1;
        if (rst || clear) begin
            out_valid <= 1'b0;
            q_valid <= 1'b0;
            filtered_count <= '0;
        end
    end
endmodule

`resetall
