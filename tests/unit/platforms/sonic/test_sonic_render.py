"""Render: the lab policy for leaf1 -> the owned CONFIG_DB subset (plain names, one port per key)."""

from __future__ import annotations

from agent.intent import DeviceIntent
from agent.platforms.sonic.render import render
from agent.platforms.sonic.tables import DAEMON_OWNED_TABLES

PORTS = ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"]


def test_dscp_map_lists_all_64_values_with_roce_and_cnp(intent: DeviceIntent) -> None:
    dscp = render(intent)["DSCP_TO_TC_MAP"]["ROCE"]
    assert sorted(int(k) for k in dscp) == list(range(64))
    assert dscp["26"] == "3"
    assert dscp["48"] == "6"
    assert {v for k, v in dscp.items() if k not in ("26", "48")} == {"0"}


def test_port_qos_map_binds_every_port_and_global(intent: DeviceIntent) -> None:
    qos = render(intent)["PORT_QOS_MAP"]
    assert qos["global"] == {"dscp_to_tc_map": "ROCE"}
    assert sorted(k for k in qos if k != "global") == sorted(PORTS)
    for port in PORTS:
        assert qos[port] == {
            "dscp_to_tc_map": "ROCE",
            "tc_to_pg_map": "ROCE",
            "tc_to_queue_map": "ROCE",
            "pfc_to_queue_map": "ROCE",
            "pfc_enable": "3",
            "pfcwd_sw_enable": "3",
        }
    assert all("," not in key for key in qos), "one port per key"


def test_maps_put_only_lossless_tc_in_its_own_pg(intent: DeviceIntent) -> None:
    cfg = render(intent)
    assert cfg["TC_TO_PRIORITY_GROUP_MAP"]["ROCE"] == {str(t): ("3" if t == 3 else "0") for t in range(8)}
    assert cfg["TC_TO_QUEUE_MAP"]["ROCE"] == {str(t): str(t) for t in range(8)}
    assert cfg["MAP_PFC_PRIORITY_TO_QUEUE"]["ROCE"] == {str(t): str(t) for t in range(8)}


def test_every_queue_gets_a_scheduler_and_only_the_ecn_class_a_wred_profile(intent: DeviceIntent) -> None:
    cfg = render(intent)
    queues = cfg["QUEUE"]
    assert len(queues) == 7 * len(PORTS)  # queues 0-6 as real renders (skus/*.qos.json): no class on priority 7
    for port in PORTS:
        assert queues[f"{port}|3"] == {"scheduler": "ROCE_roce", "wred_profile": "ROCE_ECN_3"}
        assert queues[f"{port}|6"] == {"scheduler": "ROCE_cnp"}
        assert queues[f"{port}|1"] == {"scheduler": "ROCE_best-effort"}
    assert cfg["SCHEDULER"]["ROCE_cnp"] == {"type": "STRICT"}
    assert cfg["SCHEDULER"]["ROCE_roce"] == {"type": "DWRR", "weight": "50"}


def test_wred_profile_marks_ecn_in_bytes(intent: DeviceIntent) -> None:
    wred = render(intent)["WRED_PROFILE"]["ROCE_ECN_3"]
    assert wred["ecn"] == "ecn_all"
    assert wred["wred_green_enable"] == "true"
    assert (wred["green_min_threshold"], wred["green_max_threshold"]) == ("150000", "1500000")
    assert wred["green_drop_probability"] == "10"


def test_watchdog_cable_mtu_counters_metadata(intent: DeviceIntent) -> None:
    cfg = render(intent)
    assert cfg["PFC_WD"]["GLOBAL"] == {"POLL_INTERVAL": "100"}
    assert cfg["PFC_WD"]["Ethernet0"] == {"action": "drop", "detection_time": "200", "restoration_time": "400"}
    assert cfg["CABLE_LENGTH"]["AZURE"] == {
        "Ethernet0": "5m",
        "Ethernet4": "5m",
        "Ethernet8": "40m",
        "Ethernet12": "40m",
    }
    assert cfg["PORT"]["Ethernet8"] == {"mtu": "9100"}
    assert cfg["FLEX_COUNTER_TABLE"]["PFCWD"] == {"FLEX_COUNTER_STATUS": "enable"}
    assert cfg["FLEX_COUNTER_TABLE"]["WRED_ECN_QUEUE"] == {"FLEX_COUNTER_STATUS": "enable"}
    assert cfg["DEVICE_METADATA"] == {"localhost": {"default_pfcwd_status": "enable"}}


