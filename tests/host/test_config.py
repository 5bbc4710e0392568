# SPDX-License-Identifier: BSD-3-Clause
"""Config: impossible settings refused naming the field, device limits, JSON round trip."""

from __future__ import annotations

import json

import pytest
from g2live.config import Config, ConfigError, DeviceCaps
from hypothesis import given, settings
from hypothesis import strategies as st

HW = DeviceCaps(
    "verilator", n_channels=9, n_pairs=4, n_bins_log2=12, max_photons=8, clk_period_ps=4000, hardware=True
)


@pytest.mark.parametrize(
    ("changes", "field", "why"),
    [
        ({"bin_width_ps": 0}, "bin_width_ps", "below the minimum"),
        ({"bin_width_ps": 1.5}, "bin_width_ps", "integer"),
        ({"n_bins": -4}, "n_bins", "below"),
        ({"channels": []}, "channels", "at least one"),
        ({"channels": [0, 0, 8]}, "channels", "duplicate"),
        ({"channels": [0, 64]}, "channels[1]", "above"),
        ({"pairs": []}, "pairs", "non-empty"),
        ({"pairs": [[0, 3]]}, "pairs[0]", "not enabled"),
        ({"pairs": [[0]]}, "pairs[0]", "[a, b]"),
        ({"pairs": [[0, 1]] * 9}, "pairs", "at most 8"),
        ({"sync_channel": 5}, "sync_channel", "not enabled"),
        ({"integration_s": 0}, "integration_s", "outside"),
        ({"integration_s": float("nan")}, "integration_s", "outside"),
        ({"integration_s": "1"}, "integration_s", "number"),
        ({"dead_time_ps": -1}, "dead_time_ps", "below"),
        ({"dead_time_ps": {"x": 5}}, "dead_time_ps['x']", "channel"),
        ({"delay_ps": {"1": 2**31}}, "delay_ps[1]", "above"),
        ({"max_photons": 0}, "max_photons", "below"),
        ({"offset_ps": 2**40}, "offset_ps", "above"),
        ({"raw_tags": 1}, "raw_tags", "true or false"),
        ({"analysis_pair": 1}, "analysis_pair", "above"),
        ({"rep_rate_hz": -1.0}, "rep_rate_hz", "positive"),
        ({"colour": "red"}, "colour", "unknown setting"),
    ],
)
def test_refused_with_field(changes: dict, field: str, why: str) -> None:
    with pytest.raises(ConfigError) as exc:
        Config().updated(**changes)
    assert exc.value.field == field
    assert why in str(exc.value)
    assert str(exc.value).startswith(field)


def test_hardware_limits() -> None:
    Config(bin_width_ps=1024, n_bins=4096).check_device(HW)
    with pytest.raises(ConfigError, match="power of two") as exc:
        Config(bin_width_ps=1000).check_device(HW)
    assert exc.value.field == "bin_width_ps" and "512 or 1024" in str(exc.value)
    Config(bin_width_ps=1000).check_device(DeviceCaps("sim"))  # the C twins take any width
    for changes, field in [
        ({"n_bins": 3000}, "n_bins"),
        ({"n_bins": 8192}, "n_bins"),
        ({"channels": [0, 1, 8, 9]}, "channels"),
        ({"max_photons": 9}, "max_photons"),
        ({"pairs": [[0, 1]] * 5}, "pairs"),
        ({"integration_s": 30.0}, "integration_s"),
    ]:
        with pytest.raises(ConfigError) as exc:
            Config().updated(**changes).check_device(HW)
        assert exc.value.field == field


# PYNQ-Z2: 8 ns clock, two chains of 143 CARRY4 per input (143 x 114 ps + 8 ns = 24.3 ns low needed)
BOARD = DeviceCaps("pynq", n_channels=9, n_pairs=4, n_bins_log2=12, max_photons=15, clk_period_ps=8000,
                   hardware=True, sync_input=8, tdc_min_low_ps=143 * 114 + 8000)


