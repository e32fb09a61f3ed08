from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from agent.checks.engine import AuditResult
from agent.checks.finding import Finding, Severity
from agent.report import prom


def _families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(text):
        assert fam.type == "gauge", fam.name
        assert fam.documentation, fam.name
        out[fam.name] = [(dict(s.labels), s.value) for s in fam.samples]
    return out


def test_exposition_parses_and_says_what_failed(faults: AuditResult) -> None:
    fams = _families(prom.render(faults))
    passes = {(lb["device"], lb["check"]): v for lb, v in fams["roce_agent_check_pass"]}
    assert passes[("leaf1", "SW-QOS-002")] == 0
    assert passes[("leaf2", "SW-QOS-002")] == 1
    assert passes[("spine2", "SW-CFG-001")] == 1  # warning only
    assert passes[("fabric", "FAB-PATH-001")] == 0
    assert passes[("leaf2", "RT-DROP-001")] == 0
    findings = {(lb["device"], lb["check"], lb["severity"]): v for lb, v in fams["roce_agent_check_findings"]}
    assert findings[("spine2", "SW-CFG-001", "warning")] == 1
    assert all(v > 0 for v in findings.values())
    reach = {lb["device"]: v for lb, v in fams["roce_agent_device_reachable"]}
    assert reach["host4"] == 0
    assert reach["host1"] == 1
    assert fams["roce_agent_audit_compliant"] == [({}, 0.0)]
    assert fams["roce_agent_audit_last_run_timestamp_seconds"][0][1] == pytest.approx(faults.started_at, abs=0.01)
    assert fams["roce_agent_audit_duration_seconds"][0][1] >= 0


def test_label_values_are_escaped(clean: AuditResult) -> None:
    weird = 'dev"with\\odd\nname'
    odd = Finding(check_id="AUDIT-001", title="Device unreachable", severity=Severity.error, device=weird)
    result = AuditResult([odd], {weird: ["AUDIT-001"]}, {}, clean.started_at, 0.1, devices=[weird])
    fams = _families(prom.render(result))
    assert fams["roce_agent_check_pass"] == [({"device": weird, "check": "AUDIT-001"}, 0.0)]


def test_textfile_written_atomically(tmp_path: Path, clean: AuditResult) -> None:
    target = tmp_path / "collector" / "roce.prom"
    target.parent.mkdir()
    target.write_text("old\n")
    prom.write_textfile(target, prom.render(clean))
    assert sorted(p.name for p in target.parent.iterdir()) == ["roce.prom"]  # no temp file left behind
    assert _families(target.read_text())["roce_agent_audit_compliant"] == [({}, 1.0)]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_textfile_must_end_in_prom(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.prom"):
        prom.write_textfile(tmp_path / "roce.txt", "x 1\n")
