# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the running-system tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from g2live.photons import Meta, PhotonData

ROOT = Path(__file__).resolve().parents[2]
ANY_PORT = "tcp://127.0.0.1:0"  # bind picks a free port; the server reports the real endpoint


def pulsed_hbt(
    duration_s: float,
    *,
    seed: int = 1,
    rate_per_pulse: float = 0.02,
    q: float = 0.1,
    period_ps: int = 100_000,
    tau_ps: float = 8000.0,
    sync_channel: int = 8,
) -> PhotonData:
    """Synthetic pulsed HBT stream with a known g2(0).

    Each laser pulse gives a detection on channel 0 with probability p and on channel 1 with
    probability p, except that a pulse with a detection on 0 gives one on 1 only with extra
    probability q (antibunching). Then P(0 and 1) = p^2 q and g2(0) = q / (1 - p + p q).
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * 1e12 / period_ps)
    sync = np.arange(n, dtype=np.int64) * period_ps
    p = rate_per_pulse
    m0 = rng.random(n) < p
    m1 = (rng.random(n) < p) & (~m0 | (rng.random(n) < q))
    t0 = sync[m0] + rng.exponential(tau_ps, m0.sum()).astype(np.int64)
    t1 = sync[m1] + rng.exponential(tau_ps, m1.sum()).astype(np.int64)
    ch = np.concatenate([np.full(n, sync_channel), np.zeros(t0.size), np.ones(t1.size)]).astype(np.uint8)
    t = np.concatenate([sync, t0, t1])
    order = np.lexsort((ch, t))
    truth = {"g2_0": q / (1 - p + p * q), "rep_rate_hz": 1e12 / period_ps}
    return PhotonData(
        ch[order],
        t[order],
        Meta(
            source="tests.host.pulsed_hbt",
            sync_rate_hz=1e12 / period_ps,
            sync_channel=sync_channel,
            acquisition_s=duration_s,
            extra={"truth": truth},
        ),
    )


def load_example(name: str):
    """Import a file of examples/ (the clients written from docs/protocol.md alone)."""
    path = ROOT / "examples" / name
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def have_emulator() -> bool:
    try:
        from g2live.emulator import Emulator  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CliResult:
    """What one in-process ``g2live`` run left: exit code, stdout, stderr, and any exception."""

    def __init__(self, code: object, out: str, err: str, raised: BaseException | None) -> None:
        self.code, self.out, self.err, self.raised = code, out, err, raised

    @property
    def clean(self) -> bool:
        """No Python traceback reached the user (and nothing escaped ``main``)."""
        return self.raised is None and "Traceback" not in self.err and "Traceback" not in self.out

    def one_line_error(self) -> bool:
        """Failed, and said so in exactly one line on stderr."""
        return self.code not in (0, None) and self.clean and len(self.err.strip().splitlines()) == 1

    def __repr__(self) -> str:
        return f"CliResult(code={self.code!r}, err={self.err[-600:]!r}, raised={self.raised!r})"


def run_cli(*argv: str) -> CliResult:
    """``g2live ARGV`` in this process (much faster than a subprocess), as a user would see it:
    an exception escaping ``main`` is what the user would have got as a traceback."""
    import contextlib
    import io as _io
    import traceback

    from g2live.cli import main

    out, err = _io.StringIO(), _io.StringIO()
    code: object = None
    raised = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:  # noqa: BLE001 - a traceback the user would have seen
            raised = exc
            traceback.print_exception(exc, file=err)
    return CliResult(code, out.getvalue(), err.getvalue(), raised)
