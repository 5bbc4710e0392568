"""Live browser dashboard of a running ``g2live serve`` (Bokeh server, no CDN).

``serve_dashboard(pub, control, port, host)`` blocks and serves ``http://host:port/``; see
docs/dashboard.md.
"""

from __future__ import annotations

from .server import Dashboard, serve_dashboard

__all__ = ["Dashboard", "serve_dashboard"]
