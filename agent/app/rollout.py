"""rollout as a library call: a playbook file in, a typed outcome out, whatever the playbook's `kind`.

`kind: rollout` runs (or previews with `check`, resumes, aborts, breaks a lock) through
`agent.rollout.orchestrate`; `kind: audit` and `kind: precheck` go to their own runners, which print
their reports themselves and end in an exit code. Input problems raise InputError; locks held by
someone else raise LockHeld / LocksRefused; nothing was changed in either case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import InputError, InputProblem
from agent.rollout import orchestrate
from agent.rollout.loader import load_playbook
from agent.rollout.playbook import AuditPlaybook, PrecheckPlaybook
from agent.rollout.progress import make_progress
from agent.rollout.result import RolloutResult
from agent.rollout.session import RolloutSession, make_fabric, open_rollout
from agent.rollout.transition import TransitionOrder

Approve = Callable[[RolloutSession], bool]  # the validated session -> go ahead?


@dataclass(frozen=True)
class RolloutRequest:
    playbook: Path
    inventory: Path | None = None  # overrides the playbook's `inventory:`
    check: bool = False  # plan every stage and batch; change nothing
    resume: bool = False  # continue the interrupted rollout recorded in the trail
    abort: bool = False  # roll back every device the interrupted rollout changed
    break_lock: str | None = None  # remove a stale lock on this device (`@inventory`: the local lock)
    json_lines: bool = False  # progress as JSON lines on stdout
    verify_host_keys: bool = True


@dataclass
class RolloutPreview:
    """`--check`: every stage's batches with each device's plan (or why it cannot be planned)."""

    stages: list[orchestrate.StagePreview]
    unstaged: list[str] = field(default_factory=list)
    transition: TransitionOrder | None = None  # a `transition:` playbook: the order its stages run in, and why

    @property
    def exit_code(self) -> int:
        return 1 if any(d.error is not None for s in self.stages for b in s.batches for d in b) else 0


@dataclass
class LockBroken:
    device: str
    holder: str  # who held it ("nobody (no lock was set)" when there was none)
    exit_code: int = 0


@dataclass
class PlaybookExit:
    """An audit or precheck playbook ran; it printed its own reports."""

    kind: str
    exit_code: int


RolloutOutcome = RolloutResult | RolloutPreview | LockBroken | PlaybookExit


def run_playbook(request: RolloutRequest, approve: Approve) -> RolloutOutcome:
    """Run the playbook `request` names. `approve` is asked before a new rollout changes anything (not for
    --check, --resume, --abort or --break-lock); declining is an InputError, nothing changed."""
    if request.resume and request.abort:
        raise InputError([InputProblem(None, None, "--resume/--abort", "exclude each other")])
    pb = load_playbook(request.playbook)
    if isinstance(pb, AuditPlaybook):
        from agent.rollout.audit_playbook import run_audit_playbook

        code = run_audit_playbook(pb, request.playbook, request.inventory, json_lines=request.json_lines,
                                  verify=request.verify_host_keys)  # fmt: skip
        return PlaybookExit("audit", code)
    if isinstance(pb, PrecheckPlaybook):
        from agent.rollout.precheck import run_precheck

        code = run_precheck(pb, request.playbook, inventory=request.inventory, json_lines=request.json_lines,
                            verify_host_keys=request.verify_host_keys)  # fmt: skip
        return PlaybookExit("precheck", code)
    return rollout(request, approve)


def rollout(request: RolloutRequest, approve: Approve) -> RolloutResult | RolloutPreview | LockBroken:
    """A `kind: rollout` playbook (any other kind is an InputError): run, preview, resume, abort or
    break a lock, as the request says."""
    session = open_rollout(request.playbook, request.inventory, verify_host_keys=request.verify_host_keys)
    fabric = make_fabric(session)
    if request.break_lock:
        return LockBroken(request.break_lock, orchestrate.break_lock(session, fabric, request.break_lock))
    if request.check:
        return RolloutPreview(orchestrate.preview(session, fabric), list(session.unstaged), session.transition)
    if not (request.resume or request.abort or approve(session)):
        why = "not confirmed: answer y, or pass --yes when not on a terminal"
        raise InputError([InputProblem(session.playbook_path, None, "", why)])
    sink = make_progress(request.json_lines)
    try:
        if request.abort:
            return orchestrate.abort(session, fabric, sink)
        if request.resume:
            return orchestrate.resume(session, fabric, sink)
        return orchestrate.run(session, fabric, sink)
    finally:
        sink.close()
