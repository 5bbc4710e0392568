# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the fuzz suite: the case counters, the time bound of one case, the example budget."""

from __future__ import annotations

import contextlib
import signal
from collections import Counter
from collections.abc import Iterator

from hypothesis import settings

# (group, name) -> cases tried; printed by conftest.pytest_terminal_summary
COUNTS: Counter[tuple[str, str]] = Counter()


class Hang(BaseException):
    """A case did not finish within its time bound (not an Exception: ``g2live``'s top-level
    handler must not turn it into an error line)."""


@contextlib.contextmanager
def bounded(seconds: int, what: str) -> Iterator[None]:
    """Fail with ``Hang`` when the body runs longer than ``seconds`` (SIGALRM: main thread only)."""

    def expired(*_: object) -> None:
        raise Hang(f"{what}: still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def budget(n: int, most: int | None = None) -> int:
    """``n`` examples under the ci profile (max_examples 100), scaled for ``make fuzz`` (50x), but
    at most ``most``: a case that runs a command for a second must keep the long search in hours."""
    scaled = max(1, n * settings.default.max_examples // 100)
    return scaled if most is None else min(scaled, max(n, most))
