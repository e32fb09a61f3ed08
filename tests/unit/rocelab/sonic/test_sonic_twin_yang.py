"""The twin's YANG validation against the real models: good and bad patches on a fresh leaf, each verdict
taken from sonic-buildimage src/sonic-yang-models/yang-models @086b03bd (master) and GCU's supplemental
validate_lanes (sonic-utilities gu_common.py @691b1bbc). `None` = accepted; else a text of the refusal."""

from __future__ import annotations

from typing import Any

import pytest
from sonic_twin_helpers import config, leaf, patch, start_watchdog

NEW_PORT = {"speed": "400000", "lanes": "101,102,103,104", "mtu": "9100", "admin_status": "up"}

CASES: list[tuple[str, list[dict[str, Any]], str | None]] = [
    # sonic-port-qos-map.yang: only its leaves; key = a port (leafref) or "global"
    ("qos map unknown leaf", [{"op": "add", "path": "/PORT_QOS_MAP/Ethernet0/pfc_priority", "value": "3"}],
     "unknown leaf 'pfc_priority'"),
    ("qos map port-list key", [{"op": "add", "path": "/PORT_QOS_MAP/Ethernet0,Ethernet4",
                                "value": {"pfc_enable": "3"}}], "one port, not a list"),
    ("qos map pfc_enable 3,4", [{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable", "value": "3"}], None),
    ("qos map pfc_enable 8", [{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable", "value": "8"}],
     "does not match pattern"),
    ("qos map dangling map", [{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/tc_to_queue_map", "value": "NOPE"}],
     "leafref 'NOPE'"),
    # sonic-scheduler.yang: leaves, ranges, must pir/cbs need cir, pbs needs pir
    ("scheduler unknown leaf", [{"op": "add", "path": "/SCHEDULER/scheduler.0/quantum", "value": "5"}],
     "unknown leaf 'quantum'"),
    ("scheduler pir without cir", [{"op": "add", "path": "/SCHEDULER/scheduler.0/pir", "value": "1000"}],
     "pir can't be configured without cir"),
    ("scheduler pir below cir", [{"op": "add", "path": "/SCHEDULER/shaped",
                                  "value": {"type": "DWRR", "cir": "2000", "pir": "1000"}}],
     "pir must be greater than or equal to cir"),
    ("scheduler cir and pir", [{"op": "add", "path": "/SCHEDULER/shaped",
                                "value": {"type": "DWRR", "cir": "1000", "pir": "2000"}}], None),
    ("scheduler weight 101", [{"op": "replace", "path": "/SCHEDULER/scheduler.0/weight", "value": "101"}],
     "out of range 1..100"),
    # sonic-dscp-tc-map.yang: dscp key pattern 6[0-3]|[1-5][0-9]?|[0-9]?, tc 0..15
    ("dscp key 07", [{"op": "add", "path": "/DSCP_TO_TC_MAP/AZURE/07", "value": "3"}], "'07' does not match pattern"),
    ("dscp key 64", [{"op": "add", "path": "/DSCP_TO_TC_MAP/AZURE/64", "value": "3"}], "'64' does not match pattern"),
    ("dscp tc 16", [{"op": "replace", "path": "/DSCP_TO_TC_MAP/AZURE/26", "value": "16"}], "out of range 0..15"),
    ("dscp tc 15", [{"op": "replace", "path": "/DSCP_TO_TC_MAP/AZURE/26", "value": "15"}], None),
    # sonic-tc-queue-map.yang: qindex pattern [0-9]?
    ("tc to queue 10", [{"op": "replace", "path": "/TC_TO_QUEUE_MAP/AZURE/3", "value": "10"}],
     "'10' does not match pattern"),
    ("tc to queue 9", [{"op": "replace", "path": "/TC_TO_QUEUE_MAP/AZURE/3", "value": "9"}], None),
    # sonic-tc-priority-group-map.yang: pg pattern [0-7]?
    ("tc to pg 8", [{"op": "replace", "path": "/TC_TO_PRIORITY_GROUP_MAP/AZURE/3", "value": "8"}],
     "'8' does not match pattern"),
    # sonic-port.yang: lanes and speed mandatory (single-ASIC); validate_lanes: no lane twice
    ("new port without lanes", [{"op": "add", "path": "/PORT/Ethernet200", "value": {"speed": "400000"}}],
     "mandatory leaf 'lanes'"),
    ("new port", [{"op": "add", "path": "/PORT/Ethernet200", "value": NEW_PORT}], None),
    ("duplicate lanes", [{"op": "add", "path": "/PORT/Ethernet200", "value": {**NEW_PORT, "lanes": "1,2,3,104"}}],
     "lane is used multiple times in PORT"),
    ("non-numeric lane", [{"op": "add", "path": "/PORT/Ethernet200", "value": {**NEW_PORT, "lanes": "101,x"}}],
     "invalid lane 'x'"),
    ("mtu 9217", [{"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "9217"}], "out of range 68..9216"),
    # sonic-queue.yang: leaves and leafrefs
    ("queue unknown leaf", [{"op": "add", "path": "/QUEUE/Ethernet0|0/buffer_profile", "value": "x"}],
     "unknown leaf 'buffer_profile'"),
    ("queue dangling wred", [{"op": "replace", "path": "/QUEUE/Ethernet0|3/wred_profile", "value": "GONE"}],
     "leafref 'GONE'"),
    # sonic-wred-profile.yang: max >= min (must), probability 0..100, ecn enum
    ("wred max below min", [{"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_max_threshold",
                             "value": "1000"}], "must be >= green_min_threshold"),
    ("wred ecn bad", [{"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/ecn", "value": "ecn_blue"}],
     "'ecn_blue' is not one of"),
    ("wred unknown leaf", [{"op": "add", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_weight", "value": "1"}],
     "unknown leaf 'green_weight'"),
    # sonic-pfcwd.yang: ranges, must timers >= POLL_INTERVAL, POLL_INTERVAL only on GLOBAL
    ("pfcwd detection below poll", [{"op": "replace", "path": "/PFC_WD/Ethernet0/detection_time", "value": "100"}],
     "detection_time must be greater than or equal to POLL_INTERVAL"),
    # (GCU's PFC_WD validator refuses this one first: "poll_interval" without "global/" is not in its list)
    ("pfcwd poll on a port", [{"op": "add", "path": "/PFC_WD/Ethernet0/POLL_INTERVAL", "value": "200"}],
     "Modification of PFC_WD table is illegal"),
    ("pfcwd restoration 400", [{"op": "replace", "path": "/PFC_WD/Ethernet0/restoration_time", "value": "400"}], None),
]  # fmt: skip


@pytest.mark.parametrize(("ops", "verdict"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_patch_verdict_matches_the_real_yang(ops: list[dict[str, Any]], verdict: str | None) -> None:
    twin = start_watchdog(leaf())  # the verdicts were taken on a config with PFC_WD rows (start_default's)
    twin.gcu.change_cost_s = 0.0
    before = config(twin)
    res = patch(twin, ops, dry_run=True)
    if verdict is None:
        assert res.exit_code == 0, res.stderr
    else:
        assert res.exit_code == 2
        assert verdict in res.stderr
    assert config(twin) == before
