"""The staged runner against in-memory devices: convergence, gates, failure actions, locks, resume, abort."""

from __future__ import annotations

import json

import pytest
from rollout_fakes import BEFORE, DEVICES, FakeLab, ProcessDied

from agent.rollout.locks import LockHeld, LockInfo
from agent.rollout.runner import Hooks, LocksRefused

SWITCH_AFTER = {"mtu": 9100, "pfc": [3]}
HOST_AFTER = {"mtu": 9000, "pfc": [3]}
LOCK = "/tmp/roce-agent.lock"


def after_of(device: str) -> dict[str, object]:
    return HOST_AFTER if device.startswith("host") else SWITCH_AFTER


def assert_no_locks(lab: FakeLab) -> None:
    assert all(not b.files.get(LOCK) for b in lab.boxes.values())
    assert not (lab.inventory / ".state" / "rollout.lock").exists()


def test_full_rollout_converges_in_stage_order(lab: FakeLab) -> None:
    result = lab.run("staged.yaml")

    assert result.result == "converged"
    assert result.exit_code == 0
    assert lab.configs() == {d: after_of(d) for d in DEVICES}
    assert all(b.pending is None for b in lab.boxes.values())  # every commit confirmed
    order = [(r["stage"], r["batch"], r["devices"]) for r in lab.events("batch_started")]
    assert order == [
        ("canary", 0, ["leaf1"]),
        ("leaves", 0, ["leaf2", "leaf3"]),
        ("leaves", 1, ["leaf4"]),
        ("spines", 0, ["spine1", "spine2"]),
        ("hosts", 0, ["host1", "host2", "host3", "host4"]),
        ("hosts", 1, ["host5", "host6", "host7", "host8"]),
    ]
    assert sorted(result.summary()["after"]) == sorted(DEVICES)
    assert_no_locks(lab)


def test_second_run_changes_nothing(lab: FakeLab) -> None:
    lab.run("staged.yaml")
    applies = {d: b.applies for d, b in lab.boxes.items()}

    waits: list[float] = []
    result = lab.run("staged.yaml", Hooks(sleep=waits.append))

    assert result.result == "converged"
    assert {d: b.applies for d, b in lab.boxes.items()} == applies
    assert waits == []  # nothing changed: no soak window, no link-flap wait
    assert sorted(result.summary()["already_compliant"]) == sorted(DEVICES)


def test_canary_fault_halts_and_leaves_every_device_before_or_after(lab: FakeLab) -> None:
    lab.boxes["leaf1"].faults.add("bad-after")

    result = lab.run("halt.yaml")

    assert result.result == "halted"
    assert result.exit_code == 1
    assert lab.configs() == {d: BEFORE for d in DEVICES}  # canary rolled back, nothing else touched
    assert lab.boxes["leaf1"].applies == 1
    assert all(b.applies == 0 for d, b in lab.boxes.items() if d != "leaf1")
    summary = result.summary()
    assert list(summary["rolled_back"]) == ["leaf1"]
    assert "post-check FAKE-MTU-001 failed on leaf1:p0" in summary["rolled_back"]["leaf1"]
    assert summary["not_changed"]["spine1"].startswith("not reached")
    gate = [g for g in lab.events("gate") if not g["passed"]]
    assert gate[0]["gate_name"] == "post-check"
    assert gate[0]["stage"] == "canary"
    assert_no_locks(lab)


def test_rollback_stage_undoes_earlier_batches_of_the_stage_only(lab: FakeLab) -> None:
    lab.boxes["leaf4"].faults.add("bad-after")  # second batch of stage "leaves"

    result = lab.run("staged.yaml")

    assert result.result == "halted"
    assert lab.boxes["leaf1"].config == SWITCH_AFTER  # canary stage stays in the after state
    stage2 = ("leaf2", "leaf3", "leaf4")
    assert {d: lab.boxes[d].config for d in stage2} == dict.fromkeys(stage2, BEFORE)
    assert sorted(result.summary()["rolled_back"]) == ["leaf2", "leaf3", "leaf4"]
    rolled = [r["device"] for r in lab.events("rolled_back")]
    assert rolled == ["leaf4", "leaf3", "leaf2"] or rolled == ["leaf4", "leaf2", "leaf3"]  # newest change first


def test_rollback_all_returns_every_changed_device_to_before(lab: FakeLab) -> None:
    lab.boxes["spine2"].faults.add("apply-fails")

    result = lab.run("rollback-all.yaml")

    assert result.result == "halted"
    assert lab.configs() == {d: BEFORE for d in DEVICES}
    assert "spine2: apply rolled_back" in " ".join(result.reasons)
    assert sorted(result.summary()["rolled_back"]) == ["leaf1", "leaf2", "leaf3", "leaf4", "spine1", "spine2"]


