from __future__ import annotations

from lxml import etree
from report_fixtures import FIXTURES

from agent.checks.engine import AuditResult
from agent.report import junit

SCHEMA = etree.XMLSchema(etree.parse(str(FIXTURES / "junit.xsd")))


def _parse(result: AuditResult) -> etree._Element:
    root = etree.fromstring(junit.render(result).encode())
    SCHEMA.assertValid(root)
    return root


def test_valid_and_counts_add_up(faults: AuditResult) -> None:
    root = _parse(faults)
    suites = root.findall("testsuite")
    assert {s.get("name") for s in suites} == {*faults.devices, "fabric"}
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites)


def test_failure_body_carries_explanation_and_fix(faults: AuditResult) -> None:
    root = _parse(faults)
    case = root.find("testsuite[@name='leaf1']/testcase[@name='SW-QOS-002 RoCE DSCP reaches a lossless TC']")
    assert case is not None
    body = case.find("failure").text
    assert "AZURE" in body  # the check's explanation
    assert "Ethernet8" in body
    assert "DSCP_TO_TC_MAP entry 26 -> 3" in body  # the remediation


def test_warnings_do_not_fail_and_unreachable_is_skipped(faults: AuditResult) -> None:
    root = _parse(faults)
    saved = root.find("testsuite[@name='spine2']/testcase[@name='SW-CFG-001 Running configuration is saved']")
    assert saved.find("failure") is None
    assert "config save -y" in saved.find("system-out").text
    host4 = root.find("testsuite[@name='host4']")
    assert host4.find("testcase[@name='AUDIT-001 Device unreachable']/failure") is not None
    skipped = host4.findall("testcase/skipped")
    assert len(skipped) == len(faults.skipped["host4"]) > 10


def test_clean_audit_has_no_failures(clean: AuditResult) -> None:
    root = _parse(clean)
    assert root.get("failures") == "0"
    assert root.findall(".//failure") == []
