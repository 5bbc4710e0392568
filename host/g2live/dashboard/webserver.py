# SPDX-License-Identifier: BSD-3-Clause
"""The Bokeh server that serves the page, with every resource from this process (no CDN).

``Dashboard`` holds what all browser tabs share (receiver, fit worker, control socket) and makes
one ``Session`` per tab; ``serve_dashboard`` runs the Bokeh server around it until interrupted.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.document import Document
from bokeh.server.server import Server
from bokeh.settings import settings

from .commander import Commander
from .derived import DerivedWorker
from .feed import Feed
from .session import Session

__all__ = ["Dashboard", "serve_dashboard", "websocket_origins"]

log = logging.getLogger(__name__)


class Dashboard:
    """Shared state (feed, fits, control) plus the Bokeh application creating one Session per tab.

    Parameters
    ----------
    pub, control : str
        Data and control endpoints of a running ``g2live serve``.
    server_key : bytes or str, optional
        The server's CURVE public key, when it uses CURVE.
    pixel_energy_ev : (float, float), optional
        Energy of array pixel 0 and eV per pixel (spectrometer calibration), for the binding energy.
    """

    def __init__(self, pub: str, control: str, *, server_key: bytes | str | None = None,
                 pixel_energy_ev: tuple[float, float] | None = None) -> None:
        self.feed = Feed(pub, server_key=server_key).start()
        self.derived = DerivedWorker(self.feed, pixel_energy_ev=pixel_energy_ev).start()
        self.commander = Commander(control, server_key=server_key)
        self.sessions: list[Session] = []

    def make_document(self, doc: Document) -> None:
        """Build the page of a new browser tab in ``doc`` (the Bokeh application's handler)."""
        session = Session(doc, self.feed, self.derived, self.commander)
        self.sessions.append(session)

        def closed(_ctx: Any) -> None:
            self.sessions.remove(session)

        doc.on_session_destroyed(closed)

    def close(self) -> None:
        """Stop the receiver and the fit worker, close the control socket."""
        self.feed.stop()
        self.derived.stop()
        self.commander.close()


def serve_dashboard(pub: str, control: str, port: int, host: str = "127.0.0.1", *,
                    server_key: bytes | str | None = None, pixel_energy_ev: tuple[float, float] | None = None,
                    ready: Any = None) -> None:
    """Serve the live dashboard on ``http://host:port/`` until interrupted (blocking).

    BokehJS is served by this process (resources mode "server"), so the page loads nothing from
    the internet; the browser must reach ``host:port`` and nothing else.

    Parameters
    ----------
    pub, control : str
        Data and control endpoints of a running ``g2live serve``.
    port : int
        HTTP port of the page.
    host : str
        Address to listen on; the WebSocket only accepts pages opened from it (and ``localhost``
        for 127.0.0.1). ``0.0.0.0`` opens it to the network without authentication.
    server_key : bytes or str, optional
        The server's CURVE public key, when it uses CURVE.
    pixel_energy_ev : (float, float), optional
        ``(E0, dE)``: energy of array pixel (channel) k is E0 + k dE, for the live binding energy.
    ready : callable, optional
        Called with the page's URL once the server listens.
    """
    # Force local resources whatever BOKEH_RESOURCES says: a lab PC is often offline, and a
    # CDN would also leak that the instrument is in use.
    settings.resources.set_value("server")
    dash = Dashboard(pub, control, server_key=server_key, pixel_energy_ev=pixel_energy_ev)
    try:
        server = Server({"/": Application(FunctionHandler(dash.make_document))}, port=port, address=host,
                        allow_websocket_origin=websocket_origins(host, port),
                        check_unused_sessions_milliseconds=2000, unused_session_lifetime_milliseconds=5000,
                        keep_alive_milliseconds=10000)
        server.start()
    except BaseException:  # e.g. the port is taken: stop the receiver threads before reporting
        dash.close()
        raise
    url = f"http://{host}:{port}/"
    log.info("g2live dashboard on %s (data %s, control %s)", url, pub, control)
    if ready is not None:
        ready(url)
    try:
        _run_until_stopped(server)
    finally:
        server.stop()
        dash.close()


def websocket_origins(host: str, port: int) -> list[str]:
    """Origins the page's WebSocket may come from: the address it was opened at.

    Listening on all interfaces means the page is opened by whatever name the machine has on the
    network; 127.0.0.1 also answers to ``localhost``.
    """
    if host in ("0.0.0.0", "::"):
        return [f"*:{port}"]
    return [f"{host}:{port}"] + ([f"localhost:{port}"] if host == "127.0.0.1" else [])


def _run_until_stopped(server: Server) -> None:
    """Run the server's event loop until Ctrl-C or SIGTERM (the signal only in the main thread)."""
    loop = server.io_loop

    def stop(*_: Any) -> None:
        loop.add_callback(loop.stop)  # safe from a signal handler since Tornado 6.3

    main = threading.current_thread() is threading.main_thread()  # signals only reach the main thread
    previous = signal.signal(signal.SIGTERM, stop) if main else None
    try:
        loop.start()
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
