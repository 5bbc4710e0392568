"""g2live's simple .npz: arrays ``channel`` (uint8), ``time_ps`` (int64), optional ``sync_index`` and
``microtime_ps`` (int64, T3), and ``meta`` (a 0-d unicode array holding the Meta as JSON).

Lossless: reading a written file gives bit-identical arrays and an equal Meta. No pickles.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from g2live.io._common import FormatError, check_container, chunk_ranges, meta_from_json, meta_to_json
from g2live.photons import PhotonData

FORMAT_TAG = "g2live-npz-1"


def write(path: str | os.PathLike[str], data: PhotonData, compress: bool = True) -> None:
    arrays: dict[str, np.ndarray] = {
        "channel": data.channel,
        "time_ps": data.time_ps,
        "meta": np.array(meta_to_json(data.meta)),
        "format": np.array(FORMAT_TAG),
    }
    if data.sync_index is not None:
        arrays["sync_index"] = data.sync_index
    if data.microtime_ps is not None:
        arrays["microtime_ps"] = data.microtime_ps
    with open(path, "wb") as fh:  # a file object keeps numpy from appending ".npz"
        (np.savez_compressed if compress else np.savez)(fh, **arrays)


def read(path: str | os.PathLike[str]) -> PhotonData:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            names = set(z.files)
            missing = {"channel", "time_ps", "meta"} - names
            if missing:
                raise FormatError(path, None, f"not a g2live .npz: missing {sorted(missing)}")
            arrays = {k: z[k] for k in names}
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise FormatError(path, None, f"not a readable .npz (zip) file: {exc}") from None
    except ValueError as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError(path, None, f"unreadable array in .npz: {exc}") from None
    meta = meta_from_json(str(arrays["meta"]), path)
    expect = {"channel": np.uint8, "time_ps": np.int64, "sync_index": np.int64, "microtime_ps": np.int64}
    for name, dtype in expect.items():
        if name in arrays and (arrays[name].dtype != dtype or arrays[name].ndim != 1):
            raise FormatError(
                path,
                None,
                f"array {name} is {arrays[name].dtype}{arrays[name].shape}, expected 1-D {dtype.__name__}",
            )
    try:
        data = PhotonData(
            arrays["channel"], arrays["time_ps"], meta, arrays.get("sync_index"), arrays.get("microtime_ps")
        )
    except ValueError as exc:
        raise FormatError(path, None, str(exc)) from None
    check_container(path, data, span_s=meta.acquisition_s)
    return data


def iter_chunks(path: str | os.PathLike[str], chunk_records: int = 1 << 20) -> Iterator[PhotonData]:
    data = read(path)
    for a, b in chunk_ranges(len(data), chunk_records):
        yield PhotonData(
            data.channel[a:b],
            data.time_ps[a:b],
            data.meta,
            None if data.sync_index is None else data.sync_index[a:b],
            None if data.microtime_ps is None else data.microtime_ps[a:b],
        )
