"""`roce-agent plan` and `roce-agent apply`: the per-device diff, and the transactional push.

Everything is validated before any device is contacted (policy, inventory, links, --limit/--group):
bad input exits 2 naming file, line and field. Then each device runs in its own Nornir task, so one
unreachable or failing device is reported and the others carry on. Progress goes to stderr, results
to stdout (`--json` for scripts). Exit: 0 every device converged or unchanged, 1 a device failed or
was rolled back, 2 could not run.

`apply` respects rollouts: it refuses the whole run (exit 2, nothing touched) while the inventory's
rollout lock is held, and takes each device's rollout lock (`/tmp/roce-agent.lock`) around its change;
a device someone else holds is reported with the holder and left alone while the others go on (exit 1).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from nornir.core import Nornir
from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

from agent.cli import app
from agent.errors import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, InputError, InputProblem
from agent.failure import reason
from agent.intent import DeviceIntent
from agent.inventory.loader import POLICY_FILE, load_nornir
from agent.platforms import registry
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, ChangePlan, DeviceSideRevert, PatchExport
from agent.policy.loader import load_policy
from agent.rollout.locks import LocalLock, LockInfo, device_guard, holder_alive

STATE_DIR = ".state"  # agent.rollout.session.STATE_DIR: where rollouts keep their trail and inventory lock
APPLY_LOCK_TTL_S = 1800  # a device lock left by a killed apply expires after this

INVENTORY_OPT = typer.Option(..., "-i", "--inventory", help="Inventory directory (Nornir SimpleInventory + links).")
POLICY_OPT = typer.Option(None, "-p", "--policy", help="Policy file (default: policy.yaml in the inventory).")
LIMIT_OPT = typer.Option(None, "--limit", help="Only these devices (comma-separated names).")
GROUP_OPT = typer.Option(None, "--group", help="Only devices of this Nornir group.")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
INSECURE_OPT = typer.Option(
    False, "--insecure-skip-host-key-check", help="Accept unknown SSH host keys (throwaway labs only)."
)


@dataclass
class Selection:
    nr: Nornir
    intents: dict[str, DeviceIntent]
    skipped: dict[str, str]  # device -> why it is not handled


class Progress:
    """Nornir processor: one line per device on stderr as it starts and ends (thread-safe)."""

    def __init__(self, verb: str, quiet: bool = False) -> None:
        self.verb = verb
        self.quiet = quiet
        self.lock = threading.Lock()

    def _say(self, text: str) -> None:
        if not self.quiet:
            with self.lock:
                typer.echo(text, err=True)

    def task_started(self, task: Task) -> None: ...
    def task_completed(self, task: Task, result: AggregatedResult) -> None: ...
    def subtask_instance_started(self, task: Task, host: Host) -> None: ...
    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None: ...

    def task_instance_started(self, task: Task, host: Host) -> None:
        self._say(f"{host.name}: {self.verb} ...")

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        self._say(f"{host.name}: {_summary(result[0])}")


def _summary(res: Any) -> str:
    if res.exception is not None:
        return f"FAILED: {reason(res)}"
    value = res.result
    if isinstance(value, ChangePlan):
        return "no changes" if value.empty else f"{len(value.operations)} change(s) planned"
    if isinstance(value, ApplyOutcome):
        return f"{value.status.value}: {value.detail}"
    return str(value)


def _input_error(exc: InputError) -> typer.Exit:
    typer.echo(f"error: {exc}\nno device was contacted", err=True)
    return typer.Exit(EXIT_CANNOT_RUN)


def select(inventory: Path, policy_path: Path | None, limit: str | None, group: str | None, verify: bool) -> Selection:
    """Load and validate every input; raises InputError (exit 2) before any connection."""
    from agent.platforms.tasks import intents_for

    inv = Path(inventory)
    if not inv.is_dir():
        raise InputError([InputProblem(inv, None, "--inventory", "not a directory")])
    policy = load_policy(policy_path or inv / POLICY_FILE)
    nr = load_nornir(inv, verify_host_keys=verify)
    nr = _filter(nr, inv, limit, group)
    intents = intents_for(nr, inv, policy)
    skipped: dict[str, str] = {}
    for name, intent in intents.items():
        why = _unsupported(intent.platform)
        if why:
            skipped[name] = why
    keep = set(intents) - set(skipped)
    return Selection(nr.filter(filter_func=lambda h: h.name in keep), {n: intents[n] for n in keep}, skipped)


def _filter(nr: Nornir, inv: Path, limit: str | None, group: str | None) -> Nornir:
    hosts = nr.inventory.hosts
    if limit:
        names = [n.strip() for n in limit.split(",") if n.strip()]
        unknown = [n for n in names if n not in hosts]
        if unknown:
            known = ", ".join(sorted(hosts))
            raise InputError(
                [InputProblem(inv / "hosts.yaml", None, "--limit", f"unknown device(s) {unknown}; known: {known}")]
            )
        nr = nr.filter(filter_func=lambda h: h.name in names)
    if group:
        if group not in nr.inventory.groups:
            known = ", ".join(sorted(nr.inventory.groups))
            raise InputError(
                [InputProblem(inv / "groups.yaml", None, "--group", f"unknown group {group!r}; known: {known}")]
            )
        nr = nr.filter(filter_func=lambda h: any(g.name == group for g in h.groups))
    if not nr.inventory.hosts:
        raise InputError([InputProblem(inv / "hosts.yaml", None, "--limit/--group", "selects no device")])
    return nr


def _unsupported(platform: str) -> str | None:
    """Why a platform cannot be handled in this build (its adapter module is missing), else None."""
    return registry.unavailable(platform)


def _run(sel: Selection, verb: str, task: Any, quiet: bool, **kwargs: Any) -> AggregatedResult:
    """Run `task` on every selected device; failures are per-device Results (reported, not raised)."""
    logging.getLogger("nornir").addHandler(logging.NullHandler())  # tracebacks belong in results, not stderr
    nr = sel.nr.with_processors([Progress(verb, quiet)])
    try:
        result: AggregatedResult = nr.run(task=task, intents=sel.intents, **kwargs)
    finally:
        sel.nr.close_connections(on_good=True, on_failed=True)
    return result


def _device_json(name: str, res: Any) -> dict[str, Any]:
    if res.exception is not None or not isinstance(res.result, (ChangePlan, ApplyOutcome)):
        return {"device": name, "status": "failed", "error": reason(res)}
    value = res.result
    plan = value if isinstance(value, ChangePlan) else value.plan
    out: dict[str, Any] = {"device": name}
    if isinstance(value, ApplyOutcome):
        out.update(status=value.status.value, detail=value.detail, checkpoint=value.checkpoint)
        out.update(verification=value.verification, events=value.events)
    else:
        out["status"] = "unchanged" if value.empty else "changes"
    if plan is not None:
        out.update(platform=plan.platform, changes=len(plan.operations), patch=plan.operations_json(), diff=plan.lines)
        out["warnings"] = plan.warnings
    return out


def _emit(results: AggregatedResult, sel: Selection, as_json: bool) -> list[dict[str, Any]]:
    devices = [_device_json(name, multi[0]) for name, multi in sorted(results.items())]
    skipped = [{"device": n, "status": "skipped", "reason": why} for n, why in sorted(sel.skipped.items())]
    if as_json:
        typer.echo(json.dumps({"devices": devices + skipped}, indent=2))
        return devices
    for dev in devices:
        typer.echo(
            f"=== {dev['device']}: {dev['status']}"
            + (f" ({dev.get('changes', 0)} changes)" if "changes" in dev else "")
        )
        for line in dev.get("diff", []) if dev["status"] in ("changes", "applied", "pending_confirm") else []:
            typer.echo(f"  {line}")
        for key in ("error", "detail"):
            if dev.get(key):
                typer.echo(f"  {dev[key]}")
        for problem in dev.get("verification", []):
            typer.echo(f"  verification: {problem}")
        for event in dev.get("events", []):
            typer.echo(f"  event: {event}")
    for skip in skipped:
        typer.echo(f"=== {skip['device']}: skipped - {skip['reason']}")
    return devices


@app.command("plan")
def plan_cmd(
    inventory: Path = INVENTORY_OPT,
    policy: Path | None = POLICY_OPT,
    limit: str | None = LIMIT_OPT,
    group: str | None = GROUP_OPT,
    as_json: bool = JSON_OPT,
    patch_dir: Path | None = typer.Option(
        None,
        "--patch-dir",
        help="Also write each switch's JSON Patch to DIR/<device>.json-patch (what `config apply-patch` takes).",
        file_okay=False,
    ),
    insecure: bool = INSECURE_OPT,
) -> None:
    """Show, per device, what `apply` would change: a readable diff, and the RFC 6902 JSON Patch with
    --json or --patch-dir. Never writes to a device."""
    from agent.platforms.tasks import plan_task

    try:
        sel = select(inventory, policy, limit, group, not insecure)
    except InputError as exc:
        raise _input_error(exc) from None
    results = _run(sel, "planning", plan_task, quiet=False)
    devices = _emit(results, sel, as_json)
    if patch_dir is not None:
        _write_patches(patch_dir, devices)
    raise typer.Exit(EXIT_FINDINGS if any(d["status"] == "failed" for d in devices) else EXIT_OK)


def _write_patches(directory: Path, devices: list[dict[str, Any]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for dev in devices:
        adapter = registry.adapter_for(str(dev["platform"])) if dev.get("patch") else None
        if isinstance(adapter, PatchExport):
            path = directory / f"{dev['device']}{adapter.patch_suffix}"
            path.write_text(json.dumps(dev["patch"], indent=2) + "\n")
            typer.echo(f"{dev['device']}: JSON Patch written to {path}", err=True)


APPLY_HELP = (
    "Converge devices to the policy: per device checkpoint -> apply -> verify -> confirm, else roll back.\n\n"
    "Locks: while a rollout holds this inventory (<inventory>/.state/rollout.lock, also when it was interrupted) "
    "nothing is touched and the exit code is 2. Each device is changed under the same device lock rollouts take "
    "(/tmp/roce-agent.lock); a device locked by someone else is not touched and fails (exit 1) naming the holder, "
    "the other devices go on. A stale device lock is cleared with `roce-agent rollout PLAYBOOK --break-lock "
    "DEVICE`.\n\n"
    "Exit codes: 0 every device applied or already compliant; 1 a device failed, was rolled back or was locked; "
    "2 could not run (bad input, inventory locked, not confirmed)."
)


@app.command("apply", help=APPLY_HELP)
def apply_cmd(
    inventory: Path = INVENTORY_OPT,
    policy: Path | None = POLICY_OPT,
    limit: str | None = LIMIT_OPT,
    group: str | None = GROUP_OPT,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before changing devices."),
    confirm_timeout: int | None = typer.Option(
        None,
        "--confirm-timeout",
        min=30,
        max=3600,
        help="Commit-confirm: each switch rolls itself back after SECONDS unless the agent confirms "
        "(after every device verified). Hosts have no such timer: they stay pending (before-snapshot kept on "
        "the host) until confirmed.",
    ),
    allow_fallback_writer: bool = typer.Option(
        False, "--allow-fallback-writer", help="Write tables GCU refuses with sonic-db-cli (agent-side rollback)."
    ),
    as_json: bool = JSON_OPT,
    insecure: bool = INSECURE_OPT,
) -> None:
    """Converge devices to the policy. The --help text is APPLY_HELP (a docstring keeps its line breaks there)."""
    from agent.platforms.tasks import apply_task
    from agent.txid import new_txid

    sel = select_for_change(inventory, policy, limit, group, insecure=insecure, yes=yes)
    txid = new_txid()
    opts = ApplyOptions(confirm_timeout_s=confirm_timeout, allow_fallback_writer=allow_fallback_writer, txid=txid)
    lock = LockInfo.new(txid, "roce-agent apply", APPLY_LOCK_TTL_S)
    results = _run(sel, "applying", apply_task, quiet=False, opts=opts, guard=device_guard(lock))
    if confirm_timeout:
        _confirm_pending(sel, results)
    devices = _emit(results, sel, as_json)
    ok = {ApplyStatus.applied.value, ApplyStatus.unchanged.value}
    raise typer.Exit(EXIT_OK if all(d["status"] in ok for d in devices) else EXIT_FINDINGS)


def select_for_change(
    inventory: Path,
    policy: Path | None,
    limit: str | None,
    group: str | None,
    *,
    insecure: bool,
    yes: bool,
    verb: str = "Apply the policy to",
) -> Selection:
    """What every writing command does before touching anything: validate the input (exit 2), refuse while a
    rollout holds the inventory (exit 2), and ask unless --yes. Nothing has been contacted when it exits."""
    try:
        sel = select(inventory, policy, limit, group, not insecure)
    except InputError as exc:
        raise _input_error(exc) from None
    refusal = _inventory_locked(Path(inventory))
    if refusal:
        typer.echo(f"refused: {refusal}\nno device was contacted", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN)
    if not yes and not _ask(sorted(sel.intents), verb=verb):
        typer.echo("aborted: nothing was changed", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN)
    return sel


def _inventory_locked(inventory: Path) -> str | None:
    """Why the inventory's rollout lock forbids an apply now, else None (read only: apply never takes it)."""
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


