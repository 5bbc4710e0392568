# SPDX-License-Identifier: BSD-3-Clause
"""How an error reaches a user of ``g2live``: one line, with hints that name real options.

The library's messages speak Python (``allow_truncated=True``, ``format=``); on the command
line they must name the option that does the same, or say nothing of it when the command has
none. ``HINTS`` maps each such phrase to its option; ``error_line`` rewrites the message for
the command that failed. ``user_error`` tells the errors a user can act on (bad input, a file
that is not what it claims, no server) from bugs, which ask for ``--debug``.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass

__all__ = [
    "EXIT_ERROR",
    "EXIT_USAGE",
    "EXIT_PARTIAL",
    "EXIT_BROKEN_PIPE",
    "Hint",
    "HINTS",
    "cli_hints",
    "error_line",
    "user_error",
]

EXIT_ERROR = 1
EXIT_USAGE = 2  # argparse's own
EXIT_PARTIAL = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what `yes | head` reports for `yes`



@dataclass(frozen=True)
class Hint:
    """A library phrase (``api``), the option that does the same, and the hint that holds it."""

    api: str
    option: str
    pattern: re.Pattern[str]  # the whole hint, removed when the command has no such option
    reworded: str  # its replacement naming the option


HINTS = (
    Hint(
        "allow_truncated=True",
        "--allow-truncated",
        re.compile(r"\s*\(([^()]*?)allow_truncated=True([^()]*)\)"),
        r" (\1--allow-truncated\2)",
    ),
    Hint("format=", "--format", re.compile(r"\s*(?:or )?pass format="), " or pass --format"),
    Hint("channels", "--channels", re.compile(r";?\s*pass channels explicitly"), "; pass --channels A,B"),
    Hint(
        "bitstream=", "--bitstream", re.compile(r"\s*pass bitstream= \(`--bitstream`\)"), " pass --bitstream"
    ),
)


def _has_option(parser: argparse.ArgumentParser | None, option: str) -> bool:
    return parser is not None and any(option in a.option_strings for a in parser._actions)


def cli_hints(message: str, parser: argparse.ArgumentParser | None) -> str:
    """``message`` with each library hint reworded for ``parser``'s command (or dropped)."""
    for hint in HINTS:
        message = hint.pattern.sub(hint.reworded if _has_option(parser, hint.option) else "", message)
    return message


def user_error(exc: BaseException) -> bool:
    """An error about the input or the world (a one-line message says it all), not a bug."""
    from g2live.client import ControlError, ProtocolError

    return isinstance(exc, (ValueError, OSError, RuntimeError, ControlError, ProtocolError))


def error_line(prog: str, exc: BaseException, parser: argparse.ArgumentParser | None) -> str:
    """The one line a failed command prints."""
    text = " ".join(str(exc).split()) or type(exc).__name__  # one line, whatever the message holds
    if user_error(exc):
        return f"{prog}: error: {cli_hints(text, parser)}"
    return f"{prog}: internal error: {type(exc).__name__}: {text}"
