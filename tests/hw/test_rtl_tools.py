# SPDX-License-Identifier: BSD-3-Clause
"""``g2live.tools.rtl``: the one reader of the ``.f`` file lists, the hardware-tree lookup (explicit
root, ``G2LIVE_HW_DIR``, the copy in a wheel, the checkout) with errors that name the setting, and
the Verilator lookup; its users (RTL model, synthesis, pynq driver) report the same setting."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from g2live.tools import rtl

REPO = Path(__file__).resolve().parents[2]


def small_tree(root: Path, filelist: str) -> rtl.HwTree:
    (root / "hw" / "rtl").mkdir(parents=True)
    (root / "hw" / "rtl" / "a.sv").write_text("module a; endmodule\n")
    (root / "hw" / "rtl" / "g2l_top.f").write_text(filelist)
    return rtl.HwTree(root)


def test_filelist_comments_blank_lines_and_missing_files(tmp_path: Path) -> None:
    tree = small_tree(tmp_path, "// the top\n\nhw/rtl/a.sv  // one module\n")
    assert tree.filelist() == [tmp_path / "hw" / "rtl" / "a.sv"]
    (tmp_path / "hw" / "rtl" / "g2l_top.f").write_text("hw/rtl/a.sv\nhw/rtl/gone.sv\n")
    with pytest.raises(rtl.RtlToolsError, match=r"g2l_top.f:2: listed source hw/rtl/gone.sv does not exist"):
        tree.filelist()


def test_checkout_filelist_is_what_every_user_reads() -> None:
    from g2live import rtl_model
    from g2live.tools import synth

    tree = rtl.hw_tree()
    srcs = tree.filelist()
    assert srcs[-1] == REPO / "hw" / "rtl" / "g2l_top.sv" and all(p.is_file() for p in srcs)
    assert rtl_model.top_sources() == srcs == synth.sources()
    sys.path.insert(0, str(REPO / "sim" / "tb"))
    try:
        import common
    finally:
        sys.path.remove(str(REPO / "sim" / "tb"))
    assert common.read_filelist() == srcs


def test_lookup_order_and_errors_name_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(rtl.HW_DIR_ENV, raising=False)
    assert rtl.hw_tree().root == REPO  # the checkout this package was imported from
    other = small_tree(tmp_path / "other", "hw/rtl/a.sv\n")
    monkeypatch.setenv(rtl.HW_DIR_ENV, str(other.root))
    assert rtl.hw_tree() == other  # the setting wins over the checkout
    assert rtl.hw_tree(REPO).root == REPO  # and an explicit root over the setting
    assert not other.is_checkout and other.build_dir != other.root / "build"
    monkeypatch.setenv(rtl.HW_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(rtl.RtlToolsError, match=f"{rtl.HW_DIR_ENV}=.*nowhere: no hw/rtl/g2l_top.f"):
        rtl.hw_tree()
    monkeypatch.delenv(rtl.HW_DIR_ENV)
    monkeypatch.setattr(rtl, "_candidates", lambda: [("the copy installed with the package", tmp_path / "x")])
    with pytest.raises(rtl.RtlToolsError, match=f"set {rtl.HW_DIR_ENV} to a g2live source checkout"):
        rtl.hw_tree()


def test_users_report_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from g2live.device import DeviceError
    from g2live.device.pynq import PynqDevice
    from g2live.rtl_model import RtlError, RtlModel
    from g2live.tools import synth

    monkeypatch.setenv(rtl.HW_DIR_ENV, str(tmp_path))
    with pytest.raises(RtlError, match=rtl.HW_DIR_ENV):
        RtlModel()
    with pytest.raises(synth.SynthError, match=rtl.HW_DIR_ENV):
        synth.synth()
    pynq = SimpleNamespace(allocate=lambda shape, dtype: np.zeros(shape, dtype))
    with pytest.raises(DeviceError, match=f"bitstream=.*{rtl.HW_DIR_ENV}"):
        PynqDevice(pynq_module=pynq)
    # a tree with RTL but no harness: the model names what is missing
    small_tree(tmp_path / "rtl_only", "hw/rtl/a.sv\n")
    with pytest.raises(RtlError, match="g2l_harness.h does not exist"):
        RtlModel(hw_dir=tmp_path / "rtl_only")
    monkeypatch.setenv(rtl.HW_DIR_ENV, str(REPO))
    with pytest.raises(DeviceError, match=r"g2live.bit does not exist: build it"):
        PynqDevice(pynq_module=pynq)


def test_the_wheel_carries_a_complete_tree(tmp_path: Path) -> None:
    """setup.py's build_py puts hw/rtl, sim/harness and the C contract into g2live/_hw; that copy
    is a tree on its own (what an installed package finds) and holds exactly the checkout's files."""
    proc = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "-d", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    packaged = rtl.HwTree(tmp_path / "g2live" / "_hw")
    checkout = rtl.HwTree(REPO)
    assert [p.name for p in packaged.filelist()] == [p.name for p in checkout.filelist()]
    ours_all = packaged.filelist() + packaged.headers()
    for ours, theirs in zip(ours_all, checkout.filelist() + checkout.headers(), strict=True):
        assert ours.read_bytes() == theirs.read_bytes(), ours.name
    for name in ("g2l_harness.h", "g2l_harness.cpp"):
        assert packaged.harness(name).read_bytes() == checkout.harness(name).read_bytes()
    contract = "g2l_contract.h"  # the harness's register addresses
    assert (packaged.contract_dir / contract).read_bytes() == (checkout.contract_dir / contract).read_bytes()
    assert not packaged.is_checkout


def test_verilator_lookup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    try:
        root = rtl.verilator_root()
    except rtl.RtlToolsError as exc:
        pytest.skip(str(exc))
    # a VERILATOR_ROOT without a Verilator in it is passed over, not trusted
    monkeypatch.setenv("VERILATOR_ROOT", str(tmp_path))
    assert rtl.verilator_root() == root
    env = rtl.verilator_env({"PATH": "/usr/bin"})
    assert env["VERILATOR_ROOT"] == str(root)
    assert shutil.which("verilator", path=env["PATH"]) is not None
    if (root / "bin" / "verilator").is_file():
        assert env["PATH"].split(os.pathsep)[0] == str(root / "bin")


def test_command_line_lists_the_sources() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "host"))
    out = subprocess.run([sys.executable, "-m", "g2live.tools.rtl", "--hw-dir", str(REPO), "files"],
                         capture_output=True, text=True, env=env, check=True).stdout.split()
    assert [Path(p) for p in out] == rtl.HwTree(REPO).filelist()
