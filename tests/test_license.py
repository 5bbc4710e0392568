# SPDX-License-Identifier: BSD-3-Clause
"""Every source file says its licence (SPDX), the one LICENSE and pyproject.toml declare."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TAG = "SPDX-License-Identifier: BSD-3-Clause"
SOURCE_SUFFIXES = {".py", ".pyx", ".pxd", ".pyi", ".sh", ".tcl", ".toml", ".c", ".h", ".cpp", ".sv", ".svh",
                   ".v", ".xdc", ".js", ".css", ".f"}


def _tracked() -> list[Path]:
    out = subprocess.run(["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True, check=True)
    return [REPO / f for f in out.stdout.split()]


def test_every_source_file_has_an_spdx_line() -> None:
    files = [p for p in _tracked() if (p.suffix in SOURCE_SUFFIXES or p.name == "Makefile") and p.is_file()]
    assert len(files) > 100  # the whole tree, not an empty listing
    missing = [str(p.relative_to(REPO)) for p in files if TAG not in p.read_text(errors="replace")[:400]]
    assert not missing, f"no SPDX line in the first lines of: {missing}"


def test_licence_is_the_declared_one() -> None:
    assert (REPO / "LICENSE").read_text().startswith("BSD 3-Clause License")
    assert 'license = "BSD-3-Clause"' in (REPO / "pyproject.toml").read_text()
