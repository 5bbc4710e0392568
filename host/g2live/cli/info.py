# SPDX-License-Identifier: BSD-3-Clause
"""``g2live info FILE [--json]``: what a photon file holds."""

from __future__ import annotations

import argparse
import json

from g2live.cli import _options as opt
from g2live.io import FORMATS

__all__ = ["register", "run"]

READ_FORMATS = tuple(FORMATS)  # every reader g2live.io has (a new one is offered at once)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``info`` command to ``subparsers``."""
    p = subparsers.add_parser(
        "info",
        help="summarise a photon time-tag file",
        description="Format, instrument, records, photons per channel, duration, "
        "resolution and sync rate of a time-tag file (see docs/formats.md).",
    )
    p.add_argument(
        "file", type=opt.existing_file, help="PTU, HT3/HT2/PT3/PT2, quTAG, SPC, Photon-HDF5 or g2live .npz"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (keys in docs/formats.md)")
    p.add_argument("--format", choices=READ_FORMATS, default=None, help="skip detection and use this reader")
    p.add_argument("--allow-truncated", action="store_true", help="read what a truncated file holds (noted)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the summary of ``args.file`` (``--json``: as one JSON object)."""
    from g2live import io
    from g2live.cli._progress import Progress, wanted

    opts = {"allow_truncated": True} if args.allow_truncated else {}
    with Progress(wanted(args.quiet), unit="ev", desc="reading") as bar:  # info reads every chunk
        summary = io.info(args.file, format=args.format, progress=bar.advance, **opts)
    if args.json:
        print(json.dumps(summary, indent=1, sort_keys=True))
        return 0
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        if key == "photons_per_channel":
            value = ", ".join(f"ch{c}: {n}" for c, n in value.items())
        elif key == "channel_roles":
            value = ", ".join(f"ch{c}: {r}" for c, r in value.items())
        elif key == "notes":
            value = "; ".join(value) if value else "-"
        print(f"{key:<{width}}  {value}")
    return 0