def test_never_renders_daemon_owned_buffer_tables(intent: DeviceIntent) -> None:
    assert not set(render(intent)) & DAEMON_OWNED_TABLES


def test_disabled_watchdog_renders_empty_port_entries(intent: DeviceIntent) -> None:
    pfc = intent.policy.pfc.model_copy(
        update={"watchdog": intent.policy.pfc.watchdog.model_copy(update={"enabled": False})}
    )
    off = intent.model_copy(update={"policy": intent.policy.model_copy(update={"pfc": pfc})})
    cfg = render(off)
    assert cfg["PFC_WD"]["Ethernet0"] == {}
    # left out (so removed from the device), never "": 202211-202411 YANG refuses an empty pfcwd_sw_enable
    assert "pfcwd_sw_enable" not in cfg["PORT_QOS_MAP"]["Ethernet0"]
    assert cfg["DEVICE_METADATA"]["localhost"]["default_pfcwd_status"] == "disable"


def test_queue_7_only_when_a_class_uses_priority_7(intent: DeviceIntent) -> None:
    from agent.policy.model import SchedulingType, TrafficClass

    control = TrafficClass.model_validate(
        {"name": "control", "dscp": [56], "priority": 7, "scheduling": {"type": "strict"}}
    )
    assert control.scheduling.type is SchedulingType.strict
    policy = intent.policy.model_copy(update={"classes": [*intent.policy.classes, control]})
    cfg = render(intent.model_copy(update={"policy": policy}))
    assert cfg["QUEUE"]["Ethernet0|7"] == {"scheduler": "ROCE_control"}


def test_port_without_lossless_priorities_loses_pfc_enable_instead_of_an_empty_string(intent: DeviceIntent) -> None:
    port = intent.ports["Ethernet0"].model_copy(update={"lossless_priorities": ()})
    cfg = render(intent.model_copy(update={"ports": {**intent.ports, "Ethernet0": port}}))
    assert "pfc_enable" not in cfg["PORT_QOS_MAP"]["Ethernet0"]
    assert "pfcwd_sw_enable" not in cfg["PORT_QOS_MAP"]["Ethernet0"]


def test_wred_ecn_queue_flex_group_only_where_the_release_yang_has_it(intent: DeviceIntent) -> None:
    from agent.platforms.sonic.releases import device_facts

    cfg_db = {"DEVICE_METADATA": {"localhost": {"hwsku": "Force10-S6000", "buffer_model": "traditional"}}}
    old = render(intent, device_facts(cfg_db, "SONiC.20221130.05"))
    new = render(intent, device_facts(cfg_db, "SONiC.20230531.22"))
    assert "WRED_ECN_QUEUE" not in old["FLEX_COUNTER_TABLE"]  # sonic-flex_counter.yang 202211 has no such container
    assert new["FLEX_COUNTER_TABLE"]["WRED_ECN_QUEUE"] == {"FLEX_COUNTER_STATUS": "enable"}


def test_pcp_trust_renders_dot1p_map_and_no_global_dscp(intent: DeviceIntent) -> None:
    from agent.policy.model import Trust

    pcp = intent.model_copy(update={"policy": intent.policy.model_copy(update={"trust": Trust.pcp})})
    cfg = render(pcp)
    assert "DSCP_TO_TC_MAP" not in cfg
    assert "global" not in cfg["PORT_QOS_MAP"]
    assert cfg["PORT_QOS_MAP"]["Ethernet0"]["dot1p_to_tc_map"] == "ROCE"
    assert cfg["DOT1P_TO_TC_MAP"]["ROCE"]["3"] == "3"


def test_render_is_deterministic(intent: DeviceIntent) -> None:
    assert render(intent) == render(intent)
