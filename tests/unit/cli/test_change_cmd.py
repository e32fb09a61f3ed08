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


def _plan_run(*statuses: str) -> ChangeRun:
    devices = [DeviceChange(f"d{i}", s, plan=ChangePlan(f"d{i}", "sonic", lines=["~ x: 1 -> 2"])) for i, s in
               enumerate(statuses)]  # fmt: skip
    return ChangeRun("plan", devices)


@pytest.mark.parametrize(
    ("statuses", "plain", "detailed"),
    [(("unchanged", "unchanged"), 0, 0), (("unchanged", "changes"), 0, 2), (("changes", "failed"), 1, 1)],
)
def test_plan_detailed_exitcode_is_terraforms(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, statuses: tuple[str, ...], plain: int, detailed: int
) -> None:
    import agent.app.change

    monkeypatch.setattr(agent.app.change, "plan", lambda _request: _plan_run(*statuses))
    args = ["plan", "-i", str(tmp_path)]
    assert RUNNER.invoke(app, args).exit_code == plain
    assert RUNNER.invoke(app, [*args, "--detailed-exitcode"]).exit_code == detailed


def test_plan_detailed_exitcode_reports_bad_input_as_an_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    assert RUNNER.invoke(app, ["plan", "-i", missing]).exit_code == 2
    res = RUNNER.invoke(app, ["plan", "-i", missing, "--detailed-exitcode"])
    assert res.exit_code == 1
    assert "not a directory" in res.output


def test_recap_counts_changed_unchanged_failed_and_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    rolled = ApplyOutcome("d2", ApplyStatus.rolled_back, "verify failed")
    run = ChangeRun(
        "apply",
        [DeviceChange("d0", "applied", outcome=ApplyOutcome("d0", ApplyStatus.applied)),
         DeviceChange("d1", "unchanged", outcome=ApplyOutcome("d1", ApplyStatus.unchanged)),
         DeviceChange("d2", "rolled_back", outcome=rolled), DeviceChange("d3", "failed", error="no route")],
        skipped={"d4": "no adapter"},
    )  # fmt: skip
    emit(run, as_json=False)
    assert capsys.readouterr().out.splitlines()[-1] == "recap: 1 changed, 1 unchanged, 2 failed, 1 skipped"
    check = ChangeRun("check", [DeviceChange("d0", "would_change", plan=ChangePlan("d0", "sonic", lines=["~ a"]))])
    emit(check, as_json=False, diff=False)
    out = capsys.readouterr().out
    assert "~ a" not in out
    assert out.splitlines()[-1] == "recap: 1 would change, 0 unchanged, 0 failed"


def test_progress_names_the_device_once() -> None:
    from agent.app.progress import unprefixed

    assert unprefixed("leaf1", "FAILED: leaf1: gather: exit 1") == "FAILED: gather: exit 1"
    assert unprefixed("host4", "host4: connect: refused") == "connect: refused"
    assert unprefixed("leaf1", "applied: patch applied on leaf1: ok") == "applied: patch applied on leaf1: ok"
