"""`roce-agent plan` and `roce-agent apply`: options -> agent.app.change -> rendered per-device results.

Progress goes to stderr, results to stdout (`--json` for scripts). Exit: 0 every device converged or
unchanged, 1 a device failed or was rolled back, 2 could not run (bad input, inventory locked, not
confirmed; nothing was contacted).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agent.cli.options import INSECURE_OPT, JSON_OPT, WORKERS_OPT, YES_OPT, Targets, cannot_run, takes

if TYPE_CHECKING:
    from agent.app.change import Approve, ChangeRun

plan_app = typer.Typer()
apply_app = typer.Typer()


def emit(run: ChangeRun, as_json: bool, *, diff: bool = True) -> list[dict[str, Any]]:
    """Print every device's result (and the skipped ones), then the recap line; return the per-device JSON.
    `diff` False (check mode without --diff) prints counts, not the diff lines."""
    devices = [d.to_json() for d in run.devices]
    skipped = [{"device": n, "status": "skipped", "reason": why} for n, why in sorted(run.skipped.items())]
    if as_json:
        typer.echo(json.dumps({"devices": devices + skipped, "recap": run.recap()}, indent=2))
        return devices
    shown = ("changes", "applied", "pending_confirm", "would_change") if diff else ()
    for dev in devices:
        typer.echo(
            f"=== {dev['device']}: {dev['status']}"
            + (f" ({dev.get('changes', 0)} changes)" if "changes" in dev else "")
        )
        for line in dev.get("diff", []) if dev["status"] in shown else []:
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
    typer.echo(f"recap: {run.recap_line()}")
    return devices


def ask(devices: list[str], verb: str = "Apply the policy to") -> bool:
    """The operator's go-ahead on a terminal; never without one (scripts pass --yes)."""
    if not sys.stdin.isatty():
        typer.echo("refusing to change devices without --yes (stdin is not a terminal)", err=True)
        return False
    return typer.confirm(f"{verb} {len(devices)} device(s): {', '.join(devices)}?")


def approver(yes: bool, verb: str = "Apply the policy to") -> Approve:
    return (lambda _devices: True) if yes else (lambda devices: ask(devices, verb))


def run_change(call: Callable[[], ChangeRun]) -> ChangeRun:
    """Run a writing use case; its refusals become the CLI's exit 2 with nothing contacted."""
    from agent.app.change import NotApproved, Refused
    from agent.errors import InputError

    try:
        run = call()
    except InputError as exc:
        cannot_run(exc)
    except NotApproved:
        typer.echo("aborted: nothing was changed", err=True)
        raise typer.Exit(2) from None
    except Refused as exc:
        typer.echo(f"refused: {exc}\nno device was contacted", err=True)
        raise typer.Exit(2) from None
    return run


@plan_app.command("plan")
@takes(Targets)
def plan_cmd(
    targets: Targets,
    as_json: bool = JSON_OPT,
    patch_dir: Path | None = typer.Option(
        None,
        "--patch-dir",
        help="Also write each switch's JSON Patch to DIR/<device>.json-patch (what `config apply-patch` takes).",
        file_okay=False,
    ),
    insecure: bool = INSECURE_OPT,
    workers: int | None = WORKERS_OPT,
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 0 nothing to change, 2 changes pending, 1 error (as terraform)."
    ),
) -> None:
    """Show, per device, what `apply` would change: a readable diff, and the RFC 6902 JSON Patch with
    --json or --patch-dir. Never writes to a device. Exit 0 planned, 1 a device failed, 2 could not run;
    with --detailed-exitcode: 0 nothing to change, 2 changes pending, 1 any error."""
    from agent.app.change import PlanRequest, plan

    request = PlanRequest(targets.request(insecure, workers))
    try:
        run = run_change(lambda: plan(request))
    except typer.Exit as exc:
        raise typer.Exit(1 if detailed_exitcode else exc.exit_code) from None  # bad input is an error there
    devices = emit(run, as_json)
    if patch_dir is not None:
        _write_patches(patch_dir, devices)
    if not run.all_ok:
        raise typer.Exit(1)
    raise typer.Exit(2 if detailed_exitcode and run.pending_changes else 0)


def _write_patches(directory: Path, devices: list[dict[str, Any]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    from agent.platforms import registry
    from agent.platforms.base import PatchExport

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
    "--check is Ansible's check mode: each device plans and dry-runs its transaction (GCU `config apply-patch "
    "--dry-run` on switches, the pre-write checks on hosts); nothing is written or locked and no confirmation is "
    "asked; --diff prints the full diffs.\n\n"
    "Exit codes: 0 every device applied or already compliant (--check: would converge); 1 a device failed, was "
    "rolled back or was locked; 2 could not run (bad input, inventory locked, not confirmed)."
)


@apply_app.command("apply", help=APPLY_HELP)
@takes(Targets)
def apply_cmd(
    targets: Targets,
    yes: bool = YES_OPT,
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
    check: bool = typer.Option(
        False,
        "--check",
        help="Dry run: plan and validate on each device (GCU --dry-run, host pre-checks); write nothing.",
    ),
    diff: bool = typer.Option(False, "--diff", help="With --check: print each device's full diff, not only counts."),
    workers: int | None = WORKERS_OPT,
) -> None:
    """Converge devices to the policy. The --help text is APPLY_HELP (a docstring keeps its line breaks there)."""
    from agent.app.change import ApplyRequest, apply

    request = ApplyRequest(
        targets.request(insecure, workers),
        confirm_timeout_s=confirm_timeout,
        allow_fallback_writer=allow_fallback_writer,
        check=check,
    )
    run = run_change(lambda: apply(request, approver(yes)))
    emit(run, as_json, diff=diff or not check)
    raise typer.Exit(0 if run.all_ok else 1)
