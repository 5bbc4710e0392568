"""The README's promises that can drift: the two commands, and the emulator parameter table."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from g2live.emulator.config import EmulatorConfig

REPO = Path(__file__).resolve().parents[1]


def _table_rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| `(\w+)` \|(.*)\|\s*$", line)
        if m:
            rows[m[1]] = [c.strip() for c in m[2].split("|")]
    return rows


def test_readme_and_ci_use_the_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci/run").read_text()


def test_emulator_parameter_tables_match_the_code():
    """Every EmulatorConfig field is in README.md and docs/emulator.md with its real default."""
    # `extra` is free-form notes, not a physical parameter.
    fields = {f.name: f for f in dataclasses.fields(EmulatorConfig) if f.name != "extra"}
    default = EmulatorConfig()
    for doc in ("README.md", "docs/emulator.md"):
        rows = _table_rows((REPO / doc).read_text())
        missing = sorted(set(fields) - set(rows))
        assert not missing, f"{doc} lacks emulator parameters {missing}"
        for name in fields:
            shown = rows[name][1].strip('"')
            value = getattr(default, name)
            if isinstance(value, bool | str) or value is None:
                assert shown == str(value), (doc, name, shown, value)
            elif isinstance(value, tuple):
                assert shown == str(value), (doc, name, shown, value)
            else:
                assert float(shown) == float(value), (doc, name, shown, value)


def test_readme_layout_names_paths_that_exist():
    """Every path the README's Layout table names (in backticks) exists in the tree."""
    text = (REPO / "README.md").read_text()
    layout = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    missing = []
    for row in layout.splitlines():
        if not row.startswith("| `"):
            continue
        first_cell = row.split("|")[1]
        names = re.findall(r"`([^`]+)`", first_cell)
        base = REPO / names[0].rstrip("/")
        for i, name in enumerate(names):
            path = base if i == 0 else base.parent / name.rstrip("/")
            if not path.exists():
                missing.append(name)
        for name in re.findall(r"`([\w/]+(?:\.py|/))`", row.split("|")[2]):
            places = (REPO / name, REPO / names[0] / name, base.parent / name)
            if not any(p.exists() for p in places):
                missing.append(f"{names[0]} -> {name}")
    assert not missing, f"README Layout names paths that do not exist: {missing}"
