# SPDX-License-Identifier: BSD-3-Clause
"""``hw/boards/pynq-z2/g2live_overlay.py``: imports without a board, and takes every register
address, value and field from ``g2live.contract`` (nothing copied), checked on a stand-in ``pynq``."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pytest
from g2live import contract as C
from g2live.device import DeviceError
from g2live.device.pynq import PynqDevice

REPO = Path(__file__).resolve().parents[2]
BOARD = REPO / "hw" / "boards" / "pynq-z2"
OVERLAY = BOARD / "g2live_overlay.py"
SIZES = {"n_channels": 9, "n_pairs": 4, "n_bins_log2": 12, "max_photons": 15}
CLK_PERIOD_PS = 8000


class Core:
    """Registers of a g2live core as the contract describes them (MMIO ``read``/``write``)."""

    def __init__(self, ident: int = C.REG_ID_VALUE, major: int = C.REG_VERSION_MAJOR) -> None:
        v, s = C.REGISTERS["VERSION"].fields, C.REGISTERS["SIZES"].fields
        self.regs = {
            C.REG_ID: ident,
            C.REG_VERSION: v["major"].put(major) | v["minor"].put(C.REG_VERSION_MINOR),
            C.REG_SIZES: sum(s[k].put(n) for k, n in SIZES.items()),
            C.REG_CLK_PERIOD_PS: CLK_PERIOD_PS,
        }

    def read(self, offset: int) -> int:
        return self.regs.get(offset, 0)

    def write(self, offset: int, value: int) -> None:
        self.regs[offset] = value


def fake_pynq(core: Core) -> ModuleType:
    """The slice of ``pynq`` the overlay and the driver use: ``Overlay`` (IPs as attributes) and
    ``allocate``."""
    mod = ModuleType("pynq")

    class Overlay:
        def __init__(self, bitfile_name: str, **kwargs: Any) -> None:
            self.bitfile_name = bitfile_name
            self.ip_dict = {"g2l_top_0": {}, "axi_dma_0": {}}
            self.g2l_top_0 = core
            channel = SimpleNamespace(transfer=lambda buf: None, idle=False)
            self.axi_dma_0 = SimpleNamespace(recvchannel=channel)

    mod.Overlay = Overlay  # type: ignore[attr-defined]
    mod.allocate = lambda shape, dtype: np.zeros(shape, dtype)  # type: ignore[attr-defined]
    return mod


def load(monkeypatch: pytest.MonkeyPatch, pynq: ModuleType | None) -> ModuleType:
    """Import the overlay file afresh with ``pynq`` present (a stand-in) or missing (None)."""
    monkeypatch.setitem(sys.modules, "pynq", pynq)  # None: `import pynq` raises ImportError
    spec = importlib.util.spec_from_file_location("g2live_overlay_under_test", OVERLAY)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_imports_without_pynq_and_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = load(monkeypatch, None)
    assert mod.DEFAULT_BITFILE == BOARD / "g2live.bit"
    with pytest.raises(ImportError, match="needs the pynq package"):
        mod.G2liveOverlay()


def test_loads_checks_and_binds_the_driver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    core = Core()
    mod = load(monkeypatch, fake_pynq(core))
    ol = mod.G2liveOverlay(tmp_path / "g2live.bit")
    assert ol.bitfile_name == str(tmp_path / "g2live.bit")
    assert ol.core is core and ol.version_minor == C.REG_VERSION_MINOR
    assert {k: getattr(ol.caps, k) for k in SIZES} == SIZES and ol.caps.clk_period_ps == CLK_PERIOD_PS
    dev = ol.device(buffer_words=1 << 13)  # the driver needs room for the longest record (4097 words)
    assert isinstance(dev, PynqDevice) and dev.overlay is ol and dev.core is core
    assert dev.caps == ol.caps


def test_every_constant_comes_from_the_contract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tree = ast.parse(OVERLAY.read_text())
    numbers = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is int]
    assert numbers == [], f"register numbers copied into the overlay: {numbers}"
    mod = load(monkeypatch, fake_pynq(Core()))
    # the same core is refused once the contract says otherwise: the overlay reads it, not a copy
    monkeypatch.setattr(C, "REG_ID_VALUE", C.REG_ID_VALUE ^ 1)
    with pytest.raises(DeviceError, match="not a g2live core"):
        mod.G2liveOverlay(tmp_path / "g2live.bit")
    monkeypatch.undo()
    mod = load(monkeypatch, fake_pynq(Core()))
    monkeypatch.setattr(C, "REG_VERSION_MAJOR", C.REG_VERSION_MAJOR + 1)
    with pytest.raises(DeviceError, match="register map version"):
        mod.G2liveOverlay(tmp_path / "g2live.bit")
    monkeypatch.undo()
    mod = load(monkeypatch, fake_pynq(Core(major=C.REG_VERSION_MAJOR + 1)))
    with pytest.raises(DeviceError, match="register map version"):
        mod.G2liveOverlay(tmp_path / "g2live.bit")


def test_cell_names_match_the_block_design(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = load(monkeypatch, None)
    cells = set(re.findall(r"create_bd_cell .* (\w+)\]?$", (BOARD / "g2live_bd.tcl").read_text(), re.M))
    assert {mod.CORE_CELL, mod.DMA_CELL} <= cells, cells
