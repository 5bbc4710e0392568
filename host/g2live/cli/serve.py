# SPDX-License-Identifier: BSD-3-Clause
"""``g2live serve``: run a device and publish its data (docs/protocol.md).

Also the arguments and builders ``g2live run`` shares (``add_server_args``, ``server_from_args``)
and the client options every client command shares (``add_endpoint_args``,
``add_client_curve_args``).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from g2live.config import Config
from g2live.curve import CurveKeys
from g2live.device import DEVICES, Device, open_device
from g2live.protocol import DEFAULT_CONTROL, DEFAULT_PUB

if TYPE_CHECKING:
    from g2live.server import Server

__all__ = [
    "add_endpoint_args",
    "add_client_curve_args",
    "add_server_args",
    "config_from_args",
    "device_from_args",
    "server_from_args",
    "register",
]


def add_endpoint_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pub", default=DEFAULT_PUB, help=f"publisher endpoint (default {DEFAULT_PUB})")
    p.add_argument("--control", default=DEFAULT_CONTROL, help=f"control endpoint (default {DEFAULT_CONTROL})")


def add_client_curve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server-key", help="server's CURVE public key file (when the server uses CURVE)")


def add_server_args(p: argparse.ArgumentParser) -> None:
    add_endpoint_args(p)
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="sim",
        help="back-end (default sim: emulator + C twins; verilator runs the real RTL much slower than real "
        "time: use short integrations, e.g. --set integration_s=0.002)",
    )
    p.add_argument("--config", type=Path, help="settings JSON file (docs/protocol.md section 3)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override one setting, e.g. --set integration_s=0.5 --set 'pairs=[[0,1],[0,0]]'",
    )
    p.add_argument("--seed", type=int, default=0, help="emulator seed (sim, verilator)")
    p.add_argument(
        "--emulator",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="emulator parameter, e.g. --emulator qy_ratio=0.05 (see docs/emulator.md)",
    )
    p.add_argument("--power", type=float, help="initial excitation power (sim: P/P_sat; SCPI: its unit)")
    p.add_argument("--file", type=Path, help="recording to play back (--device replay) or to follow while it "
                   "is written (--device follow)")
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="pace: 1 = real time (default), 2 = twice as fast, 0 = as fast as possible",
    )
    p.add_argument("--loop", action="store_true", help="replay: start again at the end of the file")
    p.add_argument("--idle-s", type=float, default=5.0,
                   help="follow: writing has ended after this long without growth (default 5)")
    p.add_argument("--poll-s", type=float, default=0.05, help="follow: pause between looks at the file")
    p.add_argument("--wait-s", type=float, default=60.0,
                   help="follow: wait this long for the file to appear with its first events (default 60)")
    p.add_argument("--rotate", action="store_true",
                   help="follow: then go on with the next file (same folder and extension, next name)")
    p.add_argument("--bitstream", type=Path, help="pynq: overlay .bit file (with its .hwh beside it)")
    p.add_argument(
        "--scpi", metavar="RESOURCE", help="real power actuator: VISA resource of a SCPI laser/attenuator"
    )
    p.add_argument("--scpi-set", default="SOUR:POW {value:.6g}", help="SCPI set command, {value} = power")
    p.add_argument("--scpi-query", default="SOUR:POW?", help="SCPI query of the set-point ('' = none)")
    p.add_argument("--scpi-unit", default="W", help="unit of the SCPI power")
    p.add_argument(
        "--scpi-max", type=float, default=float("inf"), help="largest power the actuator may be set to"
    )
    p.add_argument("--curve-secret", type=Path, help="server CURVE secret key file (.key_secret)")
    p.add_argument(
        "--curve-clients", type=Path, help="folder of allowed client public keys (with --curve-secret)"
    )
    p.add_argument("--insecure", action="store_true", help="allow a non-loopback bind without CURVE")
    p.add_argument("--stopped", action="store_true", help="do not start acquiring until a start command")
    p.add_argument("--exit-at-end", action="store_true",
                   help="replay, follow: exit when the file has been played (follow: its writing ended)")


def _kv(items: list[str], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{what}: expected KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(val)
        except json.JSONDecodeError:
            out[key] = val  # a bare word: a string
    return out


def config_from_args(args: argparse.Namespace) -> Config:
    """``--config`` FILE (or the defaults) with the ``--set`` overrides applied."""
    cfg = Config.load(args.config) if getattr(args, "config", None) else Config()
    return cfg.updated(**_kv(args.set, "--set")) if args.set else cfg


def device_from_args(args: argparse.Namespace) -> Device:
    """The back-end ``--device`` names, with its options (emulator, file, bitstream)."""
    emu = _kv(args.emulator, "--emulator")
    if args.power is not None and not args.scpi:
        emu.setdefault("power", args.power)
    if args.device in ("sim", "verilator"):
        from g2live.emulator import EmulatorConfig

        ecfg = EmulatorConfig(**emu)
        if hasattr(ecfg, "validate"):
            ecfg.validate()
        return open_device(args.device, emulator_config=ecfg, seed=args.seed)
    if emu:
        raise ValueError(f"--emulator applies to the sim and verilator devices, not {args.device}")
    if args.device == "replay":
        if args.file is None:
            raise ValueError("--device replay needs --file RECORDING")
        return open_device("replay", path=args.file, loop=args.loop)
    if args.device == "follow":
        if args.file is None:
            raise ValueError("--device follow needs --file FILE (it may not exist yet)")
        print(f"g2live serve: following {args.file} (waiting up to {args.wait_s:g} s for its first events; "
              f"writing has ended after {args.idle_s:g} s without growth)", file=sys.stderr, flush=True)
        return open_device("follow", path=args.file, idle_s=args.idle_s, poll_s=args.poll_s,
                           rotate=args.rotate, wait_s=args.wait_s)
    if args.device == "pynq":
        return open_device("pynq", bitstream=args.bitstream)
    raise ValueError(f"unknown device {args.device}")


def server_from_args(args: argparse.Namespace, **kw: Any) -> Server:
    """A ``Server`` on the device, actuator and endpoints the arguments name (not yet serving)."""
    # Imported here: the server opens ZeroMQ sockets, which the client commands never need.
    from g2live.device.power import ScpiActuator, SimulatedActuator
    from g2live.server import Server

    cfg = config_from_args(args)
    device = device_from_args(args)
    actuator = None
    if args.scpi:
        actuator = ScpiActuator(
            args.scpi,
            set_cmd=args.scpi_set,
            query_cmd=args.scpi_query or None,
            unit=args.scpi_unit,
            max_power=args.scpi_max,
        )
        if args.power is not None:
            actuator.set(args.power)
    elif args.device in ("sim", "verilator"):
        actuator = SimulatedActuator(device)  # --power already went into the emulator config
    curve = CurveKeys.load(args.curve_secret, args.curve_clients) if args.curve_secret else None
    if args.curve_clients and not args.curve_secret:
        raise ValueError("--curve-clients needs --curve-secret")
    speed = args.speed
    if speed < 0:
        raise ValueError(f"--speed must be >= 0, got {speed}")
    return Server(
        device,
        cfg,
        pub=args.pub,
        control=args.control,
        actuator=actuator,
        curve=curve,
        insecure=args.insecure,
        speed=speed,
        exit_at_end=args.exit_at_end,
        autostart=not args.stopped,
        **kw,
    )


def run(args: argparse.Namespace) -> int:
    if args.curve_keygen:
        pub, sec = CurveKeys.generate(args.curve_keygen)
        print(f"public key: {pub}\nsecret key: {sec} (keep it private; give clients the public one)")
        return 0
    server = server_from_args(args)
    signal.signal(signal.SIGTERM, lambda *_: server.stop_event.set())
    print(
        f"g2live serve: device {server.device.name}, publishing on {server.pub_endpoint}, "
        f"control on {server.control_endpoint}",
        file=sys.stderr,
        flush=True,
    )
    server.serve(max_s=args.duration)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run a device and publish its data over ZeroMQ",
        description="Run a device (default: the emulator through the C twins of the on-chip "
        "blocks) and publish histograms, rates, photon-number histograms, "
        "analysis and status as described in docs/protocol.md.",
    )
    add_server_args(p)
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: run until Ctrl-C)")
    p.add_argument(
        "--curve-keygen",
        type=Path,
        metavar="BASE",
        help="write a CURVE key pair BASE.key / BASE.key_secret and exit",
    )
    p.set_defaults(func=run)
