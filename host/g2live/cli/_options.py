# SPDX-License-Identifier: BSD-3-Clause
"""Option checks of every sub-command, in one place: argparse ``type=`` validators.

Each validator turns the option's text into its value or raises ``argparse.ArgumentTypeError``
saying what is wrong; argparse prefixes the option's name, and ``g2live`` prints it as one line
and exits 2 before the command does anything. Checks that involve two options (``--min-s`` <=
``--max-s``) are a command's ``check(args)``, set with ``set_defaults(check=...)`` and run by
``g2live.cli.main`` before the command.

Ranges are written as in mathematics: ``(0, 1]`` excludes 0 and includes 1. NaN is never a
number here; infinity only where an option says so.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "number",
    "integer",
    "POSITIVE",
    "NON_NEGATIVE",
    "FRACTION",
    "PORT",
    "SEED",
    "CHANNEL",
    "SECONDS",
    "CHUNK_RECORDS",
    "channel_pair",
    "channel_sets",
    "channel_triple",
    "WINDOW_NS",
    "fraction_pair",
    "number_list",
    "number_pair",
    "bind_endpoint",
    "connect_endpoint",
    "listen_host",
    "dask_address",
    "server_key",
    "client_key",
    "existing_file",
    "existing_dir",
    "output_file",
    "key_json",
    "emulator_item",
    "settings_file",
]

Invalid = argparse.ArgumentTypeError


def _num(v: float) -> str:
    return str(v) if isinstance(v, int) else f"{v:g}"


def _range_text(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {_num(lo)}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {_num(hi)}"
    return "finite"


def _in_range(v: float, lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and (v < lo or (lo_open and v == lo)):
        return False
    return not (hi is not None and (v > hi or (hi_open and v == hi)))


def _parse_number(text: str, allow_inf: bool) -> float:
    try:
        v = float(text)
    except ValueError:
        raise Invalid(f"expected a number, got {text!r}") from None
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise Invalid(f"expected a finite number, got {text!r}")
    return v


def number(
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    allow_inf: bool = False,
) -> Callable[[str], float]:
    """A float in the given range (never NaN; infinite only with ``allow_inf``)."""
    want = _range_text(lo, hi, lo_open, hi_open)

    def parse(text: str) -> float:
        v = _parse_number(text, allow_inf)
        if not _in_range(v, lo, hi, lo_open, hi_open):
            raise Invalid(f"must be {want}, got {text!r}")
        return v

    parse.__name__ = f"number {want}"
    return parse


def integer(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An integer in ``[lo, hi]``."""
    want = _range_text(lo, hi, False, False)

    def parse(text: str) -> int:
        try:
            v = int(text.strip())
        except ValueError:
            raise Invalid(f"expected an integer, got {text!r}") from None
        if not _in_range(v, lo, hi, False, False):
            raise Invalid(f"must be an integer {want}, got {text!r}")
        return v

    parse.__name__ = f"integer {want}"
    return parse


POSITIVE = number(0, lo_open=True)
NON_NEGATIVE = number(0)
FRACTION = number(0, 1, lo_open=True)  # a signal fraction, an efficiency: (0, 1]
SECONDS = number(0, lo_open=True)  # a duration
PORT = integer(1, 65535)
SEED = integer(0)
CHANNEL = integer(0, 255)  # a channel number of a photon file (uint8; devices have 0..63)
WINDOW_NS = number(0, 1e9, lo_open=True)  # a coincidence window in ns: up to 1 s
# records per chunk of a streamed file: 2**24 decoded records are ~0.5 GB, beyond that a chunk
# costs memory and gains no speed
CHUNK_RECORDS = integer(1, 1 << 24)


def _split(text: str, n: tuple[int, ...], what: str) -> list[str]:
    parts = [x.strip() for x in text.split(",")]
    if any(not p for p in parts) or len(parts) not in n:
        counts = " or ".join(str(k) for k in n)
        raise Invalid(f"expected {counts} {what} separated by a comma, got {text!r}")
    return parts


def channel_pair(text: str) -> tuple[int, int]:
    """``A,B``: two different channels (a cross-correlation needs two detectors)."""
    a, b = (CHANNEL(p) for p in _split(text, (2,), "channels"))
    if a == b:
        raise Invalid(f"the two channels must differ, got {text!r}")
    return a, b


def channel_sets(text: str) -> str:
    """Channel sets separated by ';' (``0,1;0,1,2``): 2 to 8 different channels each; unchanged."""
    sets = [part for part in text.split(";") if part.strip()]
    if not sets:
        raise Invalid(f"expected channel sets like '0,1;0,1,2', got {text!r}")
    for part in sets:
        chans = [CHANNEL(x) for x in part.split(",")]
        if not 2 <= len(chans) <= 8 or len(set(chans)) != len(chans):
            raise Invalid(f"{part!r}: a set is 2 to 8 different channels")
    return text


def channel_triple(text: str) -> str:
    """``H,A,B`` (``--heralded-g2``) or ``A,B,C`` (``--g3``): three different channels; returned
    unchanged."""
    chans = [CHANNEL(x) for x in _split(text, (3,), "channels")]
    if len(set(chans)) != 3:
        raise Invalid(f"the three channels must differ, got {text!r}")
    return text


