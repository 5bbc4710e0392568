"""Fixtures of the file-format tests; expected values live in _io_expected.py."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def realdir(realdata: Path) -> Path:
    """The real files (found by tests/conftest.py: G2LIVE_REALDATA or a shared/realdata above)."""
    return realdata
