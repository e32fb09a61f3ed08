"""`roce-agent audit`: options -> agent.app.audit -> the report (agent.report.render), history listing.

Exit: 0 no error finding, 1 at least one (an unreadable device is one), 2 the audit could not run (bad
input, or no device could be read).
"""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path

import typer

from agent.cli.options import (
    GROUP_OPT,
    INSECURE_OPT,
    LIMIT_OPT,
    POLICY_OPT,
    WORKERS_OPT,
    cannot_run,
    inventory_request,
)


class Format(str, Enum):  # agent.report.render.Format, declared here so the CLI starts without it
    table = "table"
    json = "json"
    junit = "junit"
    prom = "prom"
    html = "html"


audit_app = typer.Typer(
    help="Prove the fabric matches the policy: per device, per link, end to end, and from counters. "
    "Exit 0: no error finding; 1: error findings (an unreachable device is one); 2: could not run.",
    invoke_without_command=True,
)

CHECKS_OPT = typer.Option([], "--checks", help="Only these check ids, id prefixes or tags (repeat or a,b).")
EXCLUDE_OPT = typer.Option([], "--exclude", help="Skip these check ids, id prefixes or tags.")
FORMAT_OPT = typer.Option(Format.table, "--format", "-f", help="Report format (table on a terminal, json for scripts).")
OUTPUT_OPT = typer.Option(None, "--output", "-o", help="Write the report to this file (prom: atomically).")
FROM_SNAPSHOT_OPT = typer.Option(None, "--from-snapshot", help="Check saved states offline; no device contacted.")
SAVE_SNAPSHOT_OPT = typer.Option(None, "--save-snapshot", help="Save the gathered states to this directory.")
INTERVAL_OPT = typer.Option(
    0.0, "--interval", min=0.0, help="Read twice, this many seconds apart, for the runtime (counter delta) checks."
)
NO_HISTORY_OPT = typer.Option(False, "--no-history", help="Do not record this audit in <inventory>/.state/.")
QUIET_OPT = typer.Option(False, "-q", "--quiet", help="No per-device progress on stderr.")
JSON_OPT = typer.Option(False, "--json", help="Same as --format json (as every other command's --json).")
PROCESSES_OPT = typer.Option(
    None,
    "--processes",
    min=1,
    max=64,
    help="Worker processes reading the devices (each runs its share of --workers). Default: chosen per run: "
    "1 unless the read is CPU-bound (per-device CPU x devices above the wait, and the last run kept at least "
    "0.8 of a core busy) and above 1 s of CPU, then min(cores, CPU / 0.5 s); shown on stderr with the worker "
    "count (see benchmarks/README.md).",
)


@audit_app.callback()
def audit_cmd(
    ctx: typer.Context,
    inventory: Path = typer.Option(None, "-i", "--inventory", help="Inventory directory (Nornir + links.yaml)."),
    policy: Path = POLICY_OPT,
    checks: list[str] = CHECKS_OPT,
    exclude: list[str] = EXCLUDE_OPT,
    fmt: Format = FORMAT_OPT,
    output: Path = OUTPUT_OPT,
    from_snapshot: Path = FROM_SNAPSHOT_OPT,
    save_snapshot: Path = SAVE_SNAPSHOT_OPT,
    interval: float = INTERVAL_OPT,
    limit: str = LIMIT_OPT,
    group: str = GROUP_OPT,
    no_history: bool = NO_HISTORY_OPT,
    insecure: bool = INSECURE_OPT,
    quiet: bool = QUIET_OPT,
    as_json: bool = JSON_OPT,
    workers: int | None = WORKERS_OPT,
    processes: int | None = PROCESSES_OPT,
) -> None:
    """Audit the fabric (read-only). Exit 0: no error finding; 1: error findings (an unreachable device is
    one); 2: could not run (bad input, or no device could be read). `audit history` lists past audits."""
    if ctx.invoked_subcommand is not None:
        return
    from agent.app.audit import AuditRequest, audit
    from agent.errors import InputError
    from agent.report.render import Format as ReportFormat
    from agent.report.render import write_report

    if inventory is None:
        cannot_run("missing option -i/--inventory")
    if as_json and fmt not in (Format.table, Format.json):
        cannot_run(f"--json and --format {fmt.value} ask for two formats; give one")
    fmt = Format.json if as_json else fmt
    request = AuditRequest(
        inventory_request(inventory, policy, limit, group, insecure, workers),
        include=tuple(checks),
        exclude=tuple(exclude),
        from_snapshot=from_snapshot,
        save_snapshot=save_snapshot,
        interval_s=interval,
        record_history=not no_history,
        quiet=quiet,
        processes=processes,
    )
    try:
        run = audit(request)
    except InputError as exc:
        cannot_run(exc)
    for name, why in sorted(run.skipped.items()):
        typer.echo(f"{name}: not audited: {why}", err=True)
    write_report(run.result, run.meta, ReportFormat(fmt.value), output)
    if output is not None:
        typer.echo(f"{fmt.value} report written to {output}", err=True)
    if not run.snapshot.states:
        typer.echo("error: no device could be read; the audit could not run", err=True)
    raise typer.Exit(run.exit_code)


@audit_app.command("history")
def history_cmd(
    inventory: Path = typer.Option(..., "-i", "--inventory", help="Inventory directory."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many recent audits."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable JSON."),
) -> None:
    """Past audits of this inventory, newest first, with what changed since the one before."""
    from agent.errors import InputError, InputProblem
    from agent.report import history

    if not Path(inventory).is_dir():
        cannot_run(InputError([InputProblem(inventory, None, "--inventory", "not a directory")]))
    path = history.db_path(inventory)
    rows = history.audits(path, limit)
    entries = []
    for row in rows:
        new, resolved = history.changes(path, row.id)
        entries.append({**row.__dict__, "new": new, "resolved": resolved})
    if as_json:
        typer.echo(json.dumps({"database": str(path), "audits": entries}, indent=2))
        return
    if not entries:
        typer.echo(f"no audits recorded in {path}")
        return
    for e in entries:
        verdict = "compliant" if e["complies"] else "NOT compliant"
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e["started_at"]))
        typer.echo(
            f"#{e['id']:<4} {when}Z  {verdict:<13} {e['errors']} errors {e['warnings']} warnings  "
            f"+{len(e['new'])} new -{len(e['resolved'])} resolved  ({e['source']})"
        )
