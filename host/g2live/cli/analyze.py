# SPDX-License-Identifier: BSD-3-Clause
"""``g2live analyze``: g2(0), purity, lifetimes, blinking and heralded results of a recording, or
the saturation / purity-vs-power fit of a sweep."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from g2live.cli import _options as opt
from g2live.cli._analyze_batch import add_batch_args, is_batch, run_batch
from g2live.cli._errors import EXIT_PARTIAL

__all__ = ["analyze_sweep", "register", "run"]

MAX_N_SIDE = 1000  # side peaks per side; the overlap correction's memory grows with its square


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` command to ``subparsers``."""
    p = subparsers.add_parser(
        "analyze",
        help="analyse a recording or a power sweep (g2(0), purity, lifetimes, blinking, heralded)",
        description="Analyse a measured or emulated recording (any format g2live.io reads), or with --sweep "
        "a "
        "power sweep: a folder of recordings each with its power in the metadata, or a CSV/JSON "
        "table with columns power, rate_cps[, rate_err, g2_0, g2_0_err, integration_s]. "
        "Keys of --json are documented in docs/analysis.md.",
    )
    p.add_argument("file", nargs="?", help="recording to analyse (or a folder of them: see below)")
    p.add_argument("--sweep", metavar="DIR_OR_FILE", help="fit saturation and g2(0) vs power of a sweep")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--channels",
        type=opt.channel_pair,
        metavar="A,B",
        help="the two detector channels of the HBT pair (default: the two busiest)",
    )
    p.add_argument(
        "--sync", type=opt.CHANNEL, metavar="CH", help="sync channel (default: metadata or detected)"
    )
    p.add_argument(
        "--rep-rate", type=opt.POSITIVE, metavar="HZ", help="laser repetition rate (default: header or found)"
    )
    p.add_argument(
        "--n-side",
        type=opt.integer(1, MAX_N_SIDE),
        default=4,
        help=f"side peaks per side for g2(0), 1..{MAX_N_SIDE} (default 4)",
    )
    p.add_argument(
        "--window-ns", type=opt.POSITIVE, help="peak integration window (default: one laser period)"
    )
    p.add_argument(
        "--bin-ps", type=opt.integer(1, 10**9), help="correlation bin width (default: chosen from the range)"
    )
    p.add_argument(
        "--rho",
        type=opt.fraction_pair,
        metavar="A[,B]",
        help="signal fraction S/(S+B) in (0, 1] per detector for the background-corrected g2(0)",
    )
    p.add_argument(
        "--trace-bin-ms", type=opt.POSITIVE, default=10.0, help="intensity-trace bin for blinking (ms)"
    )
    p.add_argument(
        "--zero-ps", type=opt.number(-1e12, 1e12),
        help="known zero delay of the pair (b - a, ps; default: found from the dip)"
    )
    _add_step_options(p)
    p.add_argument("--rate-model", choices=("cascade", "exciton"), help="sweep: saturation model")
    p.add_argument(
        "--allow-truncated", action="store_true", help="analyse what a truncated file holds (noted)"
    )
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help=f"exit 0 even when g2(0), P_sat (--sweep) or a value asked for (--rho) cannot be computed "
        f"(else exit {EXIT_PARTIAL})",
    )
    p.add_argument("--chunk-records", type=opt.CHUNK_RECORDS, default=1 << 20,
                   help="records read per chunk: the file is analysed in passes of chunks, never whole "
                   "(default 2**20, at most 2**24)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_batch_args(p)
    p.set_defaults(func=run, check=_check)


def _add_step_options(p: argparse.ArgumentParser) -> None:
    """The optional report steps: log-binned G(tau), ON-state g2(0), coincidences, heralded g2."""
    p.add_argument("--log-corr", action="store_true",
                   help="add the log-binned G(tau) of the HBT pair, 1 ns .. 10 s (key log_correlation)")
    p.add_argument("--on-state", action="store_true",
                   help="add the pulsed g2(0) inside the blinking ON segments only (keys g2_0_on, on_gate)")
    p.add_argument("--coincidences", metavar="SETS", type=opt.channel_sets,
                   help="N-fold coincidence counters, channel sets separated by ';', e.g. '0,1;0,1,2' "
                   "(key coincidences; window --coinc-window-ns)")
    p.add_argument("--coinc-window-ns", type=opt.WINDOW_NS, default=1.0,
                   help="coincidence window, up to 1e9 ns (default 1 ns)")
    p.add_argument("--heralded-g2", metavar="H,A,B", type=opt.channel_triple,
                   help="g2 of detectors A, B conditioned on herald channel H (key heralded_g2)")
    p.add_argument("--herald-window-ns", type=opt.WINDOW_NS, default=1.0,
                   help="detection window after each herald (default 1 ns)")
    p.add_argument("--herald-offset-ns", type=opt.number(-1e9, 1e9), default=0.0,
                   help="start of the window relative to the herald (default 0)")
    p.add_argument("--g3", metavar="A,B,C", type=opt.channel_triple,
                   help="third-order histogram: counts of (t_B - t_A, t_C - t_A) around each tag of A "
                   "(key g3; as the live topic g3)")
    p.add_argument("--g3-bin-width-ps", type=opt.integer(1, 2**32 - 1), default=1024,
                   help="g3 bin width on both axes (default 1024 ps)")
    p.add_argument("--g3-n-bins", type=opt.integer(1, 512), default=128,
                   help="g3 bins per axis, up to 512 (default 128)")
    p.add_argument("--gate-markers", metavar="START:STOP", type=_marker_pair,
                   help="add the pair histogram and pulsed g2(0) of the photons inside the windows a START "
                   "marker opens and the next STOP marker closes (keys marker_gate, g2_0_gated); g2live "
                   "recordings: the marker input number; PicoQuant / SPC files: the marker bits")


def _marker_pair(text: str) -> tuple[int, int]:
    """START:STOP marker values (0..255)."""
    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:STOP marker values like 0:1, got {text!r}") \
            from None
    if not (0 <= a <= 255 and 0 <= b <= 255):
        raise argparse.ArgumentTypeError(f"marker values must be 0..255, got {text!r}")
    return a, b


def _check(args: argparse.Namespace) -> None:
    """FILE or --sweep, and an existing one (before any work); many files are checked by
    ``_analyze_batch`` (a folder, several files, --table)."""
    if is_batch(args):
        return
    if (args.file is None) == (args.sweep is None):
        raise ValueError("give either FILE or --sweep DIR_OR_FILE")
    target = Path(args.file or args.sweep)
    if not target.exists():
        raise ValueError(f"{target}: no such file")
    if args.file is not None and not target.is_file():
        raise ValueError(f"{target} is not a file (a folder of recordings goes with --sweep)")


def _partial(res: dict[str, Any], args: argparse.Namespace) -> int:
    """0, or ``EXIT_PARTIAL`` with one line on stderr when a value asked for is missing."""
    import sys

    wanted = (("P_sat", "p_sat"),) if args.sweep else (("g2(0)", "g2_0"),)
    missing = [name for name, key in wanted if res.get(key) is None]
    if not args.sweep and args.rho is not None and res.get("g2_0_corrected") is None:
        missing.append("background-corrected g2(0) (--rho)")
    if not missing or args.allow_partial:
        return 0
    withheld = res.get("withheld") or {}
    reasons = [withheld[key] for name, key in wanted if key in withheld]
    why = "; ".join(reasons or res.get("notes") or []) or "see the notes"
    print(
        f"g2live analyze: error: {' and '.join(missing)} could not be computed: {why} "
        "(--allow-partial accepts a partial result)",
        file=sys.stderr,
    )
    return EXIT_PARTIAL



class _PassBars:
    """One progress bar per pass of the report (``analyze_file(progress=...)``); the survey
    counts the events, so the later passes know their total."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.step: str | None = None
        self.events = 0
        self.bar: Any = None

    def __call__(self, step: str, n: int) -> None:
        from g2live.cli._progress import Progress

        if step != self.step:
            self.close()
            total = None if step == "survey" else self.events
            self.bar = Progress(self.enabled, total=total, unit="ev", desc=step)
            self.step = step
        if step == "survey":
            self.events += n
        self.bar.advance(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _file_options(args: argparse.Namespace) -> dict[str, Any]:
    """The per-file analysis options (``analyze_file`` keywords), the same for one file or many."""
    return {
        "chunk_records": args.chunk_records,
        "channels": args.channels,
        "sync_channel": args.sync,
        "n_side": args.n_side,
        "window_ps": args.window_ns * 1e3 if args.window_ns else None,
        "bin_width_ps": args.bin_ps,
        "rho": args.rho,
        "trace_bin_s": args.trace_bin_ms * 1e-3,
        "rep_rate_hz": args.rep_rate,
        "read_options": {"allow_truncated": True} if args.allow_truncated else None,
        "steps": _steps(args),
        "conditioned": _conditioned(args),
        "zero_ps": args.zero_ps,
        "gate_markers": args.gate_markers,
    }


def _steps(args: argparse.Namespace) -> tuple[str, ...]:
    """The default report steps plus the ones asked for by name (--log-corr, --on-state)."""
    from g2live.analysis.report import STEPS

    return (*STEPS, *(["logcorr"] if args.log_corr else []), *(["g2_on"] if args.on_state else []))


def run(args: argparse.Namespace) -> int:
    """Analyse FILE, many files (``g2live.cli._analyze_batch``) or ``--sweep``; print the result
    (``--json``: as JSON)."""
    from g2live.analysis import analyze_file

    if is_batch(args):
        return run_batch(args, _file_options(args))
    if (args.file is None) == (args.sweep is None):
        raise ValueError("give either FILE or --sweep DIR_OR_FILE")
    if args.sweep:
        res = analyze_sweep(Path(args.sweep), args)
        if args.json:
            print(json.dumps(res, indent=1))
        else:
            _print_sweep(res)
        return _partial(res, args)
    from g2live.cli._progress import wanted

    path = Path(args.file)
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    bars = _PassBars(wanted(args.quiet))
    try:
        res = analyze_file(path, progress=bars, **_file_options(args))
    finally:
        bars.close()
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        _print_result(res)
    return _partial(res, args)


def _conditioned(args: argparse.Namespace) -> Any:
    """The coincidence / heralded-g2 settings of the command line, or None."""
    from g2live.analysis.report import Conditioned

    if not args.coincidences and not args.heralded_g2 and not args.g3:
        return None
    sets: list[tuple[int, ...]] = []
    for part in (args.coincidences or "").split(";"):
        if part.strip():
            try:
                sets.append(tuple(int(x) for x in part.split(",")))
            except ValueError:
                msg = f"--coincidences: expected channel numbers like '0,1;0,1,2', got {part!r}"
                raise ValueError(msg) from None
    herald = None
    if args.heralded_g2:
        try:
            h, a, b = (int(x) for x in args.heralded_g2.split(","))
        except ValueError:
            msg = f"--heralded-g2: expected three channels H,A,B, got {args.heralded_g2!r}"
            raise ValueError(msg) from None
        herald = (h, a, b)
    g3 = None
    if args.g3:
        a, b, c = (int(x) for x in args.g3.split(","))
        g3 = (a, b, c)
    return Conditioned(tuple(sets), round(args.coinc_window_ns * 1e3), herald,
                       round(args.herald_window_ns * 1e3), round(args.herald_offset_ns * 1e3),
                       g3, args.g3_bin_width_ps, args.g3_n_bins)


def _folder_report(f: Path, fmt: str, args: argparse.Namespace) -> tuple[float, dict[str, Any]]:
    """One sweep recording: its power (from its metadata) and its report (g2, the decays' signal
    fraction, blinking)."""
    from g2live import io
    from g2live.analysis import analyze_file, recording_power

    head = next(io.iter_chunks(f, chunk_records=1, format=fmt), None)  # the metadata, not the photons
    pw = None if head is None else recording_power(head)
    if pw is None:
        raise ValueError(f"{f}: no power in its metadata (meta.extra['power'] or truth.power)")
    r = analyze_file(
        f,
        chunk_records=args.chunk_records,
        n_side=args.n_side,
        sync_channel=args.sync,
        channels=args.channels,
        steps=("g2", "signal_fraction", "blinking"),  # the decays' rho, not the lifetime's fits
        rep_rate_hz=args.rep_rate,
    )
    return pw, r


def _folder_row(name: str, power: float, pt: Any) -> dict[str, Any]:
    """A point's row: the rate (the signal's when the decays give rho; error: Poisson and the
    blinking pooled over the sweep, ``sweep_points``) and g2(0) (background-corrected when the
    decays give rho: the sweep's g2 model has no background). The fit takes the estimator's
    unconstrained g2(0) (``g2_0_unconstrained``, flagged: not a result); ``g2_0`` is it where it is
    physical (>= 0), else null."""
    physical = pt.g2_0 is not None and pt.g2_0 >= 0
    return {
        "file": name,
        "power": power,
        "rate_cps": pt.rate_cps,
        "rate_err": pt.rate_err,
        "g2_0": pt.g2_0 if physical else None,
        "g2_0_err": pt.g2_0_err if physical else None,
        "g2_0_unconstrained": pt.g2_0,
        "g2_0_background_corrected": pt.g2_0_background_corrected,
        "signal_fraction": pt.signal_fraction,
    }


def _folder_sweep(
    path: Path, args: argparse.Namespace
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], bool]:
    """Points and table of a folder of recordings (other files are skipped), and whether the rates
    are the signal's alone (every point's decays gave rho)."""
    from g2live import io
    from g2live.analysis import sweep_points

    found = []
    for f in sorted(path.iterdir()):
        if f.is_dir() or f.name.startswith("."):
            continue
        try:
            fmt = io.detect_format(f)
        except (ValueError, OSError):
            continue  # not a recording (notes, tables)
        found.append((f.name, *_folder_report(f, fmt, args)))
    if not found:
        raise ValueError(f"{path}: no recordings found")
    pts = sweep_points([r for _, _, r in found])
    rows = [_folder_row(name, pw, pt) for (name, pw, _), pt in zip(found, pts, strict=True)]
    cols = {"power": [pw for _, pw, _ in found]}
    cols |= {k: [getattr(pt, k) for pt in pts] for k in ("rate_cps", "rate_err", "g2_0", "g2_0_err")}
    table = {k: np.array([np.nan if v is None else v for v in vals], dtype=float) for k, vals in cols.items()}
    return rows, table, all(pt.signal_fraction is not None for pt in pts)


def _table_sweep(path: Path) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], bool]:
    """Points and table of a CSV/JSON sweep table; ``integration_s`` gives rate errors."""
    from g2live.analysis import read_sweep_table

    table = read_sweep_table(path)
    rows = [
        {k: (None if not np.isfinite(v[i]) else float(v[i])) for k, v in table.items()}
        for i in range(table["power"].size)
    ]
    if "rate_err" not in table and "integration_s" in table:
        table["rate_err"] = np.sqrt(table["rate_cps"] / table["integration_s"])
    return rows, table, False


def _fit_table(table: dict[str, np.ndarray], rate_model: str | None, signal_rates: bool = False) -> Any:
    """Saturation fit of the finite points; g2(0) joins only when every point has it with an error.
    A rate offset (dark counts and background do not saturate) is fitted with 5 points or more,
    unless the rates are the signal's alone (rho from each recording's decays)."""
    from g2live.analysis import fit_power_sweep

    ok = np.isfinite(table["power"]) & np.isfinite(table["rate_cps"])
    rate_err = table.get("rate_err")
    g2v, g2e = table.get("g2_0"), table.get("g2_0_err")
    use_g2 = (
        g2v is not None
        and g2e is not None
        and np.all(np.isfinite(g2v[ok]) & np.isfinite(g2e[ok]))
        and np.all(g2e[ok] > 0)
    )
    return fit_power_sweep(
        table["power"][ok],
        table["rate_cps"][ok],
        None if rate_err is None or not np.all(np.isfinite(rate_err[ok])) else rate_err[ok],
        g2v[ok] if use_g2 else None,
        g2e[ok] if use_g2 else None,
        rate_model_name=rate_model,
        background_cps=None if signal_rates or int(ok.sum()) < 5 else "fit",
    )


def analyze_sweep(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Saturation and g2(0)-vs-power fit of a folder of recordings or a sweep table.

    Parameters
    ----------
    path : pathlib.Path
        A folder of recordings with their power in the metadata, or a CSV/JSON table.
    args : argparse.Namespace
        The command's options (``n_side``, ``sync``, ``channels``, ``rep_rate``, ``rate_model``).

    Returns
    -------
    dict
        P_sat, I_sat, qy_ratio with errors, the fit's chi2 and the points (JSON-safe).
    """
    from g2live.analysis import json_safe

    rows, table, signal_rates = _folder_sweep(path, args) if path.is_dir() else _table_sweep(path)
    d = _fit_table(table, args.rate_model, signal_rates).to_dict()
    keys = ("p_sat", "p_sat_err", "i_sat_cps", "i_sat_cps_err", "qy_ratio", "qy_ratio_err", "rate_model")
    keys += ("chi2", "dof", "notes", "background_cps", "background_cps_err", "error_scale", "p_sat_err_lo",
             "p_sat_err_hi")
    return json_safe({**{k: d[k] for k in keys}, "points": rows})


