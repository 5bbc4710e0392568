# SPDX-License-Identifier: BSD-3-Clause
"""Yosys synthesis of g2l_top for xc7: resources must match what the RTL describes.

A parse problem that silently drops logic still passes simulation; here it shows as missing
flip-flops or block RAMs. Floors are derived from the registers and memories the design must
keep, for a small configuration, stopped before LUT mapping (ABC, the slowest step: block RAMs,
flip-flops and carry chains are final by then) so it runs in about a minute and a half.
The full synthesis with LUT counts is `make synth` (numbers in docs/hardware.md).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from g2live.tools import synth

PARAMS = {"N_CHANNELS": 2, "N_PAIRS": 1, "N_BINS_LOG2": 10, "MAX_PHOTONS": 3}
MERGE_FIFO_LOG2 = 5  # g2l_top default: 32 x 64-bit per channel, in LUT RAM
COUNT_W = 32  # g2l_coinc_hist default bin counter width (the top keeps it)


def _no_yosys() -> str:
    try:
        synth.yosys_command(Path("check.ys"))
    except synth.SynthError as exc:
        return str(exc)
    return ""


pytestmark = pytest.mark.skipif(bool(_no_yosys()), reason=f"synthesis unavailable: {_no_yosys()}")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return synth.synth(PARAMS, workdir=tmp_path_factory.mktemp("synth"), map_luts=False)


def test_histogram_banks_are_block_ram(result: dict) -> None:
    r = result["resources"]
    # Two banks per pair of 2**N_BINS_LOG2 counters; a RAMB36 holds 36 Kbit (32 Kbit of data).
    bits = PARAMS["N_PAIRS"] * 2 * (1 << PARAMS["N_BINS_LOG2"]) * COUNT_W
    assert r["bram36_equiv"] >= math.ceil(bits / 32768), r


def test_registers_are_kept(result: dict) -> None:
    r = result["resources"]
    n, p = PARAMS["N_CHANNELS"], PARAMS["N_PAIRS"]
    # rw registers read back in full: 9 single ones (CONTROL .. TIME_PRESET_HI), PAIR[p],
    # DEAD_TIME_PS[n], DELAY_PS[n]
    config = 32 * (9 + p + 2 * n)
    # time base, per channel: last accepted raw time + dead counter; rate block: live and latched
    # counts and losses, lost totals
    state = 64 + n * (64 + 32) + n * 32 * 5
    assert r["ff"] >= config + state, r


def test_logic_is_present(result: dict) -> None:
    r = result["resources"]
    n = PARAMS["N_CHANNELS"]
    # 64-bit adders/comparators per channel (raw time, dead time, watermark) map to carry chains
    assert r["carry4"] >= n * 3 * 64 // 4, r
    # the merge's channel FIFOs: a RAM32M holds 32 entries of 6 bits
    assert r["lutram"] >= n * math.ceil(64 / 6) * (1 << MERGE_FIFO_LOG2) // 32, r


def test_tdc_delay_line_is_carry4(result: dict) -> None:
    """Each channel's TDC line is a kept module of CARRY4 cells, each tap sampled by an FDRE."""
    from g2live.tdc import TdcGeometry

    geo = TdcGeometry()  # g2l_top's TDC defaults at the default 4 ns clock
    lines = {name: cells for name, cells in result["modules"].items() if "g2l_tdc_line_carry4" in name}
    assert lines, f"no g2l_tdc_line_carry4 module in the netlist: {sorted(result['modules'])}"
    for name, cells in lines.items():
        assert cells.get("CARRY4", 0) == geo.n_chains * int(geo.n_carry4), (name, cells)
        assert cells.get("FDRE", 0) == geo.n_taps, (name, cells)
    instances = sum(cells.get(name, 0) for cells in result["modules"].values() for name in lines)
    assert instances == PARAMS["N_CHANNELS"], "one delay line per channel"
    assert result["resources"]["carry4"] >= PARAMS["N_CHANNELS"] * geo.n_chains * int(geo.n_carry4)


def test_marker_block_keeps_its_registers(tmp_path: Path) -> None:
    """g2l_marker on its own: the synchronisers, the edge history, the valid pulses and the time
    stamps (t1, t2 and the output stamp, identical per input so Yosys may share it) survive."""
    from g2live.tools import rtl

    n = 4
    res = synth.synth({"N_MARKERS": n}, top="g2l_marker", srcs=rtl.hw_tree().sources("g2l_marker"),
                      workdir=tmp_path, map_luts=False)
    assert res["resources"]["ff"] >= 3 * n + n + 3 * 64, res["resources"]


def test_coinc_pair_stays_small(tmp_path: Path) -> None:
    """g2l_coinc_pair at the board's 4096 bins: its memories are all there (floors) and its
    64-bit arithmetic stays shared (ceilings: the ghost windows once evaluated eight 64-bit
    differences and compares per round, 1 926 flip-flops and 379 CARRY4 for the block; now one
    comparator serves their four pointers, 1 065 and 156; about 14 s before LUT mapping)."""
    from g2live.tools import rtl

    nb, depth, ghosts, count_w = 12, 32, 16, 32   # g2l_coinc_hist's defaults
    res = synth.synth({"N_BINS_LOG2": nb}, top="g2l_coinc_pair",
                      srcs=rtl.hw_tree().sources("g2l_bram_sdp", "g2l_coinc_pair"),
                      workdir=tmp_path, map_luts=False)["resources"]
    # two banks of 2**nb counters in block RAM; the histories (2 x depth x 64 bit, one read port:
    # 3 bits per RAM64M) and the ghost FIFOs (2 x ghosts x 64 bit: 6 bits per RAM32M) in LUT RAM
    assert res["bram36_equiv"] >= math.ceil(2 * (1 << nb) * count_w / 32768), res
    histories, ghost_fifos = math.ceil(64 / 3) * (2 * depth // 64), math.ceil(64 / 6) * (2 * ghosts // 32)
    assert res["lutram"] >= histories + ghost_fifos, res
    assert res["ff"] <= 1250 and res["carry4"] <= 200, res


def test_board_fit_counts_lut_ram_sites_and_delay_lines() -> None:
    """`make synth --board`'s fit check: LUT-RAM primitives take their LUT sites, the delay lines
    their slices, and a design over any resource of the xc7z020 is reported as not fitting."""
    from g2live.tools.synth import XC7Z020, count, fit, slices

    res = count({"LUT6": 10, "LUT2": 3, "RAM32M": 2, "RAM64M": 1, "SRL16E": 1, "FDRE": 40})
    assert res["lut"] == 13 and res["lutram"] == 4 and res["lutram_sites"] == 13
    assert slices(res, line_carry4=7) == 7 + 7  # ceil((13 + 13) / 4) + 7
    rows = {k: (u, a) for k, u, a in fit(res, 7)}
    assert rows["slices"] == (14, XC7Z020["slices"]) and rows["ff"] == (40, XC7Z020["ff"])
    big = count({"LUT6": 4 * XC7Z020["slices"] - 8, "SRL16E": 4})
    assert slices(big, 0) == XC7Z020["slices"] - 1
    over = [k for k, u, a in fit(big, 2) if u > a]
    assert over == ["slices"]
