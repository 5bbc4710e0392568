# SPDX-License-Identifier: BSD-3-Clause
"""``g2live dashboard``: the live browser view of a running ``g2live serve``."""

from __future__ import annotations

import argparse

from g2live.protocol import DEFAULT_CONTROL, DEFAULT_PUB

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "dashboard", help="live browser dashboard (g2(tau), g2(0), rates, spectra, sweeps, status)",
        description="Serve the live dashboard of a running `g2live serve` at http://HOST:PORT/. "
                    "Everything (BokehJS included) is served locally; no internet access is needed.")
    p.add_argument("--connect", default=DEFAULT_PUB, metavar="PUB",
                   help=f"data publisher endpoint of the server (default {DEFAULT_PUB})")
    p.add_argument("--control", default=DEFAULT_CONTROL, metavar="CTRL",
                   help=f"control endpoint of the server (default {DEFAULT_CONTROL})")
    p.add_argument("--port", type=int, default=5006, help="HTTP port of the dashboard (default 5006)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--server-key", default=None, metavar="FILE",
                   help="server's CURVE public key file, when the server uses CURVE")
    p.add_argument("--pixel-energy", default=None, metavar="E0,DE",
                   help="spectrometer calibration for the heralded tab: pixel (channel) k has energy "
                        "E0 + k*DE eV, e.g. 2.55,-0.004; enables the live binding energy")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from g2live.dashboard import serve_dashboard

    if not 0 < args.port < 65536:
        raise ValueError(f"--port {args.port}: must be 1..65535")

    calibration = None
    if args.pixel_energy:
        try:
            e0, de = (float(x) for x in args.pixel_energy.split(","))
        except ValueError:
            raise ValueError(f"--pixel-energy {args.pixel_energy!r}: give two numbers E0,DE in eV") from None
        if de == 0:
            raise ValueError("--pixel-energy: DE (eV per pixel) must not be 0")
        calibration = (e0, de)

    def ready(url: str) -> None:
        print(f"g2live dashboard: {url}  (data {args.connect}, control {args.control}); Ctrl-C stops it",
              flush=True)

    serve_dashboard(args.connect, args.control, args.port, args.host, server_key=args.server_key,
                    pixel_energy_ev=calibration, ready=ready)
    return 0