def _fmt(v: Any, err: Any = None, unit: str = "", digits: int = 4) -> str:
    if v is None:
        return "n/a"
    s = f"{v:.{digits}g}"
    if err is not None:
        s += f" ± {err:.2g}"
    return s + (f" {unit}" if unit else "")


_REASONS: list[str] = []  # reasons of the values withheld in the report being printed


def _value(r: dict[str, Any], key: str, err: Any = None, unit: str = "") -> str:
    """A result, or "withheld [n]" with the reason listed under the report."""
    why = (r.get("withheld") or {}).get(key)
    if r.get(key) is None and why:
        if why not in _REASONS:
            _REASONS.append(why)
        return f"withheld [{_REASONS.index(why) + 1}]"
    return _fmt(r.get(key), err, unit)


def _print_g2(r: dict[str, Any]) -> None:
    print(
        f"  g2(0)            {_value(r, 'g2_0', r['g2_0_err'])}   (side-peak normalised; "
        f"68% interval {_interval(r.get('g2_0_ci'))})"
        if r["excitation"] == "pulsed"
        else f"  g2(0)            {_value(r, 'g2_0', r['g2_0_err'])}   (CW antibunching fit)"
    )
    print(
        f"  g2(0) Poisson    {_value(r, 'g2_0_poisson_norm', r.get('g2_0_poisson_norm_err'))}   "
        f"(N_a N_b / (f T); side peaks / Poisson = {_fmt(r.get('side_over_poisson'))})"
    )
    if r.get("g2_0_corrected") is not None or (r.get("withheld") or {}).get("g2_0_corrected"):
        rho = ", ".join(f"{x:.3f}" for x in r.get("rho") or [])
        print(
            f"  g2(0) corrected  {_value(r, 'g2_0_corrected', r.get('g2_0_corrected_err'))}   "
            f"(background, rho = {rho})"
        )
    pur = _value(r, "purity", r["purity_err"])
    if r.get("purity") is None and r.get("purity_ci"):
        pur += f"   (68% interval {_interval(r['purity_ci'])})"
    print(f"  purity           {pur}")


