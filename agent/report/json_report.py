"""One JSON document per audit, in napalm_validate's vocabulary where it fits.

Per device (and a "fabric" entry) and per check: `complies`, `present` (places that were checked and
differ: expected_value / actual_value, as NAPALM reports a leaf mismatch), `missing` (places where the
expected item is absent), `remediation` per place, plus `skipped` check ids for devices that could not
be read. A flat `findings` list with each finding's stable `key` serves scripts that diff audits; a finding
that follows from another names it in `caused_by`, and `root_causes` lists each root with what it explains.
"""

from __future__ import annotations

from typing import Any

from agent.checks.engine import AuditResult
from agent.checks.finding import Finding
from agent.report.causes import effects_of
from agent.report.common import ReportMeta, check_status, counts, grouped, iso, location, specs, summary_line
from agent.report.jsontext import dumps_indented

_ABSENT = ("absent", "not set", "no ", "unmapped", "not reported")


def _is_missing(f: Finding) -> bool:
    return (f.actual or "").lower().startswith(_ABSENT) or f.actual is None


def _check_entry(check_id: str, findings: list[Finding]) -> dict[str, Any]:
    spec = specs().get(check_id)
    present: dict[str, Any] = {}
    missing: list[str] = []
    remediation: dict[str, str | None] = {}
    for f in findings:
        place = location(f)
        remediation[place] = f.remediation
        if _is_missing(f):
            missing.append(place)
            continue
        present[place] = {
            "complies": False,
            "nested": False,
            "severity": f.severity.value,
            "expected_value": f.expected,
            "actual_value": f.actual,
        }
    status = check_status(findings)
    return {
        "complies": status != "fail",
        "title": spec.title if spec else check_id,
        "severity": spec.severity.value if spec else None,
        "status": status,
        "present": present,
        "missing": missing,
        "remediation": remediation,
    }


def document(result: AuditResult, meta: ReportMeta | None = None) -> dict[str, Any]:
    meta = meta or ReportMeta()
    devices: dict[str, Any] = {}
    for bucket, checks in sorted(grouped(result).items()):
        entries = {cid: _check_entry(cid, fs) for cid, fs in checks.items()}
        devices[bucket] = {
            "complies": all(e["complies"] for e in entries.values()),
            "reachable": bucket not in result.skipped,
            "skipped": result.skipped.get(bucket, []),
            "checks": entries,
        }
    return {
        "complies": result.complies,
        "summary": {**counts(result.findings), "text": summary_line(result, meta), "devices": len(result.devices)},
        "started_at": iso(result.started_at),
        "duration_seconds": round(meta.wall_s if meta.wall_s is not None else result.duration_s, 4),
        "gather_seconds": None if meta.gather_s is None else round(meta.gather_s, 4),
        "checks_seconds": round(result.duration_s, 4),
        "inventory": meta.inventory,
        "policy": meta.policy,
        "source": meta.source,
        "skipped": sorted(result.skipped),
        "devices": devices,
        "findings": [
            {"key": f.key, **f.model_dump(mode="json"), "caused_by": meta.causes.get(f.key)} for f in result.findings
        ],
        "root_causes": effects_of(meta.causes),
        "history": {"previous_audit": meta.previous_audit, "new": meta.new, "resolved": meta.resolved},
    }


def render(result: AuditResult, meta: ReportMeta | None = None) -> str:
    """The document as indented JSON, in its key order (agent.report.jsontext: the fast encoder)."""
    return dumps_indented(document(result, meta)) + "\n"
