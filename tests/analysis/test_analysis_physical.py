"""No command reports an impossible number as a result (issue 13): every case the issue found is
fed through the command a user runs, and every result it prints is checked.

A result is a top-level value (or a heralded value) of the JSON report, or a number printed after
its label in the human report; the estimator's raw output kept as ``g2_0_unconstrained`` in the
detail objects is flagged as not a result.
"""

from __future__ import annotations

import contextlib
import io as pyio
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from analysis_helpers import pulsed_comb
from g2live.cli import main

BOUNDS = {  # key -> (lo, hi)
    "g2_0": (0.0, np.inf),
    "g2_0_poisson_norm": (0.0, np.inf),
    "g2_0_corrected": (0.0, np.inf),
    "purity": (0.0, 1.0),
    "lifetime_ns": (0.0, np.inf),
    "on_fraction": (0.0, 1.0),
    "tau_bx_ns": (0.0, np.inf),
    "tau_x_ns": (0.0, np.inf),
}
ERRORS = {
    "g2_0": "g2_0_err",
    "purity": "purity_err",
    "lifetime_ns": "lifetime_err_ns",
    "on_fraction": "on_fraction_err",
}


def run(*argv: str) -> tuple[int, str]:
    buf = pyio.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(argv))
    return rc, buf.getvalue()


def assert_physical(r: dict) -> None:
    """Every result of a JSON report inside its physical range, with an error smaller than it."""
    for src in (r, r.get("heralded") or {}):
        for key, (lo, hi) in BOUNDS.items():
            v = src.get(key)
            if v is None:
                continue
            assert lo <= v <= hi, f"{key} = {v} reported as a result"
            err = src.get(ERRORS.get(key, ""))
            if err is not None and np.isfinite(hi - lo):
                assert err < hi - lo, f"{key} error {err} spans its range"
        for key in ("g2_0", "purity"):  # a withheld value says why
            if src.get(key) is None and src is r and r.get("excitation") == "pulsed" and r.get("g2_0_ci"):
                assert key in r["withheld"], f"{key} missing without a reason"


NUM = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


def assert_human(out: str) -> None:
    """No printed g2(0) below 0, no purity outside [0, 1]."""
    for line in out.splitlines():
        m = re.match(rf"\s+g2\(0\)( Poisson| corrected)?\s+{NUM}", line)
        if m:
            assert float(m.group(2)) >= 0, line
        m = re.match(rf"\s+purity\s+{NUM}", line)
        if m:
            assert 0 <= float(m.group(1)) <= 1, line


def analyze_both(path: Path, *extra: str) -> dict:
    rc, out = run("analyze", str(path), *extra)
    assert rc == 0
    assert_human(out)
    rc, js = run("analyze", str(path), "--json", *extra)
    assert rc == 0
    r = json.loads(js)
    assert_physical(r)
    return r


@pytest.fixture(scope="module")
def nosync_file(tmp_path_factory) -> Path:
    """`g2live simulate --no-sync` at the defaults (10 MHz, ~20 kcps): once g2(0) -0.99, purity 1.99."""
    path = tmp_path_factory.mktemp("phys") / "nosync.h5"
    rc, _ = run("simulate", "-o", str(path), "--no-sync", "--duration", "1", "--seed", "4")
    assert rc == 0
    return path


def test_pulsed_without_sync_is_pulsed_and_physical(nosync_file) -> None:
    r = analyze_both(nosync_file)
    assert r["excitation"] == "pulsed"
    assert "comb of side peaks" in r["excitation_evidence"]
    assert abs(r["period_ps"] - 100_000) < 50


def test_default_cw_recording(tmp_path) -> None:
    """`g2live simulate --excitation cw` (1 s): the CW fit once put zero delay at the histogram's
    edge and reported g2(0) = -0.9998."""
    path = tmp_path / "cw.h5"
    assert run("simulate", "-o", str(path), "--excitation", "cw", "--duration", "1", "--seed", "1")[0] == 0
    r = analyze_both(path)
    assert r["excitation"] == "cw"
    assert r["g2_0"] is None or abs(r["delay_offset_ps"]) < 5_000  # the dip is at zero, not at an edge


def test_picoharp_fcs_file(realdata) -> None:
    """Many molecules (FCS): g2(0) ~ 1.14 > 1 once gave purity -0.14."""
    r = analyze_both(realdata / "picoquant_sample_data" / "picoharp_v30_t2.ptu")
    assert r["purity"] is None and "purity" in r["withheld"]


