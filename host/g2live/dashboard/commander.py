# SPDX-License-Identifier: BSD-3-Clause
"""Control commands from the page, sent on one worker thread so the page never blocks.

ZeroMQ sockets belong to one thread: a single-thread executor owns the ``ControlClient`` (REQ)
and serialises all commands from all browser sessions. A reply, an error the server gave (with
the field it names) or a timeout comes back as a plain dict the page shows.

A view-only dashboard's ``Commander`` sends nothing: every command is refused here, on the
server side of the page, whatever the browser sends (hidden buttons alone would not stop a
crafted WebSocket message).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .wire import ControlClient, ControlError

__all__ = ["VIEW_ONLY", "Commander", "Reply"]

VIEW_ONLY = "this dashboard is view-only (--view-only): commands are not sent"
# {"ok": True, "cmd": str, "result": {...}} or {"ok": False, "cmd": str, "error": str, "field": str | None}
Reply = dict[str, Any]


class Commander:
    """Sends control commands to ``g2live serve`` from a worker thread, for all browser sessions.

    Parameters
    ----------
    endpoint : str
        The server's control endpoint (``tcp://host:port``).
    timeout_s : float
        How long one command waits for the server's reply.
    server_key : bytes or str, optional
        The server's CURVE public key, when it uses CURVE.
    client_key : str, optional
        This client's ``.key_secret`` file, when the server restricts clients.
    view_only : bool
        Refuse every command (the page only shows).
    """

    def __init__(self, endpoint: str, timeout_s: float = 3.0, server_key: bytes | str | None = None, *,
                 client_key: Any = None, view_only: bool = False) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.view_only = view_only
        self._keys = (server_key, client_key)
        self.sent = 0  # commands that went to the server
        self._client: ControlClient | None = None  # created on the worker thread, used only there
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="g2live-dashboard-control")

    def _call(self, cmd: str, args: dict[str, Any]) -> Reply:
        if self.view_only:
            return {"ok": False, "cmd": cmd, "error": VIEW_ONLY, "field": None}
        if self._client is None:
            server_key, client_key = self._keys
            self._client = ControlClient(self.endpoint, timeout_s=self.timeout_s, server_key=server_key,
                                         client_keys=client_key)
        try:
            self.sent += 1
            result = self._client.call(cmd, **args)
        except ControlError as exc:
            return {"ok": False, "cmd": cmd, "error": str(exc), "field": exc.field}
        except TimeoutError as exc:
            return {"ok": False, "cmd": cmd, "error": str(exc), "field": None}
        except Exception as exc:  # noqa: BLE001 - anything else still has to reach the page
            return {"ok": False, "cmd": cmd, "error": f"{type(exc).__name__}: {exc}", "field": None}
        result.pop("frames", None)  # snapshot payloads are not shown as text
        return {"ok": True, "cmd": cmd, "result": result}

    def submit(self, cmd: str, args: dict[str, Any] | None = None,
               done: Callable[[Reply], None] | None = None) -> Future[Reply]:
        """Queue ``cmd`` with keyword ``args``; ``done(reply)`` is called on the worker thread.

        Parameters
        ----------
        cmd : str
            Command name (docs/protocol.md, section 2).
        args : dict, optional
            The command's arguments.
        done : callable, optional
            Called with the ``Reply`` once the server answered, refused or timed out.

        Returns
        -------
        concurrent.futures.Future
            Resolves to the ``Reply``; it never raises for a refused or unanswered command.
        """
        fut = self._pool.submit(self._call, cmd, dict(args or {}))
        if done is not None:
            fut.add_done_callback(lambda f: done(f.result()))
        return fut

    def close(self) -> None:
        """Close the control socket and stop the worker thread."""
        self._pool.submit(self._close_client).result(timeout=5)
        self._pool.shutdown(wait=True)

    def _close_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