def _ask(devices: list[str], verb: str = "Apply the policy to") -> bool:
    if not sys.stdin.isatty():
        typer.echo("refusing to change devices without --yes (stdin is not a terminal)", err=True)
        return False
    return typer.confirm(f"{verb} {len(devices)} device(s): {', '.join(devices)}?")


def _confirm_pending(sel: Selection, results: AggregatedResult) -> None:
    """Confirm every switch left pending; a failed confirm means its own timer rolls it back."""
    from agent.platforms.tasks import confirm_task

    pending = {
        name for name, multi in results.items()
        if isinstance(multi[0].result, ApplyOutcome) and multi[0].result.status is ApplyStatus.pending_confirm
    }  # fmt: skip
    if not pending:
        return
    sub = Selection(sel.nr.filter(filter_func=lambda h: h.name in pending), sel.intents, {})
    confirmed = _run(sub, "confirming", confirm_task, quiet=False)
    for name in pending:
        outcome: ApplyOutcome = results[name][0].result
        res = confirmed[name][0]
        self_reverting = isinstance(registry.adapter_for(sel.intents[name].platform), DeviceSideRevert)
        if res.exception is None and not res.failed:
            outcome.status = ApplyStatus.applied
            outcome.detail += "; confirmed and saved" if self_reverting else "; confirmed"
        elif self_reverting:
            outcome.detail += f"; confirm FAILED ({res.exception}): the switch rolls back when its timer expires"
        else:
            outcome.detail += f"; confirm FAILED ({res.exception}): the host stays applied and marked pending"
