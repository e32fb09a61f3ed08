"""The SONiC reader against real SONiC: sonic-utilities' mock tables and the CLI texts its scripts print
for them (real-sonic/mock_tables, real-sonic/cli). Every expected value is looked up in the mock DBs.
"""

from __future__ import annotations

import json

import pytest

from agent.platforms.sonic import parsers as p
from agent.platforms.sonic.fallback import plan_writes
from agent.platforms.sonic.gather import (
    Section,
    SonicRaw,
    candidate_profiles,
    expected_pg_keys,
    parse_config_db,
    pg_ranges,
    state_commands,
)
from agent.platforms.sonic.normalize import normalize
from agent.platforms.sonic.patch import apply_ops, plan_ops
from tests.unit.platforms.sonic.real_sonic_db import (
    cfggen_print_data,
    cli_text,
    mock_db,
    queue_oid,
    queue_stat,
    queue_type,
    raw_config_tables,
)

DEV, CMD = "mock", "cmd"
PORTS = ("Ethernet0", "Ethernet4", "Ethernet8")


# ---- PG keys: contiguous runs like buffermgrd -----------------------------------------------------------


@pytest.mark.parametrize(
    ("prios", "runs"),
    [([3, 4], ["3-4"]), ([3], ["3"]), ([2, 3, 4, 6], ["2-4", "6"]), ([0, 2, 4, 6], ["0", "2", "4", "6"]), ([], [])],
)
def test_pg_ranges_are_contiguous_runs(prios: list[int], runs: list[str]) -> None:
    assert pg_ranges(prios) == runs


def test_pfc_enable_2346_reads_buffermgrd_pg_keys_2_4_and_6() -> None:
    cfg = cfggen_print_data()
    cfg["PORT_QOS_MAP"]["Ethernet0"]["pfc_enable"] = "2,3,4,6"  # the Mellanox t1 remap-enabled pattern
    assert expected_pg_keys(cfg, ["Ethernet0"]) == ["Ethernet0:2-4", "Ethernet0:3-4", "Ethernet0:6"]
    commands = dict(state_commands(cfg, ["Ethernet0"]))
    assert commands["appl_pg Ethernet0:2-4"] == "sonic-db-cli APPL_DB hgetall BUFFER_PG_TABLE:Ethernet0:2-4"
    assert "appl_pg Ethernet0:6" in commands
    assert "appl_pg Ethernet0:2-6" not in commands


# ---- CLI texts -> parsers, values from the mock DBs ------------------------------------------------------


def test_pfc_counters_equal_the_counters_db() -> None:
    parsed = p.parse_pfc_counters(DEV, CMD, cli_text("show_pfc_counters.txt"))
    counters = mock_db("counters_db")
    assert parsed["rx"]["Ethernet0"][3] == 203
    for port in PORTS:
        stats = counters["COUNTERS:" + counters["COUNTERS_PORT_NAME_MAP"][port]]
        for prio in range(8):
            assert parsed["rx"][port][prio] == int(stats[f"SAI_PORT_STAT_PFC_{prio}_RX_PKTS"])
            assert parsed["tx"][port][prio] == int(stats[f"SAI_PORT_STAT_PFC_{prio}_TX_PKTS"])


def _expected_queues(stat: str) -> dict[str, dict[int, int]]:
    """Per port, the UC/ALL queues with a number for `stat`, by COUNTERS_QUEUE_INDEX_MAP index."""
    counters = mock_db("counters_db")
    out: dict[str, dict[int, int]] = {}
    for name, oid in counters["COUNTERS_QUEUE_NAME_MAP"].items():
        port = name.split(":")[0]
        index = int(counters["COUNTERS_QUEUE_INDEX_MAP"][oid])
        value = queue_stat(oid, stat)
        if queue_type(oid) in ("SAI_QUEUE_TYPE_UNICAST", "SAI_QUEUE_TYPE_ALL") and value is not None:
            out.setdefault(port, {})[index] = int(value)
    return out


