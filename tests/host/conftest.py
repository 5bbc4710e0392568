# SPDX-License-Identifier: BSD-3-Clause
"""Shared fixtures for the running-system tests: loopback only, random free ports, bounded waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from g2live.config import Config
from g2live.photons import PhotonData
from host_helpers import ANY_PORT, pulsed_hbt


@pytest.fixture(scope="session")
def hbt_data() -> PhotonData:
    return pulsed_hbt(1.0)


@pytest.fixture
def fast_config() -> Config:
    return Config(integration_s=0.05, rep_rate_hz=1e7)


@pytest.fixture
def array_server(hbt_data: PhotonData, fast_config: Config) -> Iterator:
    """A server on the synthetic stream (as fast as possible), running in a thread."""
    from g2live.device.sim import SimDevice
    from g2live.device.sources import ArraySource
    from g2live.server import Server

    srv = Server(
        SimDevice(ArraySource(hbt_data)),
        fast_config,
        pub=ANY_PORT,
        control=ANY_PORT,
        speed=0,
        autostart=False,
    )
    th = srv.start_thread()
    yield srv
    srv.stop_event.set()
    th.join(timeout=10)
    assert not th.is_alive(), "server thread did not stop"
