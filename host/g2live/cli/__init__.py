# SPDX-License-Identifier: BSD-3-Clause
"""The ``g2live`` command.

Each sub-command lives in its own module in this package and exposes
``register(subparsers) -> None``, which adds its parser and sets ``func`` (a callable taking the
parsed ``argparse.Namespace`` and returning an exit code) and optionally ``check`` (run first:
checks that involve several options). Modules are discovered, so adding a command never means
editing a shared list. Option values are checked by the ``type=`` validators of ``_options``.

No Python traceback reaches a user: every error is one line ``g2live COMMAND: error: ...`` on
stderr (``--debug`` adds the traceback). Exit codes: 0 done; 1 error; 2 bad command line;
3 a result could not be computed (``analyze --allow-partial`` accepts that); 130 Ctrl-C;
141 the reader of our output went away (``g2live status --json | head``), quietly.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
import traceback
from typing import NoReturn

from g2live.cli._errors import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_USAGE, error_line, user_error

__all__ = ["build_parser", "main"]


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the option (and exit code 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _debug_option(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument(
        "--debug", action="store_true", default=default, help="show the Python traceback of an error"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="g2live", description="Real-time photon correlator.")
    _debug_option(parser, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        module.register(sub)
    for p in sub.choices.values():  # `g2live analyze FILE --debug` as well as `g2live --debug ...`
        _debug_option(p, argparse.SUPPRESS)
        p.set_defaults(parser=p)  # its options decide how an error's hint is worded
    return parser


def _quiet_stdout() -> None:
    """Our reader went away: point stdout at /dev/null so the exit's flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is not a real file (tests): nothing to flush there
    finally:
        os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(args.debug or os.environ.get("G2LIVE_DEBUG"))
    level = logging.DEBUG if debug else logging.WARNING
    logging.basicConfig(level=level, format="%(name)s: %(levelname)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        if getattr(args, "check", None):
            args.check(args)
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler, not at exit
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # every error: one line; the traceback only when asked for
        prog = f"g2live {args.command}"
        print(error_line(prog, exc, args.parser), file=sys.stderr)
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        elif not user_error(exc):
            print(f"{prog}: run it with --debug for the traceback (and please report it)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
