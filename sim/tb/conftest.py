# SPDX-License-Identifier: BSD-3-Clause
"""pytest setup for the RTL testbenches: the ``sim`` axis and the import path of ``common``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIMS, setup_verilator_env  # noqa: E402

setup_verilator_env()


def _available(sim: str) -> bool:
    return shutil.which("verilator" if sim == "verilator" else "iverilog") is not None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test taking ``sim`` runs on each simulator; G2L_SIMS=icarus (comma list) narrows it."""
    if "sim" not in metafunc.fixturenames:
        return
    wanted = [s for s in os.environ.get("G2L_SIMS", ",".join(SIMS)).split(",") if s]
    params = []
    for sim in wanted:
        if sim not in SIMS:
            raise pytest.UsageError(f"G2L_SIMS: unknown simulator {sim!r}; choose from {SIMS}")
        marks = [] if _available(sim) else [pytest.mark.skip(reason=f"{sim} is not installed")]
        params.append(pytest.param(sim, marks=marks, id=sim))
    metafunc.parametrize("sim", params)
