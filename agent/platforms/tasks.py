"""Generic Nornir tasks: gather, plan, apply, confirm, rollback on any device, by its platform's adapter.

Each task looks the adapter up with `agent.platforms.registry.adapter_for` (SONiC switches, RDMA
hosts, later EOS/Cumulus) and gets the device's CommandRunner from the adapter's own `connect`:

* switches ride on the NAPALM connection (platform ``rocesonic``), so `napalm_confirm_commit` from
  nornir_napalm works on the very same session (adapters with the NapalmBacked capability);
* other devices use the ``roce_ssh`` connection plugin (agent.transports.nornir_ssh), or ``docker
  exec`` when their host data says ``transport: docker`` (containerlab inventories).

A device failure is a failed Nornir Result for that host (Nornir catches the exception); other hosts
carry on. A change can be wrapped in a `DeviceGuard` the caller builds (rollouts and `apply` pass the
device lock of agent.rollout.locks), so this module knows nothing of locks. An adapter that takes the
lock inside its own command lines (LockFolding: SONiC) gets it as a LineLockLike from a FoldableGuard
instead of being wrapped, which saves the lock's own round trips.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nornir.core.task import Result, Task
from nornir_napalm.plugins.tasks import napalm_confirm_commit

from agent.identity import IDENTITY_KEY, verify_identity
from agent.intent import DeviceIntent
from agent.platforms.base import (
    ApplyOptions,
    ApplyOutcome,
    ApplyStatus,
    ChangePlan,
    CommandRunner,
    DeviceGuard,
    FoldableGuard,
    LineLockLike,
    LockFolding,
    NapalmBacked,
)
from agent.platforms.registry import adapter_for
from agent.state import DeviceState
from agent.transports.nornir_ssh import SSH_CONNECTION, RoceSsh, ssh_target

__all__ = ["SSH_CONNECTION", "RoceSsh", "ssh_target"]  # where they were before agent.transports.nornir_ssh

OK_STATUSES = (ApplyStatus.applied, ApplyStatus.unchanged, ApplyStatus.pending_confirm)


# -- connections --------------------------------------------------------------------------------------
def runner_for(task: Task, intent: DeviceIntent) -> CommandRunner:
    """The device's session, opened by its platform's adapter on the Nornir host's connections."""
    return adapter_for(intent.platform).connect(task.host, task.nornir.config)


def _intent(task: Task, intents: dict[str, DeviceIntent]) -> DeviceIntent:
    try:
        return intents[task.host.name]
    except KeyError:
        raise KeyError(f"{task.host.name}: no intent (is it in the inventory the policy was built for?)") from None


# -- tasks --------------------------------------------------------------------------------------------
def gather_task(task: Task, intents: dict[str, DeviceIntent]) -> Result:
    """Read the device (counted round trips in `round_trips`); result is its DeviceState."""
    intent = _intent(task, intents)
    adapter = adapter_for(intent.platform)
    runner = runner_for(task, intent)
    before = runner.round_trips
    raw = adapter.gather(runner, intent)
    state: DeviceState = adapter.normalize(task.host.name, raw)
    verify_identity(task.host.name, state.hostname, task.host.get(IDENTITY_KEY))
    return Result(host=task.host, result=state, raw=raw, round_trips=runner.round_trips - before)


def _gather_verified(task: Task, intent: DeviceIntent, runner: CommandRunner) -> Any:
    """The device's raw state, once its reported hostname proved it is the device planned for."""
    adapter = adapter_for(intent.platform)
    raw = adapter.gather(runner, intent)
    verify_identity(task.host.name, adapter.normalize(task.host.name, raw).hostname, task.host.get(IDENTITY_KEY))
    return raw


def plan_task(task: Task, intents: dict[str, DeviceIntent]) -> Result:
    """Never writes. Result is the ChangePlan; `diff` is its human-readable form."""
    intent = _intent(task, intents)
    adapter = adapter_for(intent.platform)
    raw = _gather_verified(task, intent, runner_for(task, intent))
    plan: ChangePlan = adapter.plan(intent, raw)
    return Result(host=task.host, result=plan, changed=not plan.empty, diff="\n".join(plan.lines))


