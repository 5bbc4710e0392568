// SPDX-License-Identifier: BSD-3-Clause
// Body of a CustomJS on the g2 histogram sources: a page-side count of histogram updates (what
// the browser really received and drew), read by the browser tests and the dashboard bench.
window.g2live_updates = (window.g2live_updates || 0) + 1;
