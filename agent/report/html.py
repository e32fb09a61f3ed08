"""One self-contained HTML page (inline CSS, no scripts, no external assets) for mail or CI artefacts.

First an overview: one row per device (and the fabric), one column per check area (the middle of the
check id: PFC, BUF, QOS, ...), each cell the pass / warn / fail counts of that area's checks, so the
reader sees where to look before reading any finding. A warning is never counted as a pass. Then one
section per device; a finding that follows from another says "caused by ..." and its root lists it.
"""

from __future__ import annotations

from html import escape

from agent.checks.engine import FABRIC, AuditResult
from agent.checks.finding import Finding
from agent.report.causes import caused_by_text, effects_of
from agent.report.common import ReportMeta, check_status, grouped, iso, location, sorted_findings, specs, summary_line

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.6em}
.ok{color:#176f2c} .bad{color:#b00020} .warn{color:#8a6d00}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2} td.error{color:#b00020;font-weight:bold} td.warning{color:#8a6d00} td.info{color:#055}
code{font-size:.95em} tr.follow td{color:#555} table.overview td.fail{background:#fbe3e6}
table.overview td.warn{background:#fdf3d0} table.overview td.pass{background:#e3f4e6}
"""


def render(result: AuditResult, meta: ReportMeta | None = None) -> str:
    meta = meta or ReportMeta()
    verdict = "ok" if result.complies else "bad"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>roce-agent audit</title>',
        f"<style>{_CSS}</style></head><body>",
        "<h1>roce-agent audit</h1>",
        f'<p class="{verdict}"><strong>{escape(summary_line(result, meta))}</strong></p>',
        f"<p>started {escape(iso(result.started_at))}; inventory {escape(str(meta.inventory))}; "
        f"policy {escape(str(meta.policy))}; source {escape(meta.source)}</p>",
    ]
    if meta.previous_audit is not None:
        parts.append(f"<p>since audit #{meta.previous_audit}: {len(meta.new)} new, {len(meta.resolved)} resolved</p>")
    groups = sorted(grouped(result).items(), key=lambda kv: (kv[0] == FABRIC, kv[0]))
    parts.append(_overview(result, groups))
    by_key = {f.key: f for f in result.findings}
    causes = {e: by_key[r] for e, r in meta.causes.items() if e in by_key and r in by_key}
    effects = {r: [by_key[e] for e in es if e in by_key] for r, es in effects_of(meta.causes).items()}
    for bucket, checks in groups:
        parts.append(_section(result, bucket, checks, causes, effects))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def area(check_id: str) -> str:
    """The check area: SW-PFC-001 -> PFC, HOST-ROCE-001 -> ROCE, AUDIT-001 -> AUDIT."""
    parts = check_id.split("-")
    return parts[1] if len(parts) == 3 else parts[0]


def _overview(result: AuditResult, groups: list[tuple[str, dict[str, list[Finding]]]]) -> str:
    areas = sorted({area(c) for _, checks in groups for c in checks})
    head = "".join(f"<th>{escape(a)}</th>" for a in areas)
    rows = [f'<h2 id="overview">overview</h2><table class="overview"><tr><th>device</th>{head}</tr>']
    for bucket, checks in groups:
        cells = []
        for a in areas:
            statuses = [check_status(fs) for c, fs in checks.items() if area(c) == a]
            n = {k: statuses.count(k) for k in ("pass", "warn", "fail")}
            worst = "fail" if n["fail"] else "warn" if n["warn"] else "pass" if n["pass"] else "none"
            text = " / ".join(f"{n[k]} {k}" for k in ("pass", "warn", "fail") if n[k]) or "-"
            cells.append(f'<td class="{worst}">{escape(text)}</td>')
        label = f"{bucket} (not read)" if bucket in result.skipped else bucket
        rows.append(f'<tr><td><a href="#{escape(bucket)}">{escape(label)}</a></td>{"".join(cells)}</tr>')
    rows.append("</table>")
    return "\n".join(rows)


def _section(result: AuditResult, bucket: str, checks: dict[str, list[Finding]], causes: dict[str, Finding],
             effects: dict[str, list[Finding]]) -> str:  # fmt: skip
    findings = [f for fs in checks.values() for f in fs]
    statuses = [check_status(fs) for fs in checks.values()]
    failed, warned = statuses.count("fail"), statuses.count("warn")
    state = "unreachable" if bucket in result.skipped else f"{statuses.count('pass')}/{len(checks)} checks pass"
    if warned and bucket not in result.skipped:
        state += f", {warned} warn"
    cls = "bad" if failed or bucket in result.skipped else "warn" if warned else "ok"
    out = [f'<h2 id="{escape(bucket)}">{escape(bucket)} <span class="{cls}">({escape(state)})</span></h2>']
    if not findings:
        return out[0]
    out.append(
        "<table><tr><th>check</th><th>severity</th><th>where</th><th>expected</th><th>actual</th><th>fix</th></tr>"
    )
    for f in sorted_findings(findings):
        spec = specs().get(f.check_id)
        where = location(f) if bucket != FABRIC else f"{f.device} {location(f)}"
        root = causes.get(f.key)
        fix = f"{caused_by_text(root)}: fix that first" if root is not None else f.remediation or ""
        follow = "".join(
            f"<br>also causes {escape(e.check_id)} on {escape(e.device)} {escape(location(e))}"
            for e in effects.get(f.key, [])
        )
        out.append(
            f'<tr class="{"follow" if root is not None else "root"}">'
            f'<td title="{escape(spec.explanation if spec else "")}">{escape(f.check_id)}<br>{escape(f.title)}</td>'
            f'<td class="{f.severity.value}">{f.severity.value}</td>'
            f"<td>{escape(where)}</td><td>{escape(f.expected or '')}</td><td>{escape(f.actual or '')}</td>"
            f"<td><code>{escape(fix)}</code>{follow}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)
