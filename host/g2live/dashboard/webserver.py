# SPDX-License-Identifier: BSD-3-Clause
"""The Bokeh server that serves the page, with every resource from this process (no CDN).

``Dashboard`` holds what all browser tabs share (receiver, fit worker, control socket) and makes
one ``Session`` per tab; ``serve_dashboard`` runs the Bokeh server around it until interrupted.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from typing import Any

from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.document import Document
from bokeh.server.server import Server
from bokeh.settings import settings

from .access import TokenAuth, check_access, is_loopback_host
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
    client_key : str, optional
        This client's ``.key_secret`` file, when the server restricts clients.
    pixel_energy_ev : (float, float), optional
        Energy of array pixel 0 and eV per pixel (spectrometer calibration), for the binding energy.
    view_only : bool
        The page shows but sends no command (refused by the ``Commander``, not only hidden).
    """

    def __init__(self, pub: str, control: str, *, server_key: bytes | str | None = None,
                 client_key: Any = None, pixel_energy_ev: tuple[float, float] | None = None,
                 view_only: bool = False) -> None:
        _import_pandas_now()
        self.feed = Feed(pub, server_key=server_key, client_key=client_key).start()
        self.derived = DerivedWorker(self.feed, pixel_energy_ev=pixel_energy_ev).start()
        self.commander = Commander(control, server_key=server_key, client_key=client_key, view_only=view_only)
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


def _import_pandas_now() -> None:
    """Import pandas (when installed) before any thread starts: Bokeh's ``ColumnDataSource.stream``
    reads ``sys.modules["pandas"]`` without waiting, so a page updating while the fit worker's
    first analysis import is loading pandas met a half-initialised module (AttributeError)."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        pass


def serve_dashboard(pub: str, control: str, port: int, host: str = "127.0.0.1", *,
                    server_key: bytes | str | None = None, client_key: Any = None,
                    pixel_energy_ev: tuple[float, float] | None = None, token: str | None = None,
                    insecure: bool = False, view_only: bool = False, ready: Any = None) -> None:
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
        for 127.0.0.1). An address other than loopback needs ``token`` or ``insecure``
        (``access.check_access``).
    server_key : bytes or str, optional
        The server's CURVE public key, when it uses CURVE.
    client_key : str, optional
        This client's ``.key_secret`` file, when the server restricts clients.
    pixel_energy_ev : (float, float), optional
        ``(E0, dE)``: energy of array pixel (channel) k is E0 + k dE, for the live binding energy.
    token : str, optional
        Only requests carrying it (``?token=``, then a cookie) get the page (``access.TokenAuth``).
    insecure : bool
        Serve a non-loopback address without a token: anyone who reaches it gets the page.
    view_only : bool
        No command from the page reaches the server.
    ready : callable, optional
        Called with the page's URL (with ``?token=...`` when there is one) once the server listens.
    """
    check_access(host, token, insecure)
    # Force local resources whatever BOKEH_RESOURCES says: a lab PC is often offline, and a
    # CDN would also leak that the instrument is in use.
    settings.resources.set_value("server")
    dash = Dashboard(pub, control, server_key=server_key, client_key=client_key,
                     pixel_energy_ev=pixel_energy_ev, view_only=view_only)
    auth = {"auth_provider": TokenAuth(token)} if token is not None else {}
    try:
        server = Server({"/": Application(FunctionHandler(dash.make_document))}, port=port, address=host,
                        allow_websocket_origin=websocket_origins(host, port),
                        check_unused_sessions_milliseconds=2000, unused_session_lifetime_milliseconds=5000,
                        keep_alive_milliseconds=10000, **auth)
        server.start()
    except BaseException:  # e.g. the port is taken: stop the receiver threads before reporting
        dash.close()
        raise
    url = public_url(host, port, token)
    if not is_loopback_host(host) and token is None:
        log.warning("dashboard on %s without a token (--insecure): anyone who reaches it can %s", host,
                    "watch the instrument" if view_only else "start, stop and reconfigure the instrument")
    log.info("g2live dashboard on http://%s:%s/ (data %s, control %s)", host, port, pub, control)
    if ready is not None:
        ready(url)
    try:
        _run_until_stopped(server)
    finally:
        server.stop()
        dash.close()


def public_url(host: str, port: int, token: str | None = None) -> str:
    """The address a user opens: on all interfaces (0.0.0.0, ::) the machine's network name,
    since a browser cannot open the wildcard address from another machine."""
    name = _network_name() if host in ("0.0.0.0", "::") else host
    if ":" in name:  # an IPv6 literal needs brackets in a URL
        name = f"[{name}]"
    return f"http://{name}:{port}/" + (f"?token={token}" if token is not None else "")


def _network_name() -> str:
    """The machine's name on the network: its fully qualified name when the resolver knows one
    (``getfqdn`` falls back to ``localhost`` in many containers), else its host name."""
    fqdn = socket.getfqdn()
    return fqdn if "." in fqdn and not fqdn.startswith("localhost") else socket.gethostname()


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
