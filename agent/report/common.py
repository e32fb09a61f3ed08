"""What every report format shares: grouping findings per device and check, the summary line, metadata."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from agent.checks.engine import AuditResult
from agent.checks.finding import Finding, Severity
from agent.checks.registry import CheckSpec, catalogue

SEVERITY_ORDER = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}


@dataclass
class ReportMeta:
    """Context printed with the results; never holds credentials."""

    inventory: str | None = None
    policy: str | None = None
    source: str = "live"  # "live" or "snapshot:<dir>"
    new: list[str] = field(default_factory=list)  # Finding.key new since the previous audit
    resolved: list[str] = field(default_factory=list)  # keys of the previous audit gone now
    previous_audit: int | None = None
    wall_s: float | None = None  # the whole audit: load, gather, checks, history
    gather_s: float | None = None  # reading the devices (or the snapshot)


def specs() -> dict[str, CheckSpec]:
    return catalogue()


def location(f: Finding) -> str:
    """Where inside the device: "Ethernet0/3" (port/priority), "Ethernet0", "prio 3" or "device"."""
    if f.port and f.priority is not None:
        return f"{f.port}/{f.priority}"
    if f.port:
        return f.port
    if f.priority is not None:
        return f"prio {f.priority}"
    return "device"


def grouped(result: AuditResult) -> dict[str, dict[str, list[Finding]]]:
    """bucket (device or "fabric") -> check id -> findings, for every check that ran (empty = passed)."""
    out: dict[str, dict[str, list[Finding]]] = {b: {c: [] for c in ids} for b, ids in result.ran.items()}
    for f in result.findings:
        bucket = out.setdefault(result.bucket_of(f), {})
        bucket.setdefault(f.check_id, []).append(f)
    return out


def check_status(findings: list[Finding]) -> str:
    """ "pass", "fail" (an error finding) or "warn" (warnings/info only)."""
    if any(f.severity is Severity.error for f in findings):
        return "fail"
    return "warn" if findings else "pass"


def counts(findings: list[Finding]) -> dict[str, int]:
    c: dict[str, int] = defaultdict(int)
    for f in findings:
        c[f.severity.value] += 1
    return {s.value: c.get(s.value, 0) for s in Severity}


def summary_line(result: AuditResult) -> str:
    c = counts(result.findings)
    failing = {f.device for f in result.findings if f.severity is Severity.error}
    verdict = "COMPLIANT" if result.complies else "NOT COMPLIANT"
    unreachable = sorted(result.skipped)
    n_checks = len({c for ids in result.ran.values() for c in ids})
    text = (
        f"{verdict}: {c['error']} errors, {c['warning']} warnings, {c['info']} info on "
        f"{len(failing)} of {len(result.devices)} devices ({n_checks} checks, {result.duration_s:.2f} s)"
    )
    if unreachable:
        text += f"; unreachable: {', '.join(unreachable)}"
    return text


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings, key=lambda f: (f.device, SEVERITY_ORDER[f.severity], f.check_id, f.port or "", f.priority or -1)
    )
