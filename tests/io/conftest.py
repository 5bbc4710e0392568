"""Fixtures of the file-format tests; expected values live in _io_expected.py."""

from __future__ import annotations

from pathlib import Path

import pytest

REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdir() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is not present")
    return REALDATA.resolve()
