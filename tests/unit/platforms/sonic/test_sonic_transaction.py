"""The transaction ends with the switch in its before state or its after state, never in between.

Every fault test checks the device's final CONFIG_DB (running and saved).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from agent.intent import DeviceIntent
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus
from agent.platforms.sonic import deadman, gcu_cost
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings, comparable

from .sonic_fake_switch import FakeSonic

ADAPTER = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))


def apply(switch: FakeSonic, intent: DeviceIntent, **opts: Any) -> ApplyOutcome:
    plan = ADAPTER.plan(intent, ADAPTER.gather(switch, intent))
    return ADAPTER.apply(switch, intent, plan, ApplyOptions(**opts))


def converged(switch: FakeSonic, intent: DeviceIntent) -> bool:
    return ADAPTER.plan(intent, ADAPTER.gather(switch, intent)).empty


def test_apply_converges_saves_and_disarms(switch: FakeSonic, intent: DeviceIntent) -> None:
    out = apply(switch, intent)
    assert out.status is ApplyStatus.applied, out.detail
    assert converged(switch, intent)
    assert switch.saved == switch.config
    assert out.checkpoint in switch.checkpoints
    assert deadman.INDEX not in switch.files
    assert all(not p.endswith(".pending") for p in switch.files)
    assert apply(switch, intent).status is ApplyStatus.unchanged


def test_gcu_refusal_stops_before_any_write(switch: FakeSonic, intent: DeviceIntent) -> None:
    before = copy.deepcopy(switch.config)
    switch.refuse_tables = {"WRED_PROFILE"}
    out = apply(switch, intent)
    assert out.status is ApplyStatus.rolled_back
    assert "GCU refused" in out.detail
    assert "WRED_PROFILE" in out.detail
    assert "--allow-fallback-writer" in out.detail
    assert switch.config == before
    assert switch.checkpoints == {}


def test_fallback_writer_only_when_allowed(switch: FakeSonic, intent: DeviceIntent) -> None:
    switch.refuse_tables = {"WRED_PROFILE"}
    out = apply(switch, intent, allow_fallback_writer=True)
    assert out.status is ApplyStatus.applied, out.detail
    assert "fallback writer" in out.detail
    assert converged(switch, intent)
    assert switch.saved == switch.config
    assert any("sonic-db-cli CONFIG_DB hset 'WRED_PROFILE|ROCE_ECN_3'" in c for c in switch.history)


def test_fallback_writer_restores_its_snapshot_on_verification_failure(switch: FakeSonic, intent: DeviceIntent) -> None:
    before = copy.deepcopy(switch.config)
    switch.refuse_tables = {"WRED_PROFILE"}
    switch.no_lossless_pg = True
    out = apply(switch, intent, allow_fallback_writer=True)
    assert out.status is ApplyStatus.rolled_back, out.detail
    assert comparable(switch.config) == comparable(before)
    assert switch.saved == before


@pytest.mark.parametrize("k", [0, 1, 40, 74])  # 74 = one short of the 75-change patch
def test_session_dropped_after_k_of_n_changes_rolls_back(switch: FakeSonic, intent: DeviceIntent, k: int) -> None:
    before = copy.deepcopy(switch.config)
    switch.drop_after_writes = k
    out = apply(switch, intent)
    assert out.status is ApplyStatus.rolled_back, out.detail
    assert "reconnected" in out.events
    assert "session lost" in out.detail
    assert switch.config == before
    assert switch.saved == before
    assert deadman.INDEX not in switch.files


class _NoReconnect(FakeSonic):
    def reconnect(self) -> FakeSonic:
        from agent.errors import DeviceError

        raise DeviceError(self.device, "connect", "127.0.0.1:2201 unreachable")


def test_lost_controller_leaves_the_device_timer_to_roll_back(intent: DeviceIntent) -> None:
    switch = _NoReconnect()
    before = copy.deepcopy(switch.config)
    switch.drop_after_writes = 30
    out = apply(switch, intent)
    assert out.status is ApplyStatus.failed
    assert "rolls back to" in out.detail
    assert switch.config != before  # half applied: exactly the state the timer exists for
    switch.connected = True
    switch.fire_timers()
    assert switch.config == before
    assert switch.saved == before


def test_verification_mismatch_rolls_back(switch: FakeSonic, intent: DeviceIntent) -> None:
    before = copy.deepcopy(switch.config)
    switch.no_lossless_pg = True
    out = apply(switch, intent)
    assert out.status is ApplyStatus.rolled_back
    assert any("priority 3 has no lossless PG in APPL_DB" in v for v in out.verification)
    assert "verification failed" in out.detail
    assert switch.config == before
    assert switch.saved == before


def test_change_between_plan_and_apply_is_refused(switch: FakeSonic, intent: DeviceIntent) -> None:
    plan = ADAPTER.plan(intent, ADAPTER.gather(switch, intent))
    switch.config["PORT"]["Ethernet0"]["mtu"] = "1500"
    changed = copy.deepcopy(switch.config)
    out = ADAPTER.apply(switch, intent, plan, ApplyOptions())
    assert out.status is ApplyStatus.rolled_back
    assert "changed since the plan" in out.detail
    assert switch.config == changed


def test_commit_confirm_pending_then_confirmed(switch: FakeSonic, intent: DeviceIntent) -> None:
    before = copy.deepcopy(switch.config)
    out = apply(switch, intent, confirm_timeout_s=120)
    assert out.status is ApplyStatus.pending_confirm
    assert out.plan is not None
    # armed before the apply: the 120 s window plus GCU's sort and ~1 s per change, so it cannot fire mid-apply
    # (per GCU patch when the change goes in port-group steps: each step sorts only its own ports)
    steps = [(len(s.disruptive), s.changes) for s in out.plan.steps] or [
        (len(out.plan.disruptive), len(out.plan.operations))
    ]
    budget = sum(gcu_cost.timer_budget(f, n) for f, n in steps)
    assert budget > sum(gcu_cost.sort_seconds(f) for f, _ in steps) + len(out.plan.operations)
    assert switch.timers == [(out.checkpoint, 120 + budget)]
    assert switch.saved == before  # never saved before confirmation
    pend = deadman.pending(switch)
    assert pend is not None
    assert pend.txid == out.checkpoint
    assert ADAPTER.confirm(switch) == out.checkpoint
    assert deadman.pending(switch) is None
    assert switch.saved == switch.config
    switch.fire_timers()
    assert converged(switch, intent)


def test_no_second_change_while_a_commit_awaits_confirmation(switch: FakeSonic, intent: DeviceIntent) -> None:
    first = apply(switch, intent, confirm_timeout_s=60)
    assert first.status is ApplyStatus.pending_confirm
    changed = intent.model_copy(update={"policy": intent.policy.model_copy(update={"name": "other"})})
    mtu = {n: p.model_copy(update={"mtu": 9000}) for n, p in changed.ports.items()}
    second = apply(switch, changed.model_copy(update={"ports": mtu}))
    assert second.status is ApplyStatus.rolled_back
    assert f"commit {first.checkpoint} is still awaiting confirmation" in second.detail
    assert switch.config["PORT"]["Ethernet0"]["mtu"] == "9100"


def test_commit_confirm_not_confirmed_reverts(switch: FakeSonic, intent: DeviceIntent) -> None:
    before = copy.deepcopy(switch.config)
    assert apply(switch, intent, confirm_timeout_s=60).status is ApplyStatus.pending_confirm
    switch.fire_timers()
    assert switch.config == before
    assert deadman.pending(switch) is None


def test_rollback_of_a_pending_commit(switch: FakeSonic, intent: DeviceIntent) -> None:
    before = copy.deepcopy(switch.config)
    out = apply(switch, intent, confirm_timeout_s=60)
    assert ADAPTER.rollback(switch) == out.checkpoint
    assert switch.config == before
    assert deadman.pending(switch) is None


def test_dry_run_writes_nothing(switch: FakeSonic, intent: DeviceIntent) -> None:
    before = copy.deepcopy(switch.config)
    out = apply(switch, intent, dry_run=True)
    assert "dry run" in out.detail
    assert switch.config == before
    assert switch.checkpoints == {}


def test_only_the_newest_agent_checkpoints_are_kept(switch: FakeSonic, intent: DeviceIntent) -> None:
    switch.checkpoints["operator-before-upgrade"] = {}
    for n in range(7):
        switch.checkpoints[f"roce-agent-20260101T00000{n}Z-aaaaaa"] = {}
    out = apply(switch, intent)
    ours = sorted(c for c in switch.checkpoints if c.startswith("roce-agent-"))
    assert len(ours) == 5
    assert out.checkpoint in ours
    assert "operator-before-upgrade" in switch.checkpoints
