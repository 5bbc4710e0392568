// SPDX-License-Identifier: BSD-3-Clause
// Body of a CustomJS on the `tick_marker` source (args: `marker`, `ack`): the page has applied an
// update (the marker is its last change), so it echoes the marker's number back to the server
// (see flow_control.py).
ack.data = {n: [marker.data.n[0]]};
