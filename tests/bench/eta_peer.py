# SPDX-License-Identifier: BSD-3-Clause
"""Runs the ETA peer of tests/bench/test_bench_correlate.py in its own interpreter.

ETA 0.9.9 (``etabackend``) needs numpy < 2 and pkg_resources (setuptools < 82), so it lives in
``.venv-bench`` (made by ``make bench``) while the suite runs on numpy 2. The benchmark writes
the recipe (JSON) and the two 16-byte Swabian record files, then runs::

    .venv-bench/bin/python tests/bench/eta_peer.py RECIPE.json WARMUP.bin DATA.bin OUT.npz REPEATS

This script loads the recipe, runs it once on the warm-up file (the JIT compile, excluded from
the time as before), then REPEATS times on the data file, and saves the best time and the
histograms of the last run to OUT.npz. It imports nothing from g2live.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def main(argv: list[str]) -> int:
    recipe_path, warmup, data, out, repeats = argv[1], argv[2], argv[3], argv[4], int(argv[5])
    import etabackend.eta as eta_mod

    eta = eta_mod.ETA()
    with open(recipe_path) as fh:
        eta.load_recipe(json.load(fh))

    def run(path: str) -> dict:
        clip = eta.clip_file(path, format=eta.FORMAT_SI_16bytes)
        return eta.run({"tt": clip}, group="main", max_autofeed=1)

    run(warmup)
    best, result = float("inf"), {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run(data)
        best = min(best, time.perf_counter() - t0)
    arrays = {name: np.asarray(value) for name, value in result.items()}
    np.savez(out, seconds=np.float64(best), numpy_version=np.array(np.__version__), **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
