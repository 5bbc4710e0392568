# SPDX-License-Identifier: BSD-3-Clause
"""Progress bars of the long commands (``simulate``, ``convert``, ``analyze``, ``info``).

On stderr, and only when both stdout and stderr are terminals and ``--quiet`` was not given:
piped or captured output stays free of bar redraws.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress", "wanted"]


def wanted(quiet: bool = False) -> bool:
    """Whether a bar may be drawn: not ``quiet``, stdout and stderr both terminals."""
    return not quiet and sys.stdout.isatty() and sys.stderr.isatty()


class Progress:
    """A tqdm bar, or nothing at all when ``enabled`` is False (same calls either way).

    Parameters
    ----------
    enabled : bool
        Draw the bar (see ``wanted``).
    total : float, optional
        Expected total (None: a counter with a rate).
    unit, desc : str
        What is counted, and the label.
    """

    def __init__(
        self, enabled: bool, total: float | None = None, unit: str = "", desc: str = "", **kwargs: Any
    ) -> None:
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                unit=unit,
                desc=desc,
                file=sys.stderr,
                dynamic_ncols=True,
                unit_scale=True,
                **kwargs,
            )

    def advance(self, n: float) -> None:
        """Count ``n`` more."""
        if self._bar is not None:
            self._bar.update(n)

    def to(self, value: float) -> None:
        """Move the bar to ``value``."""
        if self._bar is not None:
            self._bar.update(value - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
