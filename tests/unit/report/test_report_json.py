from __future__ import annotations

import json

from agent.checks.engine import AuditResult
from agent.report import json_report
from agent.report.common import ReportMeta


def test_document_uses_napalm_vocabulary(faults: AuditResult) -> None:
    doc = json.loads(json_report.render(faults, ReportMeta(inventory="inv", policy="checks-test")))
    assert doc["complies"] is False
    assert doc["summary"]["error"] == 5
    assert doc["summary"]["warning"] == 1
    assert doc["skipped"] == ["host4"]
    entry = doc["devices"]["leaf1"]["checks"]["SW-QOS-002"]
    assert entry["complies"] is False
    assert entry["present"]["Ethernet8/3"] == {
        "complies": False,
        "nested": False,
        "severity": "error",
        "expected_value": "DSCP 26 -> TC 3 (lossless)",
        "actual_value": "DSCP 26 -> TC 1",
    }
    assert "DSCP_TO_TC_MAP" in entry["remediation"]["Ethernet8/3"]
    assert doc["devices"]["leaf2"]["checks"]["SW-QOS-002"] == {
        "complies": True,
        "title": "RoCE DSCP reaches a lossless TC",
        "severity": "error",
        "status": "pass",
        "present": {},
        "missing": [],
        "remediation": {},
    }


def test_warning_only_check_complies_and_device_flags(faults: AuditResult) -> None:
    doc = json_report.document(faults)
    spine2 = doc["devices"]["spine2"]
    assert spine2["checks"]["SW-CFG-001"]["status"] == "warn"
    assert spine2["checks"]["SW-CFG-001"]["complies"] is True
    assert spine2["complies"] is True
    assert doc["devices"]["host4"]["reachable"] is False
    assert "HOST-PFC-001" in doc["devices"]["host4"]["skipped"]
    assert doc["devices"]["fabric"]["checks"]["FAB-PATH-001"]["complies"] is False


def test_flat_findings_carry_stable_keys(faults: AuditResult) -> None:
    doc = json_report.document(faults)
    keys = {f["key"] for f in doc["findings"]}
    assert "SW-QOS-002|leaf1|Ethernet8|3" in keys
    assert "AUDIT-001|host4||" in keys
    assert len(keys) == len(doc["findings"])


def test_missing_lists_absent_items(clean: AuditResult) -> None:
    from agent.checks.context import finding

    absent = finding("SW-BUF-002", "leaf1", port="Ethernet0", priority=3, expected="x", actual="absent")
    result = AuditResult([absent], clean.ran, {}, clean.started_at, 0.0, devices=clean.devices)
    entry = json_report.document(result)["devices"]["leaf1"]["checks"]["SW-BUF-002"]
    assert entry["missing"] == ["Ethernet0/3"]
    assert entry["present"] == {}
