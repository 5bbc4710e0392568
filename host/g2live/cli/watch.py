# SPDX-License-Identifier: BSD-3-Clause
"""``g2live watch``: live terminal view of a running server (rates, g2(0), purity, photon numbers;
the ON-state g2(0), heralded g2, coincidences and markers when their settings are on).

On a terminal it redraws one screen; with stdout not a terminal (a pipe, a log file) it prints
one plain line per ``status`` message instead. Both say when the server is gone: no ``status``
for ``STALE_INTERVALS`` of its status intervals (``g2live.protocol.stale_after_s``) marks the
data stale.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from g2live.cli import _options as opt
from g2live.cli.serve import add_client_curve_args, check_client_curve
from g2live.client import Message, Subscriber
from g2live.protocol import DEFAULT_PUB, stale_after_s, status_interval_s

__all__ = ["WATCH_TOPICS", "plain_line", "render", "register", "stale_age"]

WATCH_TOPICS = ["rates", "analysis", "status", "pulsed", "sweep", "gated", "heralded_g2", "coincidences",
                "markers"]


def _fmt(v: Any, spec: str = ".4f") -> str:
    return "-" if v is None else format(v, spec)


def stale_age(st: Message | None, now: float) -> float | None:
    """Seconds since the last ``status`` when that is too long (the server is gone), else None."""
    if st is None:
        return None
    age = now - st.received
    return age if age > stale_after_s(st.header) else None


def _gone_text(st: Message, age: float, endpoint: str) -> str:
    every = status_interval_s(st.header)
    return (
        f"STALE: no status from {endpoint} for {age:.0f} s (it sends one every {every:g} s): "
        "the server is gone or unreachable; what follows is its last state"
    )


def _status_parts(st: Message | None, endpoint: str, now: float, waiting: str = "") -> list[Any]:
    """State line, and the lost-events banner that must not be missed."""
    if st is None:
        return [Text(waiting or f"waiting for {endpoint} ...", style="dim")]
    parts: list[Any] = []
    age = stale_age(st, now)
    if age is not None:
        parts.append(Panel(Text(_gone_text(st, age, endpoint), style="bold white"), style="on red"))
    h = st.header
    lost = int(h.get("lost_total", 0))
    dropped = sum(h.get("publisher_dropped", {}).values())
    state = f"{h.get('state', '?')} (stale)" if age is not None else h.get("state", "?")
    parts += [
        Text(
            f"{state}  device {h.get('device')}  run {h.get('run')}  "
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


def _tagger_lines(latest: dict[str, Message]) -> list[Text]:
    """One line per live taggers' topic that is on (settings on_state, heralded_g2, coincidences,
    and the markers): the values the dashboard's Correlations tab shows, withheld as there."""
    out: list[Text] = []
    if (ga := latest.get("gated")) is not None:
        v, w = ga.header.get("values") or {}, ga.header.get("withheld") or {}
        out.append(Text(f"g2(0) ON state {_value_err(v, 'g2_0_on', w)}  (all {_value_err(v, 'g2_0', w)}; "
                        f"ON {ga.header.get('on_time_s', 0):.3g} s)"))
    if (hg := latest.get("heralded_g2")) is not None:
        v, w = hg.header.get("values") or {}, hg.header.get("withheld") or {}
        h, a, b = hg.header.get("channels", ["?"] * 3)
        n = [int(x) for x in hg.data] if hg.data is not None and len(hg.data) == 4 else [0] * 4
        out.append(Text(f"heralded g2_h(0) {_value_err(v, 'g2_h0', w)}  (herald {h}: {n[0]:,}, with {a}: "
                        f"{n[1]:,}, with {b}: {n[2]:,}, both: {n[3]:,})"))
    if (co := latest.get("coincidences")) is not None:
        sets = co.header.get("sets") or []
        counts = ", ".join(f"{','.join(map(str, s))}: {int(k):,}"
                           for s, k in zip(sets, co.data, strict=False))
        out.append(Text(f"coincidences within {co.header.get('window_ps')} ps  {counts}"))
    if (mk := latest.get("markers")) is not None:
        seen = {k: n for k, n in enumerate(mk.header.get("marker_counts") or []) if n}
        line = "markers " + (", ".join(f"{k}: {n:,}" for k, n in seen.items()) if seen else "none yet")
        if mk.header.get("gate_markers") is not None:
            line += (f"  (gate {mk.header['gate_markers'][0]}->{mk.header['gate_markers'][1]}: "
                     f"{mk.header.get('gate_windows', 0)} windows, {mk.header.get('gate_time_s', 0):.3g} s)")
        out.append(Text(line))
    for t in ("gated", "heralded_g2", "coincidences"):
        if (m := latest.get(t)) is not None and m.header.get("lost_total"):
            out.append(Text(f"{t}: {m.header['lost_total']} events lost by the device", style="red"))
            break
    return out


