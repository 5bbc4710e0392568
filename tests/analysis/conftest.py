"""Shared fixtures for the analysis tests: the real measured files and a loader for them."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from g2live.photons import Meta, PhotonData

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _synth

REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is absent (see its README.md)")
    return REALDATA


def load(path: Path) -> PhotonData:
    """Read a measured file through g2live.io when it can read it; ptufile / numpy otherwise."""
    try:
        from g2live import io as g2io

        return g2io.read(path)
    except (ImportError, AttributeError):
        pass
    if path.suffix == ".qutag":
        raw = np.fromfile(path, dtype=np.uint8)[40:]
        rec = raw[: raw.size // 10 * 10].view(np.dtype([("t", "<i8"), ("ch", "<u2")]))
        order = np.lexsort((rec["ch"], rec["t"]))
        return PhotonData(
            rec["ch"][order].astype(np.uint8),
            rec["t"][order],
            Meta(source="quTAG", format="quTAG", sync_channel=5),
        )
    import ptufile

    with ptufile.PtuFile(path) as p:
        r = p.decode_records()
        res_ps = float(p.tags["MeasDesc_Resolution"]) * 1e12
        glob_ps = float(p.global_resolution) * 1e12
        t3 = "dtime" in r.dtype.names
        rate = float(p.tags["TTResult_SyncRate"]) if t3 else None
        acq = float(p.tags.get("MeasDesc_AcquisitionTime", 0)) * 1e-3 or None
    keep = (r["channel"] >= 0) & (r["marker"] == 0)
    r = r[keep]
    meta = Meta(source="PTU", format="PTU", resolution_ps=res_ps, sync_rate_hz=rate, acquisition_s=acq)
    if t3:
        macro = r["time"].astype(np.int64)
        micro = np.rint(r["dtime"].astype(np.int64) * res_ps).astype(np.int64)
        time_ps = np.rint(macro * glob_ps).astype(np.int64) + micro
        order = np.argsort(time_ps, kind="stable")
        return PhotonData(
            r["channel"][order].astype(np.uint8), time_ps[order], meta, macro[order], micro[order]
        )
    time_ps = np.rint(r["time"].astype(np.float64) * glob_ps).astype(np.int64)
    return PhotonData(r["channel"].astype(np.uint8), time_ps, meta)
