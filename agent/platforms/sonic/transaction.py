"""One SONiC change as a transaction: the switch ends in its before state or its after state.

    prepare (one line, read-only): re-read CONFIG_DB (refuse if it changed since the plan), pending
        commit?, list checkpoints, `config apply-patch --dry-run` (GCU refusal: stop, nothing written)
    commit (one line, &&-chained): `config checkpoint TXID` -> arm device-side rollback timer ->
        `config apply-patch` -> the SONiC CLI writes GCU refuses by design (creating PFC_WD: `pfcwd
        start` / `pfcwd interval`); then the verify read of CONFIG_DB *and* APPL_DB (read again if it
        fails: buffermgrd reacts asynchronously)
    confirm (one line): disarm timer && `config save -y`, prune old checkpoints | leave pending
    any failure: `config rollback TXID`, prove CONFIG_DB equals the before state, report

The lines are built in agent.platforms.sonic.txscript (with the plan's read: 4 round trips per change;
`apply` folds the device lock into them, agent.rollout.line_lock: taken by the prepare line, released
by the confirm line, and the plan's pg_profile_lookup.ini check is left to the prepare line)
and what they printed is read step by step in agent.platforms.sonic.txsteps.

GCU itself is not atomic (it writes change by change and does nothing on error), hence the checkpoint,
the timer armed *before* the first write, and the explicit proof after a rollback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.errors import DeviceError, Locked, PreflightRefused
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, ChangePlan, CommandRunner, LineLockLike
from agent.platforms.sonic import deadman, gcu_cost, txscript
from agent.platforms.sonic.fallback_tx import TxFailed, comparable, fallback_writer, sudo
from agent.platforms.sonic.gather import SonicRaw, gather, parse_config_db, read_config_db, read_from
from agent.platforms.sonic.gcu_progress import run_commit
from agent.platforms.sonic.patch import Operation, fingerprint, tables_of
from agent.platforms.sonic.preflight import cli_steps
from agent.platforms.sonic.steps import Patch, patches_of
from agent.platforms.sonic.txsteps import checkpoint_names, dry_run_refusal, read_commit

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
class Verifier:
    """Proof of a change: `check` compares one read of the switch with what the change promised
    (mismatches; empty = good). Called with a runner, it reads the switch first (`ports`: what the
    show read needs on a switch without the redis read)."""

    ports: list[str]
    check: Callable[[SonicRaw], list[str]]

    def __call__(self, runner: CommandRunner) -> list[str]:
        return self.check(gather(runner, self.ports))


@dataclass(frozen=True)
class PrepareCheck:
    """A pre-flight check the plan left to the prepare line (apply's pg_profile_lookup.ini, whose path
    the read line could not know): `command` prints what it needs in section `name`; `check` returns
    the blockers (PreflightRefused before any write) and adds its warnings to the events."""

    name: str
    command: str
    check: Callable[[str, list[str]], list[str]]


class SonicTransaction:
    def __init__(
        self, runner: CommandRunner, reconnect: Reconnect | None = None, settings: TxSettings | None = None
    ) -> None:
        self.runner = runner
        self.reconnect = reconnect
        self.settings = settings or TxSettings()
        self.lock: LineLockLike | None = None  # the device lock the lines take and release (apply)
        self.precheck: PrepareCheck | None = None  # a pre-flight check left to the prepare line
        self._lock_open = False  # the take was sent and no line has released it yet

    # -- entry point ------------------------------------------------------------------------------
    def execute(
        self,
        plan: Plan,
        verify: Verifier,
        opts: ApplyOptions,
        *,
        replace_config: dict[str, Any] | None = None,
        base: dict[str, Any] | None = None,
        lock: LineLockLike | None = None,
        precheck: PrepareCheck | None = None,
    ) -> ApplyOutcome:
        """Run the change. With `replace_config` GCU replaces the whole CONFIG_DB (`config replace`);
        `plan.operations` is then the diff it implies, used for display and verification only.

        Three round trips on the way to a confirmed change (agent.platforms.sonic.txscript): prepare
        (read-only), commit (+ the verify read), confirm. `base` is the CONFIG_DB the plan was made from
        (what GCU's part of the payload depends on); without it, or when it is not the plan's base, it is
        read first (one more round trip). Either way the prepare line re-reads CONFIG_DB and refuses a
        change made since the plan before anything is written.

        With `lock` (judged free by the read line) the prepare line takes the device lock and the
        confirm line releases it; any other end releases it in one more line (reconnecting once after a
        dropped session), so no end of the change strands it."""
        self.lock, self.precheck = lock, precheck
        try:
            return self._execute(plan, verify, opts, replace_config, base)
        finally:
            if self._lock_open:
                self._release_lock()

    def _execute(
        self,
        plan: Plan,
        verify: Verifier,
        opts: ApplyOptions,
        replace_config: dict[str, Any] | None,
        base: dict[str, Any] | None,
    ) -> ApplyOutcome:
        out = ApplyOutcome(device=plan.device, status=ApplyStatus.unchanged, plan=plan)
        if plan.empty:
            out.detail = "already converged"
            return out
        txid = deadman.check_txid(opts.txid or deadman.new_txid())
        try:
            if base is None or fingerprint(base) != plan.base_fingerprint:
                base = read_config_db(self.runner)
            patches = (
                patches_of(plan, base, txid)
                if replace_config is None
                else [Patch("config replace", f"/tmp/{txid}.json", replace_config, plan.disruptive, "replace")]
            )
            prep = self._prepare(patches)
        except DeviceError as exc:
            return self._untouched(out, f"stopped before any write: {exc}")
        except Locked as exc:  # the print-back after the take is someone else's: not ours to release
            self._lock_open = False
            return self._untouched(out, f"not changed: {exc}")
        if self.precheck is not None:
            blockers = self.precheck.check(prep.run.output(self.precheck.name), out.events)
            if blockers:
                raise PreflightRefused(plan.device, blockers)  # as at plan time; the lock is released
        before = prep.before
        if plan.base_fingerprint and fingerprint(before) != plan.base_fingerprint:
            return self._untouched(out, "CONFIG_DB changed since the plan was made; run plan again")
        waiting = deadman.parse_pending(self.runner.device, prep.run.output("pending"))
        if waiting is not None:
            return self._untouched(
                out,
                f"commit {waiting.txid} is still awaiting confirmation on this switch: confirm or roll it back first",
            )
        refusal = dry_run_refusal(prep.run, out, plan)
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
            return fallback_writer(self, out, plan, before, verify, opts)
        if opts.dry_run:
            later = f" (step 1 of {len(patches)}; GCU validates each later step when it applies it)"
            out.detail = "dry run: GCU accepted the change" + (later if len(patches) > 1 else "")
            return out
        cli = cli_steps(plan.operations, before) if replace_config is None else []
        known = checkpoint_names(prep.run.output("checkpoints"))
        return self._gcu(out, plan, before, verify, opts, txid, patches, cli, known)

    # -- GCU path ---------------------------------------------------------------------------------
    def _prepare(self, patches: list[Patch]) -> _Prepared:
        """Round trip 1 of the change (read-only): every step's patch uploaded, then the prepare line,
        which dry-runs the first (each later step GCU checks, before it writes, when it applies it).
        Raises DeviceError when the switch could not run it (nothing has been written)."""
        first = patches[0]
        lines = txscript.LockLines(self.lock.take_command(), self.lock.read_command()) if self.lock else None
        reads = [(self.precheck.name, self.precheck.command)] if self.precheck is not None else []
        script = txscript.prepare_script(first.verb, first.file, lines, reads)
        for patch in patches:
            self.runner.upload(patch.file, json.dumps(patch.payload, indent=1).encode())
        timeout = gcu_cost.dry_run_timeout(len(first.flaps)) + 180.0
        self._lock_open = self.lock is not None  # from here a lost answer may hide a lock we took
        res = self.runner.run(script.line, timeout=timeout)
        run = txscript.split(script, res.output)
        if self.lock is not None and txscript.LOCK in run.sections:
            self.lock.confirm_taken(run.output(txscript.LOCK))  # LockHeld: someone else's; nothing written
        if "before" not in run.sections or run.status is None:
            said = (res.output.strip().splitlines() or ["nothing"])[-1]
            raise DeviceError(self.runner.device, "prepare", f"exit {res.exit_code}: the switch answered: {said}")
        return _Prepared(parse_config_db(self.runner.device, run.output("before")), run)

    def _gcu(
        self,
        out: ApplyOutcome,
        plan: Plan,
        before: dict[str, Any],
        verify: Verifier,
        opts: ApplyOptions,
        txid: str,
        patches: list[Patch],
        cli: list[str],
        known: list[str],
    ) -> ApplyOutcome:
        """Every GCU patch (one per port-group step) and the SONiC CLI lines in one commit line with the
        checkpoint, the timer and the verify read; a failure in step k rolls back to the one checkpoint,
        which undoes steps 1..k-1 too. GCU's lines stream to `opts.on_progress` when the runner can."""
        window = opts.confirm_timeout_s or self.settings.safety_revert_s
        revert_s = window + sum(gcu_cost.timer_budget(len(p.flaps), p.size) for p in patches)  # never mid-apply
        script = txscript.commit_script(txid, [p.change for p in patches], cli, revert_s)
        apply_s = sum(gcu_cost.apply_timeout(len(p.flaps), p.size) for p in patches)
        timeout = 300.0 + apply_s + 120.0 * len(cli)
        flapped = sum(len(p.flaps) for p in patches)
        try:
            res = run_commit(self.runner, script, patches, opts, timeout)
        except DeviceError as exc:  # the session went away mid-line: how far it got is unknown
            out.checkpoint = txid
            out.events.append(f"rollback timer armed ({revert_s}s: {window}s + GCU's apply time) unless the "
                              "session was lost before the commit line reached it")  # fmt: skip
            return self._rollback(out, before, txid, str(exc), flapped)
        run = txscript.split(script, res.output)
        armed = f"rollback timer armed ({revert_s}s: {window}s + GCU's apply time)"
        stop = read_commit(
            run, res.output, res.exit_code, patches, cli, out.events, checkpointed=f"checkpoint {txid}", armed=armed
        )
        if stop is not None and not stop.written:
            return self._untouched(out, f"stopped before any write: {stop.why}")
        out.checkpoint = txid
        if stop is not None:
            return self._rollback(out, before, txid, stop.why, stop.flapped)
        try:
            assert script.read_nonce is not None
            first = read_from(self.runner, verify.ports, run.tail, script.read_nonce)
        except DeviceError:
            first = None  # the inline read was cut off: the verification reads again
        try:
            self._verify(out, verify, first)
        except (DeviceError, TxFailed) as exc:
            return self._rollback(out, before, txid, str(exc), flapped)
        if opts.confirm_timeout_s:
            out.status = ApplyStatus.pending_confirm
            out.detail = f"applied and verified; rolls back to {txid} in {revert_s}s unless confirmed"
            return out
        try:
            self.confirm(txid, known=[*known, txid])
        except DeviceError as exc:
            return self._rollback(out, before, txid, f"confirm failed: {exc}")
        out.status = ApplyStatus.applied
        out.detail = f"applied, verified and saved ({len(plan.operations)} changes)"
        return out

    def _verify(self, out: ApplyOutcome, verify: Verifier, first: SonicRaw | None = None) -> None:
        """Up to verify_attempts reads (the first may be the one the commit line already made), apart by
        verify_interval_s: buffermgrd programs APPL_DB after the CONFIG_DB write, asynchronously."""
        problems: list[str] = []
        for attempt in range(max(1, self.settings.verify_attempts)):
            if attempt:
                self.settings.sleep(self.settings.verify_interval_s)
            problems = verify.check(first) if attempt == 0 and first is not None else verify(self.runner)
            if not problems:
                out.events.append("verified CONFIG_DB and APPL_DB")
                return
        out.verification = problems
        raise TxFailed("verification failed: " + "; ".join(problems[:5]))

    def confirm(self, txid: str, known: list[str] | None = None) -> None:
        """Stop the timer and persist in one line, keeping only the newest agent checkpoints: with the
        checkpoints `known` (the commit's prepare line listed them) the same line deletes the old ones;
        otherwise it lists them and a second line deletes (a confirm of a pending commit)."""
        old = self._old_checkpoints(known) if known is not None else []
        release = self.lock.release_command() if self._lock_open and self.lock is not None else None
        script = txscript.confirm_script(txid, old, list_after=known is None, release=release)
        res = self.runner.run(script.line, timeout=180.0)
        run = txscript.split(script, res.output)
        self._lock_open = self._lock_open and txscript.RELEASED not in run.reached
        if run.status != 0 and txscript.SAVED not in run.reached:
            raise DeviceError(self.runner.device, "confirm (disarm, config save)",
                              f"exit {run.status if run.status is not None else res.exit_code}: "
                              f"{res.output.strip()[-400:]}")  # fmt: skip
        if known is None:
            for name in self._old_checkpoints(checkpoint_names(run.output("checkpoints"))):
                self.runner.run(f"sudo config delete-checkpoint {name}")

    def _release_lock(self) -> None:
        """Let go of the device lock (only a record carrying our txid is removed); a session lost with
        the change is reopened once. Unreachable even then: the lock stays until it expires or its
        one-shot holder is seen dead (`apply` reclaims it), as DeviceLock's release does."""
        assert self.lock is not None
        command = self.lock.release_command()
        for attempt in (1, 2):
            try:
                if attempt == 2:
                    if self.reconnect is None:
                        return
                    self.runner = self.reconnect()
                self.runner.run(command, timeout=30.0)
                self._lock_open = False
                return
            except DeviceError:
                continue

    def save(self) -> None:
        sudo(self.runner, "config save -y", "config save")

    def _old_checkpoints(self, names: list[str]) -> list[str]:
        ours = sorted({n for n in names if deadman.TXID_RE.match(n)})
        return ours[: max(0, len(ours) - self.settings.keep_checkpoints)]

    def prune_checkpoints(self) -> list[str]:
        res = self.runner.run("sudo config list-checkpoints")
        old = self._old_checkpoints(checkpoint_names(res.output))
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

    def _untouched(self, out: ApplyOutcome, detail: str) -> ApplyOutcome:
        """Stopped before the first write: the switch is, by construction, in its before state."""
        out.status = ApplyStatus.rolled_back
        out.detail = detail
        return out


@dataclass(frozen=True)
class _Prepared:
    before: dict[str, Any]  # CONFIG_DB right before the change (the rollback proof compares with it)
    run: txscript.ScriptRun