def _print_heralded(hr: dict[str, Any]) -> None:
    print(
        f"  heralded pairs   {hr['n_pairs']} used of {hr.get('n_records', hr['n_pairs'])} records"
        f" (genuine {_fmt(hr.get('n_genuine'), hr.get('n_genuine_err'))}, accidental fraction"
        f" {_fmt(hr['accidental_fraction'])}, crosstalk"
        f" {_fmt(hr['crosstalk_excess'], hr.get('crosstalk_excess_err'))}"
        f" pairs within {_fmt(hr.get('crosstalk_window_ps'), unit='ps')})"
    )
    print(f"  binding energy   {_value(hr, 'binding_energy_mev', hr['binding_energy_err_mev'], 'meV')}"
          "   (mean X - mean BX photon energy)")
    print(f"  tau_BX           {_value(hr, 'tau_bx_ns', hr['tau_bx_err_ns'], 'ns')}")
    print(f"  tau_X            {_value(hr, 'tau_x_ns', hr['tau_x_err_ns'], 'ns')}")
    j = hr.get("jitter")
    if j:
        tail = f"tail {j['tail_fraction']:.2f} x {j['tail_ps']:.0f} ps"
        print(f"  timing response  {j['fwhm_ps']:.0f} ps FWHM, {tail}"
              " (fitted from the singles)")


