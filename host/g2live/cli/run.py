# SPDX-License-Identifier: BSD-3-Clause
"""``g2live run`` (what ``make run`` calls): the simulated device served, plus a live view.

Starts ``serve`` on the simulated device in this process, then the browser dashboard when
``g2live.dashboard`` is installed (its URL is printed), else the terminal ``watch`` view.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from g2live.cli import _options as opt
from g2live.cli.dashboard import add_access_args, dashboard_token
from g2live.cli.serve import add_server_args, check_server_args, server_from_args

__all__ = ["register"]


def run(args: argparse.Namespace) -> int:
    server = server_from_args(args)
    thread = server.start_thread()
    print(
        f"g2live run: device {server.device.name} publishing on {server.pub_endpoint}, control on "
        f"{server.control_endpoint}",
        file=sys.stderr,
        flush=True,
    )
    try:
        use_dashboard = not args.terminal and importlib.util.find_spec("g2live.dashboard") is not None
        serve_dashboard = None
        if use_dashboard:
            from g2live import dashboard

            serve_dashboard = getattr(dashboard, "serve_dashboard", None)
        if serve_dashboard is not None:
            token = dashboard_token(args.http_host, args.insecure)

            def ready(url: str) -> None:
                print(f"g2live run: dashboard at {url} (Ctrl-C to stop)", flush=True)

            serve_dashboard(
                server.pub_endpoint,
                server.control_endpoint,
                args.port,
                host=args.http_host,
                token=token,
                insecure=args.insecure,
                view_only=args.view_only,
                ready=ready,
            )
        else:
            from g2live.cli import watch

            wargs = argparse.Namespace(
                pub=server.pub_endpoint,
                server_key=None,
                client_key=None,
                fps=4.0,
                duration=args.duration,
                once=False,
                timeout=10.0,
            )
            watch.run(wargs)
    finally:
        server.stop_event.set()
        thread.join(timeout=5)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="serve the simulated device and show it live (make run)",
        description="Start `g2live serve` (default: simulated device) in this process and open "
        "the live view: the browser dashboard when available (URL printed), "
        "else the terminal view.",
    )
    add_server_args(p)
    p.add_argument("--port", type=opt.PORT, default=5006, help="dashboard HTTP port (default 5006)")
    p.add_argument(
        "--http-host",
        type=opt.listen_host,
        default="127.0.0.1",
        help="dashboard HTTP address (default 127.0.0.1)",
    )
    add_access_args(p, "--http-host")
    p.add_argument("--terminal", action="store_true", help="terminal view even when the dashboard exists")
    p.add_argument("--duration", type=opt.SECONDS, help="terminal view: exit after this many seconds")
    p.set_defaults(func=run, check=check_server_args)
