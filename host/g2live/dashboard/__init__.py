# SPDX-License-Identifier: BSD-3-Clause
"""Live browser dashboard of a running ``g2live serve`` (Bokeh server, no CDN).

``serve_dashboard(pub, control, port, host)`` blocks and serves ``http://host:port/``; see
docs/dashboard.md. The package, laid out like Bokeh's server examples:

=====================  =====================================================================
module                 job
=====================  =====================================================================
``webserver``          the Bokeh server; ``Dashboard``: what all browser tabs share
``access``             who may open the page: loopback, a token (cookie), or ``insecure``
``session``            one browser tab: assembles the page, runs its update (``tick``)
``header``             banner, connection line, the big numbers
``controls``           the controls column (Start/Stop/Reset, settings, power)
``views/``             one module per tab, each with ``update(snapshot)``
``flow_control``       the next update starts on the browser's confirmation of the last
``feed``               receiver thread; ``Feed.snapshot`` copies what a page needs
``accumulators``       bounded buffers of the per-integration topics
``snapshot``           ``Want``, ``Cursor``, ``Snapshot``: what is asked, seen and handed over
``derived``            fit worker (peak windows, lifetimes, blinking, power sweep)
``commander``          control commands on their own thread
``model``              pure conversions of frames into numbers and plot columns
``markup``             HTML fragments of the texts
``live_text``          texts sent without a page layout pass
``widgets``            Div factory, steady axes, the info line of a tab
``assets``             ``static/*.css|*.js``, the page's CSS and JavaScript
``wire``               the protocol names imported from the rest of ``g2live``
``worker``             the threads' base class
=====================  =====================================================================
"""

from __future__ import annotations

from .webserver import Dashboard, serve_dashboard

__all__ = ["Dashboard", "serve_dashboard"]
