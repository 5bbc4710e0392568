# SPDX-License-Identifier: BSD-3-Clause
"""Small HTML fragments of the page's texts (every value escaped).

The class names (``small``, ``ok``, ``bad``, ``warn``, ``err``, ``fit``, ``kv``) are styled by
``static/dashboard.css``.
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["big_number", "kv_table", "nonzero", "short", "small"]


def big_number(label: str, key: str, value: str) -> str:
    """One big number with its label; ``data-key`` lets tests and scripts read it without the layout."""
    return (f'<div class="cell"><div class="lbl">{html.escape(label)}</div>'
            f'<div class="big" data-key="{key}">{html.escape(value)}</div></div>')


def kv_table(items: dict[str, Any]) -> str:
    """A two-column table of names and (shortened) values."""
    rows = "".join(f"<tr><td><b>{html.escape(str(k))}</b></td><td>{html.escape(short(v))}</td></tr>"
                   for k, v in items.items())
    return f'<table class="kv">{rows}</table>'


def short(v: Any) -> str:
    """A value as one short line: floats to 6 digits, others as compact JSON cut at 120 characters."""
    if isinstance(v, float):
        return f"{v:.6g}"
    s = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    return s if len(s) <= 120 else s[:117] + "..."


def nonzero(per_channel: Any) -> Any:
    """A per-channel list (64 entries) as {channel: value} of the non-zero ones (other values as given)."""
    if not isinstance(per_channel, list):
        return per_channel
    return {c: v for c, v in enumerate(per_channel) if v} or "none"


def small(text: str) -> str:
    """``text`` (escaped) in the small grey style of notes."""
    return f'<span class="small">{html.escape(text)}</span>'
