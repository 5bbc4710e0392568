"""Shared fixtures for the whole suite, the Hypothesis profiles and the numpy line of the header.

Hypothesis profiles (chosen by ``HYPOTHESIS_PROFILE``, else ``ci`` when ``CI`` is set, else ``dev``):

* ``ci``: derandomized (the same examples on every run and machine), no example database, no
  timing-based checks (deadline, too_slow): a test fails only for a reason in the code it runs.
  ``make test`` and ``.ci/run`` use it.
* ``dev``: Hypothesis's defaults (random examples, ``.hypothesis`` database), for a developer
  exploring with plain ``pytest``.
* ``fuzz``: a long random search (``make fuzz``, also run by ``make bench``): 50x the examples of
  every test that does not fix its own count; failures are saved in ``.hypothesis`` and printed
  with a reproduction blob, to be added to the test as an ``@example``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]


def _realdata() -> Path:
    """``G2LIVE_REALDATA``, else ``shared/realdata`` next to the checkout or next to any folder
    above it (a git worktree sits one level deeper than the main checkout)."""
    env = os.environ.get("G2LIVE_REALDATA")
    if env:
        return Path(env).resolve()
    for parent in REPO.parents:
        candidate = parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate.resolve()
    return (REPO / ".." / "shared" / "realdata").resolve()


REALDATA = _realdata()

_TIMING = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, max_examples=100, print_blob=True,
    suppress_health_check=_TIMING,
)
settings.register_profile("dev", deadline=None, suppress_health_check=_TIMING)
settings.register_profile(
    "fuzz", max_examples=5000, deadline=None, print_blob=True, suppress_health_check=_TIMING,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)


def pytest_report_header(config: pytest.Config) -> list[str]:
    import numpy as np

    s = settings.default
    mode = "derandomized" if s.derandomize else "random"
    db = "no database" if s.database is None else "database .hypothesis"
    return [
        f"numpy {np.__version__} ({Path(np.__file__).parent})",
        f"hypothesis profile {PROFILE!r}: {mode}, max_examples {s.max_examples}, {db}",
        f"real data: {REALDATA}" + ("" if REALDATA.is_dir() else " (missing: those tests skip)"),
    ]


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The read-only folder of real measured photon files (../shared/realdata)."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is not present")
    return REALDATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
