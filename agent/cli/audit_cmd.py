"""`roce-agent audit`: read every device (or a snapshot), run the check catalogue, report, keep history.

Read-only. Inputs (policy, inventory, links, --checks) are validated before any device is contacted.
Each device is gathered in its own Nornir task; one that cannot be read becomes an AUDIT-001 finding
and the others are still checked. Exit: 0 no error finding, 1 at least one, 2 the audit could not run
(bad input, or no device could be read).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from enum import Enum
from pathlib import Path

import typer
from nornir.core.inventory import Host
from nornir.core.task import MultiResult, Result, Task
from rich.console import Console

from agent import snapshot
from agent.checks.engine import AuditResult, audit
from agent.checks.registry import Selection, catalogue
from agent.cli import app
from agent.cli.change_cmd import GROUP_OPT, INSECURE_OPT, LIMIT_OPT, POLICY_OPT, Progress, select
from agent.cli.change_cmd import Selection as Selection_
from agent.errors import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, InputError, InputProblem
from agent.failure import reason
from agent.intent import DeviceIntent
from agent.inventory.loader import load_topology
from agent.report import history, html, json_report, junit, prom, table
from agent.report.common import ReportMeta
from agent.state import DeviceState


class Format(str, Enum):
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
app.add_typer(audit_app, name="audit")


def _cannot_run(message: str) -> typer.Exit:
    typer.echo(f"error: {message}\nno device was contacted", err=True)
    return typer.Exit(EXIT_CANNOT_RUN)


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
) -> None:
    """Audit the fabric (read-only). Exit 0: no error finding; 1: error findings (an unreachable device is
    one); 2: could not run (bad input, or no device could be read). `audit history` lists past audits."""
    if ctx.invoked_subcommand is not None:
        return
    if inventory is None:
        raise _cannot_run("missing option -i/--inventory")
    selection = Selection.parse(checks, exclude)
    unknown = selection.unknown_terms(catalogue().values())
    if unknown:
        raise _cannot_run(f"--checks/--exclude: no check matches {unknown}; see `roce-agent checks list`")
    if from_snapshot is not None and interval:
        raise _cannot_run("--interval needs live reads; a snapshot carries its own previous/ read")
    try:
        sel = select(inventory, policy, limit, group, verify=not insecure, contact=from_snapshot is None)
        topology = load_topology(inventory, {n: i.kind.value for n, i in sel.intents.items()})
        snap = _read(sel, from_snapshot, interval, quiet)
    except InputError as exc:
        raise _cannot_run(str(exc)) from None
    for name, why in sorted(sel.skipped.items()):
        typer.echo(f"{name}: not audited: {why}", err=True)
    intents = sel.intents
    result = audit(intents, snap.states, topology, selection, previous=snap.previous, errors=snap.errors)
    policy_name = next(iter(intents.values())).policy.name if intents else None
    source = f"snapshot:{from_snapshot}" if from_snapshot else "live"
    meta = ReportMeta(inventory=str(inventory), policy=policy_name, source=source)
    if not no_history:
        diff = history.record(history.db_path(inventory), result, policy=policy_name, source=source)
        meta.previous_audit, meta.new, meta.resolved = diff.previous_id, diff.new, diff.resolved
    if save_snapshot is not None:
        snapshot.save(save_snapshot, snap)
    _write_report(result, meta, fmt, output)
    if not snap.states:
        typer.echo("error: no device could be read; the audit could not run", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN)
    raise typer.Exit(EXIT_OK if result.complies else EXIT_FINDINGS)


def _read(sel: Selection_, from_snapshot: Path | None, interval: float, quiet: bool) -> snapshot.Snapshot:
    if from_snapshot is not None:
        snap = snapshot.load(from_snapshot)
        wanted = set(sel.intents)
        states = {n: s for n, s in snap.states.items() if n in wanted}
        errors = {n: e for n, e in snap.errors.items() if n in wanted}
        for name in wanted - set(states) - set(errors):
            errors[name] = f"not in snapshot {from_snapshot}"
        previous = {n: s for n, s in snap.previous.items() if n in wanted} if snap.previous else None
        return snapshot.Snapshot(states, previous, errors, snap.taken_at)
    first, errors = _gather(sel, quiet)
    if not interval:
        return snapshot.Snapshot(first, None, errors, time.time())
    time.sleep(interval)
    second, errors2 = _gather(sel, quiet)
    errors.update(errors2)
    return snapshot.Snapshot(second, first, errors, time.time())


def _read_failure(res: Result, limit: int) -> str:
    """First line of why a device was not read, secrets scrubbed, cut to `limit` characters."""
    return reason(res, limit)  # never empty: a bare EOFError from a hung-up sshd still names itself


class _GatherProgress(Progress):
    """One short line per device on stderr (the generic one would print the whole DeviceState)."""

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        res = result[0]
        if res.exception is not None or not isinstance(res.result, DeviceState):
            self._say(f"{host.name}: NOT READ: {_read_failure(res, 200)}")
        else:
            self._say(f"{host.name}: read {len(res.result.ports)} ports")


def _gather_then_close(task: Task, intents: dict[str, DeviceIntent]) -> Result:
    """gather_task, then the device's connections are closed at once instead of after the whole run.

    Why: an idle paramiko transport's thread wakes every 0.1 s and takes the GIL, so N sessions left open
    until the end of the run cost CPU and slow the workers still gathering (superlinear in N: at 512
    devices the audit's CPU per device was 1.5x that at 128). An audit never reuses a session (a second
    `--interval` read also reconnected). A close that fails cannot hide the state already read."""
    from agent.platforms.tasks import gather_task

    try:
        return gather_task(task, intents)
    finally:
        with contextlib.suppress(Exception):
            task.host.close_connections()


def _gather(sel: Selection_, quiet: bool) -> tuple[dict[str, DeviceState], dict[str, str]]:
    """One Nornir run of gather_task; a failed device is a reason string, never an exception."""
    logging.getLogger("nornir").addHandler(logging.NullHandler())
    nr = sel.nr.with_processors([_GatherProgress("gather", quiet)])
    try:
        results = nr.run(task=_gather_then_close, name="gather_task", intents=sel.intents, raise_on_error=False)
    finally:
        sel.nr.close_connections(on_good=True, on_failed=True)
    states: dict[str, DeviceState] = {}
    errors: dict[str, str] = {}
    for name, multi in results.items():
        res = multi[0]
        if res.failed or not isinstance(res.result, DeviceState):
            errors[name] = _read_failure(res, 300)
        else:
            states[name] = res.result
    return states, errors


def _write_report(result: AuditResult, meta: ReportMeta, fmt: Format, output: Path | None) -> None:
    if fmt is Format.table:
        if output is None:
            table.render(result, Console(), meta)
            return
        with output.open("w", encoding="utf-8") as fh:
            table.render(result, Console(file=fh, no_color=True, width=160), meta)
        return
    if fmt is Format.prom:
        text = prom.render(result)
        if output is not None:
            prom.write_textfile(output, text)
            return
    elif fmt is Format.json:
        text = json_report.render(result, meta)
    elif fmt is Format.junit:
        text = junit.render(result, meta)
    else:
        text = html.render(result, meta)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@audit_app.command("history")
def history_cmd(
    inventory: Path = typer.Option(..., "-i", "--inventory", help="Inventory directory."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many recent audits."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable JSON."),
) -> None:
    """Past audits of this inventory, newest first, with what changed since the one before."""
    if not Path(inventory).is_dir():
        raise _cannot_run(str(InputError([InputProblem(inventory, None, "--inventory", "not a directory")])))
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
