# SPDX-License-Identifier: BSD-3-Clause
"""``g2live watch``: live terminal view of a running server (rates, g2(0), purity, photon numbers)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from g2live.cli.serve import add_client_curve_args
from g2live.client import Message, Subscriber
from g2live.protocol import DEFAULT_PUB

__all__ = ["WATCH_TOPICS", "render", "register"]

WATCH_TOPICS = ["rates", "analysis", "status", "pulsed", "sweep"]


def _fmt(v: Any, spec: str = ".4f") -> str:
    return "-" if v is None else format(v, spec)


def _status_parts(st: Message | None, endpoint: str) -> list[Any]:
    """State line, and the lost-events banner that must not be missed."""
    if st is None:
        return [Text(f"waiting for {endpoint} ...", style="dim")]
    h = st.header
    lost = int(h.get("lost_total", 0))
    dropped = sum(h.get("publisher_dropped", {}).values())
    parts: list[Any] = [
        Text(
            f"{h.get('state', '?')}  device {h.get('device')}  run {h.get('run')}  "
            f"integrated {h.get('integration_s', 0):.2f} s  power {_fmt(h.get('power'), '.4g')} "
            f"{h.get('power_unit') or ''}"
        )
    ]
    if lost:
        per = {c: sum(v) for c, v in h.get("lost", {}).items() if sum(v)}
        parts.append(
            Panel(
                Text(f"LOST EVENTS: {lost}  {per}  - the data are incomplete", style="bold white"),
                style="on red",
            )
        )
    if dropped or h.get("malformed"):
        parts.append(
            Text(
                f"publisher dropped {h.get('publisher_dropped')}  malformed {h.get('malformed')}",
                style="yellow",
            )
        )
    return parts


def _value_err(v: dict[str, Any], key: str, withheld: dict[str, str]) -> str:
    if v.get(key) is None and key in withheld:
        return "withheld *"
    return f"{_fmt(v.get(key))} ± {_fmt(v.get(key + '_err'))}"


def _analysis_parts(an: Message) -> list[Any]:
    v = an.header.get("values", {})
    withheld = an.header.get("withheld") or {}
    t = Table(title="g2(0)", show_header=True)
    for col in ("g2(0)", "purity", "g2(0) Poisson-norm.", "rate (cps)", "centre counts"):
        t.add_column(col, justify="right")
    t.add_row(
        _value_err(v, "g2_0", withheld),
        _value_err(v, "purity", withheld),
        "withheld *" if v.get("g2_0_poisson_norm") is None and "g2_0_poisson_norm" in withheld
        else _fmt(v.get("g2_0_poisson_norm")),
        _fmt(v.get("rate_cps"), ".0f"),
        _fmt(v.get("n_center"), ".0f"),
    )
    parts: list[Any] = [t]
    for why in dict.fromkeys(withheld.values()):
        parts.append(Text(f"* withheld: {why}", style="yellow"))
    if an.header.get("error"):
        parts.append(Text(f"analysis: {an.header['error']}", style="dim"))
    return parts


def _rates_table(rt: Message) -> Table:
    t = Table(title="count rates", show_header=True)
    chans = rt.header.get("settings", {}).get("channels", list(range(len(rt.data))))
    t.add_column("channel")
    t.add_column("cps", justify="right")
    t.add_column("lost", justify="right")
    t.add_column("dead-time drops", justify="right")
    lost = rt.header.get("lost", [0] * len(rt.data))
    dead = rt.header.get("dead", [0] * len(rt.data))
    sync = rt.header.get("settings", {}).get("sync_channel")
    for c in chans:
        name = f"{c} (sync)" if c == sync else str(c)
        t.add_row(name, f"{rt.data[c]:,.0f}", str(lost[c]), str(dead[c]), style="red" if lost[c] else None)
    return t


def _photon_number_table(pu: Message) -> Table:
    t = Table(title="photons per laser period", show_header=True)
    t.add_column("n")
    t.add_column("periods", justify="right")
    t.add_column("fraction", justify="right")
    t.add_column("")
    total = float(pu.data.sum())
    last = len(pu.data) - 1
    for n, k in enumerate(pu.data):
        frac = k / total
        bar = "#" * int(round(40 * (frac**0.25))) if k else ""  # 4th root: the tail stays visible
        t.add_row(f"{n}{'+' if n == last else ''}", f"{int(k):,}", f"{frac:.3e}", bar)
    return t


def _sweep_line(sw: Message) -> Text:
    v = sw.header.get("values", {})
    g2 = "withheld" if v.get("g2_0") is None and "g2_0" in (sw.header.get("withheld") or {}) else (
        f"{_fmt(v.get('g2_0'))} ± {_fmt(v.get('g2_0_err'))}")
    return Text(
        f"sweep {sw.header.get('sweep_id')}: point {sw.header.get('point', 0) + 1}/"
        f"{sw.header.get('n_points')} power {_fmt(v.get('power'), '.4g')} g2(0) {g2}"
    )


def render(latest: dict[str, Message], gaps: dict[str, int], endpoint: str) -> Group:
    """One screen from the newest message of each topic."""
    parts: list[Any] = _status_parts(latest.get("status"), endpoint)
    if (an := latest.get("analysis")) is not None:
        parts += _analysis_parts(an)
    if (rt := latest.get("rates")) is not None:
        parts.append(_rates_table(rt))
    if (pu := latest.get("pulsed")) is not None and pu.data.sum() > 0:
        parts.append(_photon_number_table(pu))
    if (sw := latest.get("sweep")) is not None:
        parts.append(_sweep_line(sw))
    if any(gaps.values()):
        parts.append(Text(f"messages missed by this viewer: {dict(gaps)}", style="yellow"))
    return Group(*parts)


def run(args: argparse.Namespace) -> int:
    console = Console()
    latest: dict[str, Message] = {}
    with Subscriber(args.pub, WATCH_TOPICS, server_key=args.server_key) as sub:
        if args.once:
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline and not {"status", "rates", "analysis"} <= latest.keys():
                latest.update(sub.latest(timeout_s=max(0.0, deadline - time.monotonic())))
            if not latest:
                raise OSError(
                    f"no frames from {args.pub} within {args.timeout} s: is `g2live serve` running?"
                )
            console.print(render(latest, sub.gaps, args.pub))
            return 0
        end = None if args.duration is None else time.monotonic() + args.duration
        with Live(
            render(latest, sub.gaps, args.pub), console=console, refresh_per_second=args.fps, screen=False
        ) as live:
            while end is None or time.monotonic() < end:
                latest.update(sub.latest(timeout_s=1.0 / args.fps))  # conflate: newest message per topic
                live.update(render(latest, sub.gaps, args.pub))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help="live terminal view of a running g2live server",
        description="Show count rates, g2(0) with its error, purity, the photon-number "
        "histogram and lost-event counters of a running `g2live serve`.",
    )
    p.add_argument("--pub", default=DEFAULT_PUB, help=f"publisher endpoint (default {DEFAULT_PUB})")
    add_client_curve_args(p)
    p.add_argument("--fps", type=float, default=4.0, help="screen updates per second (default 4)")
    p.add_argument("--duration", type=float, help="exit after this many seconds")
    p.add_argument("--once", action="store_true", help="print one view and exit")
    p.add_argument("--timeout", type=float, default=10.0, help="--once: wait at most this long for frames")
    p.set_defaults(func=run)
