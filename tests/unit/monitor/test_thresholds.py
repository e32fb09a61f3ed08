"""Each threshold rule raises once when crossed and clears when the value recovers; drift and device_down too."""

from __future__ import annotations

import pytest

from agent.monitor import metrics as M
from agent.monitor.thresholds import RULES, Alarms
from agent.policy.monitoring import Threshold, Thresholds

DEV = ("leaf1", "Ethernet0", "3")
# rule -> (a series it watches, its labels, a value above the default limit, one at or below it)
CASES = {
    "pause_frames_per_s": (M.PFC_RX, DEV, 5000.0, 10.0),
    "drops_per_s": (M.DROPS, (*DEV, "true"), 3.0, 0.0),
    "ecn_marks_per_s": (M.ECN, DEV, 250_000.0, 100.0),
    "headroom_percent": (M.HEADROOM_PCT, DEV, 95.0, 40.0),
    "pause_duration_ms_per_s": (M.PAUSED, ("host1", "eth1", "3"), 0.9, 0.1),  # seconds/s; limit is 500 ms/s
    "roce_on_non_roce_priority_per_s": (M.OFF_PRIORITY, ("host1", "eth1", "0"), 2500.0, 0.0),
    "watchdog_storm": (M.WD_STORM, DEV, 1.0, 0.0),
}


def test_every_rule_has_a_case() -> None:
    assert {r.name for r in RULES} == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_raises_once_then_clears(rule: str) -> None:
    metric, labels, high, low = CASES[rule]
    alarms = Alarms(Thresholds())
    assert alarms.update([M.Point(metric, labels, low)], at=1.0) == []
    raised = alarms.update([M.Point(metric, labels, high)], at=2.0)
    assert [(e.metric, e.state, e.device, e.port) for e in raised] == [(rule, "raised", labels[0], labels[1])]
    assert raised[0].priority == int(labels[2])
    assert raised[0].value > raised[0].threshold
    assert alarms.update([M.Point(metric, labels, high)], at=3.0) == []  # still above: no second event
    assert alarms.update([], at=4.0) == []  # no data (device down) neither raises nor clears
    cleared = alarms.update([M.Point(metric, labels, low)], at=5.0)
    assert [(e.metric, e.state) for e in cleared] == [(rule, "cleared")]
    assert not alarms.active


def test_drops_on_a_lossy_queue_are_not_a_lossless_drop() -> None:
    alarms = Alarms(Thresholds())
    assert alarms.update([M.Point(M.DROPS, ("leaf1", "Ethernet0", "0", "false"), 900.0)]) == []


def test_a_threshold_set_to_null_is_off_and_severity_comes_from_the_policy() -> None:
    alarms = Alarms(Thresholds(pause_frames_per_s=None, ecn_marks_per_s=Threshold(limit=10, severity="critical")))
    assert alarms.update([M.Point(M.PFC_RX, DEV, 1e9)]) == []
    (event,) = alarms.update([M.Point(M.ECN, DEV, 11.0)])
    assert (event.severity, event.threshold) == ("critical", 10)


def test_rx_and_tx_of_one_priority_are_one_event_with_the_worse_value() -> None:
    alarms = Alarms(Thresholds())
    (event,) = alarms.update([M.Point(M.PFC_RX, DEV, 1500.0), M.Point(M.PFC_TX, DEV, 4000.0)])
    assert event.value == 4000.0


def test_event_json_has_the_fields_of_the_issue() -> None:
    (event,) = Alarms(Thresholds()).update([M.Point(M.PFC_RX, DEV, 5000.0)], at=0.0)
    doc = event.to_json()
    assert list(doc) == ["time", "device", "port", "priority", "metric", "value", "threshold", "severity", "state"]
    assert doc["time"] == "1970-01-01T00:00:00Z"
    assert doc["priority"] == 3


def test_device_down_raises_and_clears() -> None:
    alarms = Alarms(Thresholds())
    (down,) = alarms.device_up("leaf2", False, "connection refused")
    assert (down.metric, down.state, down.detail) == ("device_down", "raised", "connection refused")
    assert alarms.device_up("leaf2", False) == []
    assert [e.state for e in alarms.device_up("leaf2", True)] == ["cleared"]


def test_drift_raises_per_finding_and_clears_only_for_devices_read_again() -> None:
    alarms = Alarms(Thresholds())
    finding = ("SW-PFC-001", "leaf1", "Ethernet0", "3")
    (raised,) = alarms.drift({finding: "PFC off on a lossless priority"}, {"leaf1"})
    assert (raised.metric, raised.value, raised.severity) == ("config_drift", "SW-PFC-001", "warning")
    assert alarms.drift({}, {"leaf2"}) == []  # leaf1 not read this time: its drift stays raised
    (cleared,) = alarms.drift({}, {"leaf1"})
    assert (cleared.state, cleared.value) == ("cleared", "SW-PFC-001")
