# SPDX-License-Identifier: BSD-3-Clause
"""The report's last step: what may be reported as a result, and what the g2(0) values mean.

Every reported quantity passes ``check`` (``analysis._physical``): a value outside its physical
range, or without a usable error, becomes None with the reason under ``withheld[key]``; its
68 % interval, clipped to the range, stays (``*_ci``). The raw estimator output stays in the
detail objects (``g2``, ``cw``) as ``g2_0_unconstrained``: flagged, never a result.
"""

from __future__ import annotations

import math
from typing import Any

from .._physical import check

__all__ = ["check_heralded", "interpret_g2", "withhold"]

_PAIRS = (  # key, error key, interval key
    ("g2_0", "g2_0_err", "g2_0_ci"),
    ("g2_0_poisson_norm", "g2_0_poisson_norm_err", "g2_0_poisson_norm_ci"),
    ("g2_0_corrected", "g2_0_corrected_err", "g2_0_corrected_ci"),
    ("lifetime_ns", "lifetime_err_ns", None),
    ("delay_offset_ps", "delay_offset_err_ps", None),
    ("g2_0_on", "g2_0_on_err", None),  # e.g. a given zero delay: the comb's peak, unmeasured
)
_HERALDED = (
    ("tau_bx_ns", "tau_bx_err_ns"),
    ("tau_x_ns", "tau_x_err_ns"),
    ("binding_energy_mev", "binding_energy_err_mev"),
    ("binding_energy_fit_mev", "binding_energy_fit_err_mev"),
)


def _apply(
    d: dict[str, Any],
    key: str,
    err_key: str | None,
    ci_key: str | None,
    withheld: dict[str, str],
    prefix: str = "",
) -> None:
    if key not in d:
        return
    ci = d.get(ci_key) if ci_key else None
    c = check(key, d[key], d.get(err_key) if err_key else None, tuple(ci) if ci else None)
    if d[key] is not None and c.withheld:
        withheld[prefix + key] = c.reason or "withheld"
    d[key] = c.value
    if err_key:
        d[err_key] = c.err
    if ci_key and (ci_key in d or c.ci is not None):
        d[ci_key] = list(c.ci) if c.ci is not None else None


def _purity(
    out: dict[str, Any],
    raw: float | None,
    err: float | None,
    ci: list[float] | None,
    withheld: dict[str, str],
) -> None:
    """purity = 1 - g2(0), defined for antibunched light (g2(0) <= 1)."""
    if raw is None or not math.isfinite(raw):
        out["purity"], out["purity_err"] = None, None
        return
    pci = (1 - ci[1], 1 - ci[0]) if ci else None
    c = check("purity", 1 - raw, err, pci)
    out["purity"], out["purity_err"] = c.value, c.err
    out["purity_ci"] = list(c.ci) if c.ci is not None else None
    if c.withheld:
        why = c.reason or ""
        if raw > 1:
            why = (
                "purity: g2(0) is above 1 (bunched or classical light, e.g. several emitters):"
                " the single-photon purity 1 - g2(0) does not apply"
            )
        withheld["purity"] = why


def _zero_unknown(out: dict[str, Any], withheld: dict[str, str]) -> bool:
    """A pulsed g2(0) whose zero delay was assumed (no dip, no bunching, no envelope) is withheld:
    with a cable delay zero may be any peak."""
    g2 = out.get("g2") or {}
    if g2.get("zero_method") != "expected" or out.get("g2_0") is None:
        return False
    why = (
        "zero delay not identified: no peak differs from its neighbours by 5 sigma and the side peaks"
        " show no blinking envelope, so g2(0) at the peak nearest 0 ps would assume no cable delay;"
        " record longer (a dip appears) or give the zero delay (--zero-ps)"
    )
    for k in ("g2_0", "g2_0_poisson_norm", "g2_0_corrected", "purity", "delay_offset_ps"):
        if out.get(k) is not None:
            withheld[k] = why
            out[k] = None
    for k in (
        "g2_0_err",
        "g2_0_ci",
        "g2_0_poisson_norm_err",
        "g2_0_corrected_err",
        "purity_err",
        "delay_offset_err_ps",
    ):
        if k in out:
            out[k] = None
    return True


def _details(out: dict[str, Any]) -> None:
    """The detail objects keep the estimator's raw g2(0), flagged as not a result."""
    for detail in ("g2", "cw"):
        if isinstance(out.get(detail), dict) and "g2_0" in out[detail]:
            out[detail]["g2_0_unconstrained"] = out[detail]["g2_0"]
            out[detail]["g2_0"] = check("g2_0", out[detail]["g2_0"], out[detail].get("g2_0_err")).value


