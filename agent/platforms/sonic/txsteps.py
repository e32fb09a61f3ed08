"""What the transaction's lines said, step by step (their markers cut by agent.platforms.sonic.txscript).

Split from agent.platforms.sonic.transaction, which decides what to do about it (roll back, report the
switch untouched, go on to the verification): here only the reading of the prepare line's dry run and
of the commit line's steps, which one stopped the line and what each step that ran did (the events).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agent.platforms.base import ApplyOutcome, ChangePlan
from agent.platforms.sonic import gcu_cost, txscript
from agent.platforms.sonic.patch import Operation
from agent.platforms.sonic.steps import Patch


@dataclass(frozen=True)
class CommitStop:
    """Why the commit line did not reach its end. `written` False: it stopped at `config checkpoint`,
    before the first write (the switch is in its before state); otherwise the checkpoint exists and the
    transaction rolls back to it, its sort priced for `flapped` ports."""

    why: str
    written: bool = True
    flapped: int = 0


def dry_run_refusal(run: txscript.ScriptRun, out: ApplyOutcome, plan: ChangePlan[Operation]) -> str | None:
    """GCU's refusal (last line it printed), else None with what it said recorded as events; what it
    printed is checked against the plan's list of ports it would flap."""
    text = run.output("dry_run")
    if run.status != 0:
        return (text.strip().splitlines() or ["(no output)"])[-1]
    report = gcu_cost.parse_console(text)
    if report.changes is not None:
        out.events.append(f"GCU dry run: {report.changes} changes")
    unplanned = sorted(set(report.flapped) - set(plan.disruptive))
    if unplanned:
        out.events.append(f"GCU will also flap {', '.join(unplanned)} (not predicted by the plan)")
    return None


def read_commit(
    run: txscript.ScriptRun,
    output: str,
    exit_code: int,
    patches: list[Patch],
    cli: list[str],
    events: list[str],
    *,
    checkpointed: str,
    armed: str,
) -> CommitStop | None:
    """Walk the commit line's steps in order (checkpoint, timer, each GCU patch, each CLI write): the
    first that failed, or the line cut off before its end, is the stop; every step that ran adds its
    event to `events` (`checkpointed` and `armed` are the checkpoint's and the timer's)."""
    if run.last in (None, "checkpoint") and run.status != 0:
        return CommitStop(f"config checkpoint: {step_failure(run, 'checkpoint', output)}", written=False)
    events.append(checkpointed)
    if run.last == "arm" and run.status != 0:
        return CommitStop(f"arm rollback timer: {step_failure(run, 'arm')}")
    events.append(armed)
    flapped = sum(len(p.flaps) for p in patches)
    for k, patch in enumerate(patches, 1):
        name = txscript.apply_step(k, len(patches))
        step = f"step {k}/{len(patches)} ({patch.label}): " if len(patches) > 1 else ""
        if run.last == name and run.status != 0:
            return CommitStop(f"{step}config {patch.verb}: {step_failure(run, name)}", flapped=flapped)
        report = gcu_cost.parse_console(run.output(name))
        events.append(f"{step}patch applied ({report.changes if report.changes is not None else patch.size} changes)")
        if report.flapped:
            events.append(f"{step}GCU flapped {', '.join(report.flapped)} (admin down, then up)")
    for n, command in enumerate(cli):
        if run.last == f"cli{n}" and run.status != 0:
            return CommitStop(f"{command}: {step_failure(run, f'cli{n}')}", flapped=flapped)
        events.append(f"CLI: {command}")
    if run.status != 0 or run.last != "done":
        return CommitStop(f"commit line cut off after {run.last}: exit {exit_code}", flapped=flapped)
    return None


def checkpoint_names(text: str) -> list[str]:
    """`config list-checkpoints` prints a JSON list; anything else lists nothing (pruning is housekeeping)."""
    try:
        names = json.loads(text.strip() or "[]")
    except json.JSONDecodeError:
        return []
    return [str(n) for n in names] if isinstance(names, list) else []


def step_failure(run: txscript.ScriptRun, step: str, whole: str = "") -> str:
    """Exit status and last line of a failed step; a line the switch refused as a whole (no marker at
    all: the shell or a wrapper failed it) is described by the last line it printed."""
    text = run.output(step) if step in run.sections else whole
    said = (text.strip().splitlines() or ["(no output)"])[-1]
    status = run.status if run.status is not None else "?"
    return f"exit {status}: {said[-400:]}"
