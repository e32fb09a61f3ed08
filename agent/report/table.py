"""Terminal report (rich): the summary line first, then the findings grouped by device.

Each device gets a compact table (check, severity, where, expected, actual) followed by its fixes, one
line each, so the report stays readable on an 80-column terminal. A finding that follows from another
(agent.report.causes) is listed under its root cause, marked `└`, and not again in its own bucket.
Unreachable devices are listed together with the reason instead of one table each.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.checks.engine import FABRIC, AuditResult
from agent.checks.finding import Finding, Severity
from agent.report.causes import caused_by_text
from agent.report.common import ReportMeta, grouped, location, sorted_findings, summary_line

_STYLE = {Severity.error: "bold red", Severity.warning: "yellow", Severity.info: "cyan"}


def _where(bucket: str, f: Finding) -> str:
    return location(f) if bucket != FABRIC else f"{f.device} {location(f)}"


def _device_block(console: Console, bucket: str, findings: list[Finding], explained: Explained) -> None:
    """The device's own findings; under each root cause, the findings elsewhere that follow from it."""
    title = "fabric-wide" if bucket == FABRIC else bucket
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    for col in ("check", "sev", "where", "expected", "actual"):
        table.add_column(col, overflow="fold")
    ordered = sorted_findings(findings)
    for f in ordered:
        table.add_row(f.check_id, Text(f.severity.value, style=_STYLE[f.severity]), _where(bucket, f),
                      f.expected or "", f.actual or "")  # fmt: skip
        for e in explained.get(f.key, []):
            table.add_row(Text(f"└ {e.check_id}", style="dim"), Text(e.severity.value, style=_STYLE[e.severity]),
                          _where(FABRIC, e), e.expected or "", e.actual or "")  # fmt: skip
    console.print(table)
    for f in ordered:
        if f.remediation:
            follow = explained.get(f.key, [])
            also = f" (clears {len(follow)} follow-on finding{'' if len(follow) == 1 else 's'})" if follow else ""
            console.print(Text(f"  fix {f.check_id} {_where(bucket, f)}: {f.remediation}{also}", style="dim"))


def _unreachable_block(console: Console, result: AuditResult, groups: dict[str, dict[str, list[Finding]]]) -> None:
    table = Table(title="not read", title_justify="left", title_style="bold", expand=False)
    table.add_column("device")
    table.add_column("reason", overflow="fold")
    for bucket in sorted(result.skipped):
        reasons = [f.actual or "" for f in groups.get(bucket, {}).get("AUDIT-001", [])]
        table.add_row(bucket, "; ".join(reasons) or "not read")
    console.print(table)


Explained = dict[str, list[Finding]]  # root Finding.key -> the findings that follow from it


def render(result: AuditResult, console: Console, meta: ReportMeta | None = None) -> None:
    meta = meta or ReportMeta()
    style = "bold green" if result.complies else "bold red"
    console.print(Text(summary_line(result, meta), style=style))
    if meta.previous_audit is not None:
        console.print(
            f"since audit #{meta.previous_audit}: {len(meta.new)} new, {len(meta.resolved)} resolved",
            highlight=False,
        )
    groups = grouped(result)
    by_key = {f.key: f for f in result.findings}
    explained: Explained = {}
    for effect, root in sorted(meta.causes.items()):
        if effect in by_key and root in by_key:
            explained.setdefault(root, []).append(by_key[effect])
    if result.skipped:
        _unreachable_block(console, result, groups)
    clean: list[str] = []
    for bucket in sorted(groups, key=lambda b: (b == FABRIC, b)):
        if bucket in result.skipped:
            continue
        findings = [f for fs in groups[bucket].values() for f in fs]
        own = [f for f in findings if f.key not in meta.causes]
        if own:
            _device_block(console, bucket, own, explained)
        elif findings:
            roots = sorted({caused_by_text(by_key[meta.causes[f.key]]) for f in findings})
            console.print(Text(f"{'fabric-wide' if bucket == FABRIC else bucket}: {len(findings)} finding(s), "
                               f"{'; '.join(roots)} (listed there)", style="bold"))  # fmt: skip
        else:
            clean.append(bucket)
    if clean:
        console.print(Text("compliant: " + ", ".join(clean), style="green"))
