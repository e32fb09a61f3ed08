"""Counters and the PFC watchdog: deterministic, monotonic, consistent with the configuration."""

from __future__ import annotations

import ast
import json
import re

from sonic_twin_helpers import leaf, ok, patch, start_watchdog

from rocelab.sonic import SonicTwin


def queue_row(twin: SonicTwin, port: str, q: int) -> dict[str, str]:
    oid = ok(twin, f"sonic-db-cli COUNTERS_DB hget COUNTERS_QUEUE_NAME_MAP {port}:{q}").strip()
    row: dict[str, str] = ast.literal_eval(ok(twin, f"sonic-db-cli COUNTERS_DB hgetall COUNTERS:{oid}"))
    return row


def port_row(twin: SonicTwin, port: str) -> dict[str, str]:
    oid = ok(twin, f"sonic-db-cli COUNTERS_DB hget COUNTERS_PORT_NAME_MAP {port}").strip()
    row: dict[str, str] = ast.literal_eval(ok(twin, f"sonic-db-cli COUNTERS_DB hgetall COUNTERS:{oid}"))
    return row


def with_headroom(twin: SonicTwin, port: str = "Ethernet0") -> None:
    res = patch(twin, [{"op": "replace", "path": f"/CABLE_LENGTH/AZURE/{port}", "value": "40m"}])
    assert res.exit_code == 0


def test_idle_twin_counts_nothing() -> None:
    twin = leaf()
    assert set(port_row(twin, "Ethernet0").values()) == {"0"}
    assert queue_row(twin, "Ethernet0", 3)["SAI_QUEUE_STAT_PACKETS"] == "0"


def test_incast_without_headroom_drops_lossless_traffic_and_sends_no_pfc() -> None:
    twin = leaf(sku="Force10-S6000")  # 0m cables: no lossless PG, so no headroom
    twin.set_traffic("Ethernet0", "incast")
    ok(twin, "true")
    row = queue_row(twin, "Ethernet0", 3)
    assert int(row["SAI_QUEUE_STAT_DROPPED_PACKETS"]) > 0
    assert port_row(twin, "Ethernet0")["SAI_PORT_STAT_PFC_3_TX_PKTS"] == "0"


def test_incast_with_headroom_sends_pfc_on_pfc_enabled_priorities_only_and_marks_ecn() -> None:
    twin = leaf()
    with_headroom(twin)
    twin.set_traffic("Ethernet0", "incast")
    ok(twin, "true")
    ports = port_row(twin, "Ethernet0")
    assert int(ports["SAI_PORT_STAT_PFC_3_TX_PKTS"]) > 0
    assert int(ports["SAI_PORT_STAT_PFC_4_TX_PKTS"]) > 0
    assert all(ports[f"SAI_PORT_STAT_PFC_{p}_TX_PKTS"] == "0" for p in (0, 1, 2, 5, 6, 7))
    q3 = queue_row(twin, "Ethernet0", 3)
    assert q3["SAI_QUEUE_STAT_DROPPED_PACKETS"] == "0"
    assert int(q3["SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS"]) > 0
    pg_oid = ok(twin, "sonic-db-cli COUNTERS_DB hget COUNTERS_PG_NAME_MAP Ethernet0:3").strip()
    field = "SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES"
    headroom = int(twin.counters.hget(f"COUNTERS:{pg_oid}", field) or "0")
    xoff = int(twin.config.hget("BUFFER_PROFILE|pg_lossless_400000_40m_profile", "xoff") or "0")
    assert 0 < headroom <= xoff


def test_no_ecn_marks_when_queue_has_no_wred_profile() -> None:
    twin = leaf()
    with_headroom(twin)
    assert patch(twin, [{"op": "remove", "path": "/QUEUE/Ethernet0|3/wred_profile"}]).exit_code == 0
    twin.set_traffic("Ethernet0", "incast")
    ok(twin, "true")
    assert queue_row(twin, "Ethernet0", 3)["SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS"] == "0"
    assert int(queue_row(twin, "Ethernet0", 4)["SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS"]) > 0


