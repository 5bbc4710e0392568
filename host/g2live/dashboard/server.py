"""The Bokeh server that serves the page, with every resource from this process (no CDN)."""

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

from .app import Session
from .control import Commander
from .derived import DerivedWorker
from .feed import Feed

log = logging.getLogger(__name__)


class Dashboard:
    """Shared state (feed, fits, control) plus the Bokeh application creating one Session per tab."""

    def __init__(self, pub: str, control: str, *, server_key: bytes | str | None = None,
                 pixel_energy_ev: tuple[float, float] | None = None) -> None:
        self.feed = Feed(pub, server_key=server_key).start()
        self.derived = DerivedWorker(self.feed, pixel_energy_ev=pixel_energy_ev).start()
        self.commander = Commander(control, server_key=server_key)
        self.sessions: list[Session] = []

    def make_document(self, doc: Document) -> None:
        session = Session(doc, self.feed, self.derived, self.commander)
        self.sessions.append(session)

        def closed(_ctx: Any) -> None:
            self.sessions.remove(session)

        doc.on_session_destroyed(closed)

    def close(self) -> None:
        self.feed.stop()
        self.derived.stop()
        self.commander.close()


def serve_dashboard(pub: str, control: str, port: int, host: str = "127.0.0.1", *,
                    server_key: bytes | str | None = None, pixel_energy_ev: tuple[float, float] | None = None,
                    ready: Any = None) -> None:
    """Serve the live dashboard on ``http://host:port/`` until interrupted (blocking).

    ``pub`` / ``control``: endpoints of a running ``g2live serve``. BokehJS is served by this
    process (resources mode "server"), so the page loads nothing from the internet; the browser
    must reach ``host:port`` and nothing else. ``pixel_energy_ev = (E0, dE)``: energy of array
    pixel (channel) k is E0 + k dE, for the live binding energy. ``ready(url)`` is called once it
    listens.
    """
    # Force local resources whatever BOKEH_RESOURCES says: a lab PC is often offline, and a
    # CDN would also leak that the instrument is in use.
    settings.resources.set_value("server")
    dash = Dashboard(pub, control, server_key=server_key, pixel_energy_ev=pixel_energy_ev)
    # WebSocket origins the page may come from: the address it was opened at. Listening on all
    # interfaces means the page is opened by whatever name the machine has on the network.
    if host in ("0.0.0.0", "::"):
        origins = [f"*:{port}"]
    else:
        origins = [f"{host}:{port}"]
        if host == "127.0.0.1":
            origins += [f"localhost:{port}"]
    try:
        server = Server({"/": Application(FunctionHandler(dash.make_document))}, port=port, address=host,
                        allow_websocket_origin=origins, check_unused_sessions_milliseconds=2000,
                        unused_session_lifetime_milliseconds=5000, keep_alive_milliseconds=10000)
        server.start()
    except BaseException:  # e.g. the port is taken: stop the receiver threads before reporting
        dash.close()
        raise
    url = f"http://{host}:{port}/"
    log.info("g2live dashboard on %s (data %s, control %s)", url, pub, control)
    if ready is not None:
        ready(url)
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
        server.stop()
        dash.close()
