// SPDX-License-Identifier: BSD-3-Clause
// Body of a CustomJSTickFormatter (variable `tick`): labels of constant width (padded, shown in a
// monospace font). When a label's width changes, BokehJS lays out the whole page again, which at
// 10 Hz cost more than drawing the plots.
const a = Math.abs(tick);
const s = (a != 0 && (a >= 1e5 || a < 1e-2)) ? tick.toExponential(1)
                                             : String(Number(tick.toPrecision(4)));
return s.padStart(7, " ");