def test_hydraharp_slice(realdata, tmp_path) -> None:
    """A 0.038 s slice of the HydraHarp T3 file once gave purity -0.33 at a delay of -1,037 ps
    (truth +23,900 ps): too few counts to find zero delay, now said so."""
    from g2live import io

    d = io.read(realdata / "eta_kth" / "200213_HH400_T3_80MHz_HBT.timeres")
    s = d.select(d.time_ps < d.time_ps[0] + 38_000_000_000)
    s.meta = replace(s.meta, acquisition_s=0.038)
    io.write(tmp_path / "slice.h5", s)
    r = analyze_both(tmp_path / "slice.h5")
    assert r["delay_offset_ps"] is None or abs(r["delay_offset_ps"] - 23_900) < 1_000
    assert r["purity"] is None or r["purity"] >= 0


def test_live_point_below_zero_is_withheld() -> None:
    """A sweep point once printed g2(0) = -0.0010 ± 0.049 and purity 1.0010 (``live_g2``): the
    overlap correction of long peaks can go below 0."""
    from g2live.analysis import live_g2

    h, _ = pulsed_comb(
        np.random.default_rng(1), g2_0=0.0, side_area=400, period_ps=100_000, zero_ps=0.0, tau_ps=8000,
        bin_width_ps=256, n_bins=8192,
    )
    d = live_g2(h.counts, bin_width_ps=256, rep_rate_hz=10e6)
    assert d["g2_0_unconstrained"] < 0
    assert d["g2_0"] is None and d["purity"] is None
    assert "g2_0" in d["withheld"] and "purity" in d["withheld"]
    assert d["g2_0_lo"] == 0.0 and d["g2_0_hi"] > 0  # the interval the data give, clipped at 0


def test_sweep_and_watch_print_the_reason(capsys) -> None:
    """The sweep table and the watch view show "withheld" with the reason, never the number."""
    from g2live.cli.sweep import _print_points
    from g2live.cli.watch import render
    from g2live.client import Message

    why = "g2_0: estimate below its physical bound 0 (consistent with it); 68% interval <= 0.048"
    point = {"power": 1.0, "g2_0": None, "g2_0_err": 0.049, "purity": None, "purity_err": 0.049,
             "g2_0_poisson_norm": None, "rate_cps": 1e5, "integration_s": 1.0, "reached": 1.0,
             "withheld": {"g2_0": why, "purity": why}}
    _print_points([point])
    out = capsys.readouterr().out
    assert "withheld" in out and why in out and "-0.00" not in out
    values = {k: point[k] for k in ("g2_0", "g2_0_err", "purity", "purity_err")}
    msg = Message("analysis", {"seq": 1, "values": values, "withheld": point["withheld"]}, np.zeros(7))
    from rich.console import Console

    console = Console(file=pyio.StringIO(), width=200)
    console.print(render({"analysis": msg}, {}, "tcp://x"))
    text = console.file.getvalue()
    assert "withheld" in text and "-0.00" not in text


def test_heralded_without_pairs_left_is_an_answer_not_a_crash() -> None:
    """When every pair is crosstalk (adjacent pixels, near-zero delay) the analysis once raised
    ZeroDivisionError; now the values are None with the reason."""
    from g2live.analysis import HeraldedData, PairRecords, analyze_heralded

    n = 200
    pairs = PairRecords(np.full(n, 3), np.full(n, 5000), np.full(n, 4), np.full(n, 5040))
    singles = np.zeros((8, 6250), np.int64)
    singles[:, 300:400] = 50
    data = HeraldedData(pairs, singles, np.arange(8), 16, 100_000.0, 10_000)
    r = analyze_heralded(data, np.linspace(2.3, 2.5, 8))
    assert r.n_pairs == 0 and r.tau_bx_ns is None and r.tau_x_ns is None and r.binding_energy_mev is None
    assert r.accidental_fraction is None and r.notes


def test_delay_offset_without_an_error_is_withheld() -> None:
    """With the zero delay given (``--zero-ps``) the reported offset is the comb's peak centre,
    not a measurement: no error, so no result."""
    from g2live.analysis.report._verdict import withhold

    out = {"delay_offset_ps": 88.7, "delay_offset_err_ps": None, "g2_0": None}
    withhold(out)
    assert out["delay_offset_ps"] is None and "delay_offset_ps" in out["withheld"]
    ok = {"delay_offset_ps": 23_940.0, "delay_offset_err_ps": 13.0, "g2_0": None}
    withhold(ok)
    assert ok["delay_offset_ps"] == 23_940.0 and "delay_offset_ps" not in ok["withheld"]
