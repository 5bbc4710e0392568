# SPDX-License-Identifier: BSD-3-Clause
"""Build and run the C-level unit tests in cext/tests/ with gcc: once as the extension is built
(-O3) and once under AddressSanitizer + UBSan. One entry per C test program."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CEXT = Path(__file__).resolve().parents[2] / "cext"
BASE = ["-std=c11", "-Wall", "-Wextra", "-Werror", f"-I{CEXT / 'include'}", f"-I{CEXT / 'src'}"]
FLAVOURS = {
    "O3": ["-O3"],
    "sanitizers": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
}
# C test program -> the core sources it links (the core's own test links every source file)
PROGRAMS = {
    "test_core": sorted(str(p) for p in (CEXT / "src").glob("*.c")),
    "test_emulate": [str(CEXT / "src" / "g2l_emulate.c")],
    "test_tdc": [str(CEXT / "src" / "g2l_tdc.c")],
}


@pytest.mark.parametrize("flavour", list(FLAVOURS))
@pytest.mark.parametrize("program", list(PROGRAMS))
def test_c_unit(program: str, flavour: str, tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    exe = tmp_path / f"{program}_{flavour}"
    sources = [str(CEXT / "tests" / f"{program}.c"), *PROGRAMS[program]]
    build = subprocess.run(
        [gcc, *BASE, *FLAVOURS[flavour], *sources, "-o", str(exe), "-lm"], capture_output=True, text=True
    )
    if flavour == "sanitizers" and build.returncode != 0 and "sanitize" in build.stderr:
        pytest.skip(f"this gcc cannot build with sanitizers: {build.stderr.strip()[:200]}")
    assert build.returncode == 0, f"gcc failed:\n{build.stderr}"
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    if "LeakSanitizer has encountered a fatal error" in run.stderr:
        # leak checking needs ptrace, which some sandboxes forbid: keep ASan/UBSan, drop leaks
        env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}
        run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, f"C unit tests {program} failed:\n{run.stdout}\n{run.stderr}"
    assert "all checks passed" in run.stdout
