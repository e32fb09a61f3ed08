"""agent/policy/platforms.yaml against real-sonic/asic/asic_table.csv: every platform, every figure."""

from __future__ import annotations

import pytest

from agent.policy.platforms import lane_count, platform_spec, platform_table
from tests.shared_data import real_sonic
from tests.unit.policy.lua_oracle import read_asic_csv


def test_every_platform_of_the_shared_table_is_in_the_product_table_with_the_same_figures() -> None:
    shared = read_asic_csv(real_sonic("asic", "asic_table.csv"))
    table = platform_table()
    assert set(table.platforms) == set(shared)
    for name, row in shared.items():
        spec = table.platform(name)
        assert spec.asic.key == row.key, name
        assert spec.asic.cell_size == int(row.cell_size), name
        assert spec.asic.pipeline_latency_kb == float(row.pipeline_latency), name
        assert spec.asic.mac_phy_delay_kb == float(row.mac_phy_delay), name
        assert spec.asic.peer_response_time_kb == float(row.peer_response_time), name
        assert spec.gearbox_delay_ns == float(row.gearbox_delay or 0), name
        assert spec.speeds_8_lanes == {int(s) for s in row.speeds_on_8_lane_ports.split()}, name


def test_gearbox_and_8_lane_facts_the_issue_names() -> None:
    assert platform_spec("x86_64-mlnx_msn3800-r0").gearbox_delay_ns == 400
    sn4700 = platform_spec("x86_64-mlnx_msn4700-r0")
    assert sn4700.lane_choices(400_000) == (True,)  # 400G only on 8 lanes
    assert sn4700.lane_choices(100_000) == (False, True)
    assert platform_spec("x86_64-nvidia_sn5600-r0").lane_choices(800_000) == (True,)
    assert platform_spec("x86_64-nvidia_sn6600_ld-r0").asic.generation == 6
    assert platform_spec("x86_64-kvm_x86_64-r0").asic.generation is None  # VS-ASIC: no tile, no Spectrum-6 extra


def test_unknown_platform_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown platform 'x86_64-nvidia_sn9999-r0'; known: x86_64-kvm"):
        platform_spec("x86_64-nvidia_sn9999-r0")


@pytest.mark.parametrize(
    ("field", "count"),
    [("0,1,2,3,4,5,6,7", 8), ("25,26,27,28", 4), ("0", 1), ("", None), (None, None), (["1", "2"], 2)],
)
def test_lane_count_like_buffermgrd(field: object, count: int | None) -> None:
    assert lane_count(field) == count
