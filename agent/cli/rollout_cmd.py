"""`roce-agent rollout PLAYBOOK`: staged change with gates, commit-confirm, rollback, locks and a trail.

The playbook's `kind` decides what runs: `rollout` (this module), `audit` (read-only, delegated to the
audit command's code) or `precheck` (CI: validate, roll out to a lab, audit, JUnit).
Exit codes: 0 converged (or --check planned), 1 halted / a device failed, 2 could not run (bad
playbook, inventory or policy; locked; nothing to resume) - nothing was changed in that case.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from agent.cli import app
from agent.errors import EXIT_CANNOT_RUN, EXIT_OK, InputError, InputProblem
from agent.rollout import orchestrate
from agent.rollout.audit_playbook import run_audit_playbook
from agent.rollout.loader import load_playbook
from agent.rollout.locks import LockHeld
from agent.rollout.playbook import AuditPlaybook, PrecheckPlaybook
from agent.rollout.precheck import run_precheck
from agent.rollout.progress import make_progress
from agent.rollout.result import RolloutResult
from agent.rollout.runner import LocksRefused
from agent.rollout.session import RolloutSession, make_fabric, open_rollout

err = Console(stderr=True)


def _fail(message: str, code: int = EXIT_CANNOT_RUN) -> typer.Exit:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command("rollout")
def rollout(
    playbook: Path = typer.Argument(..., help="Playbook YAML (kind: rollout | audit | precheck)."),
    inventory: Path | None = typer.Option(
        None, "-i", "--inventory", help="Inventory directory (overrides the playbook's `inventory:`)."
    ),
    check: bool = typer.Option(False, "--check", help="Print the plan of every stage and batch; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_lines: bool = typer.Option(False, "--json", help="Progress and summary as JSON lines on stdout."),
    resume: bool = typer.Option(False, "--resume", help="Continue the interrupted rollout recorded in the trail."),
    abort: bool = typer.Option(False, "--abort", help="Roll back every device the interrupted rollout changed."),
    break_lock: str | None = typer.Option(
        None, "--break-lock", metavar="DEVICE", help="Remove a stale lock on DEVICE (@inventory: the local lock)."
    ),
    insecure: bool = typer.Option(
        False, "--insecure-skip-host-key-check", help="Do not verify SSH host keys (throwaway labs only)."
    ),
) -> None:
    """Roll a lossless policy out in stages: canary, batches, gates on checks and counters, commit-confirm,
    and the playbook's failure action (halt | rollback-stage | rollback-all) when a gate fails.

    Every decision goes to <inventory>/.state/trail.jsonl (secrets redacted); an interrupted rollout is
    continued with --resume or undone with --abort.
    """
    if resume and abort:
        raise _fail("--resume and --abort exclude each other")
    try:
        code = _dispatch(playbook, inventory, check, yes, json_lines, resume, abort, break_lock, not insecure)
    except InputError as exc:
        raise _fail(f"{exc}\nnothing was changed") from None
    except (LockHeld, LocksRefused) as exc:
        raise _fail(f"refused: {exc}\nnothing was changed") from None
    except KeyboardInterrupt:
        why = (
            "interrupted: switches not yet confirmed roll back on their own timers; hosts have none and stay "
            "pending until --resume/--abort; the trail records where.\n"
        )
        how = f"continue with `roce-agent rollout {playbook} --resume`, or undo with `--abort`"
        raise _fail(why + how, 1) from None
    raise typer.Exit(code)


def _dispatch(
    path: Path,
    inventory: Path | None,
    check: bool,
    yes: bool,
    json_lines: bool,
    resume: bool,
    abort: bool,
    break_lock: str | None,
    verify: bool,
) -> int:
    pb = load_playbook(path)
    if isinstance(pb, AuditPlaybook):
        return run_audit_playbook(pb, path, inventory, json_lines=json_lines, verify=verify)
    if isinstance(pb, PrecheckPlaybook):
        return run_precheck(pb, path, inventory=inventory, json_lines=json_lines, verify_host_keys=verify)
    session = open_rollout(path, inventory, verify_host_keys=verify)
    fabric = make_fabric(session)
    sink = make_progress(json_lines)
    try:
        if break_lock:
            print(f"lock on {break_lock} removed (was held by {orchestrate.break_lock(session, fabric, break_lock)})")
            return EXIT_OK
        if check:
            return _print_preview(session, orchestrate.preview(session, fabric), json_lines)
        if not (resume or abort or yes or _confirmed(session)):
            why = "not confirmed: answer y, or pass --yes when not on a terminal"
            raise InputError([InputProblem(session.playbook_path, None, "", why)])
        if abort:
            result = orchestrate.abort(session, fabric, sink)
        elif resume:
            result = orchestrate.resume(session, fabric, sink)
        else:
            result = orchestrate.run(session, fabric, sink)
    finally:
        sink.close()
    _print_summary(result, json_lines)
    return result.exit_code


def _confirmed(session: RolloutSession) -> bool:
    if not sys.stdin.isatty():
        return False
    devices = sum(len(s.devices) for s in session.stages)
    for s in session.stages:
        batches = " | ".join(", ".join(b) for b in s.batches)
        print(f"  stage {s.name}: {batches}")
    if session.unstaged:
        print(f"  not in any stage (left alone): {', '.join(session.unstaged)}")
    return typer.confirm(f"Roll {session.playbook.name} out to {devices} device(s) in {len(session.stages)} stage(s)?")


def _print_preview(session: RolloutSession, stages: list[orchestrate.StagePreview], json_lines: bool) -> int:
    failed = False
    doc: list[dict[str, Any]] = []
    for stage in stages:
        entry: dict[str, Any] = {"stage": stage.name, "batches": []}
        if not json_lines:
            print(f"stage {stage.name} ({len(stage.batches)} batch(es))")
        for i, batch in enumerate(stage.batches):
            rows = []
            for d in batch:
                failed = failed or d.error is not None
                ops = d.plan.operations_json() if d.plan else []
                lines = d.plan.lines if d.plan else []
                rows.append({"device": d.device, "error": d.error, "operations": ops, "lines": lines})
                if not json_lines:
                    _print_device_plan(i, d)
            entry["batches"].append(rows)
        doc.append(entry)
    if json_lines:
        print(json.dumps({"event": "plan", "stages": doc, "unstaged": session.unstaged}, default=str))
    elif session.unstaged:
        print(f"not in any stage (left alone): {', '.join(session.unstaged)}")
    return 1 if failed else EXIT_OK


def _print_device_plan(batch: int, d: orchestrate.DevicePreview) -> None:
    if d.error is not None:
        print(f"  [{batch + 1}] {d.device}: cannot plan: {d.error}")
    elif d.plan is None or d.plan.empty:
        print(f"  [{batch + 1}] {d.device}: no change")
    else:
        print(f"  [{batch + 1}] {d.device}: {len(d.plan.operations)} change(s)")
        for line in d.plan.lines:
            print(f"        {line}")
        for w in d.plan.warnings:
            print(f"        warning: {w}")


def _print_summary(result: RolloutResult, json_lines: bool) -> None:
    summary = result.summary()
    if json_lines:
        print(json.dumps({"event": "summary", "txid": result.txid, "result": result.result, **summary}))
        return
    print(f"\nrollout {result.result} (txid {result.txid})")
    for label, key in (("after state", "after"), ("already compliant", "already_compliant")):
        if summary[key]:
            print(f"  {label}: {', '.join(summary[key])}")
    detailed = (("rolled back", "rolled_back"), ("not changed", "not_changed"), ("NEEDS ATTENTION", "needs_attention"))
    for label, key in detailed:
        for dev, why in summary[key].items():
            print(f"  {label}: {dev}: {why}")
