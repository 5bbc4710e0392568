# SPDX-License-Identifier: BSD-3-Clause
"""The batch summary figure (PNG): g2(0) against tau_BX, purity against brightness, and the
histogram of g2(0) over the dots, as a many-dot study shows them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["summary_figure"]

_MARKERS = {"heralded": ("o", "tab:blue"), "decay fast component": ("s", "tab:orange")}


def _column(rows: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows], dtype=float)


def _note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4", wrap=True)


def _g2_vs_tau_bx(ax: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    g2, g2e = _column(rows, "g2_0"), _column(rows, "g2_0_err")
    tau, taue = _column(rows, "summary.tau_bx_ns"), _column(rows, "summary.tau_bx_err_ns")
    method = [r.get("summary.tau_bx_method") for r in rows]
    shown = 0
    for name, (marker, colour) in _MARKERS.items():
        m = np.array([x == name for x in method]) & np.isfinite(g2) & np.isfinite(tau)
        if m.any():
            ax.errorbar(tau[m], g2[m], xerr=taue[m], yerr=g2e[m], fmt=marker, color=colour, ms=5, capsize=2,
                        lw=0.8, label=f"{name} ({m.sum()})")
            shown += int(m.sum())
    ax.set_xlabel(r"$\tau_{BX}$ (ns)")
    ax.set_ylabel(r"$g^{(2)}(0)$")
    ax.set_title(r"(a) $g^{(2)}(0)$ vs biexciton lifetime", loc="left", fontsize=10)
    if shown:
        ax.legend(fontsize=8, frameon=False)
    else:
        _note(ax, "no $\\tau_{BX}$: needs spectro recordings (heralded)\nor a resolved fast decay component")


def _purity_vs_brightness(ax: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    rate, pur, pure = _column(rows, "detector_rate_cps"), _column(rows, "purity"), _column(rows, "purity_err")
    m = np.isfinite(rate) & np.isfinite(pur) & (rate > 0)
    ax.set_xlabel("brightness: detected photons (kcps)")
    ax.set_ylabel(r"single-photon purity $1 - g^{(2)}(0)$")
    ax.set_title("(b) purity vs brightness", loc="left", fontsize=10)
    if not m.any():
        _note(ax, "no file with both a count rate and a purity")
        return
    ax.errorbar(rate[m] / 1e3, pur[m], yerr=pure[m], fmt="o", color="tab:green", ms=5, capsize=2, lw=0.8)
    if rate[m].max() > 20 * rate[m].min():
        ax.set_xscale("log")


def _g2_histogram(ax: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    g2 = _column(rows, "g2_0")
    g2 = g2[np.isfinite(g2)]
    ax.set_xlabel(r"$g^{(2)}(0)$")
    ax.set_ylabel("dots")
    ax.set_title(r"(c) distribution of $g^{(2)}(0)$", loc="left", fontsize=10)
    if not g2.size:
        _note(ax, "no g2(0)")
        return
    edges = np.histogram_bin_edges(g2, bins="auto") if g2.size > 1 else np.array([g2[0] - 0.05, g2[0] + 0.05])
    ax.hist(g2, bins=edges, color="0.6", edgecolor="0.2")
    med = float(np.median(g2))
    ax.axvline(med, color="tab:red", lw=1, label=f"median {med:.3g} ({g2.size} dots)")
    ax.legend(fontsize=8, frameon=False)


def _possible(row: Mapping[str, Any]) -> bool:
    """g2(0) >= 0 with a non-negative error: what a plot of dots may show (others are reported)."""
    g2, err = row.get("g2_0"), row.get("g2_0_err")
    return (g2 is None or g2 >= 0) and (err is None or err >= 0)


def summary_figure(rows: Sequence[Mapping[str, Any]], path: str | Path, title: str = "") -> Path:
    """Write the three-panel summary of a batch table (rows as ``analyze_many`` returns) as PNG.

    Rows with an error, and rows whose g2(0) or its error is negative (impossible: an estimator
    failed on that file), are left out and counted in the title.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed, works on any worker or CI machine
    import matplotlib.pyplot as plt

    path = Path(path)
    ok = [r for r in rows if not r.get("error") and _possible(r)]
    impossible = sum(1 for r in rows if not r.get("error") and not _possible(r))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), constrained_layout=True)
    _g2_vs_tau_bx(axes[0], ok)
    _purity_vs_brightness(axes[1], ok)
    _g2_histogram(axes[2], ok)
    failed = len(rows) - len(ok) - impossible
    head = f"{len(rows)} recordings" + (f", {failed} failed (see the table's error column)" if failed else "")
    if impossible:
        head += f", {impossible} not shown: negative g2(0) or error (an estimator failed there)"
    fig.suptitle(f"{title}  {head}".strip(), fontsize=10, x=0.01, ha="left")
    for ax in axes:
        ax.grid(alpha=0.3, lw=0.5)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
