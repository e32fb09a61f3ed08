"""`kind: precheck`: steps in order, later steps skipped after a failure, JUnit for CI, no lab for a bad policy."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from agent.errors import InputError
from agent.rollout.loader import load_playbook
from agent.rollout.playbook import PrecheckPlaybook
from agent.rollout.precheck import Case, run_precheck, write_junit

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rollout"


def test_invalid_policy_fails_the_first_step_skips_the_rest_and_starts_no_lab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "ci"
    shutil.copytree(FIXTURES / "precheck", work)
    shutil.copytree(FIXTURES / "inventory", work / "inventory")
    monkeypatch.setenv("ROCE_AGENT_LAB_DIR", str(tmp_path / ".lab"))
    pb = load_playbook(work / "precheck.yaml")
    assert isinstance(pb, PrecheckPlaybook)

    code = run_precheck(pb, work / "precheck.yaml")

    assert code == 1
    assert not (tmp_path / ".lab").exists()  # no lab was started for a policy that cannot be rendered
    suite = ET.parse(work / "results.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "2")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["validate-policy", "rollout ../playbooks/lab.yaml", "audit audit.yaml"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert "bad-policy.yaml:8: classes[0].ecn.min_threshold" in (failure.text or "")
    assert cases[1].find("skipped") is not None


def test_junit_puts_the_explanation_in_the_failure_body(tmp_path: Path) -> None:
    out = tmp_path / "r.xml"
    write_junit(out, "ci", [Case("a", 1.5), Case("b", 0.25, "line one\nline two"), Case("c", skipped=True)])
    suite = ET.parse(out).getroot()[0]
    assert suite.attrib == {"name": "ci", "tests": "3", "failures": "1", "errors": "0", "skipped": "1", "time": "1.750"}
    failure = suite[1][0]
    assert failure.tag == "failure"
    assert failure.get("message") == "line one"
    assert failure.text == "line one\nline two"


def test_containerlab_without_its_cli_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "ci"
    shutil.copytree(FIXTURES / "precheck", work)
    shutil.copytree(FIXTURES / "inventory", work / "inventory")
    (tmp_path / "containerlab").mkdir()  # the topology, not deployed (no clab-roce-fabric/ beside it)
    shutil.copy(ROOT / "containerlab" / "roce-fabric.clab.yml", tmp_path / "containerlab")
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.delenv("CONTAINERLAB", raising=False)
    pb = load_playbook(work / "precheck.yaml")
    assert isinstance(pb, PrecheckPlaybook)
    good = pb.model_copy(update={"lab": "containerlab", "policy": None})  # the inventory's valid policy

    with pytest.raises(InputError, match="containerlab CLI is not installed"):
        run_precheck(good, work / "precheck.yaml")
