# SPDX-License-Identifier: BSD-3-Clause
"""The public namespace of g2live.analysis: one name table, sections loaded on first use."""

from __future__ import annotations

import importlib
import pydoc
import subprocess
import sys

import g2live.analysis as analysis


def test_namespace_is_the_union_of_the_sections() -> None:
    exported: dict[str, str] = {}
    for section in analysis._SECTIONS:
        module = importlib.import_module(f"g2live.analysis.{section}")
        for name in module.__all__:
            assert name not in exported, f"{name} exported by {exported.get(name)} and {section}"
            exported[name] = section
        assert set(module.__all__) == set(analysis._SECTIONS[section]), section
    assert sorted(exported) == analysis.__all__
    for name, section in exported.items():
        assert getattr(analysis, name) is getattr(importlib.import_module(f"g2live.analysis.{section}"), name)


def test_every_public_function_has_a_docstring() -> None:
    for name in analysis.__all__:
        obj = getattr(analysis, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name


def test_sections_load_on_first_use() -> None:
    code = (
        "import sys, g2live.analysis as a\n"
        "assert 'lmfit' not in sys.modules and 'g2live.analysis.report' not in sys.modules\n"
        "a.fit_poisson_mixture\n"
        "assert 'g2live.analysis.blinking' in sys.modules and 'lmfit' not in sys.modules\n"
        "a.analyze_photons\n"
        "assert 'g2live.analysis.report' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_help_lists_the_catalogue() -> None:
    text = pydoc.render_doc(analysis, renderer=pydoc.plaintext)
    for name in ("pulsed_g2", "analyze_photons", "fit_tail", "fit_line", "live_g2", "fit_power_sweep"):
        assert name in text
