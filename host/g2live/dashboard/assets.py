# SPDX-License-Identifier: BSD-3-Clause
"""The page's CSS and JavaScript, kept as static files in ``static/`` (package data).

Bokeh sends them inline (an ``InlineStyleSheet``, ``CustomJS`` bodies), so the page still makes
no request beyond BokehJS and its WebSocket. Each file opens with comment lines (licence, what
the code is for); they are dropped here so only the code travels to the browser.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["static_text"]


@cache
def static_text(name: str) -> str:
    """The code of ``static/<name>`` without its leading comment lines.

    Parameters
    ----------
    name : str
        File name inside the package's ``static`` folder, e.g. ``"dashboard.css"``.

    Returns
    -------
    str
        The file's text from its first line that is not a comment.

    Raises
    ------
    FileNotFoundError
        If the file is not part of the installed package (package data missing).
    """
    text = resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].lstrip().startswith(("//", "/*")):
        start += 1
    return "".join(lines[start:])
