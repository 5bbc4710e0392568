# SPDX-License-Identifier: BSD-3-Clause
"""The PTU tag header vocabulary (PicoQuant unified TTTR format): magic, tag types, one tag's
bytes. Shared by the reader (``ptu``) and the writer (``_ptu_write``)."""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["MAGIC", "TAG_SIZE", "TY_ANSISTRING", "TY_EMPTY8", "TY_FLOAT8", "TY_INT8", "TY_WIDESTRING"]

MAGIC = b"PQTTTR\x00\x00"
TAG_SIZE = 48

TY_EMPTY8 = 0xFFFF0008
TY_BOOL8 = 0x00000008
TY_INT8 = 0x10000008
TY_BITSET64 = 0x11000008
TY_COLOR8 = 0x12000008
TY_FLOAT8 = 0x20000008
TY_TDATETIME = 0x21000008
TY_FLOAT8ARRAY = 0x2001FFFF
TY_ANSISTRING = 0x4001FFFF
TY_WIDESTRING = 0x4002FFFF
TY_BINARYBLOB = 0xFFFFFFFF


def _tag(name: str, typ: int, value: Any = 0, idx: int = -1) -> bytes:
    ident = name.encode("ascii")
    if len(ident) > 31:
        raise ValueError(f"PTU tag name {name!r} longer than 31 characters")
    if typ in (TY_ANSISTRING, TY_WIDESTRING):
        blob = value.encode("utf-8" if typ == TY_ANSISTRING else "utf-16-le") + b"\x00"
        blob += b"\x00" * (-len(blob) % 8)
        return struct.pack("<32siIq", ident, idx, typ, len(blob)) + blob
    if typ in (TY_FLOAT8, TY_TDATETIME):  # TDateTime: days since 1899-12-30 as a double
        return struct.pack("<32siId", ident, idx, typ, float(value))
    return struct.pack("<32siIq", ident, idx, typ, int(value))
