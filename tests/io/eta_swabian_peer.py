# SPDX-License-Identifier: BSD-3-Clause
"""ETA's reading of a Swabian 16-byte tag file, run in ETA's own interpreter (it needs numpy < 2).

    PYTHON tests/io/eta_swabian_peer.py FILE.dump CHANNELS OUT.npz

CHANNELS: comma-separated file channel numbers (positive). The recipe has one RFILE (channels
0..max, ETA channel = file channel) and, per channel, a RECORDER that appends the time of every
event on it, so ``t<c>`` in OUT.npz are the timestamps ETA read on channel c, in ETA's order.
It imports nothing from g2live (tests/io/test_swabian.py compares).
"""

from __future__ import annotations

import json
import sys

import numpy as np


def _graph(nodes: list[str], edges: list[tuple[int, int, int]], code: str) -> str:
    return json.dumps({
        "nodes": [{"x": i, "y": i, "fixed": True, "text": n, "initial": i == 0} for i, n in enumerate(nodes)],
        "edges": [{"source": s, "target": t, "text": str(c)} for s, t, c in edges],
        "usercode": code})


def recipe(channels: list[int], size: int) -> dict:
    table = [{"id": "vi_src", "name": "src", "group": "main", "info": "", "config": ""}]
    out = {"vi_src": _graph(["a"], [], f"RFILE(tt,{list(range(max(channels) + 1))})")}
    for c in channels:
        table.append({"id": f"vi_{c}", "name": f"ch{c}", "group": "main", "info": "", "config": ""})
        code = f"RECORDER(t{c},{size})\na:\n    t{c}.recorder_append()\n"
        out[f"vi_{c}"] = _graph(["a"], [(0, 0, c)], code)
    out["eta_index_table"] = json.dumps(table)
    return out


def main(argv: list[str]) -> int:
    path, channels, out = argv[1], [int(c) for c in argv[2].split(",")], argv[3]
    import os

    import etabackend.eta as eta_mod

    size = os.path.getsize(path) // 16 + 2  # room for every record: the ring never wraps
    eta = eta_mod.ETA()
    eta.load_recipe(recipe(channels, size))
    result = eta.run({"tt": eta.clip_file(path, format=eta.FORMAT_SI_16bytes)}, group="main", max_autofeed=1)
    arrays = {}
    for c in channels:
        head = int(np.asarray(result[f"t{c}_head"]).ravel()[0])
        arrays[f"t{c}"] = np.asarray(result[f"t{c}_tab"])[:head].astype(np.int64)
    np.savez(out, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
