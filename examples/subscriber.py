# SPDX-License-Identifier: BSD-3-Clause
"""Minimal g2live client with plain pyzmq + numpy, written from docs/protocol.md alone.

Prints, per `g2` frame, the pulsed g2(0) of the first pair (zero-delay peak over the mean of the
side peaks, laser period from the settings) and the lost-event counter from `status`.

    python examples/subscriber.py [tcp://127.0.0.1:5555] [n_frames]
"""

import json
import sys

import numpy as np
import zmq


def decode(parts):
    """(topic, header, array) of one message, per protocol section 1.4."""
    if len(parts) != 3:
        raise ValueError(f"expected 3 parts, got {len(parts)}")
    topic = parts[0].decode("ascii")
    header = json.loads(parts[1].decode("utf-8"))
    if header["schema"] != 1:
        raise ValueError(f"unknown schema {header['schema']}")
    data = np.frombuffer(parts[2], dtype=np.dtype(header["dtype"])).reshape(header["shape"])
    return topic, header, data


def pulsed_g2_0(hist, header, n_side=4):
    """Zero-delay peak area over the mean of 2 * n_side side peaks (each peak: +-period/2)."""
    period = 1e12 / header["settings"]["rep_rate_hz"]
    centres = header["lo_ps"] + (np.arange(header["n_bins"]) + 0.5) * header["bin_width_ps"]
    peak = np.floor(centres / period + 0.5).astype(int)  # index of the nearest laser period
    areas = {k: int(hist[peak == k].sum()) for k in range(-n_side, n_side + 1)}
    side = [areas[k] for k in areas if k != 0]
    mean_side = sum(side) / len(side)
    g2 = areas[0] / mean_side
    err = g2 * np.sqrt(1 / max(areas[0], 1) + 1 / max(sum(side), 1))  # Poisson, both terms
    return g2, err


def main(endpoint="tcp://127.0.0.1:5555", n_frames=10):
    ctx = zmq.Context()
    sock = ctx.socket(zmq.SUB)
    sock.connect(endpoint)
    for topic in (b"g2", b"status"):
        sock.setsockopt(zmq.SUBSCRIBE, topic)
    last_seq = {}
    seen = 0
    while seen < n_frames:
        if not sock.poll(10_000):
            print(f"no data from {endpoint} in 10 s")
            return 1
        topic, header, data = decode(sock.recv_multipart())
        prev = last_seq.get(topic)
        if prev is not None and header["seq"] > prev + 1:
            print(f"{topic}: {header['seq'] - prev - 1} frames lost")
        last_seq[topic] = header["seq"]
        if topic == "status":
            if header["lost_total"]:
                print(f"DEVICE LOST {header['lost_total']} EVENTS")
            continue
        seen += 1
        g2, err = pulsed_g2_0(data[0], header)
        print(
            f"run {header['run']} seq {header['seq']}: {header['integration_s']:.2f} s, "
            f"{int(data[0].sum())} pairs, g2(0) = {g2:.4f} +- {err:.4f}"
        )
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(
        main(
            sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5555",
            int(sys.argv[2]) if len(sys.argv) > 2 else 10,
        )
    )
