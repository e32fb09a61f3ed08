"""The headroom math against SONiC's own buffer_headroom_mellanox.lua.

1. The test-side oracle (lua_oracle.py) equals every Spectrum/sonic-vs row of real-sonic/headroom/
   lua_headroom.csv (outputs of the unmodified script): it is then trusted as an independent oracle.
2. The product (API `headroom_setup(platform=...)` and the `policy headroom --platform` CLI) equals
   the same real rows.
3. A larger table generated here from the oracle, with the ASIC figures of the shared asic_table.csv:
   every platform, every speed and lane kind its ports support, cables 1-1000 m, four MTUs, with and
   without gearbox; the product must equal it everywhere.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.policy.headroom_setup import headroom_setup
from agent.policy.platforms import platform_table
from tests.shared_data import real_sonic
from tests.unit.policy.lua_oracle import CsvAsic, lua, read_asic_csv

runner = CliRunner()
#: lua_headroom.csv's platform labels -> SONiC platform strings (tofino2 runs the barefoot script: not ours).
LABELS = {
    "vs-kvm": "x86_64-kvm_x86_64-r0",
    "spectrum1-msn2700": "x86_64-mlnx_msn2700-r0",
    "spectrum2-msn3700": "x86_64-mlnx_msn3700-r0",
    "spectrum2-msn3800": "x86_64-mlnx_msn3800-r0",
    "spectrum3-msn4600c": "x86_64-mlnx_msn4600c-r0",
    "spectrum3-msn4700": "x86_64-mlnx_msn4700-r0",
    "spectrum4-sn5600": "x86_64-nvidia_sn5600-r0",
    "spectrum5-sn5640": "x86_64-nvidia_sn5640-r0",
    "spectrum6-sn6600_ld": "x86_64-nvidia_sn6600_ld-r0",
}
Row = tuple[str, int, int, int, float, int, tuple[int, int, int]]


@lru_cache(maxsize=1)
def lua_rows() -> list[Row]:
    rows: list[Row] = []
    with real_sonic("headroom", "lua_headroom.csv").open(newline="") as fh:
        for r in csv.DictReader(fh):
            if r["platform"] in LABELS:
                want = (int(r["xon"]), int(r["xoff"]), int(r["size"]))
                rows.append((LABELS[r["platform"]], int(r["speed_mbps"]), int(r["cable_m"]), int(r["port_mtu"]),
                             float(r["gearbox_ns"]), int(r["lanes"]), want))  # fmt: skip
    return rows


@lru_cache(maxsize=1)
def shared_asics() -> dict[str, CsvAsic]:
    return read_asic_csv(real_sonic("asic", "asic_table.csv"))


def test_real_rows_cover_every_spectrum_generation_and_vs() -> None:
    rows = lua_rows()
    assert len(rows) == 1104  # 1,232 minus tofino2's 128
    assert {shared_asics()[r[0]].key for r in rows} == {
        "VS-ASIC", "MELLANOX-SPECTRUM", "MELLANOX-SPECTRUM-2", "MELLANOX-SPECTRUM-3",
        "MELLANOX-SPECTRUM-4", "MELLANOX-SPECTRUM-5", "MELLANOX-SPECTRUM-6",
    }  # fmt: skip
    assert {r[5] for r in rows} >= {4, 8}
    assert {r[4] for r in rows} == {0, 400}


def test_oracle_equals_the_real_lua_on_every_row() -> None:
    asics = shared_asics()
    misses = [r for r in lua_rows() if lua(asics[r[0]], r[1], r[2], r[3], r[4], r[5]) != r[6]]
    assert misses == []


def test_api_equals_the_real_lua_on_every_row() -> None:
    misses = []
    for platform, speed, cable, mtu, gearbox, lanes, want in lua_rows():
        setup = headroom_setup(platform=platform, gearbox_delay_ns=gearbox)
        got = setup.headroom(speed, cable, mtu, lanes)
        if (got.xon, got.xoff, got.size) != want:
            misses.append((platform, speed, cable, mtu, gearbox, lanes, want, got))
    assert misses == []


def test_cli_equals_the_real_lua() -> None:
    """Every real row at 40 m / MTU 9100 (each platform, speed, lane count, gearbox) through the CLI."""
    misses = []
    for platform, speed, cable, mtu, gearbox, lanes, want in lua_rows():
        if (cable, mtu) != (40, 9100):
            continue
        args = ["policy", "headroom", "--platform", platform, "--speed", str(speed), "--cable", f"{cable}m"]
        args += ["--mtu", str(mtu), "--gearbox-delay", str(gearbox), "--lanes", str(lanes), "--json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        if (doc["xon"], doc["xoff"], doc["size"]) != want:
            misses.append((args, want, doc))
    assert misses == []


def test_generated_table_every_platform_speed_lanes_cable_mtu_gearbox() -> None:
    """Product == oracle on every combination a platform supports (platforms with identical inputs once)."""
    asics = shared_asics()
    checked = 0
    misses: list[tuple[object, ...]] = []
    distinct = {(s.asic.key, s.speeds, s.speeds_8_lanes, s.gearbox): s for s in platform_table().platforms.values()}
    assert len(distinct) >= 15
    for spec in distinct.values():
        name = spec.name
        oracle_asic = asics[name]
        kinds = [(s, 4) for s in sorted(spec.speeds or ())] + [(s, 8) for s in sorted(spec.speeds_8_lanes)]
        if spec.speeds is None:  # no port data: any speed, either lane kind
            kinds = [(s, lanes) for s in (10_000, 25_000, 100_000, 400_000, 800_000) for lanes in (4, 8)]
        for gearbox in sorted({0.0, spec.gearbox_delay_ns, 400.0}):
            setup = headroom_setup(platform=name, gearbox_delay_ns=gearbox)
            for speed, lanes in kinds:
                for mtu in (1500, 4096, 9100, 9216):
                    for cable in range(1, 1001):
                        got = setup.headroom(speed, cable, mtu, lanes)
                        want = lua(oracle_asic, speed, cable, mtu, gearbox, lanes)
                        checked += 1
                        if (got.xon, got.xoff, got.size) != want:
                            misses.append((name, speed, cable, mtu, gearbox, lanes, want, got))
    assert misses[:5] == []
    assert checked > 500_000


@pytest.mark.parametrize("small", [0, 25, 50, 75, 100])
@pytest.mark.parametrize("shp", [False, True])
def test_traffic_pattern_and_shared_pool_inputs(small: int, shp: bool) -> None:
    asics = shared_asics()
    for name in ("x86_64-nvidia_sn5600-r0", "x86_64-mlnx_msn2700-r0", "x86_64-nvidia_sn6600_ld-r0"):
        setup = headroom_setup(platform=name, small_packet_percentage=small, over_subscribe_ratio=2 if shp else 0)
        for cable in (1, 5, 40, 300, 1000):
            got = setup.headroom(400_000 if "sn5600" in name else 100_000, cable, 9100, 8 if "sn5600" in name else 4)
            want = lua(asics[name], 400_000 if "sn5600" in name else 100_000, cable, 9100, setup.gearbox_delay_ns,
                       8 if "sn5600" in name else 4, small=small, shp=shp)  # fmt: skip
            assert (got.xon, got.xoff, got.size) == want