def _print_result(r: dict[str, Any]) -> None:
    _REASONS.clear()
    print(
        f"{r['file']}  ({r['format']}, {r['source']}), {_fmt(r['duration_s'], unit='s')}, {r['excitation']},"
        f" mode {r['mode']}"
    )
    rates = ", ".join(f"ch{c}: {_fmt(v, unit='cps')}" for c, v in r["rates_cps"].items())
    if r.get("records") == "T3" and r.get("sync_rate_hz"):
        sync = f"in the T3 records, {r['sync_rate_hz'] / 1e6:.7g} MHz"
    else:
        sync = f"{r['sync_channel']}"
    print(f"  rates            {rates}  (sync: {sync})")
    if r.get("excitation_evidence"):
        print(f"  excitation       {r['excitation']}: {r['excitation_evidence']}")
    _print_g2(r)
    print(
        f"  delay offset     {_value(r, 'delay_offset_ps', r.get('delay_offset_err_ps'), 'ps')}   "
        f"period {_fmt(r['period_ps'], unit='ps')}"
    )
    print(f"  lifetime         {_value(r, 'lifetime_ns', r['lifetime_err_ns'], 'ns')}")
    print(f"  ON fraction      {_value(r, 'on_fraction', r.get('on_fraction_err'))}")
    hr = r.get("heralded")
    if hr:
        _print_heralded(hr)
    _print_optional(r)
    for line in r.get("interpretation") or []:
        print(f"  meaning: {line}")
    for i, why in enumerate(_REASONS, 1):
        print(f"  [{i}] withheld: {why}")
    for n in r["notes"]:
        print(f"  note: {n}")