def test_queue_counters_json_equal_the_counters_db() -> None:
    parsed = p.parse_queue_counters_json(DEV, CMD, cli_text("show_queue_counters_json.txt"))
    drops = {
        port: {q: s["droppacket"] for q, s in queues.items() if "droppacket" in s} for port, queues in parsed.items()
    }
    assert drops == _expected_queues("SAI_QUEUE_STAT_DROPPED_PACKETS")
    assert parsed["Ethernet0"][3]["totalpacket"] == int(
        queue_stat(queue_oid("Ethernet0", 3), "SAI_QUEUE_STAT_PACKETS") or 0
    )
    assert set(parsed["Ethernet0"]) >= set(range(10)) | set(range(20, 30))  # UC0-9 and ALL20-29, no MC10-19
    assert not set(parsed["Ethernet0"]) & set(range(10, 20))


def test_all_typed_queues_count_for_their_index() -> None:
    """A platform typing every queue SAI_QUEUE_TYPE_ALL: queuestat prints ALL<index> where it printed UC<index>."""
    doc = json.loads(cli_text("show_queue_counters_json.txt"))
    all_typed = {port: {q.replace("UC", "ALL", 1): s for q, s in queues.items()} for port, queues in doc.items()}
    parsed = p.parse_queue_counters_json(DEV, CMD, json.dumps(all_typed))
    assert parsed == p.parse_queue_counters_json(DEV, CMD, cli_text("show_queue_counters_json.txt"))
    assert parsed["Ethernet0"][3]["droppacket"] == 19
    wred = cli_text("show_queue_wredcounters.txt").replace("    UC", "   ALL")
    assert p.parse_wred_counters(DEV, CMD, wred) == p.parse_wred_counters(
        DEV, CMD, cli_text("show_queue_wredcounters.txt")
    )


def test_wred_ecn_marks_equal_the_counters_db() -> None:
    parsed = p.parse_wred_counters(DEV, CMD, cli_text("show_queue_wredcounters.txt"))
    assert parsed == _expected_queues("SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS")
    assert parsed["Ethernet0"][3] == 19


def test_pfcwd_stats_equal_the_counters_db() -> None:
    parsed = p.parse_pfcwd_stats(DEV, CMD, cli_text("pfcwd_show_stats.txt"))
    assert parsed["Ethernet0"][3] == ("stormed", 1)
    for port, queues in parsed.items():
        for queue, (status, detected) in queues.items():
            oid = queue_oid(port, queue)
            assert status == queue_stat(oid, "PFC_WD_STATUS")
            assert detected == int(queue_stat(oid, "PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED") or -1)


def test_pg_headroom_watermark_equals_user_watermarks() -> None:
    parsed = p.parse_pg_watermark(DEV, CMD, cli_text("show_pg_watermark_headroom.txt"))
    counters = mock_db("counters_db")
    assert parsed["Ethernet0"][3] == 103
    for name, oid in counters["COUNTERS_PG_NAME_MAP"].items():
        port, pg = name.split(":")
        stat = counters[f"USER_WATERMARKS:{oid}"]["SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES"]
        assert parsed[port][int(pg)] == int(stat)


# ---- the whole reader on real-shaped input ---------------------------------------------------------------


def _raw(config_text: str) -> SonicRaw:
    sections = {
        "pfc_counters": Section("pfc_counters", "show pfc counters", cli_text("show_pfc_counters.txt")),
        "queue_counters": Section("queue_counters", "show queue counters --json",
                                  cli_text("show_queue_counters_json.txt")),
        "wred_counters": Section("wred_counters", "show queue wredcounters", cli_text("show_queue_wredcounters.txt")),
        "pfcwd_stats": Section("pfcwd_stats", "pfcwd show stats -e", cli_text("pfcwd_show_stats.txt")),
        "pg_headroom_wm": Section("pg_headroom_wm", "show priority-group watermark headroom",
                                  cli_text("show_pg_watermark_headroom.txt")),
    }  # fmt: skip
    return SonicRaw(DEV, parse_config_db(DEV, config_text), sections)


def test_normalize_of_the_real_mock_switch_matches_its_dbs() -> None:
    state = normalize(_raw(json.dumps(cfggen_print_data())))
    eth0 = state.ports["Ethernet0"]
    assert eth0.counters is not None
    assert eth0.counters.pfc_rx[3] == 203
    assert eth0.counters.queue_drops[3] == 19
    assert eth0.counters.ecn_marked[3] == 19
    assert eth0.counters.pg_headroom_watermark[3] == 103
    assert eth0.queues[3].watchdog_status == "stormed"
    assert eth0.lanes == 4  # PORT|Ethernet0 lanes "25,26,27,28"
    assert state.hardware_platform == mock_db("config_db")["DEVICE_METADATA|localhost"].get("platform")
    # `show pfc priority` (pfc show priority) lists exactly the ports and priorities the reader finds
    rows = p.simple_tables(DEV, CMD, cli_text("show_pfc_priority.txt"))[0][1]
    shown = {r["Interface"]: [int(x) for x in r["Lossless priorities"].split(",")] for r in rows}
    assert shown == {"Ethernet0": [3, 4], "Ethernet4": [3, 4]}
    assert {n: ps.lossless_priorities for n, ps in state.ports.items() if ps.lossless_priorities} == shown


