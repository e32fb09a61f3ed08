"""Terminal report (rich): the summary line first, then the findings grouped by device."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.checks.engine import FABRIC, AuditResult
from agent.checks.finding import Finding, Severity
from agent.report.common import ReportMeta, grouped, sorted_findings, summary_line

_STYLE = {Severity.error: "bold red", Severity.warning: "yellow", Severity.info: "cyan"}


def _table(bucket: str, findings: list[Finding]) -> Table:
    title = "fabric-wide" if bucket == FABRIC else bucket
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for col in ("check", "sev", "port", "prio", "expected", "actual", "fix"):
        table.add_column(col, overflow="fold")
    for f in sorted_findings(findings):
        table.add_row(
            f.check_id,
            Text(f.severity.value, style=_STYLE[f.severity]),
            (f.port or "-") if bucket != FABRIC else f"{f.device}:{f.port or '-'}",
            "-" if f.priority is None else str(f.priority),
            f.expected or "",
            f.actual or "",
            f.remediation or "",
        )
    return table


def render(result: AuditResult, console: Console, meta: ReportMeta | None = None) -> None:
    meta = meta or ReportMeta()
    style = "bold green" if result.complies else "bold red"
    console.print(Text(summary_line(result), style=style))
    if meta.previous_audit is not None:
        console.print(
            f"since audit #{meta.previous_audit}: {len(meta.new)} new, {len(meta.resolved)} resolved",
            highlight=False,
        )
    groups = grouped(result)
    clean: list[str] = []
    for bucket in sorted(groups, key=lambda b: (b == FABRIC, b)):
        findings = [f for fs in groups[bucket].values() for f in fs]
        if not findings:
            if bucket not in result.skipped:
                clean.append(bucket)
            continue
        console.print(_table(bucket, findings))
    if clean:
        console.print(Text("compliant: " + ", ".join(clean), style="green"))