def apply_task(
    task: Task, intents: dict[str, DeviceIntent], opts: ApplyOptions, guard: DeviceGuard | None = None
) -> Result:
    """Plan and apply as one transaction; failed unless the device ends applied/unchanged/pending.

    With `guard` (`apply` passes the device lock rollouts use), the change runs inside it: a device the
    guard refuses (locked by anyone else: LockHeld naming the holder) fails untouched."""
    intent = _intent(task, intents)
    runner = runner_for(task, intent)
    adapter = adapter_for(intent.platform)
    if isinstance(guard, FoldableGuard) and isinstance(adapter, LockFolding):
        return _apply_folded(task, intent, runner, opts, guard.line_lock(task.host.name))
    return _guarded(runner, guard, lambda: _apply(task, intent, runner, opts))


def _guarded(runner: CommandRunner, guard: DeviceGuard | None, step: Callable[[], Result]) -> Result:
    if guard is None:
        return step()
    with guard(runner) as notes:
        result = step()
    if notes and isinstance(result.result, ApplyOutcome):
        result.result.events.extend(notes)
    return result


def _apply(task: Task, intent: DeviceIntent, runner: CommandRunner, opts: ApplyOptions) -> Result:
    adapter = adapter_for(intent.platform)
    plan = adapter.plan(intent, _gather_verified(task, intent, runner))
    outcome: ApplyOutcome = adapter.apply(runner, intent, plan, opts)
    failed = outcome.status not in OK_STATUSES
    changed = outcome.status in (ApplyStatus.applied, ApplyStatus.pending_confirm)
    return Result(host=task.host, result=outcome, changed=changed, failed=failed, diff="\n".join(plan.lines))


def _apply_folded(
    task: Task, intent: DeviceIntent, runner: CommandRunner, opts: ApplyOptions, lock: LineLockLike
) -> Result:
    """The apply of a platform that takes the lock inside its own lines: the read line also reads the
    lock (someone else's: LockHeld, the device fails untouched), the change takes and releases it."""
    adapter = adapter_for(intent.platform)
    assert isinstance(adapter, LockFolding)
    raw, notes = adapter.gather_locked(runner, intent, lock)
    verify_identity(task.host.name, adapter.normalize(task.host.name, raw).hostname, task.host.get(IDENTITY_KEY))
    plan = adapter.plan(intent, raw)
    outcome: ApplyOutcome = adapter.apply_locked(runner, intent, plan, opts, lock)
    if lock.taken:  # a stale lock is reclaimed only by a change that took it
        outcome.events.extend(notes)
    failed = outcome.status not in OK_STATUSES
    changed = outcome.status in (ApplyStatus.applied, ApplyStatus.pending_confirm)
    return Result(host=task.host, result=outcome, changed=changed, failed=failed, diff="\n".join(plan.lines))


def confirm_task(task: Task, intents: dict[str, DeviceIntent]) -> Result:
    """Confirm a pending commit (switches: nornir_napalm's `napalm_confirm_commit`)."""
    intent = _intent(task, intents)
    adapter = adapter_for(intent.platform)
    runner = runner_for(task, intent)
    if isinstance(adapter, NapalmBacked):  # the NAPALM session is open now (runner_for opened it)
        sub = task.run(task=napalm_confirm_commit)
        return Result(host=task.host, result=sub[0].result, changed=sub[0].changed)
    txid = adapter.confirm(runner)  # hosts: clears the pending marker, keeps the snapshot
    return Result(host=task.host, result=txid, changed=txid is not None)


def rollback_task(task: Task, intents: dict[str, DeviceIntent], guard: DeviceGuard | None = None) -> Result:
    """Roll back the pending change or the last agent change (switches: to the device checkpoint; hosts:
    to the before-snapshot kept on the host); result: what was restored, or None. Guarded like `apply_task`."""
    intent = _intent(task, intents)
    runner = runner_for(task, intent)
    return _guarded(runner, guard, lambda: _rollback(task, intent, runner))


def _rollback(task: Task, intent: DeviceIntent, runner: CommandRunner) -> Result:
    """The adapter's own rollback on the task's session (for switches, the NAPALM driver's runner: what
    `napalm_rollback` would call), because it says which checkpoint it restored, or None for nothing.
    A platform whose apply is final raises RollbackUnsupported: a failed Result for that device."""
    undone = adapter_for(intent.platform).rollback(runner)
    return Result(host=task.host, result=undone, changed=undone is not None)
