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

from g2live.cli import _options as opt
from g2live.config import Config
from g2live.curve import CurveKeys
from g2live.device import DEVICES, Device, open_device
from g2live.protocol import DEFAULT_CONTROL, DEFAULT_PUB

if TYPE_CHECKING:
    from g2live.server import Server

__all__ = [
    "add_endpoint_args",
    "add_client_curve_args",
    "check_client_curve",
    "add_server_args",
    "check_server_args",
    "config_from_args",
    "device_from_args",
    "server_from_args",
    "register",
]


def add_endpoint_args(p: argparse.ArgumentParser, bind: bool = True) -> None:
    """``--pub`` and ``--control``: endpoints the server binds (``bind``) or a client connects to."""
    endpoint = opt.bind_endpoint if bind else opt.connect_endpoint
    p.add_argument(
        "--pub", type=endpoint, default=DEFAULT_PUB, help=f"publisher endpoint (default {DEFAULT_PUB})"
    )
    p.add_argument(
        "--control",
        type=endpoint,
        default=DEFAULT_CONTROL,
        help=f"control endpoint (default {DEFAULT_CONTROL})",
    )


def add_client_curve_args(p: argparse.ArgumentParser) -> None:
    """``--server-key`` and ``--client-key`` of every client command (docs/protocol.md section 4)."""
    p.add_argument(
        "--server-key",
        type=opt.server_key,
        metavar="KEY",
        help="the server's CURVE public key, when it uses CURVE: its BASE.key file or the 40-character key",
    )
    p.add_argument(
        "--client-key",
        type=opt.client_key,
        metavar="FILE",
        help="this client's BASE.key_secret (needed when the server restricts clients with --curve-clients; "
        "its BASE.key goes into that folder)",
    )


def check_client_curve(args: argparse.Namespace) -> None:
    """``--client-key`` only makes sense with ``--server-key``."""
    if getattr(args, "client_key", None) and not getattr(args, "server_key", None):
        raise ValueError("--client-key needs --server-key (the server's public key)")


def add_server_args(p: argparse.ArgumentParser) -> None:
    add_endpoint_args(p)
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="sim",
        help="back-end (default sim: emulator + C twins; verilator runs the real RTL much slower than real "
        "time: use short integrations, e.g. --set integration_s=0.002)",
    )
    p.add_argument("--config", type=opt.settings_file, help="settings JSON file (docs/protocol.md section 3)")
    p.add_argument(
        "--set",
        type=opt.key_json,
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override one setting, e.g. --set integration_s=0.5 --set 'pairs=[[0,1],[0,0]]'",
    )
    p.add_argument("--seed", type=opt.SEED, default=0, help="emulator seed (sim, verilator)")
    p.add_argument(
        "--emulator",
        type=opt.emulator_item,
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="emulator parameter, e.g. --emulator qy_ratio=0.05 (see docs/emulator.md)",
    )
    p.add_argument(
        "--power", type=opt.number(), help="initial excitation power (sim: P/P_sat; SCPI: its unit)"
    )
    p.add_argument("--file", type=Path, help="recording to play back (--device replay) or to follow while it "
                   "is written (--device follow)")
    p.add_argument(
        "--speed",
        type=opt.NON_NEGATIVE,
        default=1.0,
        help="pace: 1 = real time (default), 2 = twice as fast, 0 = as fast as possible",
    )
    p.add_argument("--loop", action="store_true", help="replay: start again at the end of the file")
    p.add_argument("--idle-s", type=opt.SECONDS, default=5.0,
                   help="follow: writing has ended after this long without growth (default 5)")
    p.add_argument("--poll-s", type=opt.number(0, 60, lo_open=True), default=0.05,
                   help="follow: pause between looks at the file")
    p.add_argument("--wait-s", type=opt.NON_NEGATIVE, default=60.0,
                   help="follow: wait this long for the file to appear with its first events (default 60)")
    p.add_argument("--rotate", action="store_true",
                   help="follow: then go on with the next file (same folder and extension, next name)")
    p.add_argument(
        "--bitstream", type=opt.existing_file, help="pynq: overlay .bit file (with its .hwh beside it)"
    )
    p.add_argument(
        "--scpi", metavar="RESOURCE", help="real power actuator: VISA resource of a SCPI laser/attenuator"
    )
    p.add_argument("--scpi-set", default="SOUR:POW {value:.6g}", help="SCPI set command, {value} = power")
    p.add_argument("--scpi-query", default="SOUR:POW?", help="SCPI query of the set-point ('' = none)")
    p.add_argument("--scpi-unit", default="W", help="unit of the SCPI power")
    p.add_argument(
        "--scpi-max",
        type=opt.number(allow_inf=True),
        default=float("inf"),
        help="largest power the actuator may be set to",
    )
    p.add_argument(
        "--curve-secret", type=opt.existing_file, help="server CURVE secret key file (BASE.key_secret)"
    )
    p.add_argument(
        "--curve-clients",
        type=opt.existing_dir,
        help="folder of allowed client public keys (BASE.key files; with --curve-secret)",
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
    speed = args.speed
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
        pub, sec = CurveKeys.generate(args.curve_keygen, force=args.force)
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
    p.add_argument(
        "--duration", type=opt.SECONDS, help="stop after this many seconds (default: run until Ctrl-C)"
    )
    p.add_argument(
        "--curve-keygen",
        type=Path,
        metavar="BASE",
        help="write a CURVE key pair BASE.key (public) / BASE.key_secret (secret, mode 0600) and exit",
    )
    p.add_argument("--force", action="store_true", help="--curve-keygen: replace an existing key pair")
    p.set_defaults(func=run, check=check_server_args)


def check_server_args(args: argparse.Namespace) -> None:
    """Options that only make sense together (``serve`` and ``run``)."""
    if args.curve_clients and not args.curve_secret:
        raise ValueError("--curve-clients needs --curve-secret")
    if args.file is not None and args.device not in ("replay", "follow"):
        raise ValueError(f"--file applies to --device replay or follow, not {args.device}")
    if args.file is not None and args.device == "replay" and not Path(args.file).is_file():
        raise ValueError(f"--file {args.file} does not exist")  # follow may wait for it (--wait-s)
    if args.emulator and args.device not in ("sim", "verilator"):
        raise ValueError(f"--emulator applies to the sim and verilator devices, not {args.device}")
    if getattr(args, "force", False) and not getattr(args, "curve_keygen", None):
        raise ValueError("--force applies to --curve-keygen")
