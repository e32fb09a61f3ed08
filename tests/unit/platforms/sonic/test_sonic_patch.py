"""Diff desired vs live into a JSON Patch that only touches owned cells, and converges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.intent import DeviceIntent
from agent.platforms.sonic.patch import apply_ops, describe, plan_ops, pointer, target_config
from agent.platforms.sonic.render import render

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"


def live(name: str = "config_db_leaf1_default.json") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return doc


def paths(ops: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {op["path"]: op for op in ops}


def test_plan_from_sonic_defaults_changes_the_lossless_settings(intent: DeviceIntent) -> None:
    ops = paths(plan_ops(live(), render(intent)))
    assert ops["/PORT_QOS_MAP/Ethernet0/pfc_enable"] == {
        "op": "replace",
        "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable",
        "value": "3",
    }
    assert ops["/CABLE_LENGTH/AZURE/Ethernet0"]["value"] == "5m"
    assert ops["/DSCP_TO_TC_MAP/ROCE"]["op"] == "add"
    # queue 4 was lossless in AZURE; the policy has no ECN there, so the stale binding goes
    # (replaced as a whole entry: GCU's sorter needs entry-level changes on QUEUE)
    assert ops["/QUEUE/Ethernet0|4"] == {
        "op": "replace",
        "path": "/QUEUE/Ethernet0|4",
        "value": {"scheduler": "ROCE_best-effort"},
    }
    assert ops["/QUEUE/Ethernet0|3/scheduler"]["value"] == "ROCE_roce"  # no field lost: field-level
    # queues 0-6 like a real render: no class uses priority 7, so queue 7 (no row on a fresh image) stays absent
    assert not any(path.startswith("/QUEUE/Ethernet0|7") for path in ops)


def test_plan_never_touches_unowned_cells(intent: DeviceIntent) -> None:
    ops = plan_ops(live(), render(intent))
    touched = {op["path"] for op in ops}
    assert not any(p.startswith(("/BUFFER_PG", "/BUFFER_PROFILE", "/BUFFER_POOL", "/DEVICE_NEIGHBOR")) for p in touched)
    after = apply_ops(live(), ops)
    assert after["PORT"]["Ethernet0"]["admin_status"] == "up"
    assert after["PORT"]["Ethernet0"]["speed"] == "400000"
    assert after["DSCP_TO_TC_MAP"]["AZURE"] == live()["DSCP_TO_TC_MAP"]["AZURE"]
    assert after["DEVICE_METADATA"]["localhost"]["hwsku"] == "Force10-S6000"


def test_cable_length_of_ports_outside_the_intent_is_left_alone(intent: DeviceIntent) -> None:
    cfg = live()
    cfg["CABLE_LENGTH"]["AZURE"]["Ethernet64"] = "300m"
    after = apply_ops(cfg, plan_ops(cfg, render(intent)))
    assert after["CABLE_LENGTH"]["AZURE"]["Ethernet64"] == "300m"


def test_second_plan_after_apply_is_empty(intent: DeviceIntent) -> None:
    desired = render(intent)
    after = apply_ops(live(), plan_ops(live(), desired))
    assert plan_ops(after, desired) == []
    assert after == target_config(live(), desired)


def test_old_abnf_references_are_rewritten_to_plain_names(intent: DeviceIntent) -> None:
    old = live("config_db_leaf1_abnf_refs.json")
    ops = paths(plan_ops(old, render(intent)))
    assert ops["/PORT_QOS_MAP/Ethernet0/tc_to_queue_map"]["value"] == "ROCE"
    assert ops["/QUEUE/Ethernet0|0/scheduler"]["value"] == "ROCE_best-effort"
    assert "/BUFFER_PG/Ethernet0|0" not in ops


def test_disabling_the_watchdog_removes_emptied_entries(intent: DeviceIntent) -> None:
    wd = intent.policy.pfc.watchdog.model_copy(update={"enabled": False})
    pfc = intent.policy.pfc.model_copy(update={"watchdog": wd})
    off = intent.model_copy(update={"policy": intent.policy.model_copy(update={"pfc": pfc})})
    ops = paths(plan_ops(live(), render(off)))
    assert ops["/PFC_WD/Ethernet0"] == {"op": "remove", "path": "/PFC_WD/Ethernet0"}


def test_operator_fields_beside_owned_ones_survive(intent: DeviceIntent) -> None:
    cfg = live()
    cfg["PORT_QOS_MAP"]["Ethernet0"]["pfc_to_pg_map"] = "AZURE"  # mellanox-only binding, not ours
    after = apply_ops(cfg, plan_ops(cfg, render(intent)))
    assert after["PORT_QOS_MAP"]["Ethernet0"]["pfc_to_pg_map"] == "AZURE"


def test_daemon_owned_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="daemon-owned"):
        plan_ops(live(), {"BUFFER_PG": {"Ethernet0|3": {"profile": "x"}}})


def test_pointer_escapes_tilde_and_slash() -> None:
    assert pointer("A", "b/c", "d~e") == "/A/b~1c/d~0e"
    assert pointer("QUEUE", "Ethernet0|3") == "/QUEUE/Ethernet0|3"


def test_describe_is_readable(intent: DeviceIntent) -> None:
    cfg = live()
    lines = describe(plan_ops(cfg, render(intent)), cfg)
    assert "~ PORT_QOS_MAP|Ethernet0 pfc_enable: '3,4' -> '3'" in lines
    assert (
        "~ QUEUE|Ethernet0|4 scheduler=scheduler.1 wred_profile=AZURE_LOSSLESS -> scheduler=ROCE_best-effort" in lines
    )
