"""Root cause first, on the demo's real fault: one out-of-band pfc_enable change on leaf1:Ethernet0."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from report_fixtures import FIXTURES, INVENTORY

from agent.app.audit import AuditRequest, AuditRun, audit
from agent.app.inputs import DeviceFilter, InventoryRequest
from agent.checks.registry import catalogue
from agent.report import html, json_report, junit
from agent.report.causes import CAUSES
from agent.report.render import Format, render_text

ROOT = Path(__file__).resolve().parents[3]
ROOT_KEY = "SW-PFC-001|leaf1|Ethernet0|"
FOLLOW = {"SW-BUF-001|leaf1|Ethernet0|3", "SW-BUF-002|leaf1|Ethernet0|3", "LINK-PFC-001|leaf1|Ethernet0|",
          "FAB-PATH-001|leaf1|Ethernet0|3"}  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> AuditRun:
    inv = tmp_path_factory.mktemp("inv") / "inventory"
    shutil.copytree(INVENTORY, inv)
    inputs = InventoryRequest(inv, ROOT / "inventories" / "lab" / "policy.yaml", DeviceFilter(limit="leaf1,host1"))
    return audit(AuditRequest(inputs, from_snapshot=FIXTURES / "snapshot-demo-fault", record_history=False))


def test_the_demo_fault_is_one_root_cause_with_four_follow_ons(run: AuditRun) -> None:
    errors = {f.key for f in run.result.findings if f.severity.value == "error"}
    assert errors == {ROOT_KEY, *FOLLOW}  # what the engine finds on the real fault
    assert run.meta.causes == dict.fromkeys(FOLLOW, ROOT_KEY)


def test_table_lists_the_follow_ons_under_the_root_and_only_there(run: AuditRun) -> None:
    text = render_text(run.result, run.meta, Format.table)
    assert text.splitlines()[0].endswith("; 4 findings follow from 1 root cause")
    leaf1 = text[text.index("\nleaf1") :]
    rows = [line for line in leaf1.splitlines() if line.startswith("│")]
    assert rows[0].startswith("│ SW-CFG-001") or rows[0].startswith("│ SW-PFC-001")
    pfc = next(i for i, r in enumerate(rows) if r.startswith("│ SW-PFC-001"))
    assert {r.split("│")[1].strip() for r in rows[pfc + 1 : pfc + 5]} == {
        "└ SW-BUF-001", "└ SW-BUF-002", "└ LINK-PFC-001", "└ FAB-PATH-001"}  # fmt: skip
    assert "fabric-wide: 1 finding(s), caused by SW-PFC-001 on leaf1:Ethernet0 (listed there)" in text
    assert "(clears 4 follow-on findings)" in text
    assert "fix FAB-PATH-001" not in text  # one fix, the root's


def test_json_names_the_cause_of_each_follow_on(run: AuditRun) -> None:
    doc = json.loads(json_report.render(run.result, run.meta))
    by_key = {f["key"]: f for f in doc["findings"]}
    assert {k for k, f in by_key.items() if f["caused_by"] == ROOT_KEY} == FOLLOW
    assert by_key[ROOT_KEY]["caused_by"] is None
    assert set(doc["root_causes"][ROOT_KEY]) == FOLLOW


def test_junit_and_html_say_caused_by(run: AuditRun) -> None:
    root = ET.fromstring(junit.render(run.result, run.meta))
    fab = root.find("testsuite[@name='fabric']/testcase/failure")
    assert fab is not None
    assert "caused by SW-PFC-001 on leaf1:Ethernet0" in fab.get("message", "")
    cases = root.findall("testsuite[@name='leaf1']/testcase")
    pfc = next(c for c in cases if c.get("name", "").startswith("SW-PFC-001")).find("failure")
    assert pfc is not None
    assert "also causes SW-BUF-001 on leaf1 Ethernet0/3" in (pfc.text or "")
    page = html.render(run.result, run.meta)
    assert page.count("caused by SW-PFC-001 on leaf1:Ethernet0") == 4
    assert page.count("also causes") == 4


def test_causality_table_names_real_checks_and_has_no_cycle() -> None:
    ids = set(catalogue())
    for cause, effects in CAUSES.items():
        assert cause in ids
        assert set(effects) <= ids, cause
        stack, seen = list(effects), set()
        while stack:
            e = stack.pop()
            assert e != cause, f"{cause} explains itself through {e}"
            if e not in seen:
                seen.add(e)
                stack.extend(CAUSES.get(e, ()))
