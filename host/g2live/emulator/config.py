# SPDX-License-Identifier: BSD-3-Clause
"""Every parameter of the photon-physics emulator, with its unit, default and check.

Defaults describe a bright room-temperature CsPbBr3 perovskite quantum dot under a 10 MHz pulsed
laser, seen through a confocal microscope onto two SPADs (HBT) or a spectrometer with a SPAD
line array. `docs/emulator.md` has the same table and the formulas.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

MAX_CHANNEL = 63  # the tag word carries 6 channel bits
MAX_PIXELS = 32
DEFAULT_HBT_SYNC_CHANNEL = 8  # RTL default: 8 inputs, sync after them
JITTER_CLIP_SIGMA = 8.0  # the Gaussian jitter core is clipped at +-8 sigma (P ~ 1e-15)

__all__ = [
    "DEFAULT_HBT_SYNC_CHANNEL",
    "JITTER_CLIP_SIGMA",
    "MAX_CHANNEL",
    "MAX_PIXELS",
    "PARAMETER_UNITS",
    "EmulatorConfig",
]


@dataclass
class EmulatorConfig:
    """Every emulator parameter with its default (units and meaning: docs/emulator.md).

    ``validate()`` refuses impossible values, naming the parameter.
    """

    # excitation
    excitation: str = "pulsed"  # "pulsed" or "cw"
    rep_rate_hz: float = 10e6  # laser repetition rate (pulsed); the period is rounded to whole ps
    power: float = 0.1  # P / P_sat: mean excitons per pulse <N> (pulsed), g * tau_x (cw)
    # emitter
    tau_x_ns: float = 8.0  # exciton decay time
    tau_bx_ns: float = 0.5  # biexciton decay time
    qy_x: float = 0.8  # exciton quantum yield in the ON state
    qy_ratio: float = 0.1  # QY_BX / QY_X
    energy_x_ev: float = 2.45  # exciton line centre (Gaussian core)
    binding_bx_mev: float = 30.0  # biexciton binding energy: BX line sits this much below X
    linewidth_x_mev: float = 70.0  # FWHM of the exciton Gaussian core
    linewidth_bx_mev: float = 80.0  # FWHM of the biexciton Gaussian core
    urbach_mev: float = 15.0  # mean of the exponential low-energy (Urbach) tail; 0 = pure Gaussian
    # blinking
    blinking: str = "exponential"  # "none", "exponential" or "powerlaw"
    on_mean_ms: float = 20.0  # mean ON dwell (exponential)
    off_mean_ms: float = 5.0  # mean OFF dwell (exponential)
    grey_mean_ms: float = 2.0  # mean grey dwell (exponential)
    alpha_on: float = 1.6  # power-law exponent of ON dwells, p(t) ~ t^-alpha
    alpha_off: float = 1.8  # power-law exponent of OFF and grey dwells
    dwell_min_us: float = 100.0  # shortest power-law dwell
    dwell_max_s: float = 10.0  # longest power-law dwell
    grey_probability: float = 0.0  # probability that a dark period is grey instead of OFF
    off_qy_factor: float = 0.05  # QY multiplier in the OFF state (both X and BX)
    grey_qy_factor: float = 0.4  # QY multiplier in the grey state
    # optics
    mode: str = "hbt"  # "hbt" (beam splitter, 2 detectors) or "spectro" (SPAD line array)
    collection_efficiency: float = 0.05  # fraction of emitted photons reaching the detectors
    split_ratio: float = 0.5  # HBT: fraction of light sent to detector 0
    n_pixels: int = 16  # spectro: pixels of the SPAD line array
    spectro_center_ev: float = 2.435  # spectro: energy at the array centre
    pixel_width_mev: float = 20.0  # spectro: energy span of one pixel (linear dispersion)
    background_cps: float = 500.0  # background light at the detectors (all detectors, before QE)
    # detectors
    detector_efficiency: float = 0.65  # photon detection efficiency of each detector / pixel
    dark_cps: float = 100.0  # dark counts per detector / pixel
    jitter_fwhm_ps: float = 80.0  # FWHM of the Gaussian jitter core
    jitter_tail_fraction: float = 0.1  # fraction of detections with an extra exponential delay
    jitter_tail_ps: float = 150.0  # mean of that exponential jitter tail
    dead_time_ns: float = 22.0  # non-paralysable dead time per detector / pixel
    afterpulse_probability: float = 0.005  # afterpulses per accepted avalanche
    afterpulse_tau_ns: float = 60.0  # mean afterpulse delay (exponential trap release)
    crosstalk_probability: float = 0.005  # spectro: probability per avalanche and per neighbour
    crosstalk_delay_ps: float = 40.0  # mean crosstalk delay (exponential)
    detector_delay_ps: tuple[float, ...] = ()  # per-detector cable delay; () = all zero
    # sync
    sync: bool = True  # record the laser sync as a channel (pulsed only)
    sync_channel: int | None = None  # None: 8 in HBT mode, n_pixels in spectro mode
    sync_divider: int = 1  # record every n-th laser pulse on the sync channel
    records: str = "t3"  # pulsed with sync: "t3" (sync period + delay per photon) or "t2" (sync events)
    # markers (PhotonData.markers; on the hardware path the marker inputs, docs/hardware.md)
    marker_period_s: float = 0.0  # frame marker 0 at every multiple of this (0 = no frame markers)
    marker_duty: float = 0.5  # marker 1 this fraction of a frame after each marker 0: window [0, 1)
    power_marker: bool = False  # marker 2 where a power step (set_power) takes effect
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes carried into truth

    # ---- derived values -------------------------------------------------------------------
    @property
    def n_detectors(self) -> int:
        """Detector channels: 2 (HBT) or the pixels of the array."""
        return 2 if self.mode == "hbt" else int(self.n_pixels)

    @property
    def sync_ch(self) -> int | None:
        """Channel the sync is recorded on, None when it is not (CW, or ``sync`` off)."""
        if self.excitation != "pulsed" or not self.sync:
            return None
        if self.sync_channel is not None:
            return int(self.sync_channel)
        return DEFAULT_HBT_SYNC_CHANNEL if self.mode == "hbt" else int(self.n_pixels)

    @property
    def t3(self) -> bool:
        """Photons carry their sync period index and delay (no sync events): pulsed, sync on, "t3"."""
        return self.sync_ch is not None and self.records == "t3"

    @property
    def sync_period_ps(self) -> int:
        """Period of the recorded sync (every ``sync_divider``-th pulse), whole ps."""
        return self.period_ps * self.sync_divider

    @property
    def period_ps(self) -> int:
        """Laser period in whole ps."""
        return int(round(1e12 / self.rep_rate_hz))

    @property
    def delays_ps(self) -> tuple[float, ...]:
        """Cable delay of each detector (ps)."""
        return tuple(self.detector_delay_ps) if self.detector_delay_ps else (0.0,) * self.n_detectors

    @property
    def jitter_sigma_ps(self) -> float:
        """Standard deviation of the Gaussian jitter core."""
        return self.jitter_fwhm_ps / (2.0 * math.sqrt(2.0 * math.log(2.0)))

    @property
    def guard_ps(self) -> int:
        """How far before its laser pulse a detection can be time-stamped (jitter, negative delays)."""
        return int(math.ceil(JITTER_CLIP_SIGMA * self.jitter_sigma_ps)) + int(
            math.ceil(max(0.0, -min(self.delays_ps)))
        )

    def pixel_edges_ev(self) -> list[float]:
        """Energy edges of the ``n_pixels`` pixels (eV, increasing)."""
        w = self.pixel_width_mev * 1e-3
        lo = self.spectro_center_ev - 0.5 * self.n_pixels * w
        return [lo + i * w for i in range(self.n_pixels + 1)]

    def pixel_energy_ev(self) -> list[float]:
        """Centre energy of each pixel (eV)."""
        e = self.pixel_edges_ev()
        return [0.5 * (a + b) for a, b in zip(e[:-1], e[1:], strict=True)]

    # ---- checks ---------------------------------------------------------------------------
    def validate(self) -> EmulatorConfig:
        """Raise ValueError naming the first impossible parameter; return self."""

        def need(ok: bool, name: str, why: str) -> None:
            if not ok:
                raise ValueError(f"emulator parameter {name}={getattr(self, name)!r}: {why}")

        need(self.excitation in ("pulsed", "cw"), "excitation", 'must be "pulsed" or "cw"')
        need(self.mode in ("hbt", "spectro"), "mode", 'must be "hbt" or "spectro"')
        need(self.records in ("t3", "t2"), "records", 'must be "t3" or "t2"')
        need(self.blinking in ("none", "exponential", "powerlaw"), "blinking",
             'must be "none", "exponential" or "powerlaw"')
        for name in ("rep_rate_hz", "tau_x_ns", "tau_bx_ns", "energy_x_ev", "on_mean_ms", "off_mean_ms",
                     "grey_mean_ms", "dwell_min_us", "dwell_max_s", "pixel_width_mev", "spectro_center_ev",
                     "afterpulse_tau_ns", "crosstalk_delay_ps"):
            v = getattr(self, name)
            need(math.isfinite(v) and v > 0, name, "must be a finite number > 0")
        for name in ("power", "linewidth_x_mev", "linewidth_bx_mev", "urbach_mev", "background_cps",
                     "dark_cps", "jitter_fwhm_ps", "jitter_tail_ps", "dead_time_ns"):
            v = getattr(self, name)
            need(math.isfinite(v) and v >= 0, name, "must be a finite number >= 0")
        for name in ("qy_x", "qy_ratio", "grey_probability", "off_qy_factor", "grey_qy_factor",
                     "collection_efficiency", "split_ratio", "detector_efficiency", "jitter_tail_fraction",
                     "crosstalk_probability"):
            v = getattr(self, name)
            need(0.0 <= v <= 1.0, name, "must lie in [0, 1]")
        mp = self.marker_period_s
        need(math.isfinite(mp) and (mp == 0 or mp >= 1e-9), "marker_period_s",
             "must be 0 (no frame markers) or a period of at least 1 ns")
        need(0.0 < self.marker_duty < 1.0, "marker_duty", "must lie in (0, 1)")
        need(0.0 <= self.afterpulse_probability < 1.0, "afterpulse_probability", "must lie in [0, 1)")
        need(math.isfinite(self.binding_bx_mev), "binding_bx_mev", "must be finite")
        need(self.alpha_on > 0 and self.alpha_off > 0, "alpha_on" if self.alpha_on <= 0 else "alpha_off",
             "power-law exponents must be > 0")
        need(self.dwell_max_s * 1e6 > self.dwell_min_us, "dwell_max_s", "must exceed dwell_min_us")
        need(1e12 / self.rep_rate_hz >= 1000, "rep_rate_hz", "period must be at least 1 ns")
        need(isinstance(self.n_pixels, int) and 1 <= self.n_pixels <= MAX_PIXELS, "n_pixels",
             f"must be an integer in 1..{MAX_PIXELS}")
        need(isinstance(self.sync_divider, int) and self.sync_divider >= 1, "sync_divider",
             "must be an integer >= 1")
        need(len(self.detector_delay_ps) in (0, self.n_detectors), "detector_delay_ps",
             f"needs {self.n_detectors} values (one per detector) or none")
        need(all(math.isfinite(d) and abs(d) < 1e9 for d in self.detector_delay_ps), "detector_delay_ps",
             "delays must be finite and below 1 ms")
        sc = self.sync_ch
        if sc is not None:
            need(0 <= sc <= MAX_CHANNEL, "sync_channel", f"must lie in 0..{MAX_CHANNEL}")
            need(sc >= self.n_detectors, "sync_channel",
                 f"collides with detector channels 0..{self.n_detectors - 1}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every parameter."""
        d = asdict(self)
        d["detector_delay_ps"] = list(self.detector_delay_ps)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EmulatorConfig:
        """An EmulatorConfig from ``to_dict`` output (unknown names refused)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown emulator parameter(s): {', '.join(unknown)}")
        d = dict(d)
        if "detector_delay_ps" in d:
            d["detector_delay_ps"] = tuple(d["detector_delay_ps"])
        return cls(**d)


# Units and one-line meanings, used by the CLI help and the docs table.
PARAMETER_UNITS: dict[str, str] = {
    "rep_rate_hz": "Hz", "power": "P/P_sat", "tau_x_ns": "ns", "tau_bx_ns": "ns", "qy_x": "1",
    "qy_ratio": "1", "energy_x_ev": "eV", "binding_bx_mev": "meV", "linewidth_x_mev": "meV",
    "linewidth_bx_mev": "meV", "urbach_mev": "meV", "on_mean_ms": "ms", "off_mean_ms": "ms",
    "grey_mean_ms": "ms", "alpha_on": "1", "alpha_off": "1", "dwell_min_us": "us", "dwell_max_s": "s",
    "grey_probability": "1", "off_qy_factor": "1", "grey_qy_factor": "1", "collection_efficiency": "1",
    "split_ratio": "1", "n_pixels": "1", "spectro_center_ev": "eV", "pixel_width_mev": "meV",
    "background_cps": "1/s", "detector_efficiency": "1", "dark_cps": "1/s", "jitter_fwhm_ps": "ps",
    "jitter_tail_fraction": "1", "jitter_tail_ps": "ps", "dead_time_ns": "ns", "afterpulse_probability": "1",
    "afterpulse_tau_ns": "ns", "crosstalk_probability": "1", "crosstalk_delay_ps": "ps",
    "detector_delay_ps": "ps", "sync_channel": "channel", "sync_divider": "1",
    "marker_period_s": "s", "marker_duty": "1",
}