def test_soak_gate_stops_on_new_lossless_drops(lab: FakeLab) -> None:
    def traffic_during_soak(seconds: float) -> None:
        lab.boxes["leaf1"].drops += 7  # drops on lossless priority 3 while the canary soaks

    result = lab.run("halt.yaml", Hooks(sleep=traffic_during_soak))

    assert result.result == "halted"
    assert lab.boxes["leaf1"].config == BEFORE
    soak = next(g for g in lab.events("gate") if g["gate_name"] == "soak")
    assert soak["passed"] is False
    assert soak["deltas"]["leaf1"] == {"drops:p0/3": 7}
    assert "7 new lossless drops" in soak["reasons"][0]


def test_device_changed_between_plan_and_apply_is_not_touched(lab: FakeLab) -> None:
    lab.boxes["leaf1"].faults.add("drift")

    result = lab.run("halt.yaml")

    assert result.result == "halted"
    assert lab.boxes["leaf1"].applies == 0
    assert lab.boxes["leaf1"].config == {"mtu": 1280, "pfc": []}  # the other party's change, left alone
    aborted = lab.events("device_aborted")
    assert aborted[0]["device"] == "leaf1"
    assert "changed since it was planned" in aborted[0]["reason"]


def test_failed_rollback_is_reported_as_needing_attention(lab: FakeLab) -> None:
    lab.boxes["leaf1"].faults.update({"bad-after", "rollback-fails"})

    result = lab.run("halt.yaml")

    assert result.exit_code == 1
    assert "rollback failed" in result.summary()["needs_attention"]["leaf1"]


def test_second_rollout_is_refused_while_the_first_runs(lab: FakeLab) -> None:
    refused: list[str] = []

    def start_another(stage: str, batch: int) -> None:
        if stage == "canary":
            with pytest.raises(LockHeld) as exc:
                lab.run("staged.yaml")
            refused.append(str(exc.value))

    result = lab.run("staged.yaml", Hooks(after_batch=start_another, sleep=lambda _s: None))

    assert result.result == "converged"
    assert "is locked by" in refused[0]
    assert "wait for it to finish" in refused[0]


def test_device_locked_by_another_agent_refuses_before_any_change(lab: FakeLab) -> None:
    other = LockInfo("ops@elsewhere", 4242, "roce-agent-20260101T000000Z-abcdef", "other", 0.0, 9e12)
    lab.boxes["spine2"].files[LOCK] = other.to_json().encode()

    with pytest.raises(LocksRefused) as exc:
        lab.run("staged.yaml")

    assert "spine2" in str(exc.value)
    assert "ops@elsewhere" in str(exc.value)
    assert all(b.applies == 0 for b in lab.boxes.values())
    assert lab.boxes["spine2"].files[LOCK] == other.to_json().encode()  # theirs, untouched
    assert all(LOCK not in b.files for d, b in lab.boxes.items() if d != "spine2")  # ours released
    assert not (lab.inventory / ".state" / "rollout.lock").exists()


class Killed(Exception):
    """Stands in for the runner process dying."""


def kill_after(stage_name: str) -> Hooks:
    def hook(stage: str, batch: int) -> None:
        if stage == stage_name:
            raise Killed(stage)

    return Hooks(after_batch=hook, sleep=lambda _s: None)


def test_killed_rollout_resumes_from_its_trail(lab: FakeLab) -> None:
    with pytest.raises(Killed):
        lab.run("staged.yaml", kill_after("leaves"))
    assert lab.boxes["leaf2"].config == SWITCH_AFTER
    assert lab.boxes["spine1"].config == BEFORE

    with pytest.raises(LockHeld) as exc:  # a fresh run is refused and told what to do
        lab.run("staged.yaml")
    assert "--resume" in str(exc.value)

    result = lab.run("staged.yaml", mode="resume")

    assert result.result == "converged"
    assert lab.configs() == {d: after_of(d) for d in DEVICES}
    assert lab.boxes["leaf1"].applies == 1
    assert lab.boxes["leaf2"].applies == 1
    txids = {r["txid"] for r in lab.trail() if r["event"] != "rollout_refused"}
    assert len(txids) == 1  # the resumed run continues the same transaction
    assert [r["event"] for r in lab.trail()].count("rollout_refused") == 1
    assert_no_locks(lab)


