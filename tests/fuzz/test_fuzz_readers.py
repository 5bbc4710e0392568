# SPDX-License-Identifier: BSD-3-Clause
"""Random bytes into every reader, chosen by name (``format=``, ``--format``) and by detection.

Each reader gets noise, noise behind its own magic bytes, and the head of a valid file of its
format with bytes changed or cut off. The assertion is always the same: a result or a
``FormatError`` (``ValueError``) naming the file, within a bounded time; and through the command
line (``g2live info --format FMT``) one clean error line, never a traceback.
(tests/io/test_io_bad_input.py mutates the real recordings; this suite covers every reader,
Photon-HDF5 and .npz included, by name.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_helpers import COUNTS, bounded, budget
from g2live import io
from g2live.photons import PhotonData
from host_helpers import pulsed_hbt, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

READERS = sorted(io.FORMATS)
MAGIC = {
    "ptu": b"PQTTTR\0\0",
    "legacy": b"HydraHarp\0",
    "qutag": bytes.fromhex("87b391fa"),
    "spc": b"",
    "photon-hdf5": b"\x89HDF\r\n\x1a\n",
    "npz": b"PK\x03\x04",
    "swabian": b"",  # no magic: chosen by the .dump extension
    "ttbin": b"",  # no magic: .ttbin, read through Swabian's library when installed
}
SUFFIX = {
    "ptu": ".ptu",
    "legacy": ".ht3",
    "qutag": ".qutag",
    "spc": ".spc",
    "photon-hdf5": ".h5",
    "npz": ".npz",
    "swabian": ".dump",
    "ttbin": ".ttbin",
}


@pytest.fixture(scope="module")
def valid_heads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The first 20 kB of a valid file of each writable format."""
    d = tmp_path_factory.mktemp("valid")
    data = pulsed_hbt(0.02)
    out = {}
    for fmt in ("ptu", "photon-hdf5", "npz"):
        path = d / f"v{SUFFIX[fmt]}"
        io.write(path, data, format=fmt)
        out[fmt] = path.read_bytes()[:20000]
    return out


@st.composite
def blobs(draw: st.DrawFn, fmt: str, heads: dict[str, bytes]) -> bytes:
    kind = draw(st.sampled_from(["noise", "magic + noise", "mutated valid"] if fmt in heads else
                                ["noise", "magic + noise"]))
    if kind == "noise":
        return draw(st.binary(max_size=4000))
    if kind == "magic + noise":
        return MAGIC[fmt] + draw(st.binary(max_size=4000))
    blob = bytearray(heads[fmt])
    for _ in range(draw(st.integers(0, 8))):
        blob[draw(st.integers(0, len(blob) - 1))] = draw(st.integers(0, 255))
    return bytes(blob[: draw(st.integers(0, len(blob)))])


def _read(path: Path, **kw: object) -> None:
    try:
        d = io.read(path, **kw)
    except ValueError as exc:  # FormatError and option errors: named, never a crash
        assert str(path) in str(exc) or "option" in str(exc) or "format" in str(exc), exc
        return
    assert isinstance(d, PhotonData)


@pytest.mark.parametrize("fmt", READERS)
def test_fuzz_reader(
    fmt: str, valid_heads: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    d = tmp_path_factory.mktemp(f"fuzz-{fmt}")

    @settings(max_examples=budget(50), deadline=None, suppress_health_check=list(HealthCheck))
    @given(blob=blobs(fmt, valid_heads), truncated=st.booleans(), cli=st.integers(0, 4))
    def case(blob: bytes, truncated: bool, cli: int) -> None:
        COUNTS[("reader inputs", fmt)] += 1
        path = d / f"fuzz{SUFFIX[fmt]}"
        path.write_bytes(blob)
        opts = {"allow_truncated": True} if truncated and fmt in ("ptu", "legacy", "qutag", "spc") else {}
        with bounded(60, f"{fmt} reader on {len(blob)} bytes"):
            _read(path, format=fmt, **opts)
            _read(path, **opts)
            if cli == 0:  # the command line too (slower: one case in five)
                res = run_cli("info", str(path), "--format", fmt, *(["--allow-truncated"] if opts else []))
                assert res.clean and res.code in (0, 1), res
                assert res.code == 0 or len(res.err.strip().splitlines()) == 1, res

    case()
