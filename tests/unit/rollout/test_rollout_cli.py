"""`roce-agent rollout` through typer's CliRunner, devices faked at the SSH-runner seam only."""

from __future__ import annotations

import json

import pytest
from rollout_fakes import BEFORE, FIXTURES, FakeLab
from typer.testing import CliRunner

from agent.app import rollout as rollout_app
from agent.cli import app
from agent.rollout import runner as runner_mod
from agent.rollout.locks import LockInfo

runner = CliRunner()
LOCK = "/tmp/roce-agent.lock"


@pytest.fixture
def cli_lab(lab: FakeLab, monkeypatch: pytest.MonkeyPatch) -> FakeLab:
    monkeypatch.setattr(rollout_app, "make_fabric", lambda s: lab.fabric(s))  # devices: in memory
    monkeypatch.setattr(runner_mod, "wait", lambda _seconds: None)  # soak windows pass instantly
    return lab


def invoke(lab: FakeLab, playbook: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["rollout", str(FIXTURES / "playbooks" / playbook), "-i", str(lab.inventory), *args])
    return result.exit_code, result.output


def test_invalid_playbook_exits_2_with_located_problems(cli_lab: FakeLab) -> None:
    path = FIXTURES / "invalid" / "bad-values.yaml"
    result = runner.invoke(app, ["rollout", str(path), "-i", str(cli_lab.inventory)])
    assert result.exit_code == 2
    assert f"{path}:11: stages[0].batch:" in result.output
    assert "nothing was changed" in result.output
    assert all(b.gathers == 0 for b in cli_lab.boxes.values())  # no device contacted


def test_selection_naming_nothing_exits_2_at_its_line(cli_lab: FakeLab) -> None:
    code, out = invoke(cli_lab, "unknown-set.yaml", "--yes")
    assert code == 2
    assert "unknown-set.yaml:5: stages[0].select: '1 leef' names no group, role or device" in out
    assert all(b.gathers == 0 for b in cli_lab.boxes.values())


def test_check_prints_the_plan_per_stage_and_writes_nothing(cli_lab: FakeLab) -> None:
    code, out = invoke(cli_lab, "staged.yaml", "--check")
    assert code == 0, out
    assert "stage canary (1 batch(es))" in out
    assert "[1] leaf1: 2 change(s)" in out
    assert "~ /mtu: 1500 -> 9100" not in out  # counts and totals; the diffs with --diff
    n = len(cli_lab.boxes)
    assert f"recap: {n} would change ({2 * n} changes), 0 unchanged, 0 cannot plan; --diff shows" in out
    assert "stage hosts (2 batch(es))" in out
    code, out = invoke(cli_lab, "staged.yaml", "--check", "--diff")
    assert "~ /mtu: 1500 -> 9100" in out
    assert cli_lab.configs() == {d: BEFORE for d in cli_lab.boxes}
    assert all(not b.files for b in cli_lab.boxes.values())  # no lock taken
    assert not (cli_lab.inventory / ".state" / "trail.jsonl").exists()


def test_yes_json_converges_and_every_line_is_json(cli_lab: FakeLab) -> None:
    code, out = invoke(cli_lab, "staged.yaml", "--yes", "--json")
    assert code == 0, out
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines[-1]
    assert summary["event"] == "summary"
    assert summary["result"] == "converged"
    assert len(summary["after"]) == len(cli_lab.boxes)
    assert summary["recap"] == {"changed": len(cli_lab.boxes), "unchanged": 0, "failed": 0, "not_reached": 0}


def test_plain_run_says_converged_once_and_ends_with_the_recap(cli_lab: FakeLab) -> None:
    code, out = invoke(cli_lab, "staged.yaml", "--yes")
    assert code == 0, out
    assert out.count("rollout converged") == 1
    assert out.splitlines()[-1] == f"recap: {len(cli_lab.boxes)} changed, 0 unchanged, 0 failed"


def test_no_confirmation_without_a_terminal_changes_nothing(cli_lab: FakeLab) -> None:
    code, out = invoke(cli_lab, "staged.yaml")
    assert code == 2
    assert "not confirmed" in out
    assert all(b.applies == 0 for b in cli_lab.boxes.values())


def test_locked_device_refuses_with_the_holder_and_break_lock_clears_it(cli_lab: FakeLab) -> None:
    holder = LockInfo("ops@jump1", 777, "roce-agent-20260101T000000Z-0a0b0c", "other", 0.0, 9e12)
    cli_lab.boxes["spine1"].files[LOCK] = holder.to_json().encode()

    code, out = invoke(cli_lab, "staged.yaml", "--yes")
    assert code == 2
    assert "refused:" in out
    assert "spine1" in out
    assert "ops@jump1" in out

    code, out = invoke(cli_lab, "staged.yaml", "--break-lock", "spine1")
    assert code == 0
    assert "was held by ops@jump1 pid 777" in out
    assert not cli_lab.boxes["spine1"].files.get(LOCK)
    assert cli_lab.events("lock_broken")[0]["device"] == "spine1"

    code, out = invoke(cli_lab, "staged.yaml", "--yes")
    assert code == 0, out


def test_resume_without_an_interrupted_rollout_exits_2(cli_lab: FakeLab) -> None:
    code, out = invoke(cli_lab, "staged.yaml", "--resume")
    assert code == 2
    assert "no interrupted rollout" in out


def test_halted_rollout_exits_1_and_says_why(cli_lab: FakeLab) -> None:
    cli_lab.boxes["leaf1"].faults.add("bad-after")
    code, out = invoke(cli_lab, "halt.yaml", "--yes")
    assert code == 1
    assert "rollout halted" in out
    assert "rolled back: leaf1: stage canary batch 1 failed its gate (halt): post-check FAKE-MTU-001" in out


def test_gate_naming_no_real_check_exits_2_before_any_device(lab: FakeLab) -> None:
    # no fake checks here: the real catalogue judges the terms
    code, out = invoke(lab, "staged.yaml", "--check")
    assert code == 2
    assert "staged.yaml:11: stages[0].post_checks[0]: 'FAKE-MTU-001' matches no check" in out
    assert all(b.gathers == 0 for b in lab.boxes.values())


def test_ctrl_c_says_how_to_resume_and_keeps_the_locks(cli_lab: FakeLab, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_mod, "wait", interrupt)  # Ctrl-C during the canary's soak
    code, out = invoke(cli_lab, "staged.yaml", "--yes")
    assert code == 1
    assert "interrupted" in out
    assert "--resume" in out
    assert cli_lab.boxes["leaf1"].files.get(LOCK)  # kept for --resume / --abort

    code, out = invoke(cli_lab, "staged.yaml", "--abort")
    assert code == 1  # aborted is not converged
    assert cli_lab.boxes["leaf1"].config == BEFORE
    assert not cli_lab.boxes["leaf1"].files.get(LOCK)
