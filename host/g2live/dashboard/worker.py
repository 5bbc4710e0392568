# SPDX-License-Identifier: BSD-3-Clause
"""One daemon thread per object, started once and stopped on request (the feed and the fit worker)."""

from __future__ import annotations

import threading
from typing import Self

__all__ = ["ThreadedWorker"]


class ThreadedWorker:
    """Runs ``_run`` in a daemon thread named ``thread_name``; ``_run`` returns once ``_stop`` is set."""

    thread_name = "g2live-worker"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Start the thread (a second call does nothing); returns self so it chains after the constructor."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to end and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