def test_raw_redis_shape_and_cfggen_shape_read_the_same() -> None:
    raw_text = json.dumps(raw_config_tables())  # `members@` strings, {"NULL": "NULL"} placeholders
    typed_text = json.dumps(cfggen_print_data())  # what real sonic-cfggen -d --print-data prints
    raw_cfg, typed_cfg = parse_config_db(DEV, raw_text), parse_config_db(DEV, typed_text)
    assert raw_cfg == typed_cfg
    assert isinstance(next(iter(typed_cfg["PORTCHANNEL"].values()))["members"], list)
    assert {} in typed_cfg["INTERFACE"].values()
    assert normalize(_raw(raw_text)) == normalize(_raw(typed_text))


def test_plan_path_accepts_typed_lists_and_empty_entries() -> None:
    live = parse_config_db(DEV, json.dumps(cfggen_print_data()))
    desired = {"PORT_QOS_MAP": {"Ethernet0": {"pfc_enable": "3"}}, "PORT": {"Ethernet0": {"mtu": "9100"}}}
    ops = plan_ops(live, desired)
    assert ops == [{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable", "value": "3"}]
    after = apply_ops(live, ops)
    assert after["PORTCHANNEL"] == live["PORTCHANNEL"]
    assert after["INTERFACE"] == live["INTERFACE"]


def test_admin_state_from_the_admin_column_else_config_db_default_down() -> None:
    cfg = cfggen_print_data()
    cfg["PORT"]["Ethernet0"]["admin_status"] = "up"
    cfg["PORT"]["Ethernet4"].pop("admin_status", None)
    cfg["PORT"]["Ethernet8"]["admin_status"] = "up"
    raw = SonicRaw(DEV, parse_config_db(DEV, json.dumps(cfg)), {})
    status = (
        "  Interface    Lanes    Speed    MTU    FEC    Alias    Vlan    Oper    Admin    Type    Asym PFC\n"
        "-----------  -------  -------  -----  -----  -------  ------  ------  -------  ------  ----------\n"
        "  Ethernet0    25,26      40G   9100    N/A     etp1  routed    down     down     N/A         off\n"
        "  Ethernet8    33,34      40G   9100    N/A     etp3  routed    down      N/A     N/A         off\n"
    )
    raw.sections["interfaces"] = Section("interfaces", "show interfaces status", status)
    state = normalize(raw)
    assert state.ports["Ethernet0"].admin_up is False  # APPL_DB (Admin column) wins over CONFIG_DB intent
    assert state.ports["Ethernet4"].admin_up is False  # no row, no admin_status: portmgrd's default down
    assert state.ports["Ethernet8"].admin_up is True  # Admin N/A: CONFIG_DB admin_status


@pytest.mark.parametrize(
    ("platform", "speed", "lanes", "eight_lane_name"),
    [
        ("x86_64-nvidia_sn5600-r0", "400000", "0,1,2,3,4,5,6,7", True),
        ("x86_64-nvidia_sn5600-r0", "800000", "0,1,2,3,4,5,6,7", False),  # 800G exists only on 8 lanes
        ("x86_64-nvidia_sn5600-r0", "400000", "0,1,2,3", False),
        ("x86_64-mlnx_msn4700-r0", "100000", "0,1,2,3,4,5,6,7", True),
        ("x86_64-mlnx_msn4700-r0", "400000", "0,1,2,3,4,5,6,7", False),
        ("x86_64-nvidia_sn6600_ld-r0", "400000", "0,1,2,3,4,5,6,7", False),  # only 4xxx/5xxx models
        ("x86_64-kvm_x86_64-r0", "400000", "0,1,2,3,4,5,6,7", False),  # not Mellanox
    ],
)
def test_dynamic_profile_names_for_8_lane_ports(platform: str, speed: str, lanes: str, eight_lane_name: bool) -> None:
    """buffermgrdyn getDynamicProfileName adds "_8lane" on SN4xxx/SN5xxx 8-lane ports below their top speed;
    the reader must ask APPL_DB for that name or it sees no programmed profile."""
    cfg = cfggen_print_data()
    cfg["DEVICE_METADATA"]["localhost"]["platform"] = platform
    cfg["PORT"]["Ethernet0"].update(speed=speed, lanes=lanes)
    cfg["CABLE_LENGTH"] = {"AZURE": {"Ethernet0": "5m"}}
    names = set(candidate_profiles(cfg, ["Ethernet0"]))
    assert f"pg_lossless_{speed}_5m_profile" in names
    assert (f"pg_lossless_{speed}_5m_8lane_profile" in names) is eight_lane_name


def _key_values(text: str) -> dict[str, str]:
    """The two-column `key value` rows of an ecnconfig/mmuconfig block."""
    rows = [line.split() for line in text.splitlines()]
    return {r[0]: r[1] for r in rows if len(r) == 2 and not r[0].startswith("-")}


def test_wred_profile_read_equals_ecnconfig() -> None:
    shown = _key_values(cli_text("ecnconfig_l.txt"))  # Profile: AZURE_LOSSLESS
    ecn = normalize(_raw(json.dumps(cfggen_print_data()))).ports["Ethernet0"].queues[3].ecn
    assert ecn is not None
    assert ecn.profile == "AZURE_LOSSLESS"
    assert (ecn.min_threshold, ecn.max_threshold, ecn.probability, ecn.mode) == (
        int(shown["green_min_threshold"]), int(shown["green_max_threshold"]),
        int(shown["green_drop_probability"]), shown["ecn"],
    )  # fmt: skip
    assert ecn.enabled is (shown["wred_green_enable"] == "true" and shown["ecn"] != "ecn_none")


def test_shared_headroom_pool_seen_like_mmuconfig() -> None:
    """mmuconfig -l prints over_subscribe_ratio 2 (DEFAULT_LOSSLESS_BUFFER_PARAMETER): the pool is on."""
    assert _key_values(cli_text("mmuconfig_l.txt"))["over_subscribe_ratio"] == "2"
    traffic = normalize(_raw(json.dumps(cfggen_print_data()))).lossless_traffic
    assert traffic is not None
    assert traffic.shared_headroom_pool is True


def test_watchdog_read_equals_pfcwd_show_config() -> None:
    text = cli_text("pfcwd_show_config.txt").split("\n", 1)[1]  # after "Changed polling interval to 600ms"
    rows = p.simple_tables(DEV, CMD, text)[0][1]
    state = normalize(_raw(json.dumps(cfggen_print_data())))
    for row in rows:
        wd = state.ports[row["PORT"]].watchdog
        assert wd is not None
        assert (wd.action, wd.detection_time, wd.restoration_time) == (
            row["ACTION"], int(row["DETECTION TIME"]), int(row["RESTORATION TIME"]),
        )  # fmt: skip


def test_fallback_writes_typed_entries_back_in_redis_shape() -> None:
    """The sonic-db-cli fallback writer gets cfggen-typed entries: lists go back as `field@` = "a,b" and an
    entry without fields keeps the NULL placeholder (swss-common typed_to_raw), never "['a', 'b']"."""
    live = parse_config_db(DEV, json.dumps(cfggen_print_data()))
    pc_key, pc = next(iter(live["PORTCHANNEL"].items()))
    ops = [
        {"op": "add", "path": f"/PORTCHANNEL/{pc_key}/description", "value": "to spine"},
        {"op": "add", "path": "/INTERFACE/Ethernet999", "value": {}},
    ]
    keys, forward, restore = plan_writes(ops, live)
    members = ",".join(pc["members"])
    assert f"members@ {members}" in " ".join(forward)
    assert not any("[" in cmd for cmd in forward + restore)
    assert "sonic-db-cli CONFIG_DB hset 'INTERFACE|Ethernet999' NULL NULL" in forward
    assert ("INTERFACE", "Ethernet999") in keys
    assert any(
        cmd.startswith(f"sonic-db-cli CONFIG_DB hset 'PORTCHANNEL|{pc_key}'") and "members@" in cmd for cmd in restore
    )
