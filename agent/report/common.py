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
    causes: dict[str, str] = field(default_factory=dict)  # Finding.key -> key of its root cause (report.causes)


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


def summary_line(result: AuditResult, meta: ReportMeta | None = None) -> str:
    """ "COMPLIANT: 0 findings on 8 devices, 52 checks, gathered in 1.7 s" (with counts when there are
    findings). Times are the audit's own: the gather (or snapshot read) and the whole run when known,
    else the check engine's."""
    meta = meta or ReportMeta()
    c = counts(result.findings)
    failing = {f.device for f in result.findings if f.severity is Severity.error}
    verdict = "COMPLIANT" if result.complies else "NOT COMPLIANT"
    n_checks = len({c for ids in result.ran.values() for c in ids})
    n = len(result.findings)
    text = f"{verdict}: {n} finding{'' if n == 1 else 's'}"
    if n:
        text += f" ({c['error']} errors, {c['warning']} warnings, {c['info']} info)"
    text += f" on {len(result.devices)} devices"
    if failing:
        text += f" ({len(failing)} failing)"
    text += f", {n_checks} checks, {timing(result, meta)}"
    roots, effects = len(set(meta.causes.values())), len(meta.causes)
    if roots:
        follow = "1 finding follows" if effects == 1 else f"{effects} findings follow"
        text += f"; {follow} from {roots} root cause{'' if roots == 1 else 's'}"
    unreachable = sorted(result.skipped)
    if unreachable:
        text += f"; unreachable: {', '.join(unreachable)}"
    return text


def timing(result: AuditResult, meta: ReportMeta) -> str:
    if meta.gather_s is None:
        return f"checked in {result.duration_s:.2f} s"
    verb = "read" if meta.source.startswith("snapshot:") else "gathered"
    text = f"{verb} in {meta.gather_s:.1f} s"
    return text + (f", {meta.wall_s:.1f} s in all" if meta.wall_s is not None else "")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings, key=lambda f: (f.device, SEVERITY_ORDER[f.severity], f.check_id, f.port or "", f.priority or -1)
    )
