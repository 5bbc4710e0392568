# SPDX-License-Identifier: BSD-3-Clause
"""g2live: FPGA-streaming real-time photon correlator.

What you type first (imported on first use, so ``import g2live`` itself stays cheap)::

    import g2live

    data = g2live.read("run.ptu")              # any supported photon file -> PhotonData
    report = g2live.analyze_photons(data)      # g2(0), purity, lifetime, blinking, ...

    sub = g2live.Subscriber(topics=["g2"])     # data of a running `g2live serve`
    ctl = g2live.ControlClient()               # its control socket

Public API
----------
read
    Read a photon file (PicoQuant PTU and PT2/PT3/HT2/HT3, Becker & Hickl SPC, quTAG, Photon-HDF5,
    ``.npz``) into ``PhotonData`` (``g2live.io``).
PhotonData
    Photon arrival times and channels of one measurement, with its metadata
    (``g2live.photons``).
Config
    Validated acquisition settings: channels, delays, histogram bins, pairs, pulsed mode
    (``g2live.config``).
Emulator
    Physics emulator of a quantum emitter and its detection setup (``g2live.emulator``).
analyze_photons
    The full offline analysis of recorded photons (``g2live.analysis``).
open_device
    An acquisition back-end by name: ``sim``, ``verilator``, ``pynq``, ``replay``
    (``g2live.device``).
Subscriber
    Receive the published topics of a running server (``g2live.client``).
ControlClient
    Send commands to a running server (``g2live.client``).

Subpackages
-----------
``g2live.core`` (C twins of the on-chip blocks), ``g2live.logcorr`` (log-binned correlation,
1 ns .. 10 s), ``g2live.coincidence`` (coincidence counters, heralded g2, g3),
``g2live.emulator`` (photon physics),
``g2live.io`` (file formats), ``g2live.analysis`` (estimators), ``g2live.device`` (back-ends
and power actuators), ``g2live.server`` (the running server), ``g2live.protocol`` (its wire
vocabulary), ``g2live.client`` (its clients), ``g2live.dashboard`` (browser view) and
``g2live.cli`` (the ``g2live`` command).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers and editors; nothing imported at run time
    from g2live.analysis import analyze_photons
    from g2live.client import ControlClient, Subscriber
    from g2live.config import Config
    from g2live.device import open_device
    from g2live.emulator import Emulator
    from g2live.io import read
    from g2live.photons import PhotonData

__version__ = "0.1.0"

# name -> module it comes from; imported when the name is first used (PEP 562).
_EXPORTS = {
    "read": "g2live.io",
    "PhotonData": "g2live.photons",
    "Config": "g2live.config",
    "Emulator": "g2live.emulator",
    "analyze_photons": "g2live.analysis",
    "open_device": "g2live.device",
    "Subscriber": "g2live.client",
    "ControlClient": "g2live.client",
}

__all__ = [
    "__version__",
    "read",
    "PhotonData",
    "Config",
    "Emulator",
    "analyze_photons",
    "open_device",
    "Subscriber",
    "ControlClient",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'g2live' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
