# SPDX-License-Identifier: BSD-3-Clause
"""The record decoders' own C tests (cext/tests/test_records.c): one call, blocks and threads give
the same photons, markers, counters and errors on random records of every layout; the order
helpers sort stably and permute exactly. Built with gcc at -O3 and under AddressSanitizer + UBSan
(the threads and the fast/checked passes are where out-of-bounds writes would hide)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CEXT = Path(__file__).resolve().parents[2] / "cext"
FLAVOURS = {
    "O3": ["-O3"],
    "sanitizers": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
}


@pytest.mark.parametrize("flavour", list(FLAVOURS))
def test_c_records(flavour: str, tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    exe = tmp_path / f"test_records_{flavour}"
    sources = [CEXT / "tests" / "test_records.c", CEXT / "src" / "g2l_records.c",
               CEXT / "src" / "g2l_common.c"]
    cmd = [gcc, "-std=c11", "-Wall", "-Wextra", "-Werror", f"-I{CEXT / 'include'}", f"-I{CEXT / 'src'}",
           f"-I{CEXT / 'tests'}", *FLAVOURS[flavour], *map(str, sources), "-o", str(exe), "-pthread"]
    build = subprocess.run(cmd, capture_output=True, text=True)
    if flavour == "sanitizers" and build.returncode != 0 and "sanitize" in build.stderr:
        pytest.skip(f"this gcc cannot build with sanitizers: {build.stderr.strip()[:200]}")
    assert build.returncode == 0, f"gcc failed:\n{build.stderr}"
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}  # leak checks need ptrace (sandboxes)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, f"C record tests failed:\n{run.stdout}\n{run.stderr}"
    assert "all checks passed" in run.stdout