def test_counters_only_increase_across_pattern_and_config_changes() -> None:
    twin = leaf()
    with_headroom(twin)
    seen: dict[str, int] = {}
    steps = [
        lambda: twin.set_traffic("Ethernet0", "steady"),
        lambda: twin.set_traffic("Ethernet0", "incast"),
        lambda: ok(twin, "config interface pfc priority Ethernet0 3 off", sudo=True),
        lambda: twin.set_traffic("Ethernet0", "storm"),
        lambda: twin.set_traffic("Ethernet0", "idle"),
    ]
    for step in steps:
        step()
        for _ in range(2):
            now = {**port_row(twin, "Ethernet0"), **queue_row(twin, "Ethernet0", 3)}
            for name, value in now.items():
                if name.startswith(("SAI_", "PFC_WD_QUEUE_STATS")):
                    assert int(value) >= seen.get(name, 0), name
                    seen[name] = int(value)
    assert seen["SAI_QUEUE_STAT_PACKETS"] > 0


def test_same_commands_give_same_counters() -> None:
    outputs = []
    for _ in range(2):
        twin = leaf()
        twin.set_traffic("Ethernet4", "steady")
        outputs.append(ok(twin, "show queue counters Ethernet4; show pfc counters"))
    assert outputs[0] == outputs[1]


def test_debug_storm_moves_queue_to_stormed_then_operational_after_restoration() -> None:
    twin = start_watchdog(leaf())
    oid = ok(twin, "redis-cli -n 2 hget COUNTERS_QUEUE_NAME_MAP Ethernet0:3").strip().strip('"')
    assert ok(twin, f"redis-cli -n 2 hset COUNTERS:{oid} DEBUG_STORM enabled") == "(integer) 1\n"
    assert queue_row(twin, "Ethernet0", 3)["PFC_WD_STATUS"] == "stormed"  # 200 ms = 2 ticks have passed
    assert ok(twin, "pfcwd show stats").splitlines()[2].split()[:3] == ["Ethernet0:3", "stormed", "1/0"]
    assert ok(twin, "sonic-db-cli APPL_DB hgetall PFC_WD_TABLE_INSTORM:Ethernet0") == "{'3': 'storm'}\n"
    ok(twin, f"sonic-db-cli COUNTERS_DB hset COUNTERS:{oid} DEBUG_STORM disabled")
    ok(twin, "true")
    row = queue_row(twin, "Ethernet0", 3)
    assert row["PFC_WD_STATUS"] == "operational"
    assert (row["PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED"], row["PFC_WD_QUEUE_STATS_DEADLOCK_RESTORED"]) == ("1", "1")


def test_storm_traffic_on_port_without_watchdog_is_not_detected() -> None:
    twin = start_watchdog(leaf(cabled=1))  # Ethernet4 has no PFC_WD row
    twin.set_traffic("Ethernet4", "storm")
    ok(twin, "sleep 1")
    assert "PFC_WD_STATUS" not in queue_row(twin, "Ethernet4", 3)
    assert int(port_row(twin, "Ethernet4")["SAI_PORT_STAT_PFC_3_RX_PKTS"]) > 0
    twin.set_traffic("Ethernet0", "storm")
    ok(twin, "sleep 1")
    assert queue_row(twin, "Ethernet0", 4)["PFC_WD_STATUS"] == "stormed"


