# SPDX-License-Identifier: BSD-3-Clause
"""The fuzz and abuse suite: one running server and a set of files shared by every case, and the
count of cases tried per command, message kind and reader, printed at the end of the run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))  # host_helpers (run_cli, ...)

from fuzz_helpers import COUNTS  # noqa: E402


@pytest.fixture(scope="session")
def live_server() -> Iterator:
    """`g2live serve` on the emulator (1 MHz laser, paced, with its power actuator) in a thread."""
    from g2live.config import Config
    from g2live.device.power import SimulatedActuator
    from g2live.device.sim import SimDevice
    from g2live.emulator import EmulatorConfig
    from g2live.server import Server

    device = SimDevice(emulator_config=EmulatorConfig(rep_rate_hz=1e6), seed=1)
    srv = Server(
        device,
        Config(integration_s=0.1),
        pub="tcp://127.0.0.1:0",
        control="tcp://127.0.0.1:0",
        actuator=SimulatedActuator(device),
    )
    th = srv.start_thread()
    yield srv
    srv.stop_event.set()
    th.join(timeout=20)
    assert not th.is_alive(), "server thread did not stop"


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Inputs a user may hand a command: a good recording, a cut one, an empty one, noise, a folder."""
    from g2live import io
    from host_helpers import pulsed_hbt

    d = tmp_path_factory.mktemp("fuzzfiles")
    rec = pulsed_hbt(0.05)  # 0.5 M events: every command that reads it stays quick
    io.write(d / "rec.npz", rec)
    io.write(d / "rec.ptu", rec)
    blob = (d / "rec.ptu").read_bytes()
    (d / "cut.ptu").write_bytes(blob[: len(blob) * 2 // 3])
    (d / "empty.ptu").write_bytes(b"")
    (d / "noise.bin").write_bytes(bytes(range(256)) * 8)
    (d / "settings.json").write_text('{"integration_s": 0.05}')
    (d / "bad.json").write_text("[" * 5000)
    (d / "folder").mkdir()
    return {p.name: p for p in d.iterdir()} | {"dir": d}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not COUNTS:
        return
    terminalreporter.section("fuzz and abuse: cases tried")
    for group in sorted({g for g, _ in COUNTS}):
        parts = ", ".join(f"{name} {n}" for (g, name), n in sorted(COUNTS.items()) if g == group)
        total = sum(n for (g, _), n in COUNTS.items() if g == group)
        terminalreporter.write_line(f"{group}: {total} ({parts})")
