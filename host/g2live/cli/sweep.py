# SPDX-License-Identifier: BSD-3-Clause
"""``g2live sweep``: purity versus power on a running server, with a progress bar."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from tqdm import tqdm

from g2live.cli.serve import add_client_curve_args
from g2live.client import ControlClient, ControlError, Subscriber
from g2live.protocol import DEFAULT_CONTROL, DEFAULT_PUB

__all__ = ["parse_powers", "register"]


def parse_powers(args: argparse.Namespace) -> list[float]:
    if args.powers:
        try:
            powers = [float(x) for x in args.powers.split(",") if x.strip()]
        except ValueError:
            raise ValueError(f"--powers: {args.powers!r} is not a comma-separated list of numbers") from None
    elif args.start is not None and args.stop is not None:
        if args.steps < 1:
            raise ValueError(f"--steps must be >= 1, got {args.steps}")
        if args.log:
            if args.start <= 0 or args.stop <= 0:
                raise ValueError("--log needs --start and --stop > 0")
            powers = list(np.geomspace(args.start, args.stop, args.steps))
        else:
            powers = list(np.linspace(args.start, args.stop, args.steps))
    else:
        raise ValueError("give --powers P1,P2,... or --start/--stop/--steps")
    if not powers:
        raise ValueError("--powers: no power given")
    return [float(p) for p in powers]


def run(args: argparse.Namespace) -> int:
    powers = parse_powers(args)
    points = []
    with (
        Subscriber(args.pub, ["sweep"], server_key=args.server_key) as sub,
        ControlClient(args.control, server_key=args.server_key) as ctl,
    ):
        try:
            res = ctl.sweep(powers, target_rel_err=args.target_rel_err, max_s=args.max_s, min_s=args.min_s)
        except TimeoutError as exc:
            raise OSError(f"{exc}: is `g2live serve` running?") from None
        except ControlError as exc:
            raise ValueError(str(exc)) from None
        sweep_id = res["sweep_id"]
        # Wall-clock bound: every point may take max_s of device time (paced: about as long).
        budget = args.timeout if args.timeout is not None else len(powers) * (args.max_s * 3 + 5)
        with tqdm(total=len(powers), unit="point", disable=args.quiet, file=sys.stderr) as bar:
            while len(points) < len(powers):
                f = sub.recv(timeout_s=budget)
                if f is None:
                    ctl.sweep_stop()
                    raise OSError(f"sweep {sweep_id}: no point within {budget} s")
                if f.header.get("sweep_id") != sweep_id:
                    continue
                v = dict(f.header["values"])
                if f.header.get("withheld"):
                    v["withheld"] = dict(f.header["withheld"])
                points.append(v)
                g2_text = "withheld" if v["g2_0"] is None else f"{v['g2_0']:.4f}"
                bar.set_postfix(power=f"{v['power']:.3g}", g2_0=g2_text)
                bar.update(1)
                if f.header.get("done"):
                    break
    if args.json:
        print(json.dumps(points, indent=1))
    else:
        _print_points(points)
    return 0


def _cell(x: float | None, spec: str, note: str = "") -> str:
    return ("withheld" + note if note else "-") if x is None else format(x, spec)


def _print_points(points: list[dict]) -> None:
    """The sweep table; a withheld g2(0) or purity is marked and its reason listed below."""
    reasons: list[str] = []

    def mark(v: dict, key: str) -> str:
        why = (v.get("withheld") or {}).get(key)
        if v.get(key) is not None or not why:
            return ""
        if why not in reasons:
            reasons.append(why)
        return f"[{reasons.index(why) + 1}]"

    print(f"{'power':>10} {'g2(0)':>12} {'err':>8} {'purity':>12} {'rate cps':>11} {'time s':>8} reached")
    for v in points:
        print(
            f"{_cell(v['power'], '10.4g'):>10} {_cell(v['g2_0'], '12.4f', mark(v, 'g2_0')):>12} "
            f"{_cell(v['g2_0_err'], '8.4f'):>8} {_cell(v['purity'], '12.4f', mark(v, 'purity')):>12} "
            f"{_cell(v['rate_cps'], '11.0f'):>11} {_cell(v['integration_s'], '8.2f'):>8} "
            f"{'yes' if v['reached'] else 'no (time limit)'}"
        )
    for i, why in enumerate(reasons, 1):
        print(f"[{i}] {why}")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="purity versus power sweep on a running server",
        description="Step the power actuator of a running `g2live serve` through the given "
        "powers; at each step integrate until g2(0) reaches the target relative "
        "error (or the time limit), and print g2(0), purity and rate per point. "
        "Each point is also published on the `sweep` topic.",
    )
    p.add_argument("--powers", help="comma-separated powers (actuator unit; sim: P/P_sat)")
    p.add_argument("--start", type=float, help="first power (with --stop, --steps)")
    p.add_argument("--stop", type=float, help="last power")
    p.add_argument("--steps", type=int, default=5, help="number of powers (default 5)")
    p.add_argument("--log", action="store_true", help="logarithmic spacing")
    p.add_argument(
        "--target-rel-err", type=float, default=0.05, help="relative error of g2(0) to reach (0.05)"
    )
    p.add_argument("--max-s", type=float, default=10.0, help="time limit per point, s of device time (10)")
    p.add_argument("--min-s", type=float, default=0.0, help="least integration per point, s (0)")
    p.add_argument("--timeout", type=float, help="give up when no point arrives within this many seconds")
    p.add_argument("--pub", default=DEFAULT_PUB, help=f"publisher endpoint (default {DEFAULT_PUB})")
    p.add_argument("--control", default=DEFAULT_CONTROL, help=f"control endpoint (default {DEFAULT_CONTROL})")
    add_client_curve_args(p)
    p.add_argument("--json", action="store_true", help="print the points as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