def test_watchdog_follows_pfcwd_sw_enable() -> None:
    twin = start_watchdog(leaf())
    res = patch(twin, [{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfcwd_sw_enable", "value": "3"}])
    assert res.exit_code == 0
    twin.set_traffic("Ethernet0", "storm")
    ok(twin, "sleep 1")
    assert queue_row(twin, "Ethernet0", 3)["PFC_WD_STATUS"] == "stormed"
    assert "PFC_WD_STATUS" not in queue_row(twin, "Ethernet0", 4)


def test_asic_db_pfc_bitmask_drops_stormed_priority_and_wred_follows_config() -> None:
    twin = start_watchdog(leaf())
    oid = ok(twin, "sonic-db-cli COUNTERS_DB hget COUNTERS_PORT_NAME_MAP Ethernet0").strip()
    key = f"ASIC_STATE:SAI_OBJECT_TYPE_PORT:{oid}"
    assert ok(twin, f"sonic-db-cli ASIC_DB hget {key} SAI_PORT_ATTR_PRIORITY_FLOW_CONTROL") == "24\n"
    assert ok(twin, f"sonic-db-cli ASIC_DB hget {key} SAI_PORT_ATTR_MTU") == "9122\n"
    twin.set_traffic("Ethernet0", "storm")
    ok(twin, "sleep 1")
    assert ok(twin, f"sonic-db-cli ASIC_DB hget {key} SAI_PORT_ATTR_PRIORITY_FLOW_CONTROL") == "0\n"
    op = {"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_min_threshold", "value": "150000"}
    assert patch(twin, [op]).exit_code == 0
    wred_key = ok(twin, "sonic-db-cli ASIC_DB keys '*SAI_OBJECT_TYPE_WRED:*'").strip()
    assert twin.asic.hget(wred_key, "SAI_WRED_ATTR_GREEN_MIN_THRESHOLD") == "150000"
    assert twin.asic.hget(wred_key, "SAI_WRED_ATTR_ECN_MARK_MODE") == "SAI_ECN_MARK_MODE_ALL"


def test_show_logging_has_orchagent_storm_lines_sonic_mgmt_matches() -> None:
    twin = start_watchdog(leaf())
    twin.set_traffic("Ethernet0", "storm")
    ok(twin, "sleep 1")
    twin.set_traffic("Ethernet0", "idle")
    ok(twin, "sleep 1")
    log = ok(twin, "show logging")
    line = r"^Jan 01 00:00:\d\d\.\d{6} leaf1 NOTICE swss#orchagent: .* detected PFC storm .*Ethernet0"
    assert re.search(line, log, re.M)
    assert re.search(r".*storm restored.*queue index 4", log)


def test_sonic_clear_makes_show_print_deltas_while_counters_db_stays_absolute() -> None:
    twin = leaf()
    with_headroom(twin)
    twin.set_traffic("Ethernet0", "incast")
    ok(twin, "sleep 1")
    assert ok(twin, "sonic-clear pfccounters") == "Clear saved PFC counters and history\n"  # pfcstat -c
    ok(twin, "sonic-clear queuecounters")
    twin.set_traffic("Ethernet0", "idle")
    tx_row = ok(twin, "show pfc counters").split("Port Tx")[1].splitlines()[2].split()
    assert tx_row[0] == "Ethernet0"
    assert int(tx_row[4].replace(",", "")) <= 400  # at most the tick between clear and idle
    assert int(port_row(twin, "Ethernet0")["SAI_PORT_STAT_PFC_3_TX_PKTS"]) >= 4000
    queue_json = json.loads(ok(twin, "show queue counters -j Ethernet0"))
    assert int(queue_json["Ethernet0"]["UC3"]["totalpacket"].replace(",", "")) <= 20000


def test_counter_name_maps_are_built_once_per_port_list() -> None:
    """Every key listing reads the maps: they are kept while the port list is the same, rebuilt when not."""
    twin = leaf()
    maps = twin.counters.name_maps()
    assert twin.counters.name_maps() is maps
    assert twin.counters.hgetall("COUNTERS_PORT_NAME_MAP") == maps["COUNTERS_PORT_NAME_MAP"]
    twin.counters.ports = twin.counters.ports[:1]
    assert list(twin.counters.name_maps()["COUNTERS_PORT_NAME_MAP"]) == twin.counters.ports