def test_kill_during_soak_resume_rolls_pending_devices_back_first(lab: FakeLab) -> None:
    def die_in_soak(seconds: float) -> None:
        raise Killed("soak")

    with pytest.raises(Killed):
        lab.run("staged.yaml", Hooks(sleep=die_in_soak))
    assert lab.boxes["leaf1"].pending is not None  # applied, gate not passed, not confirmed

    result = lab.run("staged.yaml", mode="resume")

    assert result.result == "converged"
    assert lab.boxes["leaf1"].applies == 2  # rolled back, then applied again through its gates
    first = next(r for r in lab.events("rolled_back") if r["device"] == "leaf1")
    assert "interrupted" in first["reason"]
    assert lab.configs() == {d: after_of(d) for d in DEVICES}


def test_abort_rolls_back_everything_the_interrupted_rollout_changed(lab: FakeLab) -> None:
    with pytest.raises(Killed):
        lab.run("staged.yaml", kill_after("spines"))

    result = lab.run("staged.yaml", mode="abort")

    assert result.result == "aborted"
    assert lab.configs() == {d: BEFORE for d in DEVICES}
    assert sorted(result.summary()["rolled_back"]) == ["leaf1", "leaf2", "leaf3", "leaf4", "spine1", "spine2"]
    assert_no_locks(lab)


