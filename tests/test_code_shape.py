# SPDX-License-Identifier: BSD-3-Clause
"""Code shape of the package: no function in host/g2live longer than a screen or too branchy.

Two measures, each naming its offenders:
- length: at most ``MAX_LINES`` lines from ``def`` to the last line, the docstring not counted
  (numpydoc Parameters sections are documentation, not code to hold in mind);
- ruff's complexity rules C901 and PLR0915 with the thresholds of pyproject.toml, run here because
  CI runs ``make test``, not ``make lint``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "host" / "g2live"
MAX_LINES = 80
RULES = ("C901", "PLR0915")

# Functions exempt from the shape rules: none (issue 16). A new entry needs a reason a reviewer
# accepts; a stale one fails test_allow_list_is_current.
ALLOWED: set[str] = set()


def _docstring_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = fn.body[0]
    is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return first.end_lineno - first.lineno + 1 if is_doc and isinstance(first.value.value, str) else 0


def _functions() -> dict[str, tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method of the package by ``path:Qual.name``."""
    found: dict[str, tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]] = {}

    def walk(path: Path, node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found[f"{path.relative_to(PACKAGE).as_posix()}:{prefix}{child.name}"] = (path, child)
                walk(path, child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                walk(path, child, f"{prefix}{child.name}.")
            else:
                walk(path, child, prefix)

    for path in sorted(PACKAGE.rglob("*.py")):
        walk(path, ast.parse(path.read_text(), str(path)), "")
    return found


def _too_long() -> dict[str, int]:
    out = {}
    for name, (_, fn) in _functions().items():
        n = fn.end_lineno - fn.lineno + 1 - _docstring_lines(fn)
        if n > MAX_LINES:
            out[name] = n
    return out


def _too_complex() -> dict[str, list[str]]:
    """Ruff's C901 / PLR0915 findings by function, with pyproject's thresholds and no exemptions."""
    lint = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    cmd = [
        sys.executable, "-m", "ruff", "check", "--isolated", "--output-format", "json", "--exit-zero",
        "--select", ",".join(RULES),
        "--config", f"lint.mccabe.max-complexity = {lint['mccabe']['max-complexity']}",
        "--config", f"lint.pylint.max-statements = {lint['pylint']['max-statements']}",
        str(PACKAGE),
    ]  # fmt: skip
    report = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    by_start = {(str(path), fn.lineno): name for name, (path, fn) in _functions().items()}
    out: dict[str, list[str]] = {}
    for d in report:
        name = by_start[(str(Path(d["filename"])), d["location"]["row"])]
        out.setdefault(name, []).append(f"{d['code']} {d['message']}")
    return out


def test_no_function_is_longer_than_a_screen() -> None:
    new = {k: v for k, v in _too_long().items() if k not in ALLOWED}
    listing = "\n".join(f"  {k}: {v} lines" for k, v in sorted(new.items()))
    assert not new, f"functions over {MAX_LINES} lines (docstring not counted); split them:\n{listing}"


def test_no_function_is_too_complex() -> None:
    new = {k: v for k, v in _too_complex().items() if k not in ALLOWED}
    listing = "\n".join(f"  {k}: {'; '.join(v)}" for k, v in sorted(new.items()))
    assert not new, f"functions over the complexity thresholds of pyproject.toml:\n{listing}"


def test_allow_list_is_current() -> None:
    offending = set(_too_long()) | set(_too_complex())
    stale = sorted(ALLOWED - offending)
    assert not stale, f"no longer offending (or renamed): remove from ALLOWED: {stale}"


def test_ruff_exemptions_are_the_allow_list() -> None:
    """pyproject's per-file exemptions of the package (for ``make lint``) name ALLOWED's files."""
    ignores = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]["per-file-ignores"]
    exempt = {
        f.removeprefix("host/g2live/")
        for f, rules in ignores.items()
        if f.startswith("host/") and set(RULES) & set(rules)
    }
    assert exempt == {name.split(":")[0] for name in ALLOWED}
