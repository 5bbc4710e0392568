"""Shared fixtures for the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = (REPO / ".." / "shared" / "realdata").resolve()


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The read-only folder of real measured photon files (../shared/realdata)."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is not present")
    return REALDATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
