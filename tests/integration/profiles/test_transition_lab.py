"""Lossless -> lossy -> lossless as transitions over real SSH: the runner's order, observed in the trail
and on the devices, with an audit of each step's devices clean right after the step.

The change of intent is the inventory's (the policy's `default_profile`, as a reviewed commit would
change it); the transition playbook only orders the push: to lossy the hosts, then the switches; to
lossless the switches, then the hosts. Between the steps the fabric is in the mixed state the order
allows (switch ports lossless, hosts lossy), so the audit after a step covers that step's devices and
their own checks; after the last step the whole fabric audits clean.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.rollout import orchestrate
from agent.rollout.progress import JsonProgress
from agent.rollout.runner import Hooks
from agent.rollout.session import make_fabric, open_rollout
from tests.integration.profiles.test_lossy_lab import profiled
from tests.integration.rocelab.conftest import ROOT, running_lab

pytestmark = pytest.mark.integration
cli = CliRunner()
PLAYBOOKS = ROOT / "tests" / "fixtures" / "rollout" / "playbooks"
STEP_CHECKS = {"hosts": "HOST", "switches": "SW"}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("transition-lab")
    policy = root / "policy.yaml"
    policy.write_text(profiled("training"))
    with running_lab(root, policy) as inv:
        (inv / "policy.yaml").write_text(profiled("training"))
        yield inv


def audit(inventory: Path, *args: str) -> dict[str, Any]:
    res = cli.invoke(app, ["audit", "-i", str(inventory), "-q", "-f", "json", "--no-history", *args])
    doc: dict[str, Any] = json.loads(res.stdout)
    assert res.exit_code == 0, [f["key"] for f in doc["findings"]]
    return doc


def transition(inventory: Path, playbook: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Run a transition playbook; after each batch, audit that batch's devices with its step's checks.
    Returns the trail of the run and the stages in the order their audits ran."""
    session = open_rollout(PLAYBOOKS / playbook, inventory)
    batches = {s.name: s.batches for s in session.stages}
    audited: list[str] = []

    def audit_step(stage: str, idx: int) -> None:
        audit(inventory, "--limit", ",".join(batches[stage][idx]), "--checks", STEP_CHECKS[stage])
        audited.append(stage)

    result = orchestrate.run(session, make_fabric(session), JsonProgress(io.StringIO()), Hooks(after_batch=audit_step))
    assert result.result == "converged", result.reasons
    trail = [json.loads(line) for line in (inventory / ".state" / "trail.jsonl").read_text().splitlines()]
    return [r for r in trail if r["txid"] == result.txid], audited


def applied(trail: list[dict[str, Any]]) -> list[str]:
    return [r["device"] for r in trail if r["event"] == "applied" and r["status"] != "unchanged"]


def kinds(devices: list[str]) -> list[str]:
    return ["host" if d.startswith("host") else "switch" for d in devices]


def switch_db(device: str, key: str) -> str:
    return cli.invoke(app, ["lab", "exec", device, f"sonic-db-cli CONFIG_DB hgetall '{key}'"]).stdout


def test_the_lab_goes_lossy_hosts_first_and_back_switches_first(inventory: Path) -> None:
    assert cli.invoke(app, ["apply", "-i", str(inventory), "--yes"]).exit_code == 0
    audit(inventory)

    (inventory / "policy.yaml").write_text(profiled("inference"))  # the reviewed change of intent
    trail, audited = transition(inventory, "lab-to-lossy.yaml")
    order = applied(trail)
    assert kinds(order) == ["host"] * 4 + ["switch"] * 4, order
    assert audited == ["hosts", "hosts", "switches"]
    assert next(r for r in trail if r["event"] == "rollout_started")["transition"]["order"] == ["hosts", "switches"]
    windows = [r for r in trail if r["event"] == "gate" and r["gate_name"] == "change-window"]
    assert [w["passed"] for w in windows] == [True, True, True]  # drops watched on priority 3 over each change
    audit(inventory)
    assert "pfc_enable" not in switch_db("leaf2", "PORT_QOS_MAP|Ethernet0")

    (inventory / "policy.yaml").write_text(profiled("training"))
    trail, audited = transition(inventory, "lab-to-lossless.yaml")
    order = applied(trail)
    assert kinds(order) == ["switch"] * 4 + ["host"] * 4, order
    assert audited == ["switches", "hosts", "hosts"]
    audit(inventory)
    assert "pfc_enable" in switch_db("leaf2", "PORT_QOS_MAP|Ethernet0")
