"""The SONiC adapter against the lab's SONiC twin in-process: convergence and every fault kind.

Each fault test ends by reading the twin's CONFIG_DB (running and saved) and checking it is exactly
the before state or the converged after state.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.intent import DeviceIntent
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus
from agent.platforms.sonic import deadman
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings, comparable
from rocelab.sonic.twin import SonicTwin

from .sonic_twin_runner import CABLED, TwinRunner

ADAPTER = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))


def config_db(twin: SonicTwin) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(twin.run("sonic-cfggen -d --print-data", sudo=False).stdout)
    return doc


def saved_db(twin: SonicTwin) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(twin.run("cat /etc/sonic/config_db.json", sudo=False).stdout)
    return doc


def apply(runner: TwinRunner, intent: DeviceIntent, **opts: Any) -> ApplyOutcome:
    plan = ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
    return ADAPTER.apply(runner, intent, plan, ApplyOptions(**opts))


def armed_seconds(out: ApplyOutcome) -> float:
    """The rollback timer the transaction armed (window + GCU's apply-time budget), from its events."""
    event = next(e for e in out.events if e.startswith("rollback timer armed ("))
    return float(event.removeprefix("rollback timer armed (").split("s", 1)[0])


def converged(runner: TwinRunner, intent: DeviceIntent) -> bool:
    return ADAPTER.plan(intent, ADAPTER.gather(runner, intent)).empty


def test_gather_is_one_redis_round_trip_and_normalizes(runner: TwinRunner, intent: DeviceIntent) -> None:
    raw = ADAPTER.gather(runner, intent)
    assert runner.round_trips == 1  # the redis read (fastread.py)
    state = ADAPTER.normalize("leaf1", raw)
    assert state.raw_errors == []
    port = state.ports["Ethernet0"]
    assert (port.speed_mbps, port.cable_m, port.lossless_priorities) == (400000, 5, [3, 4])  # Mellanox default_cable
    # buffermgrd made the 5m lossless PG at boot from the SKU's pg_profile_lookup.ini
    assert any(g.programmed for g in port.priority_groups if 3 in g.priorities)


def test_plan_from_defaults_apply_converges_second_plan_empty(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin
) -> None:
    plan = ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
    assert "~ PORT_QOS_MAP|Ethernet0 pfc_enable: '3,4' -> '3'" in plan.lines
    out = ADAPTER.apply(runner, intent, plan, ApplyOptions())
    assert out.status is ApplyStatus.applied, out.detail
    assert converged(runner, intent)
    state = ADAPTER.normalize("leaf1", ADAPTER.gather(runner, intent))
    pg = next(g for g in state.ports["Ethernet0"].priority_groups if 3 in g.priorities)
    assert pg.programmed is not None
    assert pg.programmed.name == "pg_lossless_400000_5m_profile"
    assert pg.programmed.xoff
    assert pg.programmed.xoff > 0
    assert state.config_saved is True
    assert saved_db(twin) == config_db(twin)
    assert twin.run(f"cat {deadman.INDEX}", sudo=False).exit_code == 1


def test_gcu_refusal_is_clear_and_writes_nothing(runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin) -> None:
    before = config_db(twin)
    twin.inject_fault("refuse-table", {"table": "WRED_PROFILE"})
    out = apply(runner, intent)
    assert out.status is ApplyStatus.rolled_back
    assert "GCU refused" in out.detail
    assert "--allow-fallback-writer" in out.detail
    assert config_db(twin) == before
    assert saved_db(twin) == before


def test_gcu_refusal_with_fallback_writer_converges(runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin) -> None:
    twin.inject_fault("refuse-table", {"table": "WRED_PROFILE"})
    out = apply(runner, intent, allow_fallback_writer=True)
    assert out.status is ApplyStatus.applied, out.detail
    assert converged(runner, intent)
    assert saved_db(twin) == config_db(twin)


@pytest.mark.parametrize("k", [0, 5, 60])
def test_session_dropped_after_k_changes_ends_in_before_state(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin, k: int
) -> None:
    before = config_db(twin)

    def arm(command: str) -> None:
        # armed right before the commit line (checkpoint && timer && the real write): the dry run is in
        # the prepare line before it (the twin's budget counts only real writes anyway)
        if "&& sudo config apply-patch /tmp/" in command:
            twin.inject_fault("drop-after-writes", {"k": str(k)})

    runner.before_run = arm
    out = apply(runner, intent)
    assert out.status is ApplyStatus.rolled_back, out.detail
    assert "reconnected" in out.events
    assert comparable(config_db(twin)) == comparable(before)
    assert comparable(saved_db(twin)) == comparable(before)


def test_lost_controller_device_timer_rolls_back(runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin) -> None:
    before = config_db(twin)
    runner.before_run = lambda c: (
        twin.inject_fault("drop-after-writes", {"k": "30"}) if "&& sudo config apply-patch /tmp/" in c else None
    )
    runner.can_reconnect = False
    out = apply(runner, intent)
    assert out.status is ApplyStatus.failed
    assert "rolls back to" in out.detail
    assert config_db(twin) != before  # half applied, until the switch's own timer fires
    start = twin.wall()
    twin.wall = lambda: start + armed_seconds(out) - 1.0
    assert config_db(twin) != before  # the timer covers GCU's apply time: it has not fired yet
    twin.wall = lambda: start + armed_seconds(out) + 1.0
    assert comparable(config_db(twin)) == comparable(before)
    assert twin.run(f"cat {deadman.INDEX}", sudo=False).exit_code == 1


def test_verification_mismatch_when_appl_db_lacks_the_lossless_pg(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Force10-S6000's pg_profile_lookup.ini has no 400G row: buffermgrd creates no lossless PG. With the
    lookup unreadable the pre-flight can only warn, so verification is the net that catches it.

    (On the default Mellanox SKU an unknown cable length leaves the boot-time 5m PG in place, as the real
    buffermgrd does, so that SKU cannot show this failure.)"""
    twin = SonicTwin("leaf1", twin.ports, sku="Force10-S6000")
    runner = TwinRunner(twin)
    hidden = twin.read_file
    monkeypatch.setattr(
        twin, "read_file", lambda path: None if path.endswith("pg_profile_lookup.ini") else hidden(path)
    )
    before = config_db(twin)
    policy = intent.policy.model_copy(update={"cable_length": {"host": 7, "fabric": 40, "default": 40}})
    ports = {
        n: p.model_copy(update={"cable_m": 7 if p.link_role == "host" else p.cable_m}) for n, p in intent.ports.items()
    }
    odd = intent.model_copy(update={"policy": policy, "ports": ports})
    plan = ADAPTER.plan(odd, ADAPTER.gather(runner, odd))
    assert any("coverage not checked" in w for w in plan.warnings)
    out = ADAPTER.apply(runner, odd, plan, ApplyOptions())
    assert out.status is ApplyStatus.rolled_back, out.detail
    assert any("Ethernet0: priority 3 has no lossless PG" in v for v in out.verification), out.verification
    assert comparable(config_db(twin)) == comparable(before)
    assert saved_db(twin) == before


def test_commit_confirm_on_the_twin(runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin) -> None:
    before = config_db(twin)
    out = apply(runner, intent, confirm_timeout_s=120)
    assert out.status is ApplyStatus.pending_confirm, out.detail
    assert saved_db(twin) == before
    assert ADAPTER.confirm(runner) == out.checkpoint
    start = twin.wall()
    twin.wall = lambda: start + 500.0  # the timer expires after confirmation: nothing happens
    assert converged(runner, intent)
    assert saved_db(twin) == config_db(twin)


def test_unconfirmed_commit_reverts_on_the_twin(runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin) -> None:
    before = config_db(twin)
    out = apply(runner, intent, confirm_timeout_s=60)
    assert out.status is ApplyStatus.pending_confirm
    assert armed_seconds(out) > 60  # the window plus GCU's apply time (armed before the apply)
    start = twin.wall()
    twin.wall = lambda: start + armed_seconds(out) + 1.0
    assert comparable(config_db(twin)) == comparable(before)
    assert deadman.pending(runner) is None


def test_dynamic_buffer_model_converges(intent: DeviceIntent) -> None:
    """Dynamic model: CONFIG_DB keeps `BUFFER_PG|port|3-4 = NULL`; APPL_DB holds the computed profile."""
    from rocelab.twin import TwinPort

    twin = SonicTwin(
        "leaf1", [TwinPort(n, 400_000, nb, role) for n, (nb, role) in CABLED.items()], buffer_model="dynamic"
    )
    runner = TwinRunner(twin)
    assert apply(runner, intent).status is ApplyStatus.applied
    assert converged(runner, intent)
    state = ADAPTER.normalize("leaf1", ADAPTER.gather(runner, intent))
    assert state.buffer_model == "dynamic"
    pg = next(g for g in state.ports["Ethernet0"].priority_groups if 3 in g.priorities)
    assert pg.configured_profile == "NULL"
    assert pg.programmed is not None
    assert pg.programmed.xoff


def test_a_change_costs_four_round_trips(runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin) -> None:
    """Issue 15: the plan's read, then prepare (re-read, pending?, checkpoints, dry run), commit
    (checkpoint, timer, apply, CLI writes, verify read) and confirm (disarm, save, prune): one line each.
    A regression to one command per step (12-16 before) fails here."""
    plan = ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
    reads = runner.round_trips
    out = ADAPTER.apply(runner, intent, plan, ApplyOptions())
    assert out.status is ApplyStatus.applied, out.detail
    # the one-round-trip read, and the SKU's pg_profile_lookup.ini the plan's pre-flight needs on this
    # traditional-buffer-model twin (its path comes from DEVICE_METADATA, known only after the read)
    assert reads == 2, runner.history
    assert runner.round_trips - reads == 3, runner.history[reads:]
    assert runner.uploads == 1  # the patch; the dead-man markers are written by the commit line
    assert converged(runner, intent)
