"""One SONiC change as a transaction: the switch ends in its before state or its after state.

    re-read CONFIG_DB (refuse if it changed since the plan)
    upload patch -> `config apply-patch --dry-run` (GCU refusal: stop here, nothing written)
    `config checkpoint TXID` -> arm device-side rollback timer -> `config apply-patch`
    -> the SONiC CLI writes GCU refuses by design (creating PFC_WD: `pfcwd start` / `pfcwd interval`)
    verify by re-reading CONFIG_DB *and* APPL_DB (retried: buffermgrd reacts asynchronously)
    confirm (disarm timer, `config save -y`, prune old checkpoints) | leave pending (commit-confirm)
    any failure: `config rollback TXID`, prove CONFIG_DB equals the before state, report

GCU itself is not atomic (it writes change by change and does nothing on error), hence the checkpoint,
the timer armed *before* the first write, and the explicit proof after a rollback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.errors import DeviceError
from agent.platforms.base import (
    ApplyOptions,
    ApplyOutcome,
    ApplyStatus,
    ChangePlan,
    CommandRunner,
    StreamingRunner,
)
from agent.platforms.sonic import deadman, gcu_cost
from agent.platforms.sonic.fallback import plan_writes
from agent.platforms.sonic.gather import read_config_db
from agent.platforms.sonic.gcu_progress import GcuProgress
from agent.platforms.sonic.patch import Operation, fingerprint, tables_of
from agent.platforms.sonic.preflight import cli_steps, flapping_ports, gcu_operations
from agent.platforms.sonic.steps import PortGroup, labelled
from agent.platforms.sonic.tables import DAEMON_OWNED_TABLES

Verifier = Callable[[CommandRunner], list[str]]  # re-reads the device; returns mismatches (empty = good)
Reconnect = Callable[[], CommandRunner]
Plan = ChangePlan[Operation]


@dataclass
class TxSettings:
    keep_checkpoints: int = 5
    verify_attempts: int = 5
    verify_interval_s: float = 2.0
    safety_revert_s: int = 300  # timer armed even without commit-confirm: covers a lost controller
    sleep: Callable[[float], None] = field(default=time.sleep)


@dataclass(frozen=True)
class Patch:
    """One GCU call of the change: `config apply-patch FILE` (or `replace`) of one step."""

    label: str
    file: str
    payload: Any
    flaps: list[str]
    verb: str = "apply-patch"

    @property
    def size(self) -> int:
        return len(self.payload) if isinstance(self.payload, list) else 0


def _patches(plan: Plan, before: dict[str, Any], txid: str) -> list[Patch]:
    """The plan's GCU operations as the steps it planned (one file per step), else one patch."""
    ops = gcu_operations(plan.operations, before)
    if len(plan.steps) < 2:
        return [Patch("all", f"/tmp/{txid}.json-patch", ops, list(plan.disruptive))]
    groups = [PortGroup(s.label, tuple(s.interfaces)) for s in plan.steps if s.interfaces]
    parts = labelled(ops, before, groups)
    return [
        Patch(group.label, f"/tmp/{txid}.step{k}.json-patch", step_ops, flapping_ports(step_ops, before))
        for k, (group, step_ops) in enumerate(parts, 1)
    ]


class TxFailed(Exception):
    """A step failed after the first write; the transaction rolls back."""


def sudo(runner: CommandRunner, command: str, action: str, timeout: float = 120.0) -> str:
    res = runner.run(f"sudo {command}", timeout=timeout)
    if res.exit_code != 0:
        raise DeviceError(runner.device, action, f"exit {res.exit_code}: {res.output.strip()[-400:]}")
    return res.output


def comparable(config: Mapping[str, Any]) -> dict[str, Any]:
    """CONFIG_DB without daemon-written tables (buffermgrd may legitimately rewrite them any time)."""
    return {t: v for t, v in config.items() if t not in DAEMON_OWNED_TABLES}


