"""The staged runner: per batch, pre-checks -> plan -> lock -> re-check base -> apply (commit-confirm) ->
post-checks -> soak with a counter gate -> confirm; on a failed gate, the failure action.

Hosts: `parallel` bounds how many hosts change at once; within a host, the host adapter applies its
operations NIC by NIC and waits for each flapped link, so one NIC at a time per host holds.

Before the first write every staged device is planned once (agent.rollout.preflight): if any device
refuses, the rollout stops with nothing written. A batch whose plans are disruptive (ports flapped, e.g. by GCU's
sorter) is applied one device at a time whatever the stage's `parallel` says.

Invariant: at the end of every run (converged, halted, aborted) each device is in its before state
or its after state. A device whose rollback cannot be proven is reported as needing a human (and is the
only exception). Every decision goes to the trail before the next step, so a killed runner can be
resumed (`--resume`) or undone (`--abort`) from it.

This module changes devices (locks, plan, apply, confirm, failure actions); reading devices to judge a
batch (gates, soak, link-flap wait) lives in agent.rollout.batch_gates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from nornir.core import Nornir

from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, ChangePlan
from agent.rollout.batch_gates import BatchGates, at
from agent.rollout.fabric import Fabric, RollbackUnsupported
from agent.rollout.locks import DeviceLock, LocalLock, LockHeld, LockInfo
from agent.rollout.playbook import FailureAction, RolloutPlaybook, Stage
from agent.rollout.preflight import preflight
from agent.rollout.progress import ProgressSink
from agent.rollout.result import DeviceRecord, RolloutResult, records_from_journal
from agent.rollout.stages import ResolvedStage
from agent.rollout.steps import DeviceAborted, Where, on_devices
from agent.rollout.trail import AFTER, BEFORE, FAILED, PENDING, RolloutJournal, Trail


class LocksRefused(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def wait(seconds: float) -> None:
    """The real wait for soak and link-flap windows (module-level so an embedder can replace it)."""
    time.sleep(seconds)


@dataclass
class Hooks:
    """Test and embedding seams: `after_batch` runs after a batch is recorded done (raise to simulate a
    kill); `sleep` is the wait used for soak and link-flap windows."""

    after_batch: Callable[[str, int], None] | None = None
    sleep: Callable[[float], None] = field(default_factory=lambda: wait)


def _record_rollback(rec: DeviceRecord, res: Any, reason: str) -> str:
    """Device record after a rollback attempt; returns the trail status (rolled_back|unsupported|failed)."""
    if isinstance(res, ApplyOutcome) and res.status is ApplyStatus.rolled_back:
        rec.state, rec.rolled_back, rec.reason = BEFORE, True, reason
        return "rolled_back"
    if isinstance(res, RollbackUnsupported):  # nothing was touched: the device stays verified in the after state
        rec.attention = True
        rec.reason = f"left in the after state, {res.detail} ({reason})"
        return "unsupported"
    rec.state = FAILED
    rec.reason = f"rollback failed ({res if isinstance(res, BaseException) else res.detail})"
    return "failed"


class RolloutRunner:
    def __init__(
        self,
        playbook: RolloutPlaybook,
        stages: list[ResolvedStage],
        nr: Nornir,
        fabric: Fabric,
        trail: Trail,
        sink: ProgressSink,
        local_lock: LocalLock,
        txid: str,
        meta: dict[str, Any],
        hooks: Hooks | None = None,
    ) -> None:
        self.pb = playbook
        self.stages = stages
        self.nr = nr
        self.fabric = fabric
        self.trail = trail
        self.sink = sink
        self.local_lock = local_lock
        self.txid = txid
        self.meta = meta
        self.hooks = hooks or Hooks()
        self.devices: dict[str, DeviceRecord] = {d: DeviceRecord() for s in stages for d in s.devices}
        self.change_order: list[str] = []
        self.stage_of = {s.name: s for s in playbook.stages}  # resolved stage name -> its options
        self.on_devices = partial(on_devices, nr, sink)  # each step on a set of devices, through Nornir
        self.gates = BatchGates(
            fabric,
            self.on_devices,
            self.emit,
            sink,
            lambda seconds: self.hooks.sleep(seconds),
            self.devices,
            playbook.options.link_flap_wait,
        )

    # ---- plumbing -------------------------------------------------------------------------------------

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        record = self.trail.append(self.txid, event, **fields)
        self.sink.event(record)
        return record

    # ---- locks ----------------------------------------------------------------------------------------

    def lock_record(self) -> LockInfo:
        """Who holds the locks, with an expiry counted from now (every re-acquire extends it)."""
        return LockInfo.new(self.txid, self.pb.name, self.pb.options.lock_ttl)

    def lock_all(self, takeover: str | None = None) -> None:
        self.local_lock.acquire(self.lock_record(), takeover_txid=takeover)
        path = self.pb.options.lock_path

        def take(dev: str) -> None:
            stale = DeviceLock(self.fabric.command_runner(dev), path).acquire(self.lock_record())
            if stale is not None:
                self.emit("lock_reclaimed", device=dev, holder=stale.describe())

        results = self.on_devices(self.devices, "lock", take)
        problems = [f"{d}: {r}" for d, r in results.items() if isinstance(r, BaseException)]
        if problems:
            self.unlock_all(only=[d for d, r in results.items() if not isinstance(r, BaseException)])
            raise LocksRefused(problems)

    def unlock_all(self, only: list[str] | None = None) -> None:
        path = self.pb.options.lock_path
        devices = list(self.devices) if only is None else only
        results = self.on_devices(
            devices, "unlock", lambda d: DeviceLock(self.fabric.command_runner(d), path).release(self.txid)
        )
        for dev, res in results.items():
            if isinstance(res, BaseException):  # the lock expires on its own; until then --break-lock clears it
                self.trail.append(self.txid, "unlock_failed", device=dev, error=str(res))
        self.local_lock.release(self.txid)

    # ---- one batch ------------------------------------------------------------------------------------

    def plan_batch(self, batch: list[str], where: Where) -> tuple[dict[str, ChangePlan], list[str]]:
        plans: dict[str, ChangePlan] = {}
        reasons: list[str] = []
        for dev, res in self.on_devices(batch, "plan", self.fabric.plan, where=where).items():
            if isinstance(res, ChangePlan):
                plans[dev] = res
                self.devices[dev].base_fingerprint = res.base_fingerprint
                self.emit(
                    "planned",
                    **at(where),
                    device=dev,
                    platform=res.platform,
                    operations=res.operations_json(),
                    lines=res.lines,
                    warnings=res.warnings,
                    base_fingerprint=res.base_fingerprint,
                )
            else:
                reasons.append(f"{dev}: could not plan: {res}")
                self.devices[dev].reason = f"could not plan: {res}"
                self.emit("device_aborted", **at(where), device=dev, reason=f"could not plan: {res}")
        return plans, reasons

    def apply_one(self, dev: str, plan: ChangePlan) -> ApplyOutcome:
        runner = self.fabric.command_runner(dev)
        try:
            DeviceLock(runner, self.pb.options.lock_path).acquire(self.lock_record())  # still ours; new expiry
        except LockHeld as exc:
            raise DeviceAborted(str(exc)) from None
        fresh = self.fabric.plan(dev)
        if fresh.base_fingerprint != plan.base_fingerprint or (
            plan.base_fingerprint is None and fresh.operations != plan.operations
        ):
            raise DeviceAborted("the device changed since it was planned (base fingerprint differs); not touched")
        if plan.empty:
            return ApplyOutcome(dev, ApplyStatus.unchanged, "already in the intended state", plan=plan)
        opts = ApplyOptions(
            confirm_timeout_s=self.pb.options.confirm_timeout,
            txid=self.txid,
            allow_fallback_writer=self.pb.options.allow_fallback_writer,
            on_progress=lambda p: self.sink.event(p.record()),  # live only: progress is not trail material
        )
        return self.fabric.apply(dev, plan, opts)

    def record_outcome(self, dev: str, res: Any, where: Where) -> str | None:
        """Update the device record from an apply result; returns a reason if the device failed."""
        rec = self.devices[dev]
        if isinstance(res, BaseException):
            rec.reason = f"not changed: {res}"
            self.emit("device_aborted", **at(where), device=dev, reason=str(res))
            return f"{dev}: {res}"
        out: ApplyOutcome = res
        rec.checkpoint = out.checkpoint or rec.checkpoint
        self.emit(
            "applied",
            **at(where),
            device=dev,
            status=out.status.value,
            detail=out.detail,
            checkpoint=out.checkpoint,
            verification=out.verification,
            events=out.events,
        )
        if out.status in (ApplyStatus.applied, ApplyStatus.pending_confirm):
            rec.state = PENDING if out.status is ApplyStatus.pending_confirm else AFTER
            rec.changed, rec.stage = True, where[0]
            self.change_order.append(dev)
            return None
        if out.status is ApplyStatus.unchanged:
            rec.state = AFTER
            return None
        rec.state = BEFORE if out.status is ApplyStatus.rolled_back else FAILED
        rec.rolled_back = out.status is ApplyStatus.rolled_back
        rec.reason = f"apply {out.status.value}: {out.detail}"
        return f"{dev}: apply {out.status.value}: {out.detail}"

    def run_batch(self, stage: Stage, idx: int, batch: list[str]) -> list[str]:
        """Returns the reasons the gate failed (empty = batch confirmed)."""
        where = (stage.name, idx)
        self.emit("batch_started", stage=stage.name, batch=idx, devices=batch)
        reasons = self.gates.check_gate("pre-check", batch, stage.pre_checks, where)
        if reasons:
            return reasons
        plans, failures = self.plan_batch(batch, where)
        disruptive = [d for d, p in plans.items() if p.disruptive]
        parallel = 1 if disruptive else stage.parallel
        if disruptive:
            self.emit("disruptive", **at(where), devices=disruptive, ports={d: plans[d].disruptive for d in disruptive})
        baseline = None
        if self.pb.transition is not None:  # the counters gate watches the change itself, not only the soak
            baseline, errors = self.gates.baseline([d for d, p in plans.items() if not p.empty], where)
            if errors:
                return failures + errors
        results = self.on_devices(plans, "apply", lambda d: self.apply_one(d, plans[d]), parallel=parallel, where=where)
        for dev, res in results.items():
            reason = self.record_outcome(dev, res, where)
            if reason:
                failures.append(reason)
        if len(failures) > stage.gate.max_failed_devices:
            self.emit("gate", stage=stage.name, batch=idx, gate_name="devices", passed=False, reasons=failures)
            return failures
        landed = [d for d in batch if self.devices[d].state in (AFTER, PENDING)]  # failed ones are judged above
        self.gates.wait_for_links(landed, where)
        reasons = self.gates.check_gate("post-check", landed, stage.post_checks, where)
        reasons = reasons or self.gates.soak(stage, landed, where, baseline)
        return reasons or self.confirm(landed, where)

    def confirm(self, batch: list[str], where: Where) -> list[str]:
        pending = [d for d in batch if self.devices[d].state == PENDING]

        reasons = []
        for dev, res in self.on_devices(pending, "confirm", self.fabric.confirm, where=where).items():
            if isinstance(res, BaseException):
                reasons.append(f"{dev}: confirm failed: {res}")
            else:
                self.devices[dev].state = AFTER
                self.emit("confirmed", **at(where), device=dev, checkpoint=self.devices[dev].checkpoint)
        return reasons

    # ---- failure handling -----------------------------------------------------------------------------

    def rollback_set(self, action: FailureAction, stage: str, batch: list[str]) -> list[str]:
        changed = [d for d in reversed(self.change_order) if self.devices[d].state in (AFTER, PENDING)]
        pending = [d for d in changed if self.devices[d].state == PENDING]
        if action is FailureAction.rollback_all:
            return changed
        if action is FailureAction.rollback_stage:
            return [d for d in changed if self.devices[d].stage == stage or d in pending]
        return [d for d in changed if d in batch or d in pending]

    def roll_back(self, devices: list[str], reason: str, where: Where | None = None) -> None:
        def undo(dev: str) -> ApplyOutcome:
            return self.fabric.rollback(dev, self.devices[dev].base_fingerprint)

        # one device at a time, newest change first: the reverse of the order the rollout made them
        for dev in devices:
            res = self.on_devices([dev], "rollback", undo, where=where)[dev]
            status = _record_rollback(self.devices[dev], res, reason)
            rec = self.devices[dev]
            self.emit(
                "rolled_back", **at(where), device=dev, status=status, reason=rec.reason, checkpoint=rec.checkpoint
            )

    # ---- the rollout ----------------------------------------------------------------------------------

    def run(self, journal: RolloutJournal | None = None) -> RolloutResult:
        """Run (or, with the journal of an interrupted run, resume) the rollout."""
        try:
            return self._run(journal)
        except (LocksRefused, LockHeld) as exc:
            self.trail.append(self.txid, "rollout_refused", **self.meta, reason=str(exc))
            raise
        except BaseException as exc:
            self.interrupted(exc)
            raise

    def interrupted(self, exc: BaseException) -> None:
        """Stopped mid-way: the trail says where; locks stay (owned by no process) for --resume/--abort."""
        self.local_lock.mark_interrupted(self.txid)
        self.emit("interrupted", error=f"{type(exc).__name__}: {exc}")

    def _run(self, journal: RolloutJournal | None) -> RolloutResult:
        done: set[tuple[str, int]] = set()
        if journal is None:
            self.lock_all()  # before the first record: a refused run must not look like an interrupted one
            stages = [{"name": s.name, "batches": s.batches} for s in self.stages]
            self.emit("rollout_started", **self.meta, stages=stages)
            refused = preflight(self.fabric, self.on_devices, self.emit, self.devices, self.stages, self.stage_of,
                                self.pb.transition is not None)  # fmt: skip
            if refused:
                return self.finish("halted", refused, failed_stage="pre-flight")
        else:
            done = self.restore(journal)
            self.emit("resumed", **self.meta)
            self.lock_all(takeover=journal.txid)
            if journal.halting is not None:  # it died while applying a failure action: finish that, no more
                return self.finish_halting(journal.halting)
            interrupted = [d for d, r in self.devices.items() if r.state == PENDING]
            self.roll_back(interrupted, "the rollout was interrupted before this device's gate passed")
        for resolved in self.stages:
            stage = self.stage_of[resolved.name]
            for idx, batch in enumerate(resolved.batches):
                if (stage.name, idx) in done:
                    continue
                reasons = self.run_batch(stage, idx, batch)
                if reasons:
                    return self.fail(stage, idx, batch, reasons)
                self.emit("batch_done", stage=stage.name, batch=idx)
                if self.hooks.after_batch:
                    self.hooks.after_batch(stage.name, idx)
        tolerated = [f"{d}: {r.reason}" for d, r in self.devices.items() if r.state != AFTER]
        return self.finish("partial" if tolerated else "converged", tolerated)

    def finish_halting(self, halting: dict[str, Any]) -> RolloutResult:
        stage = next(s for s in self.pb.stages if s.name == halting["stage"])
        idx = int(halting["batch"])
        batch = next(r.batches[idx] for r in self.stages if r.name == stage.name)
        return self.fail(stage, idx, batch, [str(r) for r in halting.get("reasons", [])])

    def fail(self, stage: Stage, idx: int, batch: list[str], reasons: list[str]) -> RolloutResult:
        action = stage.failure_action or self.pb.options.failure_action
        why = f"stage {stage.name} batch {idx + 1} failed its gate ({action.value}): " + "; ".join(reasons)
        self.emit("halting", stage=stage.name, batch=idx, action=action.value, reasons=reasons)
        self.roll_back(self.rollback_set(action, stage.name, batch), why, (stage.name, idx))
        for rec in self.devices.values():
            if rec.state == BEFORE and not rec.reason:
                rec.reason = f"not reached: rollout halted at stage {stage.name}"
        return self.finish("halted", reasons, action=action.value, failed_stage=stage.name)

    def abort(self, journal: RolloutJournal) -> RolloutResult:
        self.restore(journal)
        self.emit("abort_started", **self.meta)
        self.lock_all(takeover=journal.txid)
        changed = [d for d in reversed(self.change_order) if self.devices[d].state in (AFTER, PENDING)]
        self.roll_back(changed, "rollout aborted by the operator")
        return self.finish("aborted", ["aborted by the operator"])

    def restore(self, journal: RolloutJournal) -> set[tuple[str, int]]:
        self.devices.update(records_from_journal(journal))
        self.change_order = list(journal.changed_in)  # the order the interrupted run changed them
        return set(journal.done_batches)

    def finish(self, result: str, reasons: list[str], **extra: Any) -> RolloutResult:
        out = RolloutResult(self.txid, result, self.devices, reasons)
        self.emit("rollout_finished", result=result, reasons=reasons, summary=out.summary(), **extra)
        self.unlock_all()
        return out
