"""Purity vs power: saturation and the Poisson cascade model of g2(0) vs <N>.

With Poisson excitation, <N> = P / P_sat excitons per pulse; one exciton gives one X photon, two
or more (Auger relaxation of N >= 3 down to the biexciton) give a BX photon with probability
qy_ratio (= QY_BX / QY_X) followed by the X photon (e.g. Nair et al., Phys. Rev. B 84, 035313
(2011); Park et al., PRL 106, 187401 (2011)). Per pulse, with P1 = 1 - e^-N and
P2 = 1 - e^-N - N e^-N:

    rate(P) = I_sat (P1 + q P2)            ("cascade"; "exciton": I_sat P1, i.e. I_sat (1 - e^{-P/P_sat}))
    g2(0)(N) = 2 q P2 / (P1 + q P2)^2      (-> q at low power)

Detection efficiency cancels in g2(0). ``fit_power_sweep`` fits both curves together with shared
P_sat (and q), weighted least squares with the points' errors (lmfit).
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lmfit
import numpy as np


def p1(n: np.ndarray) -> np.ndarray:
    return -np.expm1(-n)


def p2(n: np.ndarray) -> np.ndarray:
    return -np.expm1(-n) - n * np.exp(-n)


def rate_model(power: np.ndarray, i_sat: float, p_sat: float, qy_ratio: float = 0.0) -> np.ndarray:
    n = np.asarray(power, dtype=float) / p_sat
    return i_sat * (p1(n) + qy_ratio * p2(n))


def g2_model(n_mean: np.ndarray, qy_ratio: float) -> np.ndarray:
    n = np.maximum(np.asarray(n_mean, dtype=float), 1e-12)
    one, two = p1(n), p2(n)
    return 2 * qy_ratio * two / (one + qy_ratio * two) ** 2


@dataclass
class PowerFit:
    p_sat: float
    p_sat_err: float
    i_sat_cps: float
    i_sat_cps_err: float
    qy_ratio: float | None
    qy_ratio_err: float | None
    rate_model: str
    chi2: float
    dof: int
    n_points: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_power_sweep(
    power: np.ndarray,
    rate_cps: np.ndarray,
    rate_err: np.ndarray | None = None,
    g2_0: np.ndarray | None = None,
    g2_0_err: np.ndarray | None = None,
    rate_model_name: str | None = None,
) -> PowerFit:
    """Fit a power sweep. ``power`` in any unit (P_sat comes out in it). ``rate_err`` defaults to
    sqrt(rate) (counts over 1 s). With ``g2_0`` (and its errors) the cascade g2 model is fitted
    jointly and gives qy_ratio; the rate model is then "cascade" unless told "exciton"."""
    pw = np.asarray(power, dtype=float)
    r = np.asarray(rate_cps, dtype=float)
    if pw.shape != r.shape or pw.ndim != 1:
        raise ValueError(f"power {pw.shape} and rate_cps {r.shape} must be equal 1-D arrays")
    if pw.size < 3:
        raise ValueError(f"fit_power_sweep: need at least 3 power points, got {pw.size}")
    if np.any(pw <= 0):
        raise ValueError("fit_power_sweep: powers must be > 0")
    re = np.sqrt(np.maximum(r, 1.0)) if rate_err is None else np.asarray(rate_err, dtype=float)
    if np.any(re <= 0):
        raise ValueError("fit_power_sweep: rate errors must be > 0")
    have_g2 = g2_0 is not None
    if have_g2:
        g = np.asarray(g2_0, dtype=float)
        ge = np.asarray(g2_0_err, dtype=float) if g2_0_err is not None else None
        if ge is None or g.shape != pw.shape or ge.shape != pw.shape:
            raise ValueError("fit_power_sweep: g2_0 and g2_0_err must be given together, one per power")
        if np.any(ge <= 0):
            raise ValueError("fit_power_sweep: g2_0 errors must be > 0")
    model = rate_model_name or ("cascade" if have_g2 else "exciton")
    if model not in ("cascade", "exciton"):
        raise ValueError(f"rate model must be 'cascade' or 'exciton', got {model!r}")

    # start: P_sat where the rate reaches 1 - 1/e of its maximum
    i0 = float(r.max()) * 1.1
    frac = r / i0
    reach = np.nonzero(frac >= 1 - np.exp(-1))[0]
    ps0 = float(pw[reach[0]]) if reach.size else float(pw.max())
    params = lmfit.Parameters()
    params.add("i_sat", value=i0, min=0)
    params.add("p_sat", value=ps0, min=1e-6 * pw.min(), max=1e6 * pw.max())
    if have_g2:
        q0 = float(np.clip(np.median(g[: max(1, pw.size // 3)]), 1e-3, 0.9))
        params.add("q", value=q0, min=0, max=1)
    elif model == "cascade":
        raise ValueError("fit_power_sweep: the cascade rate model needs g2_0 to fix qy_ratio")

    def resid(p: lmfit.Parameters) -> np.ndarray:
        q = p["q"].value if have_g2 else 0.0
        rr = (r - rate_model(pw, p["i_sat"].value, p["p_sat"].value, q if model == "cascade" else 0.0)) / re
        if not have_g2:
            return rr
        return np.concatenate((rr, (g - g2_model(pw / p["p_sat"].value, q)) / ge))

    out = lmfit.minimize(resid, params, method="least_squares", scale_covar=False)
    pp = out.params

    def err(name: str) -> float:
        return float(pp[name].stderr) if pp[name].stderr is not None else float("nan")

    res = PowerFit(
        p_sat=pp["p_sat"].value,
        p_sat_err=err("p_sat"),
        i_sat_cps=pp["i_sat"].value,
        i_sat_cps_err=err("i_sat"),
        qy_ratio=pp["q"].value if have_g2 else None,
        qy_ratio_err=err("q") if have_g2 else None,
        rate_model=model,
        chi2=float(out.chisqr),
        dof=int(out.nfree),
        n_points=int(pw.size),
    )
    if not out.success:
        res.notes.append(f"fit did not converge: {out.message}")
    if pw.max() < res.p_sat:
        res.notes.append("the sweep stays below P_sat: P_sat and I_sat are extrapolated")
    return res


SWEEP_COLUMNS = ("power", "rate_cps", "rate_err", "g2_0", "g2_0_err", "integration_s")


def read_sweep_table(path: Path) -> dict[str, np.ndarray]:
    """A sweep table: CSV with a header row naming at least ``power`` and ``rate_cps`` (optional
    ``rate_err``, ``g2_0``, ``g2_0_err``), or JSON: a list of objects with those keys, or an object
    with a ``points`` list (the ``g2live sweep`` output)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        doc = json.loads(path.read_text())
        rows = doc.get("points", doc) if isinstance(doc, dict) else doc
        if not isinstance(rows, list):
            raise ValueError(f"{path}: expected a list of points or an object with 'points'")
    else:
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.lstrip().startswith("#")))
    if not rows:
        raise ValueError(f"{path}: no sweep points")
    out: dict[str, np.ndarray] = {}
    for col in SWEEP_COLUMNS:
        vals = [row.get(col) for row in rows]
        if all(v in (None, "") for v in vals):
            continue
        try:
            out[col] = np.array([float(v) if v not in (None, "") else np.nan for v in vals])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: column {col!r} is not numeric: {exc}") from None
    for col in ("power", "rate_cps"):
        if col not in out:
            raise ValueError(f"{path}: sweep table needs a {col!r} column (has {sorted(rows[0])})")
    return out
