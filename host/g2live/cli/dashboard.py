# SPDX-License-Identifier: BSD-3-Clause
"""``g2live dashboard``: the live browser view of a running ``g2live serve``."""

from __future__ import annotations

import argparse

from g2live.cli import _options as opt
from g2live.cli.serve import add_client_curve_args, check_client_curve
from g2live.protocol import DEFAULT_CONTROL, DEFAULT_PUB

__all__ = ["add_access_args", "dashboard_token", "register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "dashboard", help="live browser dashboard (g2(tau), g2(0), rates, spectra, sweeps, status)",
        description="Serve the live dashboard of a running `g2live serve` at http://HOST:PORT/. "
                    "Everything (BokehJS included) is served locally; no internet access is needed. "
                    "On an address other than loopback the page needs the token printed at start "
                    "(or --insecure).")
    p.add_argument("--connect", type=opt.connect_endpoint, default=DEFAULT_PUB, metavar="PUB",
                   help=f"data publisher endpoint of the server (default {DEFAULT_PUB})")
    p.add_argument("--control", type=opt.connect_endpoint, default=DEFAULT_CONTROL, metavar="CTRL",
                   help=f"control endpoint of the server (default {DEFAULT_CONTROL})")
    p.add_argument("--port", type=opt.PORT, default=5006, help="HTTP port of the dashboard (default 5006)")
    p.add_argument("--host", type=opt.listen_host, default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    add_client_curve_args(p)
    p.add_argument("--pixel-energy", type=opt.number_pair, default=None, metavar="E0,DE",
                   help="spectrometer calibration for the heralded tab: pixel (channel) k has energy "
                        "E0 + k*DE eV, e.g. 2.55,-0.004; enables the live binding energy")
    add_access_args(p, "--host")
    p.set_defaults(func=run, check=_check)


def add_access_args(p: argparse.ArgumentParser, host_option: str) -> None:
    """``--insecure`` and ``--view-only`` of a command that serves the dashboard."""
    if not any("--insecure" in a.option_strings for a in p._actions):  # `run` has serve's already
        p.add_argument("--insecure", action="store_true",
                       help=f"serve a {host_option} other than loopback without a token (anyone who reaches "
                            "it gets the page and its controls)")
    p.add_argument("--view-only", action="store_true",
                   help="the page shows but cannot start, stop or configure anything (refused by the "
                        "dashboard's server, not only hidden)")


def dashboard_token(host: str, insecure: bool) -> str | None:
    """A fresh token for a page reachable from the network (None on loopback or with --insecure)."""
    from g2live.dashboard.access import is_loopback_host, new_token

    return None if is_loopback_host(host) or insecure else new_token()


def _check(args: argparse.Namespace) -> None:
    check_client_curve(args)
    if args.pixel_energy is not None and args.pixel_energy[1] == 0:
        raise ValueError("--pixel-energy: DE (eV per pixel) must not be 0")


def run(args: argparse.Namespace) -> int:
    from g2live.dashboard import serve_dashboard

    token = dashboard_token(args.host, args.insecure)

    def ready(url: str) -> None:
        print(f"g2live dashboard: {url}  (data {args.connect}, control {args.control}); Ctrl-C stops it",
              flush=True)
        if token is not None:
            print("g2live dashboard: the page needs this URL (its token): keep it to yourself", flush=True)

    serve_dashboard(args.connect, args.control, args.port, args.host, server_key=args.server_key,
                    client_key=args.client_key, pixel_energy_ev=args.pixel_energy, token=token,
                    insecure=args.insecure, view_only=args.view_only, ready=ready)
    return 0