def _print_optional(r: dict[str, Any]) -> None:
    """The steps asked for by name: ON-state g2(0), coincidences, heralded g2 and the log-binned
    G(tau) (one line a decade)."""
    co, hg = r.get("coincidences"), r.get("heralded_g2")
    if co:
        for s, n in zip(co["sets"], co["counts"], strict=True):
            print(f"  coincidences     {','.join(map(str, s))}: {n} within {co['window_ps']} ps")
    if hg:
        h, a, b = hg["channels"]
        g = _value({"heralded_g2": hg["g2"], "withheld": r.get("withheld")}, "heralded_g2", hg["g2_err"])
        print(f"  heralded g2      {g}   (herald {h}: {hg['n_herald']}, with {a}: "
              f"{hg['n_a']}, with {b}: {hg['n_b']}, both: {hg['n_ab']})")
    if r.get("g3"):
        g3 = r["g3"]
        a, b, c = g3["channels"]
        print(f"  g3               {g3['n_triples']} triples of {b}, {c} around {g3['n_anchors']} tags of {a}"
              f" ({g3['n_bins']} x {g3['n_bins']} bins of {g3['bin_width_ps']} ps from {g3['lo_ps']} ps;"
              " --json for the histogram)")
    if r.get("on_gate"):
        gate = r["on_gate"]
        g = _value(r, "g2_0_on", r["g2_0_on_err"])
        print(f"  g2(0) ON state   {g}   ({gate['n_windows']} ON segments,"
              f" {gate['on_time_s']:.3g} s)")
    if r.get("marker_gate"):
        mg = r["marker_gate"]
        g = _value(r, "g2_0_gated", r["g2_0_gated_err"])
        print(f"  g2(0) gated      {g}   ({mg['n_windows']} windows marker {mg['start_marker']} -> "
              f"{mg['stop_marker']}, {mg['gated_time_s']:.3g} s, {sum(mg['counts'])} pairs)")
    lc = r.get("log_correlation")
    if lc:
        edges, g = lc["edges_ps"], lc["g"]
        pair = f"{lc['channels'][0]}->{lc['channels'][1]}"
        print(f"  G(tau) {pair}    (pycorrelate normalisation; tau = bin's right edge)")
        for k in range(0, len(g), 10):
            val = "n/a" if g[k] is None else f"{g[k]:.4g}"
            print(f"    tau {edges[k + 1] * 1e-12:9.3g} s   G {val:>8}   pairs {lc['counts'][k]}")


def _print_sweep(r: dict[str, Any]) -> None:
    lo, hi = r.get("p_sat_err_lo"), r.get("p_sat_err_hi")
    ci = (f"   (68% profile interval [{r['p_sat'] - lo:.4g}, {r['p_sat'] + hi:.4g}])"
          if r.get("p_sat") is not None and lo is not None and hi is not None else "")
    print(f"P_sat     {_fmt(r['p_sat'], r['p_sat_err'])}{ci}")
    print(f"I_sat     {_fmt(r['i_sat_cps'], r['i_sat_cps_err'], 'cps')}")
    print(f"qy_ratio  {_fmt(r['qy_ratio'], r['qy_ratio_err'])}")
    print(f"model     {r['rate_model']}, chi2 {r['chi2']:.1f} for {r['dof']} dof")
    for n in r["notes"]:
        print(f"note: {n}")


def _interval(ci: list[float] | None) -> str:
    if not ci:
        return "n/a"
    return f"[{ci[0]:.4g}, {ci[1]:.4g}]" if ci[1] != float("inf") else f">= {ci[0]:.4g}"
