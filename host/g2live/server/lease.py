# SPDX-License-Identifier: BSD-3-Clause
"""Leases on the ``raw_tags`` setting: a recorder that dies does not leave raw tags on.

A client that needs the raw tag stream (``g2live record``) asks for a lease with a time to live
instead of switching ``raw_tags`` on for good, and renews it while it records. The first lease
remembers the setting it found; when the last lease is released or expires, that setting is
restored, so a recorder killed with ``kill -9`` costs at most one time to live of raw tags.
A ``configure`` that sets ``raw_tags`` explicitly while leases are held wins: nothing is
restored afterwards. Times are ``time.monotonic()`` seconds; docs/protocol.md section 2.1.
"""

from __future__ import annotations

import secrets

__all__ = ["MAX_TTL_S", "RawTagLeases"]

MAX_TTL_S = 3600.0  # a longer lease would keep a dead recorder's raw tags on for too long


class RawTagLeases:
    """The held leases (``id -> expiry``) and the ``raw_tags`` value to restore after the last."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._restore: bool | None = None
        self.granted = 0  # leases granted since the server started
        self.expired = 0  # leases that ran out without being released (their client died)

    @property
    def active(self) -> int:
        """Leases held now."""
        return len(self._expiry)

    def grant(self, ttl_s: float, now: float, raw_tags: bool) -> str:
        """A new lease id; the first of a series remembers ``raw_tags`` to restore later."""
        if not self._expiry:
            self._restore = raw_tags
        lease = secrets.token_hex(8)
        self._expiry[lease] = now + ttl_s
        self.granted += 1
        return lease

    def renew(self, lease: str, ttl_s: float, now: float) -> bool:
        """Extend ``lease`` to ``now + ttl_s``; False when it is not held (expired or released)."""
        if lease not in self._expiry:
            return False
        self._expiry[lease] = now + ttl_s
        return True

    def release(self, lease: str) -> bool:
        """End ``lease``; False when it was not held."""
        return self._expiry.pop(lease, None) is not None

    def expire(self, now: float) -> list[str]:
        """End and return the leases whose time ran out."""
        gone = [k for k, t in self._expiry.items() if t <= now]
        for k in gone:
            del self._expiry[k]
        self.expired += len(gone)
        return gone

    def overridden(self) -> None:
        """``raw_tags`` was set explicitly: leave it as set when the last lease ends."""
        self._restore = None

    def take_restore(self) -> bool | None:
        """The setting to restore now that no lease is held (once), else None."""
        if self._expiry or self._restore is None:
            return None
        restore, self._restore = self._restore, None
        return restore

    def to_dict(self, now: float) -> dict[str, object]:
        """``status``: leases held (with seconds left), granted and expired since start."""
        return {
            "active": self.active,
            "seconds_left": sorted(round(t - now, 3) for t in self._expiry.values()),
            "granted": self.granted,
            "expired": self.expired,
        }
