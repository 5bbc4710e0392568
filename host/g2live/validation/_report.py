# SPDX-License-Identifier: BSD-3-Clause
"""The pull table and plots of a validation run, written into docs/validation.md and docs/img/."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ._runs import Pull
from ._summary import Summary

__all__ = ["BEGIN", "END", "pull_table", "write_report"]

BEGIN = "<!-- validation table: written by python -m g2live.validation; do not edit by hand -->"
END = "<!-- end of validation table -->"


def pull_table(summaries: Sequence[Summary]) -> str:
    """The pull table as Markdown."""
    rows = [
        "| estimator | pulls | no estimate | mean pull | spread | 68 % coverage | 95 % coverage"
        " | worst grid point (mean pull) | in spec |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        rows.append(
            f"| {s.estimator} | {s.n} | {s.withheld} | {s.mean:+.2f} ± {s.mean_err:.2f} | {s.sd:.2f} | "
            f"{s.coverage68:.1f} % | {s.coverage95:.1f} % | {s.worst_case} ({s.worst_mean:+.2f}) | "
            f"{'yes' if s.within_spec else 'no'} |"
        )
    return "\n".join(rows)


def _plots(pulls: Sequence[Pull], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(p.estimator for p in pulls))
    cols = 3
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    grid = np.linspace(-4, 4, 200)
    for ax, name in zip(axes.ravel(), names, strict=False):
        z = np.array([p.pull for p in pulls if p.estimator == name and p.estimate is not None])
        z = z[np.isfinite(z)]
        ax.hist(
            np.clip(z, -4.99, 4.99), bins=np.linspace(-5, 5, 41), density=True, color="#4c72b0", alpha=0.8
        )
        ax.plot(grid, np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi), color="k", lw=1)
        ax.set_title(f"{name}: mean {z.mean():+.2f}, sd {z.std(ddof=1):.2f} (n={z.size})", fontsize=9)
        ax.set_xlim(-5, 5)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.supxlabel("pull = (estimate - truth) / error   (black: the unit normal)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _case_plot(pulls: Sequence[Pull], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(p.estimator for p in pulls))
    cases = list(dict.fromkeys(p.case for p in pulls))
    fig, ax = plt.subplots(figsize=(11, 0.28 * len(cases) + 1.5))
    for k, name in enumerate(names):
        ys, ms, es = [], [], []
        for i, c in enumerate(cases):
            z = np.array(
                [p.pull for p in pulls if p.estimator == name and p.case == c and p.estimate is not None]
            )
            if z.size:
                ys.append(i + 0.08 * (k - len(names) / 2))
                ms.append(z.mean())
                es.append(z.std(ddof=1) / np.sqrt(z.size) if z.size > 1 else 0.0)
        ax.errorbar(ms, ys, xerr=es, fmt="o", ms=3, label=name)
    ax.axvspan(-0.2, 0.2, color="0.9")
    ax.set_yticks(range(len(cases)), cases, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean pull per grid point (error bar: its standard error)")
    ax.legend(fontsize=7, ncol=3, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(pulls: Sequence[Pull], summaries: Sequence[Summary], doc: Path, command: str) -> None:
    """Put the table (between ``BEGIN``/``END``) into ``doc``, the plots next to it in ``img/``,
    and every pull into ``validation_pulls.json`` there."""
    img = doc.parent / "img"
    img.mkdir(parents=True, exist_ok=True)
    _plots(pulls, img / "validation_pulls.png")
    _case_plot(pulls, img / "validation_grid.png")
    (img / "validation_pulls.json").write_text(json.dumps([asdict(p) for p in pulls]))
    block = "\n".join((BEGIN, f"Regenerate: `{command}`", "", pull_table(summaries), END))
    text = doc.read_text() if doc.exists() else f"# Validation\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text += "\n" + block + "\n"
    doc.write_text(text)
