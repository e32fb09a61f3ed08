"""`apply`'s path on a switch with the device lock folded into the lines (issue 15): four round trips.

The read line also prints the lock, the prepare line takes it (compare-and-swap) and reads the SKU's
pg_profile_lookup.ini, the commit line is unchanged, the confirm line releases it after the save. Each
other end (refusal, a lost session on the prepare line, a race for the lock) leaves no lock of ours.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from agent.errors import PreflightRefused
from agent.intent import DeviceIntent
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings
from agent.rollout.line_lock import LineLock
from agent.rollout.locks import DEFAULT_DEVICE_LOCK, LockHeld, LockInfo
from rocelab.sonic.twin import SonicTwin

from .sonic_twin_runner import TwinRunner

ADAPTER = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))
TXID = "roce-agent-20261207T000000Z-5a0001"
DEAD_PID = 2**22 + 4243  # above Linux's pid_max: no such process


def new_lock(txid: str = TXID) -> LineLock:
    return LineLock("leaf1", DEFAULT_DEVICE_LOCK, LockInfo.new(txid, "roce-agent apply", 600))


def locked_apply(runner: TwinRunner, intent: DeviceIntent, lock: LineLock) -> tuple[ApplyOutcome, list[str]]:
    raw, notes = ADAPTER.gather_locked(runner, intent, lock)
    plan = ADAPTER.plan(intent, raw)
    return ADAPTER.apply_locked(runner, intent, plan, ApplyOptions(txid=lock.info.txid), lock), notes


def lock_file(twin: SonicTwin) -> bytes | None:
    return twin.read_file(DEFAULT_DEVICE_LOCK)


def config_db(twin: SonicTwin) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(twin.run("sonic-cfggen -d --print-data", sudo=False).stdout)
    return doc


def test_a_locked_apply_costs_four_round_trips_and_leaves_no_lock(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin
) -> None:
    out, _ = locked_apply(runner, intent, new_lock())
    assert out.status is ApplyStatus.applied, out.detail
    assert runner.round_trips == 4, runner.history  # read+lock, prepare+take+lookup, commit, confirm+release
    assert "pg_profile_lookup.ini" in runner.history[1]
    assert "mv -f" in runner.history[1]
    assert "rm -f /tmp/roce-agent.lock" in runner.history[3]
    assert lock_file(twin) is None
    assert runner.uploads == 1  # the patch; the lock record is written by printf in the prepare line


def test_someone_elses_lock_stops_the_apply_after_the_read(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin
) -> None:
    other = LockInfo.new("roce-agent-20261207T000000Z-0bee12", "lab-rollout", 600)
    twin.write_file(DEFAULT_DEVICE_LOCK, (other.to_json() + "\n").encode())
    with pytest.raises(LockHeld, match="--break-lock leaf1=roce-agent-20261207T000000Z-0bee12"):
        ADAPTER.gather_locked(runner, intent, new_lock())
    assert runner.round_trips == 1
    assert lock_file(twin) == (other.to_json() + "\n").encode()


def test_a_dead_one_shot_lock_is_reclaimed_by_the_take(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin
) -> None:
    me = LockInfo.new("x", "roce-agent apply", 1).owner
    dead = LockInfo(me, DEAD_PID, "roce-agent-20261206T000000Z-dead00", "roce-agent apply", time.time(), 2e9)
    twin.write_file(DEFAULT_DEVICE_LOCK, (dead.to_json() + "\n").encode())
    out, notes = locked_apply(runner, intent, new_lock())
    assert out.status is ApplyStatus.applied, out.detail
    assert notes == [f"reclaimed the stale lock of {dead.describe()}"]
    assert lock_file(twin) is None


def test_a_lock_taken_between_the_read_and_the_take_wins(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin
) -> None:
    """The compare-and-swap: the read saw no lock, another agent wrote one before the prepare line;
    the `mv` does not happen, the print-back names the other, nothing is written and its lock stays."""
    lock = new_lock()
    raw, _ = ADAPTER.gather_locked(runner, intent, lock)
    plan = ADAPTER.plan(intent, raw)
    before = config_db(twin)
    other = LockInfo.new("roce-agent-20261207T000000Z-0bee12", "roce-agent apply", 600)
    twin.write_file(DEFAULT_DEVICE_LOCK, (other.to_json() + "\n").encode())
    out = ADAPTER.apply_locked(runner, intent, plan, ApplyOptions(txid=TXID), lock)
    assert out.status is ApplyStatus.rolled_back
    assert "another agent took it at the same moment" in out.detail
    assert config_db(twin) == before
    assert lock_file(twin) == (other.to_json() + "\n").encode()


def test_a_session_lost_on_the_prepare_line_undoes_the_take(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin
) -> None:
    """The prepare line ran (the lock is ours on the switch) but its answer never came back: the agent
    reconnects and removes the lock it cannot prove it holds. Without that undo the lock is stranded."""
    lock = new_lock()
    raw, _ = ADAPTER.gather_locked(runner, intent, lock)
    plan = ADAPTER.plan(intent, raw)
    twin.inject_fault("drop-after-commands", {"k": "1"})
    out = ADAPTER.apply_locked(runner, intent, plan, ApplyOptions(txid=TXID), lock)
    assert out.status is ApplyStatus.rolled_back
    assert "stopped before any write" in out.detail
    assert lock_file(twin) is None


def test_an_uncovered_cable_is_refused_from_the_prepare_lines_lookup(
    runner: TwinRunner, intent: DeviceIntent, twin: SonicTwin
) -> None:
    """The lookup file's path is known only after the read, so apply reads it in the prepare line and
    refuses there, before the commit line: nothing written, the lock released."""
    ports = {
        n: p.model_copy(update={"cable_m": 7 if p.link_role == "host" else p.cable_m}) for n, p in intent.ports.items()
    }
    odd = intent.model_copy(update={"ports": ports})
    before = config_db(twin)
    with pytest.raises(PreflightRefused, match="speed 400000 with a 7m cable has no row"):
        locked_apply(runner, odd, new_lock())
    assert not any("config checkpoint" in line for line in runner.history)
    assert config_db(twin) == before
    assert lock_file(twin) is None