def test_trail_never_contains_the_password(lab: FakeLab, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "Tr0ub4dor&3-not-a-real-one"
    monkeypatch.setenv("ROCE_AGENT_PASSWORD", secret)
    hosts = lab.inventory / "hosts.yaml"
    hosts.write_text(hosts.read_text().replace("spine1:\n", "spine1:\n  password: inline-Secret-42\n", 1))
    lab.boxes["leaf1"].faults.add("secret-in-plan")  # the adapter leaks it into a detail string

    result = lab.run("staged.yaml")

    assert result.result == "converged"
    text = (lab.inventory / ".state" / "trail.jsonl").read_text()
    assert secret not in text
    assert "inline-Secret-42" not in text
    assert "applied with password ***" in text  # the leaked value was masked where it stood
    assert secret not in lab.out.getvalue()


def test_trail_records_inputs_plans_checkpoints_and_decisions(lab: FakeLab) -> None:
    lab.run("staged.yaml")

    started = lab.events("rollout_started")[0]
    assert started["playbook_hash"].startswith("sha256:")
    assert started["policy_hash"].startswith("sha256:")
    assert started["who"]
    assert started["stages"][0] == {"name": "canary", "batches": [["leaf1"]]}
    planned = {r["device"]: r for r in lab.events("planned")}
    assert planned["leaf1"]["operations"] == [
        {"op": "replace", "path": "/mtu", "value": 9100},
        {"op": "replace", "path": "/pfc", "value": [3]},
    ]
    applied = {r["device"]: r for r in lab.events("applied")}
    assert applied["leaf1"]["status"] == "pending_confirm"
    assert applied["leaf1"]["checkpoint"] == started["txid"]
    assert {r["device"] for r in lab.events("confirmed")} == set(DEVICES)
    finished = lab.events("rollout_finished")[0]
    assert finished["result"] == "converged"
    for line in lab.out.getvalue().splitlines():
        json.loads(line)  # --json progress is one JSON object per line


def test_link_flap_wait_is_announced_for_host_batches(lab: FakeLab) -> None:
    waits: list[float] = []
    lab.run("staged.yaml", Hooks(sleep=waits.append))

    progress = [json.loads(line) for line in lab.out.getvalue().splitlines()]
    flaps = [p for p in progress if p.get("event") == "waiting" and "link flap" in p["for"]]
    assert len(flaps) == 2
    assert "host1" in flaps[0]["for"]
    assert waits.count(2) == 2  # link_flap_wait: 2s, once per host batch


def test_killed_during_the_failure_action_resumes_by_finishing_it(lab: FakeLab) -> None:
    lab.boxes["spine2"].faults.add("apply-fails")
    lab.boxes["leaf3"].faults.add("dies-in-rollback")  # rollback-all goes newest first: spine1, leaf4, leaf3 ...
    with pytest.raises(ProcessDied):
        lab.run("rollback-all.yaml")
    assert lab.boxes["spine1"].config == BEFORE
    assert lab.boxes["leaf2"].config == SWITCH_AFTER  # not yet undone when the agent died

    result = lab.run("rollback-all.yaml", mode="resume")

    assert result.result == "halted"  # the gate had failed: resuming finishes the rollback, never continues
    assert lab.configs() == {d: BEFORE for d in DEVICES}
    assert all(lab.boxes[d].applies == 0 for d in DEVICES if d.startswith("host"))
    assert_no_locks(lab)


def test_tolerated_device_failure_continues_and_is_reported(lab: FakeLab) -> None:
    lab.boxes["leaf3"].faults.add("drift")

    result = lab.run("tolerant.yaml")

    assert result.result == "partial"  # all stages ran, but not every device is in the after state
    assert result.exit_code == 1
    summary = result.summary()
    assert "changed since it was planned" in summary["not_changed"]["leaf3"]
    assert "leaf3" in result.reasons[0]
    assert lab.boxes["leaf3"].config == {"mtu": 1280, "pfc": []}
    assert lab.boxes["leaf2"].config == SWITCH_AFTER  # its batch-mate passed its post-checks alone


def test_platform_without_rollback_is_left_in_its_after_state_and_flagged(
    lab: FakeLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.platforms import registry

    monkeypatch.setitem(registry.OVERRIDES, "linux-rdma", "rollout_fakes:FINAL_ADAPTER")
    lab.boxes["host6"].faults.add("apply-fails")  # second host batch (rack r2); its own apply undoes itself

    result = lab.run("staged.yaml")  # rollback-stage: would undo hosts 1-8, but hosts cannot roll back

    assert result.result == "halted"
    assert result.exit_code == 1
    attention = result.summary()["needs_attention"]
    assert sorted(attention) == [f"host{i}" for i in (1, 2, 3, 4, 5, 7, 8)]
    assert "host6" in result.summary()["rolled_back"]
    assert "left in the after state, platform 'fake-final' cannot rollback" in attention["host1"]
    assert lab.boxes["host1"].config == HOST_AFTER  # untouched by the failed undo: still a proven state
    assert lab.boxes["leaf1"].config == SWITCH_AFTER  # earlier stages are not part of rollback-stage
    statuses = {r["device"]: r["status"] for r in lab.events("rolled_back")}
    assert set(statuses.values()) == {"unsupported"}


def test_a_preflight_refusal_anywhere_stops_the_rollout_before_the_first_write(lab: FakeLab) -> None:
    """Issue 12 item 7: the canary must not converge when leaf2 (a later stage) cannot take the change."""
    lab.boxes["leaf2"].faults.add("preflight-refuses")

    result = lab.run("staged.yaml")

    assert result.result == "halted"
    assert result.exit_code == 1
    assert all(b.applies == 0 for b in lab.boxes.values())
    assert lab.configs() == {d: BEFORE for d in DEVICES}
    assert [e["device"] for e in lab.events("preflight_refused")] == ["leaf2"]
    assert lab.events("preflight_refused")[0]["reasons"] == ["p0: no lookup row for this cable"]
    assert any("leaf2: pre-flight: p0: no lookup row" in r for r in result.reasons)
    assert_no_locks(lab)


def test_a_device_that_cannot_be_planned_stops_the_rollout_before_the_first_write(lab: FakeLab) -> None:
    """A read failure in the pre-flight is not a refusal, but leaf2 failing only in its own batch would
    leave the canary changed and the fabric mixed: with no tolerance in its stage, stop now and say why."""
    lab.boxes["leaf2"].faults.add("plan-fails")

    result = lab.run("staged.yaml")

    assert result.result == "halted"
    assert all(b.applies == 0 for b in lab.boxes.values())
    assert lab.configs() == {d: BEFORE for d in DEVICES}
    assert [(e["device"], e["stage"]) for e in lab.events("preflight_failed")] == [("leaf2", "leaves")]
    assert any("leaf2: pre-flight could not plan it: leaf2: read: session dropped" in r for r in result.reasons)
    assert_no_locks(lab)


def test_an_unplannable_device_within_its_stage_tolerance_is_left_to_its_batch(lab: FakeLab) -> None:
    lab.boxes["leaf3"].faults.add("plan-fails")

    result = lab.run("tolerant.yaml")  # the leaves stage tolerates one failed device

    assert result.result == "partial"
    assert lab.events("preflight_failed") == []
    assert "session dropped" in result.summary()["not_changed"]["leaf3"]
    assert lab.boxes["leaf2"].config == SWITCH_AFTER
    assert lab.boxes["leaf3"].config == BEFORE


def test_a_disruptive_batch_is_applied_one_device_at_a_time(lab: FakeLab) -> None:
    import rollout_fakes

    for host in ("host1", "host2"):
        lab.boxes[host].faults.add("disruptive")
    rollout_fakes.APPLYING[:] = [0, 0]

    result = lab.run("staged.yaml")  # the hosts stage says parallel: 2

    assert result.result == "converged"
    flagged = lab.events("disruptive")
    assert flagged[0]["devices"] == ["host1", "host2"]
    assert flagged[0]["ports"] == {"host1": ["p0"], "host2": ["p0"]}
    assert rollout_fakes.APPLYING[1] == 1
