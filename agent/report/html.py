"""One self-contained HTML page (inline CSS, no scripts, no external assets) for mail or CI artefacts."""

from __future__ import annotations

from html import escape

from agent.checks.engine import FABRIC, AuditResult
from agent.report.common import ReportMeta, check_status, grouped, iso, location, sorted_findings, specs, summary_line

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.6em}
.ok{color:#176f2c} .bad{color:#b00020} .warn{color:#8a6d00}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2} td.error{color:#b00020;font-weight:bold} td.warning{color:#8a6d00} td.info{color:#055}
code{font-size:.95em}
"""


def render(result: AuditResult, meta: ReportMeta | None = None) -> str:
    meta = meta or ReportMeta()
    verdict = "ok" if result.complies else "bad"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>roce-agent audit</title>',
        f"<style>{_CSS}</style></head><body>",
        "<h1>roce-agent audit</h1>",
        f'<p class="{verdict}"><strong>{escape(summary_line(result))}</strong></p>',
        f"<p>started {escape(iso(result.started_at))}; inventory {escape(str(meta.inventory))}; "
        f"policy {escape(str(meta.policy))}; source {escape(meta.source)}</p>",
    ]
    if meta.previous_audit is not None:
        parts.append(f"<p>since audit #{meta.previous_audit}: {len(meta.new)} new, {len(meta.resolved)} resolved</p>")
    for bucket, checks in sorted(grouped(result).items(), key=lambda kv: (kv[0] == FABRIC, kv[0])):
        parts.append(_section(result, bucket, checks))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _section(result: AuditResult, bucket: str, checks: dict[str, list]) -> str:  # type: ignore[type-arg]
    findings = [f for fs in checks.values() for f in fs]
    failed = sum(1 for fs in checks.values() if check_status(fs) == "fail")
    state = "unreachable" if bucket in result.skipped else f"{len(checks) - failed}/{len(checks)} checks pass"
    cls = "bad" if failed or bucket in result.skipped else "ok"
    out = [f'<h2 id="{escape(bucket)}">{escape(bucket)} <span class="{cls}">({escape(state)})</span></h2>']
    if not findings:
        return out[0]
    out.append(
        "<table><tr><th>check</th><th>severity</th><th>where</th><th>expected</th><th>actual</th><th>fix</th></tr>"
    )
    for f in sorted_findings(findings):
        spec = specs().get(f.check_id)
        where = location(f) if bucket != FABRIC else f"{f.device} {location(f)}"
        out.append(
            "<tr>"
            f'<td title="{escape(spec.explanation if spec else "")}">{escape(f.check_id)}<br>{escape(f.title)}</td>'
            f'<td class="{f.severity.value}">{f.severity.value}</td>'
            f"<td>{escape(where)}</td><td>{escape(f.expected or '')}</td><td>{escape(f.actual or '')}</td>"
            f"<td><code>{escape(f.remediation or '')}</code></td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)
