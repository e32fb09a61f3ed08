"""plan, apply and rollback as library calls: typed requests in, one typed result per device out.

Everything is validated before any device is contacted (`agent.app.inputs`). Each device then runs in
its own Nornir task, so one unreachable or failing device is reported and the others carry on.

Writing calls (apply, rollback) respect rollouts: they refuse the whole run (`Refused`, nothing touched)
while the inventory's rollout lock is held, and take each device's rollout lock around its change; a
device someone else holds is reported with the holder and left alone while the others go on.
`apply` with `check=True` is Ansible's check mode: every device plans and dry-runs its transaction
(GCU `--dry-run` on switches, the pre-write checks on hosts), nothing is written, no lock is taken.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Result, Task

from agent.app.inputs import InventoryRequest, LoadedInventory, load_inventory
from agent.app.progress import Progress, run_on
from agent.failure import reason
from agent.platforms import registry
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, ChangePlan, DeviceSideRevert
from agent.rollout.locks import LocalLock, LockInfo, device_guard, holder_alive

STATE_DIR = ".state"  # agent.rollout.session.STATE_DIR: where rollouts keep their trail and inventory lock
APPLY_LOCK_TTL_S = 1800  # a device lock left by a killed apply expires after this

Approve = Callable[[list[str]], bool]  # sorted device names -> go ahead?


class Refused(Exception):
    """A writing call that did not start: the inventory is locked, or the operator said no. Nothing was
    contacted."""


class NotApproved(Refused):
    """The approval callback declined."""


@dataclass(frozen=True)
class PlanRequest:
    inputs: InventoryRequest
    quiet: bool = False


@dataclass(frozen=True)
class ApplyRequest:
    inputs: InventoryRequest
    confirm_timeout_s: int | None = None  # commit-confirm: switches roll back unless confirmed in time
    allow_fallback_writer: bool = False
    check: bool = False  # dry run: plan and validate on the device, write nothing
    quiet: bool = False


@dataclass(frozen=True)
class RollbackRequest:
    inputs: InventoryRequest
    quiet: bool = False


@dataclass
class DeviceChange:
    """One device's part of a plan, apply or rollback. `status` is "changes" / "unchanged" for a plan,
    an ApplyStatus value (or "would_change") for an apply, "rolled_back" / "nothing_to_undo" for a
    rollback, and "failed" whenever the device could not be handled."""

    device: str
    status: str
    plan: ChangePlan | None = None
    outcome: ApplyOutcome | None = None
    error: str | None = None
    detail: str | None = None

    @property
    def recap(self) -> str:
        """Which recap column the device counts in: "changed", "unchanged" or "failed"."""
        if self.status in ("changes", "would_change", "applied", "pending_confirm", "rolled_back"):
            return "failed" if self.outcome is not None and self.status == "rolled_back" else "changed"
        return "unchanged" if self.status in ("unchanged", "nothing_to_undo") else "failed"

    def to_json(self) -> dict[str, Any]:
        """The per-device JSON of `plan --json` / `apply --json` (a stable, documented shape)."""
        if self.error is not None:
            return {"device": self.device, "status": "failed", "error": self.error}
        out: dict[str, Any] = {"device": self.device}
        if self.outcome is not None:
            o = self.outcome
            out.update(status=self.status, detail=o.detail, checkpoint=o.checkpoint)
            out.update(verification=o.verification, events=o.events)
        else:
            out["status"] = self.status
            if self.detail is not None:
                out["detail"] = self.detail
        if self.plan is not None:
            p = self.plan
            out.update(platform=p.platform, changes=len(p.operations), patch=p.operations_json(), diff=p.lines)
            out["warnings"] = p.warnings
            out["disruptive"] = p.disruptive  # ports the change takes down and up again
            out["steps"] = [dataclasses.asdict(step) for step in p.steps]  # applied in this order
        return out


OK_STATUSES: dict[str, frozenset[str]] = {
    "plan": frozenset({"changes", "unchanged"}),
    "apply": frozenset({ApplyStatus.applied.value, ApplyStatus.unchanged.value}),
    "check": frozenset({"would_change", ApplyStatus.unchanged.value}),
    "rollback": frozenset({"rolled_back", "nothing_to_undo"}),
}


@dataclass
class ChangeRun:
    """Every selected device's result, sorted by name, and the devices left out with why."""

    verb: str  # "plan" | "apply" | "check" | "rollback"
    devices: list[DeviceChange] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def all_ok(self) -> bool:
        """Every device ended where the verb wants it (exit 0), else exit 1."""
        return all(d.status in OK_STATUSES[self.verb] for d in self.devices)

    @property
    def pending_changes(self) -> bool:
        return any(d.status in ("changes", "would_change") for d in self.devices)

    def recap(self) -> dict[str, int]:
        """Ansible's play recap: how many devices changed, were already right, failed (and were skipped)."""
        out = {"changed": 0, "unchanged": 0, "failed": 0}
        for d in self.devices:
            out[d.recap] += 1
        if self.skipped:
            out["skipped"] = len(self.skipped)
        return out

    def recap_line(self) -> str:
        """ "3 changed, 5 unchanged, 0 failed" ("would change" in check mode, "to change" for a plan)."""
        changed = {"check": "would change", "plan": "to change", "rollback": "rolled back"}.get(self.verb, "changed")
        parts = [f"{n} {changed if k == 'changed' else k}" for k, n in self.recap().items()]
        return ", ".join(parts)


