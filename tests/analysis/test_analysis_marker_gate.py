# SPDX-License-Identifier: BSD-3-Clause
"""Marker-gated correlation in the report (``gate_markers``, ``g2live analyze --gate-markers``): an
emulated run whose frame markers open (marker 0) and close (marker 1) windows; the gated pair
histogram equals a plain numpy count of the pairs whose two photons both lie inside a window, from
the photons in memory and from a Photon-HDF5 recording of them (markers written and read back)."""

from __future__ import annotations

import numpy as np
import pytest
from g2live.analysis import analyze_file, analyze_photons
from g2live.emulator import Emulator, EmulatorConfig
from g2live.io import photon_hdf5
from g2live.photons import PhotonData


@pytest.fixture(scope="module")
def framed() -> PhotonData:
    cfg = EmulatorConfig(power=1.0, records="t2", marker_period_s=0.02, marker_duty=0.4)
    return Emulator(cfg, seed=3).run(0.2, chunk_s=0.01)


def numpy_gated(data: PhotonData, a: int, b: int, bin_width_ps: int, n_bins: int) -> np.ndarray:
    """The reference: windows from the markers by hand, photons inside by hand, every pair counted."""
    m = data.markers
    opens = m["time_ps"][m["marker"] == 0]
    closes = m["time_ps"][m["marker"] == 1]
    starts = [int(t) for t in opens if np.any(closes > t)]
    stops = [int(closes[closes > t][0]) for t in starts]

    def inside(t: np.ndarray) -> np.ndarray:
        keep = np.zeros(t.size, bool)
        for s, e in zip(starts, stops, strict=True):
            keep |= (t >= s) & (t < e)
        return t[keep]

    ta = inside(data.time_ps[data.channel == a])
    tb = inside(data.time_ps[data.channel == b])
    lo = -(n_bins // 2) * bin_width_ps
    counts = np.zeros(n_bins, np.int64)
    for t in ta:
        d = tb[(tb >= t + lo) & (tb < t + lo + n_bins * bin_width_ps)] - t
        np.add.at(counts, (d - lo) // bin_width_ps, 1)
    return counts


def test_marker_gate_equals_numpy_reference(framed: PhotonData, tmp_path) -> None:
    assert framed.markers is not None and framed.markers.size == 20  # 10 frames, markers 0 and 1
    res = analyze_photons(framed, gate_markers=(0, 1))
    gate = res["marker_gate"]
    assert gate["n_windows"] == 10 and gate["gated_time_s"] == pytest.approx(0.08)
    a, b = res["channels"]
    ref = numpy_gated(framed, a, b, gate["bin_width_ps"], len(gate["counts"]))
    assert ref.sum() > 200, "the windows must hold pairs"
    np.testing.assert_array_equal(gate["counts"], ref)
    assert res["g2_0_gated"] is not None and 0 <= res["g2_0_gated"] < 0.6
    # the same from a recording: markers in /user/g2live/markers, read back in chunks
    path = tmp_path / "framed.h5"
    photon_hdf5.write(path, framed)
    from_file = analyze_file(path, chunk_records=1 << 18, gate_markers=(0, 1))
    assert from_file["marker_gate"] == gate and from_file["g2_0_gated"] == res["g2_0_gated"]


def test_marker_gate_says_why_it_cannot_run(framed: PhotonData) -> None:
    res = analyze_photons(framed, gate_markers=(1, 5))
    assert res["marker_gate"] is None and any("no marker 1 followed by a marker 5" in n for n in res["notes"])
    bare = PhotonData(framed.channel, framed.time_ps, framed.meta)
    res = analyze_photons(bare, gate_markers=(0, 1))
    assert res["marker_gate"] is None and any("holds no markers" in n for n in res["notes"])