def _on_fraction(out: dict[str, Any], withheld: dict[str, str]) -> None:
    if out.get("on_fraction") is None:
        return
    c = check("on_fraction", out["on_fraction"], out.get("on_fraction_err"), need_error=False)
    if c.withheld:
        withheld["on_fraction"] = c.reason or ""
    out["on_fraction"] = c.value
    if "on_fraction_err" in out:
        out["on_fraction_err"] = c.err


def check_heralded(her: dict[str, Any]) -> dict[str, str]:
    """Check the heralded values of ``her`` (a ``HeraldedResult`` dict) in place; the reasons of
    what is withheld (also kept under ``her["withheld"]``). The live server uses it too."""
    hw: dict[str, str] = her.setdefault("withheld", {})
    for key, err_key in _HERALDED:
        _apply(her, key, err_key, None, hw)
    return hw


def _heralded(out: dict[str, Any], withheld: dict[str, str]) -> None:
    her = out.get("heralded")
    if isinstance(her, dict):
        withheld.update({f"heralded.{k}": v for k, v in check_heralded(her).items()})


def _spectro_purity(out: dict[str, Any], withheld: dict[str, str]) -> None:
    if out.get("mode") == "spectro" and out.get("purity") is not None:
        withheld["purity"] = (
            "purity: in a spectro recording the two pixels see different energies, so their"
            " correlation is a cross-correlation, not the emitter's g2(0)"
        )
        out["purity"], out["purity_err"] = None, None


def _heralded_g2(out: dict[str, Any], withheld: dict[str, str]) -> None:
    """The g2 conditioned on a herald (``--heralded-g2``), under ``heralded_g2.g2``."""
    hg = out.get("heralded_g2")
    if not hg or hg.get("g2") is None:
        return
    c = check("heralded_g2", hg["g2"], hg.get("g2_err"))
    if c.withheld:
        withheld["heralded_g2"] = c.reason or "withheld"
    hg["g2"], hg["g2_err"] = c.value, c.err


def withhold(out: dict[str, Any]) -> None:
    """Check every reported value of the report ``out`` in place; reasons under ``withheld``."""
    withheld: dict[str, str] = out.setdefault("withheld", {})
    raw = out.get("g2_0")
    raw_err, raw_ci = out.get("g2_0_err"), out.get("g2_0_ci")
    _details(out)
    if _zero_unknown(out, withheld):
        raw = None
    for key, err_key, ci_key in _PAIRS:
        _apply(out, key, err_key, ci_key, withheld)
    if raw is not None:
        _purity(out, raw, raw_err, raw_ci, withheld)
    if out.get("purity") is None and "g2_0" in withheld:
        withheld.setdefault("purity", withheld["g2_0"])
    _spectro_purity(out, withheld)
    _on_fraction(out, withheld)
    _heralded(out, withheld)
    _heralded_g2(out, withheld)


def interpret_g2(out: dict[str, Any]) -> list[str]:
    """What the uncorrected and the background-corrected g2(0) mean, when they differ.

    The uncorrected value is what this setup delivers (background included); the corrected one
    removes the uncorrelated background (Brouri et al. 2000) and is the one to compare with a
    background-free model of the emitter (e.g. g2(0) = QY_BX / QY_X at low power).
    """
    g, ge = out.get("g2_0"), out.get("g2_0_err")
    c, ce = out.get("g2_0_corrected"), out.get("g2_0_corrected_err")
    lines: list[str] = []
    if g is None or c is None or ge is None or ce is None:
        return lines
    # both come from the same counts, so their difference is known far better than either: a
    # difference beyond either's error is one that matters
    if abs(g - c) > max(ge, ce):
        rho = out.get("rho") or []
        lines.append(
            f"g2(0) {g:.3g} includes the uncorrelated background (signal fraction rho = "
            + ", ".join(f"{x:.3f}" for x in rho)
            + f"); the corrected {c:.3g} is the emitter's own: compare that one with a background-free model"
            " (e.g. QY_BX/QY_X at low power); the uncorrected one is what this setup delivers"
        )
    truth = out.get("truth") or {}
    te = truth.get("g2_0_emitter")
    if te is not None and lines:
        lines.append(f"emulator truth: emitter (background-free) g2(0) = {te:.3g}")
    return lines
