# SPDX-License-Identifier: BSD-3-Clause
"""``g2live convert IN OUT``: rewrite a photon file as Photon-HDF5 (.h5), g2live .npz or PTU.

Streams chunk by chunk (memory stays bounded whatever the file size); T3 input is written in the
T3 layout of the output format, T2 input as T2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from g2live.cli import _options as opt

__all__ = ["register", "run"]

WRITE_FORMATS = ("photon-hdf5", "npz", "ptu")  # the writable ones of g2live.io.FORMATS
WRITE_SUFFIXES = (".h5", ".hdf5", ".hdf", ".npz", ".ptu")  # the formats g2live.io.write chooses by name


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``convert`` command to ``subparsers``."""
    p = subparsers.add_parser(
        "convert",
        help="convert a photon file to Photon-HDF5, .npz or PTU",
        description="Read any supported time-tag file and write it as Photon-HDF5 "
        "(.h5/.hdf5), g2live .npz or PTU (.ptu: Generic T2, or HydraHarp T3 for T3 input), chosen by "
        "OUT's extension. Streams chunk by chunk: any file size in bounded memory.",
    )
    p.add_argument("input", type=opt.existing_file)
    p.add_argument("output", type=Path)
    p.add_argument(
        "--format", choices=WRITE_FORMATS, default=None, help="output format instead of the extension"
    )
    p.add_argument(
        "--allow-truncated", action="store_true", help="convert what a truncated file holds (noted)"
    )
    p.add_argument("--chunk-records", type=opt.CHUNK_RECORDS, default=1 << 20,
                   help="records per chunk (default 2**20, at most 2**24)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run, check=_check)


def _check(args: argparse.Namespace) -> None:
    """The output's format (from --format or its extension) and folder, before reading anything."""
    out = args.output
    if args.format is None and out.suffix.lower() not in WRITE_SUFFIXES:
        raise ValueError(
            f"cannot tell the output format from OUT {str(out)!r}: name it {', '.join(WRITE_SUFFIXES)} "
            "(the extension chooses the format), or give --format"
        )
    if not out.parent.is_dir():
        raise ValueError(f"OUT {str(out)!r}: folder {str(out.parent)!r} does not exist")
    if out.is_dir():
        raise ValueError(f"OUT {str(out)!r} is a folder")


def run(args: argparse.Namespace) -> int:
    """Stream ``args.input`` into ``args.output``; print what was converted."""
    from pathlib import Path

    import numpy as np

    from g2live import io
    from g2live.cli._progress import Progress, wanted

    opts = {"allow_truncated": True} if args.allow_truncated else {}
    src, out = Path(args.input), Path(args.output)
    if src.resolve() == out.resolve():
        raise ValueError("input and output are the same file")
    fmt = io.output_format(out, args.format)  # refused before anything is read or written
    extra = {"source_file": src.name} if fmt == "photon-hdf5" else {}
    io.detect_format(src)  # an unreadable input fails before OUT is created
    chunks = io.iter_chunks(src, chunk_records=args.chunk_records, **opts)
    counts = np.zeros(256, np.int64)
    writer = last = None
    roles: dict[int, str] = {}
    span: list[int] = []
    try:
        with Progress(wanted(args.quiet), unit="ev", desc="converting") as bar:
            for chunk in chunks:
                if writer is None:
                    writer = io.open_writer(out, chunk.meta, t3=chunk.is_t3, format=fmt,
                                            batch_events=1 << 21, **extra)
                writer.append(chunk)
                counts += np.bincount(chunk.channel, minlength=256)
                roles.update(chunk.meta.channel_roles)
                if len(chunk):
                    span[:] = [span[0] if span else int(chunk.time_ps[0]), int(chunk.time_ps[-1])]
                bar.advance(len(chunk))
                last = chunk
    finally:
        meta = None if last is None else io.whole_meta(last.meta, io.detect_format(src), roles,
                                                      (span[0], span[1]) if span else None)
        if writer is not None:
            writer.close(meta=meta)  # what read() of the input gives: the file's counters, roles, notes
    if writer is None or meta is None:
        raise ValueError(f"{src}: no photons to convert")
    per = ", ".join(f"ch{c}: {int(counts[c])}" for c in np.flatnonzero(counts))
    print(f"{args.input} -> {args.output}: {int(counts.sum())} events ({per})")
    for note in [*meta.notes, *getattr(writer, "notes", [])]:
        print(f"note: {note}")
    return 0
