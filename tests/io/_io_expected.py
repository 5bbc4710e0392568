"""Expected contents of the real files, transcribed from each folder's SOURCE.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Expected:
    rel: str
    format: str
    counts: dict[int, int]
    duration_s: float  # SOURCE.md value, given to 2-3 significant digits
    duration_tol_s: float  # half a unit of SOURCE.md's last digit
    sync_rate_hz: float | None = None
    resolution_ps: float | None = None
    records: int | None = None
    t3: bool = False
    extra: dict = field(default_factory=dict)


FILES = [
    Expected(
        "eta_kth/200213_HH400_T3_80MHz_HBT.timeres",
        "ptu",
        {0: 160953, 1: 235373},
        5.000,
        0.0005,
        80028680.0,
        16.0,
        561879,
        True,
    ),
    Expected(
        "eta_kth/200204_HH400_T2_320MHz_HBT.timeres",
        "ptu",
        {0: 159298, 1: 224721},
        1.000,
        0.0005,
        None,
        1.0,
        409482,
    ),
    Expected(
        "eta_kth/19_qutag_80MHz_HBT_sync_filtered.qutag",
        "qutag",
        {1: 79314, 2: 94287, 5: 94200},
        5.04,
        0.005,
        None,
        1.0,
        267801,
    ),
    Expected(
        "eta_kth/200204_qutag_320MHz_HBT_sync_filtered.qutag",
        "qutag",
        {1: 43736, 2: 62437, 5: 105600},
        0.287,
        0.0005,
        None,
        1.0,
        211773,
    ),
    Expected(
        "picoquant_sample_data/picoharp_v30_t2.ptu",
        "ptu",
        {0: 531477, 1: 388700},
        7.65,
        0.005,
        None,
        4.0,
        929254,
    ),
    Expected(
        "picoquant_sample_data/hydraharp_v10_t3.ptu",
        "ptu",
        {0: 48001, 1: 46559},
        30.0,
        0.05,
        2.5e6,
        128.0,
        167801,
        True,
    ),
    Expected(
        "picoquant_sample_data/hydraharp_v20_t3.ptu",
        "ptu",
        {0: 45012, 1: 32871},
        10.0,
        0.05,
        4999960.0,
        64.0,
        106349,
        True,
    ),
    Expected(
        "tttrlib_hhu/Split_rh110_sm-000000.ht3",
        "legacy",
        {0: 27752, 1: 35982, 2: 18399, 3: 9128, 4: 24769, 5: 35082, 6: 14341, 7: 15570},
        4.96,
        0.005,
        32000664.0,
        1.0,
        None,
        True,
    ),
    Expected(
        "tttrlib_hhu/BH_SPC132.spc",
        "spc",
        {0: 56499, 1: 23038, 8: 79468, 9: 24652},
        62.3,
        0.05,
        1e12 / 13500,
        13500 / 4096,
        None,
        True,
    ),
]


def file_id(e: Expected) -> str:
    return Path(e.rel).name


def ptu_t3_file(
    records, sync_rate: int = 80_000_000, res_s: float = 16e-12, acq_ms: int | None = None
) -> bytes:
    """A minimal PTU header (HydraHarp v2 T3) in front of raw records, for synthetic tests; with
    ``acq_ms`` also the tags other readers (phconvert) need."""
    from g2live.io import ptu

    head = ptu.MAGIC + b"1.0.00\x00\x00"
    more = [] if acq_ms is None else [
        ("File_CreatingTime", ptu.TY_TDATETIME, 46000.5),
        ("CreatorSW_Name", ptu.TY_ANSISTRING, "g2live tests"),
        ("CreatorSW_Version", ptu.TY_ANSISTRING, "0.1"),
        ("MeasDesc_AcquisitionTime", ptu.TY_INT8, acq_ms),
    ]
    for name, typ, value in more + [
        ("Measurement_Mode", ptu.TY_INT8, 3),
        ("HW_Type", ptu.TY_ANSISTRING, "HydraHarp 400"),
        ("MeasDesc_Resolution", ptu.TY_FLOAT8, res_s),
        ("MeasDesc_GlobalResolution", ptu.TY_FLOAT8, 1.0 / sync_rate),
        ("TTResult_SyncRate", ptu.TY_INT8, sync_rate),
        ("TTResult_NumberOfRecords", ptu.TY_INT8, len(records)),
        ("TTResultFormat_TTTRRecType", ptu.TY_INT8, 0x01010304),
        ("TTResultFormat_BitsPerRecord", ptu.TY_INT8, 32),
        ("Header_End", ptu.TY_EMPTY8, 0),
    ]:
        head += ptu._tag(name, typ, value)
    return head + records.astype("<u4").tobytes()


def budget(n: int) -> int:
    """``n`` Hypothesis examples under the ci/dev profiles (max_examples 100), scaled with the
    profile's max_examples for the long search of ``make fuzz``."""
    from hypothesis import settings

    return max(1, n * settings.default.max_examples // 100)


def ptu_file(
    code: int,
    records,
    glob_s: float,
    res_s: float | None = None,
    inputs: int | None = None,
    stop_ms: int | None = None,
) -> bytes:
    """A minimal PTU header of any record type (global resolution ``glob_s``: T2 tick or T3 sync
    period; ``res_s``: T3 bin; ``inputs``: HW_InpChannels; ``stop_ms``: TTResult_StopAfter)."""
    from g2live.io import ptu

    t3 = (code >> 8) & 0xFF == 3
    tags = [
        ("Measurement_Mode", ptu.TY_INT8, 3 if t3 else 2),
        ("MeasDesc_GlobalResolution", ptu.TY_FLOAT8, glob_s),
        ("TTResult_NumberOfRecords", ptu.TY_INT8, len(records)),
        ("TTResultFormat_TTTRRecType", ptu.TY_INT8, code),
        ("TTResultFormat_BitsPerRecord", ptu.TY_INT8, 32),
    ]
    if t3:
        tags.append(("MeasDesc_Resolution", ptu.TY_FLOAT8, res_s or 1e-12))
    if inputs is not None:
        tags.append(("HW_InpChannels", ptu.TY_INT8, inputs))
    if stop_ms is not None:
        tags.append(("TTResult_StopAfter", ptu.TY_INT8, stop_ms))
    head = ptu.MAGIC + b"1.0.00\x00\x00"
    for name, typ, value in [*tags, ("Header_End", ptu.TY_EMPTY8, 0)]:
        head += ptu._tag(name, typ, value)
    return head + records.astype("<u4").tobytes()
