# SPDX-License-Identifier: BSD-3-Clause
"""The protocol names the dashboard uses, imported from the rest of ``g2live`` in this one place.

The receiver (``feed.py``) decodes frames with the protocol's ``Subscriber``; the control
commands (``commander.py``) go through its ``ControlClient``. Every other dashboard module
imports these names from here, so a rename in the protocol package is a one-line change.
"""

from __future__ import annotations

from g2live.client import ControlClient, ControlError, Message, Subscriber, delay_edges, log_g2
from g2live.protocol import LIVE_TOPICS, is_loopback, stale_after_s, status_interval_s

__all__ = [
    "ControlClient",
    "ControlError",
    "LIVE_TOPICS",
    "Message",
    "Subscriber",
    "delay_edges",
    "log_g2",
    "is_loopback",
    "stale_after_s",
    "status_interval_s",
]
