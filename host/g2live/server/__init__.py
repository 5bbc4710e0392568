# SPDX-License-Identifier: BSD-3-Clause
"""The running server behind ``g2live serve``: acquisition loop, publisher, control socket.

Modules, in the order data flows through them:

- ``loop``: ``Server``, the acquisition loop. One thread acquires integrations from a
  ``g2live.device.Device``, adds them up, publishes every topic and answers control requests
  between integrations; its public methods (``start``, ``stop``, ``new_run``,
  ``apply_config``, ``snapshot``, ``set_power``, ``start_sweep``, ...) are all that the control
  socket calls.
- ``accumulator``: ``Accumulator``, the running totals of one run.
- ``estimates``: ``LiveAnalysis`` / ``live_analysis``, the running g2(0) estimate of the
  ``analysis`` topic and when it is recomputed.
- ``correlations``: ``LiveCorrelations``, the live taggers' counters of one run (log-binned
  G(tau), coincidences, heralded g2, g3, ON gate: settings ``log_corr``, ``coincidences``,
  ``heralded_g2``, ``g3``, ``on_state``), fed each integration's tags, paced to the display rate;
  ``ongate``: ``OnGate``, the streaming ON-state gate.
- ``topics``: one pure function per published topic, building its header and payload.
- ``publisher``: ``Publisher``, the XPUB socket that never blocks and counts drops.
- ``control``: ``ControlServer``, the REP socket decoding JSON commands (``Controlled`` lists
  the loop methods it uses).
- ``sweep``: ``SweepRunner``, the bookkeeping of a purity-versus-power sweep.
- ``lease``: ``RawTagLeases``, the leases on ``raw_tags`` that clients renew while they record
  (a lease that expires restores the setting).
- ``sockets``: ``bind_socket``, the endpoint and CURVE rules both sockets bind by.

The wire vocabulary these share with the clients is ``g2live.protocol``; CURVE keys are
``g2live.curve``. Example::

    from g2live.device import open_device
    from g2live.server import Server

    Server(open_device("sim")).serve(max_s=10)  # tcp://127.0.0.1:5555 (data), :5556 (control)
"""

from __future__ import annotations

from g2live.server.accumulator import Accumulator
from g2live.server.control import ControlServer
from g2live.server.correlations import LiveCorrelations
from g2live.server.estimates import LiveAnalysis, live_analysis
from g2live.server.loop import Server
from g2live.server.publisher import Publisher, PublisherStats
from g2live.server.sweep import SweepPoint, SweepRunner

__all__ = [
    "Server",
    "Accumulator",
    "LiveAnalysis",
    "live_analysis",
    "LiveCorrelations",
    "Publisher",
    "PublisherStats",
    "ControlServer",
    "SweepRunner",
    "SweepPoint",
]
