"""JUnit XML: one <testsuite> per device (plus "fabric"), one <testcase> per check.

Error findings make the testcase a <failure>; GitLab and others ignore the failure `message`, so the
body carries the check's explanation and every finding with its fix. Warnings and info go to
<system-out> of a passing testcase (they do not fail CI, matching the exit code). Checks of an
unreachable device are <skipped/>. A finding that follows from another says "caused by SW-PFC-001 on
leaf1:Ethernet0" (its failure message too), and the root cause lists what it also causes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agent.checks.engine import FABRIC, AuditResult
from agent.checks.finding import Finding, Severity
from agent.report.causes import caused_by_text, effects_of
from agent.report.common import ReportMeta, grouped, iso, location, specs


class _Causes:
    """Root-cause links of the audit (agent.report.causes), as the JUnit texts print them."""

    def __init__(self, result: AuditResult, meta: ReportMeta) -> None:
        self.by_key = {f.key: f for f in result.findings}
        self.causes = {e: r for e, r in meta.causes.items() if e in self.by_key and r in self.by_key}
        self.effects = effects_of(self.causes)

    def text(self, f: Finding, bucket: str) -> str:
        where = location(f) if bucket != FABRIC and bucket == f.device else f"{f.device} {location(f)}"
        out = f"[{f.severity.value}] {where}: expected {f.expected}; actual {f.actual}"
        root = self.causes.get(f.key)
        if root is not None:
            return out + f"\n  {caused_by_text(self.by_key[root])}: fix that first"
        out += f"\n  fix: {f.remediation}"
        for key in self.effects.get(f.key, []):
            e = self.by_key[key]
            out += f"\n  also causes {e.check_id} on {e.device} {location(e)}"
        return out


def _testcase(
    suite: ET.Element, bucket: str, check_id: str, findings: list[Finding], causes: _Causes
) -> tuple[int, int]:
    spec = specs().get(check_id)
    title = spec.title if spec else check_id
    case = ET.SubElement(suite, "testcase", classname=bucket, name=f"{check_id} {title}", time="0")
    errors = [f for f in findings if f.severity is Severity.error]
    others = [f for f in findings if f.severity is not Severity.error]
    if errors:
        roots = sorted({caused_by_text(causes.by_key[causes.causes[f.key]]) for f in errors if f.key in causes.causes})
        why = f" ({'; '.join(roots)})" if roots else ""
        fail = ET.SubElement(case, "failure", message=f"{len(errors)} finding(s): {title}{why}", type="error")
        body = [spec.explanation if spec else "", ""] + [causes.text(f, bucket) for f in errors]
        fail.text = "\n".join(body)
    if others:
        ET.SubElement(case, "system-out").text = "\n".join(causes.text(f, bucket) for f in others)
    return (1 if errors else 0), 1


def render(result: AuditResult, meta: ReportMeta | None = None) -> str:
    meta = meta or ReportMeta()
    causes = _Causes(result, meta)
    root = ET.Element("testsuites", name="roce-agent audit")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for bucket, checks in sorted(grouped(result).items()):
        suite = ET.SubElement(root, "testsuite", name=bucket, timestamp=iso(result.started_at), time="0")
        failures = tests = 0
        for check_id, findings in checks.items():
            f, t = _testcase(suite, bucket, check_id, findings, causes)
            failures, tests = failures + f, tests + t
        skipped = result.skipped.get(bucket, [])
        for check_id in skipped:
            case = ET.SubElement(suite, "testcase", classname=bucket, name=check_id, time="0")
            ET.SubElement(case, "skipped", message=f"{bucket} could not be read")
        tests += len(skipped)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(len(skipped)))
        totals["tests"] += tests
        totals["failures"] += failures
        totals["skipped"] += len(skipped)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    root.set("time", f"{meta.wall_s if meta.wall_s is not None else result.duration_s:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
