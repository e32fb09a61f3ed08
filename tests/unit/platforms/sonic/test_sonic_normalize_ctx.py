"""Per-port views of switch-wide tables: built once per switch, with what a per-port scan gave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.errors import ParseError
from agent.platforms.sonic import normalize_ctx
from agent.platforms.sonic.gather import gather
from agent.platforms.sonic.normalize import normalize

from .sonic_fake_switch import FakeSonic

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"


@pytest.fixture
def table_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often normalize asked Ctx.table for each CONFIG_DB table."""
    reads: dict[str, int] = {}
    original = normalize_ctx.Ctx.table

    def counted(self: normalize_ctx.Ctx, name: str) -> normalize_ctx.Table:
        reads[name] = reads.get(name, 0) + 1
        return original(self, name)

    monkeypatch.setattr(normalize_ctx.Ctx, "table", counted)
    return reads


def test_pg_and_vlan_tables_are_walked_once_per_switch_not_per_port(
    switch: FakeSonic, table_reads: dict[str, int]
) -> None:
    switch.config.update(json.loads((FIXTURES / "config_db_vlan_tables.json").read_text()))
    state = normalize(gather(switch))
    assert len(state.ports) > 1
    assert table_reads["BUFFER_PG"] == 1  # was once per port: quadratic in the ports
    assert table_reads["VLAN_MEMBER"] == 1  # was twice per port
    assert state.ports["Ethernet8"].vlans == [100, 200]


def test_configured_and_programmed_pgs_per_port(switch: FakeSonic) -> None:
    switch.config["BUFFER_PG"]["Ethernet4|5"] = {"profile": "ingress_lossy_profile"}
    state = normalize(gather(switch))
    keys = {g.key: g.configured_profile for g in state.ports["Ethernet4"].priority_groups}
    assert keys["5"] == "ingress_lossy_profile"
    assert "5" not in {g.key for g in state.ports["Ethernet0"].priority_groups}


def test_a_pg_key_without_its_pg_part_naming_a_port_is_a_parse_error(switch: FakeSonic) -> None:
    switch.config["BUFFER_PG"]["Ethernet0"] = {"profile": "ingress_lossy_profile"}
    with pytest.raises(ParseError, match=r"BUFFER_PG key 'Ethernet0' has no priority-group part"):
        normalize(gather(switch))


def test_a_pg_key_naming_no_port_is_ignored(switch: FakeSonic) -> None:
    switch.config["BUFFER_PG"]["stray"] = {"profile": "ingress_lossy_profile"}
    assert normalize(gather(switch)).ports["Ethernet0"].priority_groups
