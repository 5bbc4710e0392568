# SPDX-License-Identifier: BSD-3-Clause
"""``g2live simulate``: write an emulated recording (Photon-HDF5, g2live .npz or PTU).

Every emulator parameter is reachable: the common ones have their own option, all others go
through ``--set NAME=VALUE`` (names and units in docs/emulator.md). The recording is streamed
to the file chunk by chunk, so memory stays bounded whatever ``--duration``; pulsed excitation
with a sync is written as T3 records (``--records t2`` writes a sync event per pulse instead).
"""

from __future__ import annotations

import argparse
import json
import time
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from g2live.cli import _options as opt
from g2live.cli._progress import Progress, wanted

__all__ = ["emulator_config_from_args", "register", "run"]

# option -> EmulatorConfig field (the option's type comes from the field)
_OPTIONS: dict[str, tuple[str, str]] = {
    "--power": ("power", "excitation power in units of P_sat (pulsed: mean excitons per pulse)"),
    "--qy-ratio": ("qy_ratio", "biexciton / exciton quantum yield ratio"),
    "--qy-x": ("qy_x", "exciton quantum yield (ON state)"),
    "--rep-rate": ("rep_rate_hz", "laser repetition rate in Hz"),
    "--tau-x-ns": ("tau_x_ns", "exciton lifetime in ns"),
    "--tau-bx-ns": ("tau_bx_ns", "biexciton lifetime in ns"),
    "--collection": ("collection_efficiency", "collection efficiency (0..1)"),
    "--detector-efficiency": ("detector_efficiency", "detector efficiency (0..1)"),
    "--dark-cps": ("dark_cps", "dark counts per detector in 1/s"),
    "--background-cps": ("background_cps", "background light at the detectors in 1/s"),
    "--dead-time-ns": ("dead_time_ns", "detector dead time in ns"),
    "--n-pixels": ("n_pixels", "spectro mode: pixels of the SPAD array (1..32)"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` command to ``subparsers``."""
    p = subparsers.add_parser(
        "simulate",
        help="write an emulated photon recording (quantum dot, HBT or spectrometer + SPAD array)",
        description="Emulate a single quantum emitter (exciton/biexciton cascade, blinking, spectra) seen "
        "through an HBT setup or a spectrometer onto a SPAD line array, with realistic detectors, and write "
        "the time tags to FILE (.h5 Photon-HDF5, .npz or .ptu). The predicted values (g2(0), rates, ON "
        "fraction, ...) are stored in the file's metadata under 'truth'.",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="output file (.h5, .npz or .ptu)")
    p.add_argument("--duration", type=opt.POSITIVE, default=1.0,
                   help="emulated acquisition time in s (default 1)")
    p.add_argument("--seed", type=opt.SEED, default=0, help="random seed (default 0)")
    p.add_argument("--mode", choices=("hbt", "spectro"), default=None,
                   help="HBT (2 detectors) or spectrometer")
    p.add_argument("--excitation", choices=("pulsed", "cw"), default=None, help="laser mode (default pulsed)")
    p.add_argument("--blinking", choices=("none", "exponential", "powerlaw"), default=None,
                   help="blinking model (default exponential)")
    for option, (name, text) in _OPTIONS.items():
        p.add_argument(option, dest=name, type=opt.number() if name != "n_pixels" else opt.integer(1, 32),
                       default=None, help=text)
    p.add_argument("--no-sync", action="store_true", help="do not record the laser sync channel")
    p.add_argument("--records", choices=("t3", "t2"), default=None,
                   help="pulsed with sync: t3 (photons carry sync period and delay; default) or t2 (a sync "
                   "event per pulse)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="any other emulator parameter, e.g. --set urbach_mev=20 (repeatable)")
    p.add_argument("--chunk-s", type=opt.number(0, 60, lo_open=True), default=0.05,
                   help="emulation chunk length in s, up to 60 (default 0.05)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.add_argument("--print-truth", action="store_true", help="print the predicted values as JSON")
    p.set_defaults(func=run)


def _field_types() -> dict[str, Any]:
    from g2live.emulator import EmulatorConfig

    hints = typing.get_type_hints(EmulatorConfig)
    return {f.name: hints[f.name] for f in fields(EmulatorConfig)}


def _coerce(name: str, text: str, types: dict[str, Any]) -> Any:
    """Parse VALUE of --set NAME=VALUE with the parameter's type."""
    if name not in types or name == "extra":
        raise ValueError(f"--set {name}: unknown emulator parameter (see docs/emulator.md)")
    tp = types[name]
    try:
        if tp is bool:
            low = text.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError("expected true/false")
            return low in ("1", "true", "yes", "on")
        if tp is int:
            return int(text)
        if tp is float:
            return float(text)
        if tp is str:
            return text
        if typing.get_origin(tp) is tuple:
            return tuple(float(v) for v in text.split(",") if v.strip())
        # int | None
        if text.strip().lower() in ("none", ""):
            return None
        return int(text)
    except ValueError as exc:
        raise ValueError(f"--set {name}={text}: {exc}") from None


def emulator_config_from_args(args: argparse.Namespace) -> Any:
    """The validated ``EmulatorConfig`` of the command's options and ``--set NAME=VALUE`` items.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``simulate`` options.

    Returns
    -------
    EmulatorConfig
        Validated (``ValueError`` names the first impossible parameter).
    """
    from g2live.emulator import EmulatorConfig

    values: dict[str, Any] = {}
    types = _field_types()
    for item in args.set:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected NAME=VALUE")
        name, text = item.split("=", 1)
        values[name.strip()] = _coerce(name.strip(), text.strip(), types)
    for name in ("mode", "excitation", "blinking", "records"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    for name, _ in _OPTIONS.values():
        v = getattr(args, name)
        if v is not None:
            values[name] = v
    if args.no_sync:
        values["sync"] = False
    return EmulatorConfig(**values).validate()


def _print_summary(args: argparse.Namespace, out: Path, counts: np.ndarray, em: Any, wall: float) -> None:
    stats, truth = em.stats, em.truth()
    n = int(counts.sum())
    det = {c: int(counts[c]) for c in range(em.config.n_detectors)}
    rates = ", ".join(f"ch{c} {k / args.duration:.4g}/s" for c, k in det.items() if k)
    syncs = (f"{stats['sync_events']} sync periods as T3 records" if em.config.t3
             else f"{stats['sync_events']} sync")
    print(f"g2live simulate: {out}: {n} tags ({stats['tags']} detections, {syncs}) in "
          f"{args.duration:g} s emulated, {wall:.2f} s wall; {rates}")
    g2 = truth.get("g2_0_hbt", truth.get("g2_0_emitter"))
    print(f"  predicted g2(0) = {g2:.4f}, ON fraction {truth['on_fraction']:.3f}, dead-time losses "
          f"{sum(stats['dead_time_lost'])}, afterpulses {stats['afterpulses']}")


def run(args: argparse.Namespace) -> int:
    """Emulate ``args.duration`` seconds and stream them into ``args.output``."""
    from g2live import io
    from g2live.emulator import Emulator

    out = Path(args.output)
    if out.suffix.lower() not in (".h5", ".hdf5", ".hdf", ".npz", ".ptu"):
        raise ValueError(f"-o {out}: use a .h5, .npz or .ptu file name")
    if not out.parent.is_dir():
        raise ValueError(f"-o {out}: folder {str(out.parent)!r} does not exist")
    if out.is_dir():
        raise ValueError(f"-o {out} is a folder")
    if not (args.duration > 0):
        raise ValueError(f"--duration {args.duration}: must be > 0")
    cfg = emulator_config_from_args(args)
    em = Emulator(cfg, seed=args.seed)
    counts = np.zeros(256, np.int64)
    t0 = time.perf_counter()
    # a bad path fails here, before any work; batches of 2**21 events keep appends few and memory small
    writer = io.open_writer(out, em.meta(args.duration), t3=cfg.t3, batch_events=1 << 21)
    try:
        with Progress(wanted(args.quiet), total=args.duration, unit="s", desc="emulating",
                      bar_format="{l_bar}{bar}| {n:.3g}/{total:.3g} s [{elapsed}<{remaining}]") as bar:
            for part in em.chunks(args.duration, chunk_s=args.chunk_s):
                writer.append(part)
                counts += np.bincount(part.channel, minlength=256)
                bar.to(part.meta.extra["chunk_end_ps"] * 1e-12)
    finally:
        writer.close(meta=em.meta(args.duration))  # final stats; a failed run keeps what it wrote
    wall = time.perf_counter() - t0
    if args.print_truth:
        truth = em.truth()
        print(json.dumps({k: v for k, v in truth.items() if k != "config"}, indent=1, default=str))
    if not args.quiet:
        _print_summary(args, out, counts, em, wall)
    return 0