class SonicTransaction:
    def __init__(
        self, runner: CommandRunner, reconnect: Reconnect | None = None, settings: TxSettings | None = None
    ) -> None:
        self.runner = runner
        self.reconnect = reconnect
        self.settings = settings or TxSettings()
        self._before: dict[str, Any] = {}

    # -- entry point ------------------------------------------------------------------------------
    def execute(
        self, plan: Plan, verify: Verifier, opts: ApplyOptions, *, replace_config: dict[str, Any] | None = None
    ) -> ApplyOutcome:
        """Run the change. With `replace_config` GCU replaces the whole CONFIG_DB (`config replace`);
        `plan.operations` is then the diff it implies, used for display and verification only."""
        out = ApplyOutcome(device=plan.device, status=ApplyStatus.unchanged, plan=plan)
        if plan.empty:
            out.detail = "already converged"
            return out
        before = self._before = read_config_db(self.runner)
        if plan.base_fingerprint and fingerprint(before) != plan.base_fingerprint:
            return self._untouched(out, "CONFIG_DB changed since the plan was made; run plan again")
        waiting = deadman.pending(self.runner)
        if waiting is not None:
            return self._untouched(
                out,
                f"commit {waiting.txid} is still awaiting confirmation on this switch: confirm or roll it back first",
            )
        txid = deadman.check_txid(opts.txid or deadman.new_txid())
        if replace_config is None:
            patches = _patches(plan, before, txid)
            cli = cli_steps(plan.operations, before)
        else:
            patches = [Patch("config replace", f"/tmp/{txid}.json", replace_config, plan.disruptive, "replace")]
            cli = []
        try:
            for patch in patches:
                self.runner.upload(patch.file, json.dumps(patch.payload, indent=1).encode())
            refusal = self._dry_run(patches[0], out, plan)
        except DeviceError as exc:
            return self._untouched(out, f"stopped before any write: {exc}")
        if refusal is not None:
            if not opts.allow_fallback_writer or replace_config is not None:
                touched = tables_of(plan.operations)
                tables = ", ".join([t for t in touched if t in refusal] or touched)
                return self._untouched(
                    out,
                    f"GCU refused the change to {tables} (dry run): {refusal}. Nothing was written. Re-run "
                    "with --allow-fallback-writer to write these tables with sonic-db-cli (rolled back from "
                    "the agent's own snapshot on failure), or fix the refused fields.",
                )
            return self._fallback(out, plan, before, verify, opts)
        if opts.dry_run:
            later = f" (step 1 of {len(patches)}; GCU validates each later step when it applies it)"
            out.detail = "dry run: GCU accepted the change" + (later if len(patches) > 1 else "")
            return out
        return self._gcu(out, plan, verify, opts, txid, patches, cli)

    # -- GCU path ---------------------------------------------------------------------------------
    def _dry_run(self, patch: Patch, out: ApplyOutcome, plan: Plan) -> str | None:
        """GCU sorts the patch in the dry run too: the timeout follows its measured cost per flapped port.
        What it printed is checked against the plan's list of ports it would flap. Of a change in steps
        only the first is dry-run: each later one is checked by GCU (before it writes) when applied."""
        timeout = gcu_cost.dry_run_timeout(len(patch.flaps))
        res = self.runner.run(f"sudo config {patch.verb} --dry-run {patch.file}", timeout=timeout)
        if res.exit_code != 0:
            return (res.output.strip().splitlines() or ["(no output)"])[-1]
        report = gcu_cost.parse_console(res.output)
        if report.changes is not None:
            out.events.append(f"GCU dry run: {report.changes} changes")
        unplanned = sorted(set(report.flapped) - set(plan.disruptive))
        if unplanned:
            out.events.append(f"GCU will also flap {', '.join(unplanned)} (not predicted by the plan)")
        return None

    def _gcu(
        self,
        out: ApplyOutcome,
        plan: Plan,
        verify: Verifier,
        opts: ApplyOptions,
        txid: str,
        patches: list[Patch],
        cli: list[str],
    ) -> ApplyOutcome:
        """Checkpoint, timer, every GCU patch in order, the SONiC CLI lines, verify; any failure rolls
        back to the one checkpoint, which covers every step already applied."""
        before = self._before
        try:
            sudo(self.runner, f"config checkpoint {txid}", "config checkpoint")
        except DeviceError as exc:
            return self._untouched(out, f"stopped before any write: {exc}")
        out.checkpoint = txid
        out.events.append(f"checkpoint {txid}")
        window = opts.confirm_timeout_s or self.settings.safety_revert_s
        revert_s = window + sum(gcu_cost.timer_budget(len(p.flaps), p.size) for p in patches)  # never mid-apply
        try:
            deadman.arm(self.runner, txid, revert_s)
            out.events.append(f"rollback timer armed ({revert_s}s: {window}s + GCU's apply time)")
            for k, patch in enumerate(patches, 1):
                self._apply_patch(out, patch, k, len(patches), opts)
            for command in cli:
                sudo(self.runner, command, command.split()[0] + " " + command.split()[1])
                out.events.append(f"CLI: {command}")
            self._verify(out, verify)
        except (DeviceError, TxFailed) as exc:
            return self._rollback(out, before, txid, str(exc), sum(len(p.flaps) for p in patches))
        if opts.confirm_timeout_s:
            out.status = ApplyStatus.pending_confirm
            out.detail = f"applied and verified; rolls back to {txid} in {revert_s}s unless confirmed"
            return out
        try:
            self.confirm(txid)
        except DeviceError as exc:
            return self._rollback(out, before, txid, f"confirm failed: {exc}")
        out.status = ApplyStatus.applied
        out.detail = f"applied, verified and saved ({len(plan.operations)} changes)"
        return out

    def _apply_patch(self, out: ApplyOutcome, patch: Patch, k: int, n: int, opts: ApplyOptions) -> None:
        """One `config apply-patch|replace`; GCU's lines go to `opts.on_progress` as they arrive when the
        runner streams. A failure names the step (earlier steps are written: the caller rolls back)."""
        timeout = gcu_cost.apply_timeout(len(patch.flaps), patch.size)
        step = f"step {k}/{n} ({patch.label}): " if n > 1 else ""
        command = f"sudo config {patch.verb} {patch.file}"
        try:
            if opts.on_progress is not None and isinstance(self.runner, StreamingRunner):
                reader = GcuProgress(out.device, k, n, patch.label, opts.on_progress)
                res = self.runner.run_streaming(command, reader.line, timeout=timeout)
            else:
                res = self.runner.run(command, timeout=timeout)
        except DeviceError as exc:
            raise TxFailed(f"{step}{exc}") from None
        if res.exit_code != 0:
            raise TxFailed(f"{step}config {patch.verb}: exit {res.exit_code}: {res.output.strip()[-400:]}")
        report = gcu_cost.parse_console(res.output)
        changes = report.changes if report.changes is not None else patch.size
        out.events.append(f"{step}patch applied ({changes} changes)")
        if report.flapped:
            out.events.append(f"{step}GCU flapped {', '.join(report.flapped)} (admin down, then up)")

    def _verify(self, out: ApplyOutcome, verify: Verifier) -> None:
        problems: list[str] = []
        for attempt in range(max(1, self.settings.verify_attempts)):
            if attempt:
                self.settings.sleep(self.settings.verify_interval_s)
            problems = verify(self.runner)
            if not problems:
                out.events.append("verified CONFIG_DB and APPL_DB")
                return
        out.verification = problems
        raise TxFailed("verification failed: " + "; ".join(problems[:5]))

    def confirm(self, txid: str) -> None:
        """Stop the timer, persist, and keep only the newest agent checkpoints."""
        deadman.disarm(self.runner, txid)
        self.save()
        self.prune_checkpoints()

    def save(self) -> None:
        sudo(self.runner, "config save -y", "config save")

    def prune_checkpoints(self) -> list[str]:
        res = self.runner.run("sudo config list-checkpoints")
        try:
            names = [str(n) for n in json.loads(res.output.strip() or "[]")]
        except json.JSONDecodeError:
            return []  # pruning is housekeeping: never fail a confirmed change over it
        ours = sorted(n for n in names if deadman.TXID_RE.match(n))
        old = ours[: max(0, len(ours) - self.settings.keep_checkpoints)]
        for name in old:
            self.runner.run(f"sudo config delete-checkpoint {name}")
        return old

    def rollback_to(self, txid: str, attempts: int = 3, flapped_ports: int = 0) -> None:
        """`config rollback`, retried: GCU applies it change by change while buffermgrd rewrites
        BUFFER_PG underneath (sonic-buildimage #11328), so one pass can fail on an entry the daemon
        already removed; the next pass diffs against the state that is really there. The rollback is
        one patch over every step applied, so its sort is priced for all their flapped ports."""
        timeout = max(600.0, gcu_cost.apply_timeout(flapped_ports, 0))
        for attempt in range(1, attempts + 1):
            try:
                sudo(self.runner, f"config rollback {txid}", "config rollback", timeout=timeout)
                break
            except DeviceError:
                if attempt == attempts:
                    raise
        deadman.disarm(self.runner, txid)

    def _rollback(
        self, out: ApplyOutcome, before: dict[str, Any], txid: str, why: str, flapped_ports: int = 0
    ) -> ApplyOutcome:
        out.events.append(f"failed: {why}")
        try:
            if not self._alive():
                self._reconnect(out)
            self.rollback_to(txid, flapped_ports=flapped_ports)
            after = read_config_db(self.runner)
        except DeviceError as exc:
            out.status = ApplyStatus.failed
            out.detail = (
                f"{why}; rollback to checkpoint {txid} could not be completed ({exc}). The switch's own timer "
                f"rolls back to {txid} unless it is confirmed; check with `config list-checkpoints` and "
                f"`sudo config rollback {txid}`."
            )
            return out
        if comparable(after) != comparable(before):
            out.status = ApplyStatus.failed
            out.detail = f"{why}; rolled back to {txid} but CONFIG_DB differs from the before state: inspect it"
            return out
        out.status = ApplyStatus.rolled_back
        out.detail = f"{why}; rolled back to checkpoint {txid} (CONFIG_DB equals the before state)"
        return out

    def _alive(self) -> bool:
        try:
            return self.runner.run("true", timeout=15.0).exit_code == 0
        except DeviceError:
            return False

    def _reconnect(self, out: ApplyOutcome) -> None:
        if self.reconnect is None:
            raise DeviceError(out.device, "reconnect", "session lost and no way to reconnect")
        self.runner = self.reconnect()
        out.events.append("reconnected")

    # -- fallback writer (explicit opt-in) --------------------------------------------------------
    def _fallback(
        self, out: ApplyOutcome, plan: Plan, before: dict[str, Any], verify: Verifier, opts: ApplyOptions
    ) -> ApplyOutcome:
        if opts.confirm_timeout_s:
            return self._untouched(
                out, "commit-confirm is not available with the fallback writer (no device-side rollback)"
            )
        keys, forward, restore = plan_writes(plan.operations, before)
        out.events.append(f"fallback writer: sonic-db-cli on {len(keys)} keys (snapshot kept by the agent)")
        if opts.dry_run:
            out.detail = "dry run: would write with sonic-db-cli:\n" + "\n".join(forward)
            return out
        try:
            self._run_all(forward, "fallback write")
            self._verify(out, verify)
            sudo(self.runner, "config save -y", "config save")
        except (DeviceError, TxFailed) as exc:
            return self._restore(out, before, restore, str(exc))
        out.status = ApplyStatus.applied
        out.detail = f"applied with the fallback writer, verified and saved ({len(keys)} keys)"
        return out

    def _run_all(self, commands: list[str], action: str) -> None:
        for cmd in commands:
            res = self.runner.run(f"sudo {cmd}")
            if res.exit_code != 0:
                raise DeviceError(self.runner.device, action, f"{cmd}: exit {res.exit_code}: {res.output[-200:]}")

    def _restore(self, out: ApplyOutcome, before: dict[str, Any], restore: list[str], why: str) -> ApplyOutcome:
        out.events.append(f"failed: {why}")
        try:
            if not self._alive():
                self._reconnect(out)
            self._run_all(restore, "restore snapshot")
            after = read_config_db(self.runner)
        except DeviceError as exc:
            out.status = ApplyStatus.failed
            out.detail = f"{why}; restoring the snapshot failed ({exc}): the switch needs a human"
            return out
        ok = comparable(after) == comparable(before)
        out.status = ApplyStatus.rolled_back if ok else ApplyStatus.failed
        out.detail = f"{why}; " + ("snapshot restored" if ok else "snapshot restored but CONFIG_DB differs")
        return out

    def _untouched(self, out: ApplyOutcome, detail: str) -> ApplyOutcome:
        """Stopped before the first write: the switch is, by construction, in its before state."""
        out.status = ApplyStatus.rolled_back
        out.detail = detail
        return out
