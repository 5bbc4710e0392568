# SPDX-License-Identifier: BSD-3-Clause
"""Which files a batch analyses: the files named, and the recordings found in the folders named."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["find_recordings"]


def _is_recording(path: Path) -> bool:
    from g2live import io

    try:
        io.detect_format(path)
    except (ValueError, OSError):
        return False  # notes, tables, figures: not photon files
    return True


def find_recordings(paths: Iterable[str | Path], recursive: bool = False) -> list[Path]:
    """The files to analyse, in a stable order.

    A file named is always analysed (if it cannot be read, its row says why); a folder
    contributes the files in it that a reader of ``g2live.io`` recognises (hidden files skipped),
    sorted by name, and with ``recursive`` those of its subfolders. Duplicates are dropped.

    Raises
    ------
    ValueError
        A path that does not exist, or nothing to analyse.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.rglob("*") if recursive else p.iterdir())
            out += [f for f in found if f.is_file() and not f.name.startswith(".") and _is_recording(f)]
        elif p.exists():
            out.append(p)
        else:
            raise ValueError(f"{p}: no such file or folder")
    unique = list(dict.fromkeys(out))
    if not unique:
        raise ValueError(f"no recordings found in {', '.join(map(str, paths))}")
    return unique
