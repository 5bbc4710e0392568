"""The tag word and register map are defined once (hw/spec/*.toml); these tests fail on drift."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
from g2live import contract

REPO = Path(__file__).resolve().parents[1]


def _generator(root: Path):
    spec = importlib.util.spec_from_file_location("g2l_generate", root / "hw/spec/generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_files_are_fresh():
    assert _generator(REPO).main(["--check"]) == 0


def test_check_detects_a_stale_file(tmp_path):
    gen = _generator(REPO)
    root = tmp_path / "repo"
    shutil.copytree(REPO / "hw/spec", root / "hw/spec")
    gen.ROOT, gen.SPEC = root, root / "hw/spec"
    assert gen.main([]) == 0 and gen.main(["--check"]) == 0
    header = root / "cext/include/g2l_contract.h"
    header.write_text(header.read_text().replace("#define G2L_TIME_BITS 48", "#define G2L_TIME_BITS 47"))
    assert gen.main(["--check"]) == 1


def test_spec_errors_are_refused(tmp_path):
    gen = _generator(REPO)
    root = tmp_path / "repo"
    shutil.copytree(REPO / "hw/spec", root / "hw/spec")
    gen.ROOT, gen.SPEC = root, root / "hw/spec"
    regmap = root / "hw/spec/regmap.toml"
    regmap.write_text(regmap.read_text().replace("offset = 0x004", "offset = 0x000"))
    with pytest.raises(ValueError, match="overlaps"):
        gen.main([])


def _c_defines() -> dict[str, int]:
    text = (REPO / "cext/include/g2l_contract.h").read_text()
    return {
        m[1]: int(m[2].rstrip("u"), 0) for m in re.finditer(r"#define (\w+) (0x[0-9A-Fa-f]+u?|\d+)\b", text)
    }


def _sv_params() -> dict[str, int]:
    out = {}
    for name in ("g2l_tag_word.svh", "g2l_regmap.svh"):
        text = (REPO / "hw/rtl" / name).read_text()
        for m in re.finditer(r"localparam [^=]*?(\w+) = (?:\d+'([hd]))?([0-9A-Fa-f]+);", text):
            out[m[1]] = int(m[3], 16 if m[2] == "h" else 10)
    return out


@pytest.mark.parametrize("source", [_c_defines, _sv_params], ids=["C", "SystemVerilog"])
def test_layers_agree_with_python(source):
    values = source()
    assert values["G2L_TIME_BITS"] == contract.TIME_BITS
    assert values["G2L_KIND_LSB"] == contract.KIND.lsb
    assert values["G2L_KIND_TAG"] == contract.KIND_TAG
    assert values["G2L_TAG_CHANNEL_LSB"] == contract.TAG_CHANNEL.lsb
    assert values["G2L_TAG_TIME_PS_WIDTH"] == contract.TAG_TIME_PS.width
    assert values["G2L_FRAME_HISTOGRAM"] == contract.FRAME_HISTOGRAM
    for name, reg in contract.REGISTERS.items():
        assert values[f"G2L_REG_{name}"] == reg.offset, name
        for fname, field in reg.fields.items():
            assert values[f"G2L_REG_{name}_{fname.upper()}_LSB"] == field.lsb


def test_field_helpers_round_trip():
    word = (
        contract.KIND.put(contract.KIND_TAG)
        | contract.TAG_CHANNEL.put(63)
        | contract.TAG_TIME_PS.put((1 << 48) - 1)
    )
    assert contract.KIND.get(word) == contract.KIND_TAG
    assert contract.TAG_CHANNEL.get(word) == 63
    assert contract.TAG_TIME_PS.get(word) == (1 << 48) - 1
    with pytest.raises(ValueError):
        contract.TAG_CHANNEL.put(64)
    assert contract.REGISTERS["DELAY_PS"].addr(3) == contract.REG_DELAY_PS + 12
    with pytest.raises(IndexError):
        contract.REGISTERS["PAIR"].addr(8)


def test_loss_causes_come_from_the_contract():
    """Every layer names LOST.cause from hw/spec/tag_word.toml [[lost_cause]], nothing hand-copied."""
    from g2live import core, device

    causes = contract.LOST_CAUSES
    assert [c.code for c in causes] == list(range(len(causes))) and len(causes) >= 3
    assert all(c.code <= contract.LOST_CAUSE.mask for c in causes)
    assert device.LOST_CAUSES == tuple(c.name for c in causes)
    assert core.LOST_CAUSES == {c.code: c.title for c in causes}
    for values in (_c_defines(), _sv_params()):
        assert values["G2L_N_LOST_CAUSES"] == len(causes)
        for c in causes:
            assert values[f"G2L_LOST_CAUSE_{c.name.upper()}"] == c.code == getattr(
                contract, f"LOST_CAUSE_{c.name.upper()}")
    protocol = (REPO / "docs/protocol.md").read_text()
    for c in causes:
        assert f"`{c.name}`" in protocol, f"docs/protocol.md does not name loss cause {c.name}"


@pytest.mark.parametrize(("old", "new", "match"), [
    ('name = "binning"\ncode = 1', 'name = "binning"\ncode = 5', "expected 1"),
    ('name = "merge"', 'name = "fifo"', "duplicate"),
    ('name = "merge"', 'name = "Merge"', "lower-case"),
])
def test_bad_loss_causes_are_refused(tmp_path, old, new, match):
    gen = _generator(REPO)
    root = tmp_path / "repo"
    shutil.copytree(REPO / "hw/spec", root / "hw/spec")
    gen.ROOT, gen.SPEC = root, root / "hw/spec"
    spec = root / "hw/spec/tag_word.toml"
    assert old in spec.read_text()
    spec.write_text(spec.read_text().replace(old, new))
    with pytest.raises(ValueError, match=match):
        gen.main([])
