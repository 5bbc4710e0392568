# SPDX-License-Identifier: BSD-3-Clause
"""``g2live convert IN OUT``: rewrite a photon file as Photon-HDF5 (.h5), g2live .npz or PTU T2."""

from __future__ import annotations

import argparse
from pathlib import Path

from g2live.cli import _options as opt
from g2live.cli.record import WRITE_SUFFIXES

__all__ = ["register", "run"]

WRITE_FORMATS = ("photon-hdf5", "npz", "ptu")  # the writable ones of g2live.io.FORMATS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``convert`` command to ``subparsers``."""
    p = subparsers.add_parser(
        "convert",
        help="convert a photon file to Photon-HDF5, .npz or PTU",
        description="Read any supported time-tag file and write it as Photon-HDF5 "
        "(.h5/.hdf5), g2live .npz or PTU Generic T2 (.ptu), chosen by OUT's extension.",
    )
    p.add_argument("input", type=opt.existing_file)
    p.add_argument("output", type=Path)
    p.add_argument(
        "--format", choices=WRITE_FORMATS, default=None, help="output format instead of the extension"
    )
    p.add_argument(
        "--allow-truncated", action="store_true", help="convert what a truncated file holds (noted)"
    )
    p.set_defaults(func=run, check=_check)


def _check(args: argparse.Namespace) -> None:
    """The output's format (from --format or its extension) and folder, before reading anything."""
    if args.format is None:
        try:
            opt.output_file(WRITE_SUFFIXES)(str(args.output))
        except argparse.ArgumentTypeError as exc:
            raise ValueError(f"OUT {exc} (or give --format)") from None
    elif not args.output.parent.is_dir():
        raise ValueError(f"{args.output}: folder {args.output.parent} does not exist")


def run(args: argparse.Namespace) -> int:
    """Read ``args.input`` and write it as ``args.output``; print what was converted."""
    from pathlib import Path

    from g2live import io

    opts = {"allow_truncated": True} if args.allow_truncated else {}
    if Path(args.input).resolve() == Path(args.output).resolve():
        raise ValueError("input and output are the same file")
    data = io.read(args.input, **opts)
    fmt = args.format or io._WRITE_EXT.get(Path(args.output).suffix.lower())
    extra = {"source_file": Path(args.input).name} if fmt == "photon-hdf5" else {}
    io.write(args.output, data, format=fmt, **extra)
    counts = ", ".join(f"ch{c}: {n}" for c, n in data.counts().items())
    print(f"{args.input} -> {args.output}: {len(data)} events ({counts})")
    for note in data.meta.notes:
        print(f"note: {note}")
    return 0