# -- plan -----------------------------------------------------------------------------------------
def plan(request: PlanRequest) -> ChangeRun:
    """What `apply` would change, per device. Never writes to a device."""
    from agent.platforms.tasks import plan_task

    loaded = load_inventory(request.inputs)
    results = run_on(loaded, plan_task, Progress("planning", request.quiet))
    return ChangeRun("plan", [_plan_change(n, m[0]) for n, m in sorted(results.items())], dict(loaded.skipped))


def _plan_change(name: str, res: Result) -> DeviceChange:
    value = res.result
    if res.exception is not None or not isinstance(value, ChangePlan):
        return DeviceChange(name, "failed", error=reason(res))
    return DeviceChange(name, "unchanged" if value.empty else "changes", plan=value)


# -- apply ----------------------------------------------------------------------------------------
def prepare_change(inputs: InventoryRequest, approve: Approve) -> LoadedInventory:
    """What every writing call does before touching anything: validate the input (InputError), refuse
    while a rollout holds the inventory (Refused), and ask `approve` (NotApproved)."""
    loaded = load_inventory(inputs)
    refusal = inventory_locked(Path(inputs.inventory))
    if refusal:
        raise Refused(refusal)
    if not approve(sorted(loaded.intents)):
        raise NotApproved("nothing was changed")
    return loaded


def apply(request: ApplyRequest, approve: Approve) -> ChangeRun:
    """Converge the selected devices: per device checkpoint -> apply -> verify -> confirm, else roll back.
    With `request.check` nothing is written, nothing is locked and `approve` is not asked."""
    from agent.platforms.tasks import apply_task
    from agent.txid import new_txid

    loaded = load_inventory(request.inputs) if request.check else prepare_change(request.inputs, approve)
    txid = new_txid()
    progress = Progress("checking" if request.check else "applying", request.quiet)
    opts = ApplyOptions(
        dry_run=request.check,
        confirm_timeout_s=None if request.check else request.confirm_timeout_s,
        allow_fallback_writer=request.allow_fallback_writer,
        txid=txid,
        on_progress=None if request.quiet else progress.change_progress,
    )
    guard = None if request.check else device_guard(LockInfo.new(txid, "roce-agent apply", APPLY_LOCK_TTL_S))
    results = run_on(loaded, apply_task, progress, opts=opts, guard=guard)
    if opts.confirm_timeout_s:
        _confirm_pending(loaded, results, request.quiet)
    devices = [_apply_change(n, m[0], request.check) for n, m in sorted(results.items())]
    return ChangeRun("check" if request.check else "apply", devices, dict(loaded.skipped))


