# SPDX-License-Identifier: BSD-3-Clause
"""``g2live sweep``: purity versus power on a running server, with a progress bar."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from tqdm import tqdm

from g2live.cli import _options as opt
from g2live.cli.serve import add_client_curve_args, add_endpoint_args, check_client_curve
from g2live.client import ControlClient, ControlError, Subscriber

__all__ = ["parse_powers", "register"]

MAX_POINTS = 10_000  # powers in one sweep


def parse_powers(args: argparse.Namespace) -> list[float]:
    if args.powers:
        powers = list(args.powers)  # checked by its type: finite numbers
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
        Subscriber(args.pub, ["sweep"], server_key=args.server_key, client_keys=args.client_key) as sub,
        ControlClient(args.control, server_key=args.server_key, client_keys=args.client_key) as ctl,
    ):
        try:
            res = ctl.sweep(powers, target_rel_err=args.target_rel_err, max_s=args.max_s, min_s=args.min_s)
        except TimeoutError as exc:
            raise OSError(str(exc)) from None
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
    p.add_argument(
        "--powers", type=opt.number_list, help="comma-separated powers (actuator unit; sim: P/P_sat)"
    )
    p.add_argument("--start", type=opt.number(), help="first power (with --stop, --steps)")
    p.add_argument("--stop", type=opt.number(), help="last power")
    p.add_argument("--steps", type=opt.integer(1, MAX_POINTS), default=5, help="number of powers (default 5)")
    p.add_argument("--log", action="store_true", help="logarithmic spacing")
    p.add_argument(
        "--target-rel-err", type=opt.POSITIVE, default=0.05, help="relative error of g2(0) to reach (0.05)"
    )
    p.add_argument(
        "--max-s", type=opt.SECONDS, default=10.0, help="time limit per point, s of device time (10)"
    )
    p.add_argument("--min-s", type=opt.NON_NEGATIVE, default=0.0, help="least integration per point, s (0)")
    p.add_argument(
        "--timeout", type=opt.SECONDS, help="give up when no point arrives within this many seconds"
    )
    add_endpoint_args(p, bind=False)
    add_client_curve_args(p)
    p.add_argument("--json", action="store_true", help="print the points as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run, check=check_sweep)


def check_sweep(args: argparse.Namespace) -> None:
    """The powers (given or spaced), and the time limits, before anything is sent."""
    check_client_curve(args)
    if args.powers and (args.start is not None or args.stop is not None):
        raise ValueError("give either --powers or --start/--stop/--steps, not both")
    if args.powers and len(args.powers) > MAX_POINTS:
        raise ValueError(f"--powers: {len(args.powers)} powers, at most {MAX_POINTS}")
    parse_powers(args)
    if args.min_s > args.max_s:
        raise ValueError(f"--min-s ({args.min_s:g}) exceeds --max-s ({args.max_s:g})")
