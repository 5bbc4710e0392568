# SPDX-License-Identifier: BSD-3-Clause
"""``g2live status``: ask a running server for its status (or send start/stop/reset)."""

from __future__ import annotations

import argparse
import json

from g2live.cli import _options as opt
from g2live.cli.serve import add_client_curve_args, check_client_curve
from g2live.client import ControlClient, ControlError
from g2live.protocol import DEFAULT_CONTROL

__all__ = ["register"]


def run(args: argparse.Namespace) -> int:
    with ControlClient(
        args.control, timeout_s=args.timeout, server_key=args.server_key, client_keys=args.client_key
    ) as ctl:
        try:
            if args.action != "status":
                ctl.call(args.action)
            st = ctl.status()
        except TimeoutError as exc:
            raise OSError(str(exc)) from None
        except ControlError as exc:
            raise ValueError(str(exc)) from None
    if args.json:
        print(json.dumps(st, indent=1))
        return 0
    s = st["settings"]
    print(f"state        {st['state']} (run {st['run']}, device {st['device']}, up {st['uptime_s']:.0f} s)")
    print(f"integrated   {st['integration_s']:.3f} s in {st['n_integrations']} integrations")
    lost = st["lost_total"]
    print(f"lost events  {lost}{'   <-- DATA INCOMPLETE' if lost else ''}")
    for cause, per in st["lost"].items():
        if sum(per):
            print(f"  {cause:10s} " + ", ".join(f"ch{c}: {n}" for c, n in enumerate(per) if n))
    print("dead-time    " + (", ".join(f"ch{c}: {n}" for c, n in enumerate(st["dead"]) if n) or "0"))
    print(f"publisher    sent {st['publisher_sent']} dropped {st['publisher_dropped']}")
    print(f"power        {st['power']} {st['power_unit'] or ''}")
    print(
        f"settings     channels {s['channels']} pairs {s['pairs']} bin {s['bin_width_ps']} ps x "
        f"{s['n_bins']} offset {s['offset_ps']} ps, integration {s['integration_s']} s, "
        f"sync {s['sync_channel']}"
    )
    if st.get("sweep"):
        print(f"sweep        {st['sweep']}")
    _print_analysis(st.get("analysis") or {}, st.get("analysis_error") or "")
    return 0


def _print_analysis(an: dict, error: str) -> None:
    """The running g2(0) and purity, or why they are withheld."""
    v, withheld = an.get("values") or {}, an.get("withheld") or {}
    for key, label in (("g2_0", "g2(0)"), ("purity", "purity")):
        if v.get(key) is not None:
            err = v.get(f"{key}_err")
            print(f"{label:12s} {v[key]:.4g}" + (f" ± {err:.2g}" if err is not None else ""))
        elif key in withheld:
            print(f"{label:12s} withheld: {withheld[key]}")
        elif error:
            print(f"{label:12s} - ({error})")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status",
        help="status of a running server (also start/stop/reset it)",
        description="Query `g2live serve` over its control socket: state, lost-event counters, "
        "publisher drops, settings.",
    )
    p.add_argument(
        "action",
        nargs="?",
        default="status",
        choices=["status", "start", "stop", "reset"],
        help="send this command first (default: only status)",
    )
    p.add_argument(
        "--control",
        type=opt.connect_endpoint,
        default=DEFAULT_CONTROL,
        help=f"control endpoint (default {DEFAULT_CONTROL})",
    )
    add_client_curve_args(p)
    p.add_argument("--timeout", type=opt.SECONDS, default=3.0, help="seconds to wait for the reply")
    p.add_argument("--json", action="store_true", help="print the raw status object")
    p.set_defaults(func=run, check=check_client_curve)