def fraction_pair(text: str) -> tuple[float, float]:
    """``A[,B]``: one fraction in (0, 1] per detector (one value: both)."""
    vals = [FRACTION(p) for p in _split(text, (1, 2), "numbers")]
    return (vals[0], vals[-1])


def number_pair(text: str) -> tuple[float, float]:
    """``X,Y``: two finite numbers."""
    x, y = (_parse_number(p, False) for p in _split(text, (2,), "numbers"))
    return x, y


def number_list(text: str) -> list[float]:
    """``P1,P2,...``: one or more finite numbers."""
    parts = [x.strip() for x in text.split(",") if x.strip()]
    if not parts:
        raise Invalid("expected one or more numbers separated by commas")
    return [_parse_number(p, False) for p in parts]


def _endpoint(bind: bool) -> Callable[[str], str]:
    from g2live.protocol import check_endpoint

    def parse(text: str) -> str:
        try:
            check_endpoint(text, bind=bind)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        return text

    parse.__name__ = "endpoint"
    return parse


bind_endpoint = _endpoint(True)
connect_endpoint = _endpoint(False)


def listen_host(text: str) -> str:
    """An address to listen on: an IP address, a host name, or 0.0.0.0 / :: for all interfaces."""
    from g2live.protocol import check_endpoint

    bracketed = f"[{text}]" if ":" in text and not text.startswith("[") else text
    try:
        check_endpoint(f"tcp://{bracketed}:1", bind=False)
    except ValueError:
        raise Invalid(f"{text!r} is not an address or host name") from None
    return text


def dask_address(text: str) -> str:
    """A Dask scheduler's address: ``[SCHEME://]HOST:PORT`` (tcp, tls, ws, wss), port 1..65535."""
    scheme, sep, rest = text.strip().rpartition("://")
    if sep and scheme not in ("tcp", "tls", "ws", "wss"):
        raise Invalid(f"{text!r}: scheme {scheme!r} is not one of tcp, tls, ws, wss")
    host, colon, port = rest.rpartition(":")
    if not colon or not host or " " in host:
        raise Invalid(f"{text!r} is not a scheduler address ([tcp://]HOST:PORT)")
    PORT(port)
    return text.strip()


def server_key(text: str) -> str:
    """The server's CURVE public key: its key file, or the 40-character Z85 key itself."""
    from g2live.curve import public_key

    try:
        public_key(text)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    return text


def client_key(text: str) -> str:
    """This client's ``.key_secret`` file (its public part is in the server's clients folder)."""
    from g2live.curve import client_key_pair

    try:
        client_key_pair(text)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    return text


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise Invalid(f"{text!r} does not exist" if not path.exists() else f"{text!r} is not a file")
    return path


def existing_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise Invalid(f"{text!r} is not a folder")
    return path


def output_file(suffixes: tuple[str, ...]) -> Callable[[str], Path]:
    """A file to write, named with one of ``suffixes`` (they choose its format), in a folder that exists."""

    def parse(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() not in suffixes:
            raise Invalid(f"{text!r}: name it {', '.join(suffixes)} (the extension chooses the format)")
        if not path.parent.is_dir():
            raise Invalid(f"{text!r}: folder {str(path.parent)!r} does not exist")
        if path.is_dir():
            raise Invalid(f"{text!r} is a folder")
        return path

    parse.__name__ = "output file"
    return parse


def key_json(text: str) -> str:
    """``KEY=VALUE`` (VALUE: JSON, or a bare word taken as a string); returned unchanged."""
    key, sep, _ = text.partition("=")
    if not sep or not key.strip():
        raise Invalid(f"expected KEY=VALUE, got {text!r}")
    return text


def _fits(value: Any, tp: Any) -> bool:
    """Whether a JSON value can be a parameter of type ``tp`` (float, int, str, bool, tuple, X | None)."""
    import types
    import typing

    if tp is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if tp is float:
        return isinstance(value, (int, float))
    if tp is int:
        return isinstance(value, int)
    if tp is str:
        return isinstance(value, str)
    origin = typing.get_origin(tp)
    if origin is tuple:
        return isinstance(value, list) and all(_fits(v, float) for v in value)
    if origin in (typing.Union, types.UnionType):
        return any(value is None if a is type(None) else _fits(value, a) for a in typing.get_args(tp))
    return True  # a type this check does not know: EmulatorConfig.validate decides


def emulator_item(text: str) -> str:
    """``NAME=JSON`` naming a field of ``EmulatorConfig`` (docs/emulator.md), with a value of its type."""
    import typing
    from dataclasses import fields

    from g2live.emulator import EmulatorConfig

    key_json(text)
    name, _, raw = text.partition("=")
    name = name.strip()
    hints = typing.get_type_hints(EmulatorConfig)
    known = {f.name: hints[f.name] for f in fields(EmulatorConfig) if f.name != "extra"}
    if name not in known:
        raise Invalid(f"{name!r} is not an emulator parameter (see docs/emulator.md)")
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        value = raw  # a bare word: a string
    tp = known[name]
    if not _fits(value, tp):
        raise Invalid(f"{name}: {raw!r} is not a value of type {getattr(tp, '__name__', tp)}")
    return text


def settings_file(text: str) -> Path:
    """A JSON settings file (docs/protocol.md section 3) that parses as an object."""
    path = existing_file(text)
    try:
        obj: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Invalid(f"{text!r}: not a JSON file ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise Invalid(f"{text!r}: expected a JSON object of settings")
    return path
