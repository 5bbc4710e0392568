// SPDX-License-Identifier: BSD-3-Clause
// Body of a CustomJS on the `live_text` source (args: `divs`, the Divs; `src`, the source): writes
// each Div's new text, found in the column named after the Div, into its already laid-out
// element. Without a change event no page layout pass runs (see live_text.py).
for (const div of divs) {
  const text = src.data[div.name][0];
  if (text === undefined || text === div.text) continue;
  div.setv({text: text}, {silent: true});  // no change event: no layout pass
  const view = Bokeh.index.find_one(div);
  if (view != null && view.markup_el != null) view.markup_el.innerHTML = text;
}
window.g2live_text_updates = (window.g2live_text_updates || 0) + 1;
