"""Gather (2 round trips, marker-cut) and normalize into DeviceState."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.errors import ParseError
from agent.platforms.sonic.gather import SonicRaw, gather, split_sections, state_commands
from agent.platforms.sonic.normalize import normalize
from agent.state import TrustMode

from .sonic_fake_switch import FakeSonic

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"


def test_gather_is_two_round_trips(switch: FakeSonic) -> None:
    gather(switch)
    assert switch.round_trips == 2


def test_state_read_predicts_appl_db_keys_from_config_db(switch: FakeSonic) -> None:
    switch.config["CABLE_LENGTH"]["AZURE"]["Ethernet0"] = "5m"
    cmds = dict(state_commands(switch.config))
    assert "appl_pg Ethernet0:3-4" in cmds
    assert "appl_profile pg_lossless_400000_5m_profile" in cmds
    assert cmds["appl_pg Ethernet0:3-4"] == "sonic-db-cli APPL_DB hgetall BUFFER_PG_TABLE:Ethernet0:3-4"
    assert cmds["appl_pg_keys"] == "sonic-db-cli APPL_DB keys 'BUFFER_PG_TABLE:*'"


def test_dynamic_model_profile_names_include_a_non_default_mtu(switch: FakeSonic) -> None:
    switch.config["CABLE_LENGTH"]["AZURE"]["Ethernet0"] = "40m"
    switch.config["PORT"]["Ethernet0"]["mtu"] = "4200"
    names = {name for name, _ in state_commands(switch.config, ["Ethernet0"])}
    assert "appl_profile pg_lossless_400000_40m_profile" in names
    assert "appl_profile pg_lossless_400000_40m_mtu4200_profile" in names


def test_normalize_default_sonic(switch: FakeSonic) -> None:
    switch.config["CABLE_LENGTH"]["AZURE"]["Ethernet0"] = "5m"
    switch.one("config save -y")
    state = normalize(gather(switch))
    port = state.ports["Ethernet0"]
    assert state.buffer_model == "traditional"
    assert state.os_version == "SONiC.202511.0-roce-twin"
    assert (port.speed_mbps, port.mtu, port.cable_m, port.oper_up) == (400000, 9100, 5, True)
    assert state.ports["Ethernet12"].oper_up is False
    assert port.trust is TrustMode.dscp
    assert port.dscp_to_priority[26] == 1  # the AZURE trap: RoCE's DSCP lands in lossy TC 1
    assert port.lossless_priorities == [3, 4]
    assert port.priority_to_pg[3] == 3
    pg = next(g for g in port.priority_groups if g.key == "3-4")
    assert pg.priorities == [3, 4]
    assert pg.configured_profile is None  # buffermgrd writes it; the fake keeps it in APPL_DB only
    assert pg.programmed is not None
    assert (pg.programmed.name, pg.programmed.xoff) == ("pg_lossless_400000_5m_profile", 81920)
    assert not any(g.programmed for g in state.ports["Ethernet4"].priority_groups if g.key == "3-4")  # 0m cable
    q3 = port.queues[3]
    assert q3.ecn is not None
    assert (q3.ecn.enabled, q3.ecn.min_threshold, q3.ecn.probability, q3.ecn.mode) == (True, 1048576, 5, "ecn_all")
    assert q3.scheduler is not None
    assert (q3.scheduler.type, q3.scheduler.weight) == ("dwrr", 15)
    assert port.watchdog is not None
    assert (port.watchdog.present, port.watchdog.detection_time, port.watchdog.priorities) == (True, 200, [3, 4])
    assert state.watchdog_poll_interval == 200
    assert state.default_pfcwd_status == "enable"
    assert state.config_saved is True
    assert state.buffer_pool_sizes["ingress_lossless_pool"] == 12766208
    assert port.max_headroom_size == 1048576
    assert port.vlans == []


def test_counters_come_from_the_state_read(switch: FakeSonic) -> None:
    counters = normalize(gather(switch)).ports["Ethernet0"].counters
    assert counters is not None
    assert counters.pfc_rx[3] == 203
    assert counters.pfc_tx[0] == 1210
    assert counters.queue_drops[3] == 19
    assert counters.ecn_marked[3] == 1234


def test_abnf_and_plain_references_normalize_identically() -> None:
    plain = normalize(gather(FakeSonic())).ports["Ethernet0"]
    old_cfg = json.loads((FIXTURES / "config_db_leaf1_abnf_refs.json").read_text())
    old = normalize(gather(FakeSonic(config=old_cfg))).ports["Ethernet0"]
    assert old.dscp_to_priority == plain.dscp_to_priority
    assert old.priority_to_queue == plain.priority_to_queue
    assert old.queues[3] == plain.queues[3]
    assert [g.configured_profile for g in old.priority_groups] == [g.configured_profile for g in plain.priority_groups]


def test_unsaved_change_is_reported(switch: FakeSonic) -> None:
    switch.config["PORT"]["Ethernet0"]["mtu"] = "9000"
    assert normalize(gather(switch)).config_saved is False


def test_malformed_cable_length_is_a_parse_error(switch: FakeSonic) -> None:
    switch.config["CABLE_LENGTH"]["AZURE"]["Ethernet0"] = "five metres"
    with pytest.raises(ParseError, match=r"leaf1.*CABLE_LENGTH Ethernet0"):
        normalize(gather(switch))


class _Broken(FakeSonic):
    """No redis-cli, and sonic-cfggen crashes (in the first line's fallback and when run alone)."""

    def one(self, cmd: str) -> tuple[str, int]:
        if cmd.strip() == "sonic-cfggen -d --print-data":
            return "Traceback (most recent call last):\nredis.exceptions.ConnectionError\n", 0
        return super().one(cmd)


def test_config_db_that_is_not_json_names_device_and_command() -> None:
    with pytest.raises(ParseError) as exc:
        gather(_Broken())
    assert str(exc.value).startswith("leaf1: sonic-cfggen -d --print-data: expected a JSON object")


def test_truncated_state_read_is_a_parse_error() -> None:
    cmds = [("interfaces", "show interfaces status"), ("pfc_counters", "show pfc counters")]
    text = "@@ROCE-ab@@ interfaces\n  Interface ...\n"
    with pytest.raises(ParseError, match="pfc_counters"):
        split_sections("leaf1", text, cmds, "ab")


def test_a_read_the_switch_refused_outright_quotes_what_it_said() -> None:
    """No marker at all: the line never ran (a wrapper or sudo refused it); the reason is the switch's own."""
    cmds = [("interfaces", "show interfaces status"), ("pfc_counters", "show pfc counters")]
    text = "\nError: cannot open /etc/sonic/config_db.json: Permission denied\nmore\n"
    with pytest.raises(ParseError) as exc:
        split_sections("leaf1", text, cmds, "ab")
    assert str(exc.value) == (
        "leaf1: state read: the switch did not run the batched read; it answered: "
        "Error: cannot open /etc/sonic/config_db.json: Permission denied"
    )


def test_markers_with_another_nonce_are_ordinary_output() -> None:
    cmds = [("saved_config", "cat x")]
    text = "@@ROCE-ab@@ saved_config\n@@ROCE-zz@@ END\n{}\n@@ROCE-ab@@ END\n"
    sections = split_sections("leaf1", text, cmds, "ab")
    assert sections["saved_config"].output == "@@ROCE-zz@@ END\n{}\n"


def test_snapshot_round_trip(switch: FakeSonic) -> None:
    raw = gather(switch)
    again = SonicRaw.from_json(json.loads(json.dumps(raw.to_json())))
    assert normalize(again) == normalize(raw)


def test_vlan_membership_comes_from_config_db_vlan_member(switch: FakeSonic) -> None:
    switch.config.update(json.loads((FIXTURES / "config_db_vlan_tables.json").read_text()))
    state = normalize(gather(switch))
    assert switch.round_trips == 2  # VLAN_MEMBER is in the CONFIG_DB dump, no extra read
    assert state.ports["Ethernet0"].vlans == [100]
    assert state.ports["Ethernet8"].vlans == [100, 200]
    assert state.ports["Ethernet4"].vlans == []  # routed


def test_max_headroom_size_is_read_in_the_batched_state_read(switch: FakeSonic) -> None:
    switch.state_db["BUFFER_MAX_PARAM_TABLE|Ethernet8"] = {"max_headroom_size": "122880"}
    state = normalize(gather(switch, ["Ethernet0", "Ethernet8"]))
    assert switch.round_trips == 2
    assert switch.history[1].count("BUFFER_MAX_PARAM_TABLE|") == 2
    assert state.ports["Ethernet0"].max_headroom_size == 1048576
    assert state.ports["Ethernet8"].max_headroom_size == 122880


def test_absent_max_headroom_size_is_none_not_a_default(switch: FakeSonic) -> None:
    switch.state_db.clear()  # traditional model / older image: STATE_DB has no BUFFER_MAX_PARAM_TABLE
    state = normalize(gather(switch, ["Ethernet0"]))
    assert state.ports["Ethernet0"].max_headroom_size is None


def test_malformed_max_headroom_size_is_a_parse_error(switch: FakeSonic) -> None:
    switch.state_db["BUFFER_MAX_PARAM_TABLE|Ethernet0"] = {"max_headroom_size": "lots"}
    with pytest.raises(ParseError, match=r"leaf1.*BUFFER_MAX_PARAM_TABLE\|Ethernet0"):
        normalize(gather(switch, ["Ethernet0"]))