@pytest.mark.parametrize(("changes", "ok"), [
    ({"sync_divider": 2}, False),                      # 12.5 ns low at 80 MHz (no rep_rate_hz)
    ({"sync_divider": 4}, True),                       # 25 ns low at 80 MHz
    ({"sync_divider": 2, "rep_rate_hz": 20e6}, True),  # 50 ns low
    ({"sync_divider": 4, "rep_rate_hz": 100e6}, False),
    ({"sync_divider": 1, "rep_rate_hz": 80e6}, False),  # raw 12.5 ns period
    ({"sync_divider": 1, "rep_rate_hz": 20e6}, True),
    ({"sync_divider": 1}, True),                       # pulse shape unknown: the TDC counts losses
])
def test_sync_divider_the_board_tdc_can_take(changes: dict, ok: bool) -> None:
    cfg = Config().updated(**changes)
    if ok:
        cfg.check_device(BOARD)
        return
    with pytest.raises(ConfigError) as exc:
        cfg.check_device(BOARD)
    assert exc.value.field == "sync_divider" and "24.3 ns low" in str(exc.value)
    assert "use sync_divider >= 4" in str(exc.value) or "use sync_divider >= 8" in str(exc.value)
    zero_time = DeviceCaps("verilator", n_channels=9, clk_period_ps=8000, hardware=True, sync_input=8)
    cfg.check_device(zero_time)  # the zero-time line of the simulation takes any


def test_json_round_trip(tmp_path) -> None:
    cfg = Config(
        channels=(0, 1, 2, 8),
        delay_ps={1: -2500, 2: 300},
        dead_time_ps={0: 22000},
        bin_width_ps=256,
        n_bins=1024,
        offset_ps=-1000,
        pairs=((0, 1), (0, 2), (1, 1)),
        sync_channel=8,
        integration_s=0.25,
        pulsed_window_ps=50000,
        max_photons=6,
        raw_tags=True,
        rep_rate_hz=8e7,
    )
    text = cfg.to_json()
    assert json.loads(text)["delay_ps"] == {"1": -2500, "2": 300}
    assert Config.from_json(text) == cfg
    path = tmp_path / "settings.json"
    path.write_text(text)
    assert Config.load(path) == cfg
    path.write_text('{"n_bins": "many"}')
    with pytest.raises(ConfigError, match=f"n_bins: .*in {path}"):
        Config.load(path)
    with pytest.raises(ConfigError, match="not valid JSON"):
        Config.from_json("{")


@settings(max_examples=60, deadline=None)
@given(
    chans=st.sets(st.integers(0, 63), min_size=2, max_size=8),
    bw=st.integers(1, 2**20),
    nb=st.integers(1, 1 << 16),
    off=st.integers(-(2**31) + 1, 2**31 - 1),
    integ=st.floats(1e-3, 60),
    dead=st.integers(0, 2**32 - 1),
)
def test_round_trip_property(chans: set, bw: int, nb: int, off: int, integ: float, dead: int) -> None:
    ch = sorted(chans)
    cfg = Config(
        channels=tuple(ch),
        pairs=((ch[0], ch[1]),),
        sync_channel=None,
        bin_width_ps=bw,
        n_bins=nb,
        offset_ps=off,
        integration_s=integ,
        dead_time_ps=dead,
    )
    assert Config.from_json(cfg.to_json()) == cfg
    assert cfg.lo_ps == off - (nb // 2) * bw


def test_tdc_min_low_time_from_tdc_sizes() -> None:
    from g2live import contract as C
    from g2live.device.hw import tdc_min_low_ps

    f = C.REGISTERS["TDC_SIZES"].fields
    board = f["n_taps"].put(1144) | f["n_chains"].put(2) | f["line"].put(1) | f["latency"].put(10)
    assert tdc_min_low_ps({C.REG_TDC_SIZES: board}.__getitem__, 8000) == 143 * 114 + 8000
    zero_time = f["n_taps"].put(1144) | f["n_chains"].put(2) | f["line"].put(0)
    assert tdc_min_low_ps({C.REG_TDC_SIZES: zero_time}.__getitem__, 8000) is None
