# SPDX-License-Identifier: BSD-3-Clause
"""What one step of the report returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Section"]


@dataclass(frozen=True)
class Section:
    """The report keys one step produced, and notes on what it could not compute and why.

    A step that was not asked for returns its keys' defaults (None) and no note; a step that could
    not run returns the defaults and the reason.
    """

    values: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    period_ps: float | None = None  # the laser period this step established, for the later steps

    @classmethod
    def skipped(cls, defaults: dict[str, Any], reason: str | None = None) -> Section:
        """The defaults, with ``reason`` as a note (None: not asked for, nothing to say)."""
        return cls(dict(defaults), [reason] if reason else [])
