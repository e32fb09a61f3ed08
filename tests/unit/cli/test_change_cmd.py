"""`roce-agent apply` output and lock refusal, without devices (the lab tests drive real twins)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.app.change import ChangeRun, DeviceChange
from agent.cli import app
from agent.cli.change_cmd import emit
from agent.platforms.base import ApplyOutcome, ApplyStatus, ChangePlan
from agent.rollout.locks import LocalLock, LockInfo
from tests.lab_inventory import write_lab_inventory

ROOT = Path(__file__).resolve().parents[3]
RUNNER = CliRunner()


def test_human_output_prints_each_devices_apply_events(capsys: pytest.CaptureFixture[str]) -> None:
    flap = "link flap on eth1 (PFC mask change, carrier changes +2): RDMA port ACTIVE after 2.0s (polling)"
    outcomes = {
        "host1": ApplyOutcome("host1", ApplyStatus.applied, "6 operation(s) applied and verified", events=[flap]),
        "leaf1": ApplyOutcome("leaf1", ApplyStatus.applied, "patch applied", plan=ChangePlan("leaf1", "sonic")),
    }
    run = ChangeRun("apply", [DeviceChange(n, o.status.value, plan=o.plan, outcome=o) for n, o in outcomes.items()])

    emit(run, as_json=False)

    out = capsys.readouterr().out
    host1 = out[out.index("=== host1") : out.index("=== leaf1")]
    assert f"  event: {flap}" in host1
    assert "event:" not in out[out.index("=== leaf1") :]


def test_apply_refuses_an_inventory_a_rollout_holds_before_contacting_any_device(tmp_path: Path) -> None:
    inventory = tmp_path / "lab"
    write_lab_inventory(inventory)  # 127.0.0.1 ports nothing listens on: a contact would fail
    LocalLock(inventory / ".state").acquire(LockInfo.new("roce-agent-20261121T220000Z-abcdef", "lab-rollout", 600))

    res = RUNNER.invoke(app, ["apply", "-i", str(inventory), "--yes"])

    assert res.exit_code == 2, res.output
    assert "refused: inventory" in res.output
    assert "txid roce-agent-20261121T220000Z-abcdef (lab-rollout" in res.output
    assert "a rollout is running on this inventory" in res.output
    assert "no device was contacted" in res.output
    assert "applying" not in res.output


def test_apply_names_the_interrupted_rollout_to_resume_or_abort(tmp_path: Path) -> None:
    inventory = tmp_path / "lab"
    write_lab_inventory(inventory)
    lock = LocalLock(inventory / ".state")
    lock.acquire(LockInfo.new("roce-agent-20261121T220000Z-abcdef", "lab-rollout", 600))
    lock.mark_interrupted("roce-agent-20261121T220000Z-abcdef")

    res = RUNNER.invoke(app, ["apply", "-i", str(inventory), "--yes"])

    assert res.exit_code == 2, res.output
    assert "--resume` or `--abort` first" in res.output
