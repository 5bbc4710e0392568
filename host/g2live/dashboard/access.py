# SPDX-License-Identifier: BSD-3-Clause
"""Who may open the page: loopback only, a token, or (asked for explicitly) anyone.

The dashboard obeys the rule ``g2live serve`` follows for its sockets: it listens on loopback
unless told otherwise, and any other address needs authentication or an explicit ``insecure``.
Authentication is a random token shown once, in the URL printed on the console
(``http://host:port/?token=...``): the first visit with it sets a cookie (HttpOnly,
SameSite=Strict), so the token leaves the address bar's history of later visits and every
request and the page's WebSocket carry the cookie. Bokeh's auth hooks (``TokenAuth``, an
``AuthProvider``) check it on every request, before the handler runs: a page request without it
is sent to a page that says where the token is (HTTP 403); a WebSocket upgrade without it is
refused with HTTP 403 before the handshake, so no session is made.

The token travels in clear over plain HTTP: on a network you do not trust, use an SSH tunnel
(``ssh -L 5006:127.0.0.1:5006 labpc``) instead.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any

from bokeh.server.auth_provider import AuthProvider
from tornado.web import HTTPError, RequestHandler
from tornado.websocket import WebSocketHandler

from .wire import is_loopback

__all__ = ["COOKIE", "LOGIN_PATH", "TokenAuth", "is_loopback_host", "new_token", "check_access"]

COOKIE = "g2live_token"
LOGIN_PATH = "/g2live-token-needed"


def new_token() -> str:
    """A random token (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this computer can reach it (the rule of ``serve``)."""
    bracketed = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return is_loopback(f"tcp://{bracketed}:1")


def check_access(host: str, token: str | None, insecure: bool) -> None:
    """Refuse a page reachable from the network without a token unless ``insecure`` was asked for."""
    if not is_loopback_host(host) and token is None and not insecure:
        raise ValueError(
            f"dashboard on {host}: reachable from the network, so it needs a token (the command line "
            "makes one) or --insecure to serve it to anyone"
        )


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode())


class _TokenNeeded(RequestHandler):
    """Where a request without the token ends: says where to find it."""

    def get(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(
            "g2live dashboard: this page needs its token. Open the URL that `g2live dashboard` printed "
            "(http://HOST:PORT/?token=...) where it was started.\n"
        )


class TokenAuth(AuthProvider):
    """Bokeh auth hooks: the token as ``?token=`` (sets the cookie) or as the cookie."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("an empty token would let anyone in")
        self.token = token
        super().__init__()

    @property
    def get_user_async(self) -> Callable[[Any], Any]:
        # async: Bokeh runs it in every handler's prepare(), before a WebSocket's upgrade. The sync
        # hook runs in WSHandler.open(), after the 101: it could only fail there (a traceback in
        # the log per refused client), not refuse
        return self._user_async

    @property
    def login_url(self) -> str:
        return LOGIN_PATH

    @property
    def login_handler(self) -> type[RequestHandler]:
        return _TokenNeeded

    async def _user_async(self, handler: RequestHandler) -> str | None:
        user = self._user(handler)
        if user is None and isinstance(handler, WebSocketHandler):
            raise HTTPError(403, "the dashboard's token is missing")  # before the upgrade: no session
        return user

    def _user(self, handler: RequestHandler) -> str | None:
        if _same(handler.get_cookie(COOKIE), self.token):
            return "token"
        if _same(handler.get_argument("token", default=None), self.token):
            handler.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
            return "token"
        return None
