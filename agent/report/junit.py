"""JUnit XML: one <testsuite> per device (plus "fabric"), one <testcase> per check.

Error findings make the testcase a <failure>; GitLab and others ignore the failure `message`, so the
body carries the check's explanation and every finding with its fix. Warnings and info go to
<system-out> of a passing testcase (they do not fail CI, matching the exit code). Checks of an
unreachable device are <skipped/>.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agent.checks.engine import AuditResult
from agent.checks.finding import Finding, Severity
from agent.report.common import ReportMeta, grouped, iso, location, specs


def _finding_text(f: Finding) -> str:
    return (
        f"[{f.severity.value}] {f.device} {location(f)}: expected {f.expected}; actual {f.actual}\n"
        f"  fix: {f.remediation}"
    )


def _testcase(suite: ET.Element, bucket: str, check_id: str, findings: list[Finding]) -> tuple[int, int]:
    spec = specs().get(check_id)
    title = spec.title if spec else check_id
    case = ET.SubElement(suite, "testcase", classname=bucket, name=f"{check_id} {title}", time="0")
    errors = [f for f in findings if f.severity is Severity.error]
    others = [f for f in findings if f.severity is not Severity.error]
    if errors:
        fail = ET.SubElement(case, "failure", message=f"{len(errors)} finding(s): {title}", type="error")
        body = [spec.explanation if spec else "", ""] + [_finding_text(f) for f in errors]
        fail.text = "\n".join(body)
    if others:
        ET.SubElement(case, "system-out").text = "\n".join(_finding_text(f) for f in others)
    return (1 if errors else 0), 1


def render(result: AuditResult, meta: ReportMeta | None = None) -> str:
    root = ET.Element("testsuites", name="roce-agent audit")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for bucket, checks in sorted(grouped(result).items()):
        suite = ET.SubElement(root, "testsuite", name=bucket, timestamp=iso(result.started_at), time="0")
        failures = tests = 0
        for check_id, findings in checks.items():
            f, t = _testcase(suite, bucket, check_id, findings)
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
    root.set("time", f"{result.duration_s:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
