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
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from agent.app.rollout import RolloutPreview
    from agent.rollout import orchestrate
    from agent.rollout.result import RolloutResult
    from agent.rollout.session import RolloutSession

rollout_app = typer.Typer()


def _fail(message: str, code: int = 2) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


@rollout_app.command("rollout")
def rollout(
    playbook: Path = typer.Argument(..., help="Playbook YAML (kind: rollout | audit | precheck)."),
    inventory: Path | None = typer.Option(
        None, "-i", "--inventory", help="Inventory directory (overrides the playbook's `inventory:`)."
    ),
    check: bool = typer.Option(
        False, "--check", help="Plan every stage and batch (change counts and totals); change nothing."
    ),
    diff: bool = typer.Option(False, "--diff", help="With --check: print every device's full diff."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_lines: bool = typer.Option(False, "--json", help="Progress and summary as JSON lines on stdout."),
    resume: bool = typer.Option(False, "--resume", help="Continue the interrupted rollout recorded in the trail."),
    abort: bool = typer.Option(False, "--abort", help="Roll back every device the interrupted rollout changed."),
    break_lock: str | None = typer.Option(
        None,
        "--break-lock",
        metavar="DEVICE[=TXID]",
        help="Remove a stale lock on DEVICE (@inventory: the local lock); with =TXID only while that txid holds it.",
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
    from agent.app.rollout import LockBroken, PlaybookExit, RolloutPreview, RolloutRequest, run_playbook
    from agent.errors import InputError
    from agent.rollout.locks import LockHeld
    from agent.rollout.runner import LocksRefused

    if resume and abort:
        raise _fail("--resume and --abort exclude each other")
    request = RolloutRequest(playbook, inventory, check, resume, abort, break_lock, json_lines, not insecure)
    try:
        outcome = run_playbook(request, lambda session: yes or _confirmed(session))
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
    if isinstance(outcome, LockBroken):
        print(f"lock on {outcome.device} removed (was held by {outcome.holder})")
    elif isinstance(outcome, RolloutPreview):
        _print_preview(outcome, json_lines, diff)
    elif not isinstance(outcome, PlaybookExit):
        _print_summary(outcome, json_lines)
    raise typer.Exit(outcome.exit_code)


def _confirmed(session: RolloutSession) -> bool:
    if not sys.stdin.isatty():
        return False
    devices = sum(len(s.devices) for s in session.stages)
    if session.transition is not None:
        print(f"  {session.transition.describe()}")
    for s in session.stages:
        batches = " | ".join(", ".join(b) for b in s.batches)
        print(f"  stage {s.name}: {batches}")
    if session.unstaged:
        print(f"  not in any stage (left alone): {', '.join(session.unstaged)}")
    return typer.confirm(f"Roll {session.playbook.name} out to {devices} device(s) in {len(session.stages)} stage(s)?")


def _print_preview(preview: RolloutPreview, json_lines: bool, diff: bool) -> None:
    doc: list[dict[str, Any]] = []
    if preview.transition is not None and not json_lines:
        print(preview.transition.describe())
    for stage in preview.stages:
        entry: dict[str, Any] = {"stage": stage.name, "batches": []}
        if not json_lines:
            print(f"stage {stage.name} ({len(stage.batches)} batch(es))")
        for i, batch in enumerate(stage.batches):
            rows = []
            for d in batch:
                rows.append(_preview_row(d))
                if not json_lines:
                    _print_device_plan(i, d, diff)
            entry["batches"].append(rows)
        doc.append(entry)
    totals = preview_totals(preview)
    if json_lines:
        transition = preview.transition.to_json() | {"why": preview.transition.why} if preview.transition else None
        plan = {"event": "plan", "stages": doc, "unstaged": preview.unstaged, "totals": totals}
        print(json.dumps(plan | ({"transition": transition} if transition else {}), default=str))
        return
    if preview.unstaged:
        print(f"not in any stage (left alone): {', '.join(preview.unstaged)}")
    print(
        f"recap: {totals['would_change']} would change ({totals['changes']} changes), {totals['unchanged']} "
        f"unchanged, {totals['cannot_plan']} cannot plan" + ("" if diff else "; --diff shows every change")
    )


def _preview_row(d: orchestrate.DevicePreview) -> dict[str, Any]:
    """One device of `--check --json`: its plan, and what it moves between lossless and lossy (the
    device's mode, else the ports that change mode, e.g. a spine's ports facing a moved leaf)."""
    plan = d.plan
    return {
        "device": d.device,
        "error": d.error,
        "operations": plan.operations_json() if plan else [],
        "lines": plan.lines if plan else [],
        "disruptive": plan.disruptive if plan else [],
        "moves": {
            "mode": d.move.mode.value if d.move.mode else None,
            "ports": {p: m.value for p, (m, _) in sorted(d.move.ports.items())},
        },
    }


def preview_totals(preview: RolloutPreview) -> dict[str, int]:
    devices = [d for s in preview.stages for b in s.batches for d in b]
    changing = [d for d in devices if d.plan is not None and not d.plan.empty]
    return {
        "would_change": len(changing),
        "changes": sum(len(d.plan.operations) for d in changing if d.plan is not None),
        "unchanged": sum(1 for d in devices if d.error is None and (d.plan is None or d.plan.empty)),
        "cannot_plan": sum(1 for d in devices if d.error is not None),
        "unstaged": len(preview.unstaged),
    }


def _print_device_plan(batch: int, d: orchestrate.DevicePreview, diff: bool) -> None:
    if d.error is not None:
        print(f"  [{batch + 1}] {d.device}: cannot plan: {d.error}")
    elif d.plan is None or d.plan.empty:
        print(f"  [{batch + 1}] {d.device}: no change")
    else:
        print(f"  [{batch + 1}] {d.device}: {len(d.plan.operations)} change(s){d.moves()}")
        for line in d.plan.lines if diff else []:
            print(f"        {line}")
        for w in d.plan.warnings:
            print(f"        warning: {w}")


def _recap(summary: dict[str, Any]) -> dict[str, int]:
    """Ansible's play recap over the rollout's devices: changed, unchanged, failed (rolled back or needing a
    human), and not reached (a halt stopped before them)."""
    return {
        "changed": len(summary["after"]),
        "unchanged": len(summary["already_compliant"]),
        "failed": len(summary["rolled_back"]) + len(summary["needs_attention"]),
        "not_reached": len(summary["not_changed"]),
    }


def _print_summary(result: RolloutResult, json_lines: bool) -> None:
    summary = result.summary()
    if json_lines:
        print(json.dumps({"event": "summary", "txid": result.txid, "result": result.result, **summary,
                          "recap": _recap(summary)}))  # fmt: skip
        return
    print(f"\ntxid {result.txid}")  # the progress log already said "rollout <result>"
    for label, key in (("after state", "after"), ("already compliant", "already_compliant")):
        if summary[key]:
            print(f"  {label}: {', '.join(summary[key])}")
    detailed = (("rolled back", "rolled_back"), ("not changed", "not_changed"), ("NEEDS ATTENTION", "needs_attention"))
    for label, key in detailed:
        for dev, why in summary[key].items():
            print(f"  {label}: {dev}: {why}")
    recap = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in _recap(summary).items() if n or k != "not_reached")
    print(f"recap: {recap}")