def _apply_change(name: str, res: Result, check: bool) -> DeviceChange:
    value = res.result
    if res.exception is not None or not isinstance(value, ApplyOutcome):
        return DeviceChange(name, "failed", error=reason(res))
    status = value.status.value
    if check and value.status is ApplyStatus.unchanged and value.plan is not None and not value.plan.empty:
        status = "would_change"
    return DeviceChange(name, status, plan=value.plan, outcome=value)


def inventory_locked(inventory: Path) -> str | None:
    """Why the inventory's rollout lock forbids a change now, else None (read only: apply never takes it)."""
    holder = LocalLock(inventory / STATE_DIR).read()
    if holder is None:
        return None
    if holder_alive(holder):
        hint = "a rollout is running on this inventory; wait for it to finish"
    else:
        hint = (
            "an interrupted rollout holds it: `roce-agent rollout PLAYBOOK --resume` or `--abort` first, "
            "or `--break-lock @inventory` if you know it is safe"
        )
    return f"inventory {inventory} is locked by {holder.describe()}; {hint}"


def _confirm_pending(loaded: LoadedInventory, results: AggregatedResult, quiet: bool) -> None:
    """Confirm every switch left pending; a failed confirm means its own timer rolls it back."""
    from agent.platforms.tasks import confirm_task

    pending = {
        name for name, multi in results.items()
        if isinstance(multi[0].result, ApplyOutcome) and multi[0].result.status is ApplyStatus.pending_confirm
    }  # fmt: skip
    if not pending:
        return
    confirmed = run_on(loaded.only(pending), confirm_task, Progress("confirming", quiet))
    for name in pending:
        outcome: ApplyOutcome = results[name][0].result
        res = confirmed[name][0]
        self_reverting = isinstance(registry.adapter_for(loaded.intents[name].platform), DeviceSideRevert)
        if res.exception is None and not res.failed:
            outcome.status = ApplyStatus.applied
            outcome.detail += "; confirmed and saved" if self_reverting else "; confirmed"
        elif self_reverting:
            outcome.detail += f"; confirm FAILED ({res.exception}): the switch rolls back when its timer expires"
        else:
            outcome.detail += f"; confirm FAILED ({res.exception}): the host stays applied and marked pending"


# -- rollback -------------------------------------------------------------------------------------
def rollback(request: RollbackRequest, approve: Approve) -> ChangeRun:
    """Undo the agent's last change per device, under the same locks as `apply`."""
    from agent.platforms.tasks import rollback_task
    from agent.txid import new_txid

    loaded = prepare_change(request.inputs, approve)
    guard = device_guard(LockInfo.new(new_txid(), "roce-agent rollback", APPLY_LOCK_TTL_S))
    results = run_on(loaded, rollback_task, RollbackProgress("rolling back", request.quiet), guard=guard)
    return ChangeRun("rollback", [_rollback_change(n, m[0]) for n, m in sorted(results.items())])


class RollbackProgress(Progress):
    """Rollback results are what was restored (a checkpoint or snapshot txid) or None: say it in words."""

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        change = _rollback_change(host.name, result[0])
        self.say(f"{host.name}: {change.status.replace('_', ' ')}: {change.detail}")


def _rollback_change(name: str, res: Result) -> DeviceChange:
    if res.failed or res.exception is not None:
        return DeviceChange(name, "failed", detail=reason(res))
    if isinstance(res.result, str):  # the switch checkpoint or host snapshot (txid) restored
        return DeviceChange(name, "rolled_back", detail=f"back to {res.result}")
    return DeviceChange(name, "nothing_to_undo", detail="no agent change recorded on the device")