def render(
    latest: dict[str, Message],
    gaps: dict[str, int],
    endpoint: str,
    now: float | None = None,
    waiting: str = "",
) -> Group:
    """One screen from the newest message of each topic (``now``: time.monotonic(), for staleness;
    ``waiting``: what to say before the first status)."""
    now = time.monotonic() if now is None else now
    parts: list[Any] = _status_parts(latest.get("status"), endpoint, now, waiting)
    if (an := latest.get("analysis")) is not None:
        parts += _analysis_parts(an)
    if (rt := latest.get("rates")) is not None:
        parts.append(_rates_table(rt))
    if (pu := latest.get("pulsed")) is not None and pu.data.sum() > 0:
        parts.append(_photon_number_table(pu))
    if (sw := latest.get("sweep")) is not None:
        parts.append(_sweep_line(sw))
    parts += _tagger_lines(latest)
    if any(gaps.values()):
        parts.append(Text(f"messages missed by this viewer: {dict(gaps)}", style="yellow"))
    return Group(*parts)


def plain_line(latest: dict[str, Message], endpoint: str, now: float) -> str:
    """One line of plain text from the newest status and analysis (for a pipe or a log file)."""
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    st = latest.get("status")
    if st is None:
        return f"{stamp} waiting for {endpoint}"
    age = stale_age(st, now)
    if age is not None:
        return f"{stamp} {_gone_text(st, age, endpoint)}"
    h = st.header
    v = latest["analysis"].header.get("values", {}) if "analysis" in latest else {}
    dropped = sum((h.get("publisher_dropped") or {}).values())
    return (
        f"{stamp} {h.get('state', '?')} run {h.get('run')} integrated {h.get('integration_s', 0):.2f} s "
        f"g2(0) {_fmt(v.get('g2_0'))} ± {_fmt(v.get('g2_0_err'))} purity {_fmt(v.get('purity'))} "
        f"rate {_fmt(v.get('rate_cps'), '.0f')} cps lost {int(h.get('lost_total', 0))} "
        f"dropped {dropped} power {_fmt(h.get('power'), '.4g')} {h.get('power_unit') or ''}".rstrip()
    )


def _once(sub: Subscriber, args: argparse.Namespace, console: Console) -> int:
    latest: dict[str, Message] = {}
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and not {"status", "rates", "analysis"} <= latest.keys():
        latest.update(sub.latest(timeout_s=max(0.0, deadline - time.monotonic())))
    if not latest:
        raise OSError(str(sub.problem(args.timeout)))
    console.print(render(latest, sub.gaps, args.pub))
    return 0


def _waiting(sub: Subscriber, started: float, now: float) -> str:
    """Before the first status: after a while, why nothing arrives (no server, key refused, ...)."""
    waited = now - started
    if waited < stale_after_s({}):
        return ""
    return str(sub.problem(waited))


def _live(sub: Subscriber, args: argparse.Namespace, console: Console, end: float | None) -> None:
    latest: dict[str, Message] = {}
    started = time.monotonic()
    with Live(
        render(latest, sub.gaps, args.pub), console=console, refresh_per_second=args.fps, screen=False
    ) as live:
        while end is None or (left := end - time.monotonic()) > 0:
            wait = 1.0 / args.fps if end is None else min(1.0 / args.fps, left)
            latest.update(sub.latest(timeout_s=wait))  # conflate: newest message per topic
            now = time.monotonic()
            waiting = "" if "status" in latest else _waiting(sub, started, now)
            live.update(render(latest, sub.gaps, args.pub, now, waiting))


def _plain(sub: Subscriber, args: argparse.Namespace, end: float | None) -> None:
    """A line per status message; one line when the server goes quiet, another when it is back."""
    latest: dict[str, Message] = {}
    started, said_stale, said_waiting = time.monotonic(), False, False
    while end is None or (left := end - time.monotonic()) > 0:
        new = sub.latest(timeout_s=0.25 if end is None else min(0.25, left))
        latest.update(new)
        now = time.monotonic()
        if "status" in new:
            print(plain_line(latest, args.pub, now), flush=True)
            said_stale = False
        elif not said_stale and stale_age(latest.get("status"), now) is not None:
            print(plain_line(latest, args.pub, now), flush=True)
            said_stale = True
        elif "status" not in latest and not said_waiting and (why := _waiting(sub, started, now)):
            print(f"{datetime.datetime.now().isoformat(timespec='seconds')} {why}", flush=True)
            said_waiting = True


def run(args: argparse.Namespace) -> int:
    console = Console()
    with Subscriber(args.pub, WATCH_TOPICS, server_key=args.server_key, client_keys=args.client_key) as sub:
        if args.once:
            return _once(sub, args, console)
        end = None if args.duration is None else time.monotonic() + args.duration
        if sys.stdout.isatty():
            _live(sub, args, console, end)
        else:
            _plain(sub, args, end)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help="live terminal view of a running g2live server",
        description="Show count rates, g2(0) with its error, purity, the photon-number "
        "histogram and lost-event counters of a running `g2live serve`.",
    )
    p.add_argument(
        "--pub",
        type=opt.connect_endpoint,
        default=DEFAULT_PUB,
        help=f"publisher endpoint (default {DEFAULT_PUB})",
    )
    add_client_curve_args(p)
    p.add_argument(
        "--fps",
        type=opt.number(0, 60, lo_open=True),
        default=4.0,
        help="screen updates per second, up to 60 (default 4)",
    )
    p.add_argument("--duration", type=opt.SECONDS, help="exit after this many seconds")
    p.add_argument("--once", action="store_true", help="print one view and exit")
    p.add_argument(
        "--timeout", type=opt.SECONDS, default=10.0, help="--once: wait at most this long for frames"
    )
    p.set_defaults(func=run, check=check_client_curve)
