# SPDX-License-Identifier: BSD-3-Clause
"""Record a running server's raw tags to Photon-HDF5 as they arrive (``g2live record``).

``check_output`` refuses a file that cannot be written before anything starts. ``record`` takes
a raw-tag lease on the server (docs/protocol.md section 2.1), appends every ``tags`` frame of
its run through the crash-safe ``g2live.io.photon_hdf5.Recorder`` as it arrives (memory stays
bounded whatever the duration; a killed recorder leaves a file readable up to its last frame),
and ends when the duration is reached, the source ends, the server is gone (nothing received
for ``lost_after_s``), the server begins another run, or ``stop`` is set (a signal). The file
then gets the span of device time it covers as its acquisition time, and under
``meta.extra["recording"]`` the requested duration, the wall time and why it ended.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from g2live.client import ControlClient, ControlError, Message, Subscriber
from g2live.photons import Meta, PhotonData
from g2live.protocol import NoReplyError

__all__ = [
    "RECORD_SUFFIXES",
    "EndReason",
    "RawTagLease",
    "RecordingResult",
    "check_output",
    "decode_tags",
    "record",
]

RECORD_SUFFIXES = (".h5", ".hdf5", ".hdf")  # Photon-HDF5: the format that is appended per chunk


@dataclass(frozen=True)
class EndReason:
    """Why a recording ended, and the exit code ``g2live record`` returns for it."""

    text: str
    exit_code: int

    @property
    def complete(self) -> bool:
        """The recording ended as asked (duration reached or the source ended)."""
        return self.exit_code == 0


DURATION_REACHED = EndReason("duration reached", 0)
SOURCE_ENDED = EndReason("the server's source ended", 0)
SERVER_GONE = EndReason("server gone: nothing received", 3)
NEW_RUN = EndReason("the server began another run (reset or reconfigured by another client)", 4)
LEASE_LOST = EndReason("the raw-tag lease was lost", 4)
STREAM_BROKEN = EndReason("the tag stream went back in time (server restarted?)", 4)


def interrupted(signame: str, signum: int) -> EndReason:
    """Ended by a signal: exit code 128 + signal number, as a shell reports it."""
    return EndReason(f"interrupted by {signame}", 128 + signum)


def check_output(path: Path, overwrite: bool = False) -> None:
    """Refuse, with one line, an output that cannot be recorded to (before anything starts)."""
    if path.suffix.lower() not in RECORD_SUFFIXES:
        raise ValueError(
            f"{path}: record writes Photon-HDF5 ({', '.join(RECORD_SUFFIXES)}), appended chunk by chunk "
            "so that nothing recorded is lost; convert it afterwards (g2live convert)"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{path}: folder {parent} is not writable")
    if path.is_dir():
        raise ValueError(f"{path} is a folder")
    if path.exists() and not overwrite:
        raise ValueError(f"{path} exists: give --force to overwrite it")


def decode_tags(words: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """(channel, time_ps, malformed, markers) of one ``tags`` message (each decodes on its own);
    markers as ``core.MARKER_DTYPE`` (the device's marker inputs)."""
    from g2live import core

    ch, t, stats = core.decode(np.ascontiguousarray(words, np.uint64))
    return np.asarray(ch, np.uint8), np.asarray(t, np.int64), int(stats.malformed), np.asarray(stats.markers)


class RawTagLease:
    """A raw-tag lease held over the control socket, renewed every ``ttl_s / 3``.

    A server without leases (older than the command) gets ``configure(raw_tags=True)`` instead,
    restored by ``release``: then a killed recorder leaves raw tags on (``fallback`` is True).
    """

    def __init__(self, ctl: ControlClient, ttl_s: float) -> None:
        self.ctl, self.ttl_s = ctl, ttl_s
        self.fallback = False
        self._was_raw = True
        try:
            reply = ctl.lease_raw_tags(ttl_s)
        except ControlError as exc:
            if "unknown command" not in str(exc):
                raise
            reply = self._configure_instead()
        self.lease: str | None = reply.get("lease")
        self.run = int(reply["run"])
        self._renew_at = time.monotonic() + ttl_s / 3

    def _configure_instead(self) -> dict[str, Any]:
        self.fallback = True
        self._was_raw = bool(self.ctl.status()["settings"]["raw_tags"])
        if not self._was_raw:
            return self.ctl.configure(raw_tags=True)  # a new run
        return {"run": self.ctl.status()["run"]}

    def renew_if_due(self) -> bool:
        """Renew when due; False when the server no longer knows the lease (it expired)."""
        if self.lease is None or time.monotonic() < self._renew_at:
            return True
        self._renew_at = time.monotonic() + self.ttl_s / 3
        try:
            self.ctl.lease_raw_tags(self.ttl_s, self.lease, timeout_s=min(1.0, self.ttl_s / 3))
        except TimeoutError:
            return True  # the server may be busy; a lost server shows as silence on the data socket
        except ControlError:
            return False
        return True

    def release(self) -> str | None:
        """End the lease (or undo the fallback ``configure``); a warning text when that failed."""
        try:
            if self.lease is not None:
                self.ctl.release_raw_tags(self.lease, timeout_s=1.0)
            elif not self._was_raw:
                self.ctl.configure(raw_tags=False)
        except (ControlError, TimeoutError) as exc:
            expires = f"; it expires on the server within {self.ttl_s:g} s" if self.lease else ""
            return f"could not release the raw-tag setting: {exc}{expires}"
        return None


@dataclass
class _Stream:
    """What the recording received so far: tags, device-time span, and everything lost."""

    n_tags: int = 0
    n_frames: int = 0
    first_start_ps: int | None = None
    last_stop_ps: int | None = None
    covered_ps: int = 0
    malformed: int = 0
    gaps: int = 0
    lost_total: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def span_s(self) -> float | None:
        if self.first_start_ps is None or self.last_stop_ps is None:
            return None
        return (self.last_stop_ps - self.first_start_ps) * 1e-12

    def frame(self, msg: Message, n: int, malformed: int) -> None:
        self.n_frames += 1
        self.n_tags += n
        self.gaps += msg.gap
        self.malformed += malformed
        t0, t1 = msg.header.get("t_start_ps"), msg.header.get("t_stop_ps")
        if isinstance(t0, int) and isinstance(t1, int):
            self.first_start_ps = t0 if self.first_start_ps is None else self.first_start_ps
            self.last_stop_ps = t1
            self.covered_ps += t1 - t0

    def loss_notes(self) -> list[str]:
        notes = []
        if self.gaps:
            notes.append(f"{self.gaps} tag frames were lost in transport (seq gaps): the recording has holes")
        if self.lost_total:
            notes.append(f"the device lost {self.lost_total} events during the recording")
        if self.malformed:
            notes.append(f"{self.malformed} malformed words in the tag stream")
        return notes


@dataclass
class RecordingResult:
    """What ``record`` wrote and why it stopped."""

    path: Path
    n_tags: int
    span_s: float | None  # device time the file covers
    requested_s: float
    wall_s: float
    ended: EndReason
    notes: list[str]
    run: int | None = None  # the server's run recorded


def _meta(status: dict[str, Any], requested_s: float) -> Meta:
    """The file's metadata at the start: the server's settings; the span is not known yet."""
    settings = {**status["settings"], "raw_tags": True}  # as they are while recording (the lease)
    meta = Meta(
        source=f"g2live serve ({status['device']})",
        format="",
        resolution_ps=1.0,
        sync_channel=settings["sync_channel"],
        acquisition_s=None,  # a killed recording is read with the span of its tags
        extra={
            "settings": settings,
            "recording": {"requested_s": requested_s, "ended": None, "server": status.get("control")},
        },
    )
    if settings.get("rep_rate_hz"):
        meta.sync_rate_hz = settings["rep_rate_hz"]
    return meta


def _final_meta(meta: Meta, stream: _Stream, result: RecordingResult) -> Meta:
    """The metadata written at the end: span, requested duration, wall time, end and losses."""
    meta.acquisition_s = stream.span_s
    meta.notes = [*stream.loss_notes()]
    if not result.ended.complete:
        meta.notes.append(f"recording ended early: {result.ended.text}")
    meta.extra["recording"] = {
        "requested_s": result.requested_s,
        "span_s": stream.span_s,
        "covered_s": stream.covered_ps * 1e-12,
        "wall_s": result.wall_s,
        "ended": result.ended.text,
        "complete": result.ended.complete,
        "frames": stream.n_frames,
        "run": result.run,
        "server": meta.extra["recording"].get("server"),
    }
    meta.extra.update(seq_gaps=stream.gaps, lost_total=stream.lost_total, malformed=stream.malformed)
    return meta


class _Session:
    """One recording: the subscription, the lease, the file, and the end conditions."""

    def __init__(
        self, sub: Subscriber, lease: RawTagLease, rec: Any, duration_s: float, lost_after_s: float,
        stop: threading.Event | None, stop_reason: list[EndReason],
    ) -> None:
        self.sub, self.lease, self.rec = sub, lease, rec
        self.requested_s = duration_s
        self.stream = _Stream()
        self.t0 = time.monotonic()
        self.end_at = self.t0 + duration_s
        self.lost_after_s = lost_after_s
        self.last_heard = self.t0
        self.stop, self.stop_reason = stop, stop_reason

    def end_reason(self) -> EndReason | None:
        """Why to stop now, or None to go on."""
        now = time.monotonic()
        if self.stop is not None and self.stop.is_set():
            return self.stop_reason[0] if self.stop_reason else interrupted("a stop request", 0)
        if now >= self.end_at:
            return DURATION_REACHED
        if now - self.last_heard > self.lost_after_s:
            return EndReason(f"{SERVER_GONE.text} for {self.lost_after_s:g} s", SERVER_GONE.exit_code)
        if not self.lease.renew_if_due():
            return LEASE_LOST
        return None

    def take(self, msg: Message) -> EndReason | None:
        """Append one message's tags (or read its status); an end reason when it says to stop."""
        self.last_heard = time.monotonic()
        if msg.run != self.lease.run:
            return NEW_RUN if msg.run > self.lease.run else None  # frames of the run before: skip
        if msg.topic == "status":
            self.stream.lost_total = int(msg.header.get("lost_total", 0))
            return SOURCE_ENDED if msg.header.get("source_done") else None
        ch, t, bad, markers = decode_tags(msg.data)
        try:
            self.rec.append(PhotonData(ch, t, markers=markers))
        except ValueError:
            return STREAM_BROKEN
        self.stream.frame(msg, len(t), bad)
        return None

    def run(self, progress: bool) -> EndReason:
        while (reason := self.end_reason()) is None:
            wait = max(0.0, min(0.2, self.end_at - time.monotonic()))
            msg = self.sub.recv(timeout_s=wait)
            if msg is not None and (reason := self.take(msg)) is not None:
                return reason
            if progress:
                print(f"\r{self.stream.n_tags:,} tags", end="", file=sys.stderr)
        return reason


def record(
    pub: str,
    control: str,
    out: Path,
    duration_s: float,
    *,
    server_key: str | None = None,
    client_key: str | None = None,
    quiet: bool = False,
    lease_s: float = 6.0,
    lost_after_s: float = 5.0,
    compression: int = 1,
    overwrite: bool = False,
    stop: threading.Event | None = None,
    stop_reason: list[EndReason] | None = None,
) -> RecordingResult:
    """Record ``duration_s`` of wall time of the server's raw tags to ``out`` (Photon-HDF5).

    Parameters
    ----------
    pub, control : str
        The server's endpoints.
    out : pathlib.Path
        Output file, checked before anything starts (``check_output``).
    duration_s : float
        Wall time to record.
    server_key, client_key : optional
        CURVE: the server's public key and this client's secret key file (docs/protocol.md
        section 4), as ``Subscriber`` and ``ControlClient`` take them.
    lease_s : float, optional
        Time to live of the raw-tag lease (renewed every third of it).
    lost_after_s : float, optional
        Silence (no frame, no status) after which the server counts as gone.
    compression : int, optional
        gzip level of the file (0: none, for sources above ~5 Mtags/s).
    stop, stop_reason : optional
        Set ``stop`` (from a signal handler) to end the recording; ``stop_reason[0]`` says why.

    Returns
    -------
    RecordingResult
        The file, its span, the requested duration, the wall time and why it ended.
    """
    from g2live.io.photon_hdf5 import Recorder

    check_output(out, overwrite)
    with (
        ControlClient(control, server_key=server_key, client_keys=client_key) as ctl,
        Subscriber(pub, ["tags", "status"], server_key=server_key, client_keys=client_key) as sub,
    ):
        try:
            status = ctl.status()
        except TimeoutError as exc:  # a NoReplyError already says why (no server, key refused, ...)
            why = str(exc) if isinstance(exc, NoReplyError) else f"{exc}: is `g2live serve` running?"
            raise OSError(why) from None
        meta = _meta(status, duration_s)
        rec = Recorder(out, meta, compression=compression)  # the file exists before raw tags are on
        try:
            lease = RawTagLease(ctl, lease_s)
        except BaseException:
            rec.close()
            raise
        reasons = [] if stop_reason is None else stop_reason  # the caller's list: its handler fills it
        session = _Session(sub, lease, rec, duration_s, lost_after_s, stop, reasons)
        ended = EndReason("stopped by an error", 1)  # unless the loop returns
        try:
            ended = session.run(progress=not quiet)
        finally:
            result = _finish(session, meta, ended)
    if not quiet:
        print(file=sys.stderr)
    return result


def _finish(session: _Session, meta: Meta, ended: EndReason) -> RecordingResult:
    """Release the lease, write the final metadata and close the file (also after an error)."""
    warning = session.lease.release()
    if ended.exit_code == SERVER_GONE.exit_code:
        warning = None  # no reply is expected from a server that is gone; its lease expires there
    stream = session.stream
    result = RecordingResult(
        session.rec.path, stream.n_tags, stream.span_s, session.requested_s,
        time.monotonic() - session.t0, ended, [], session.lease.run,
    )
    final = _final_meta(meta, stream, result)
    session.rec.close(final.acquisition_s, meta=final)
    result.notes = [*final.notes, *([warning] if warning else [])]
    if session.lease.fallback:
        result.notes.append("the server has no raw-tag leases: raw tags were switched with configure")
    return result
