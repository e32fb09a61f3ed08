"""The rollout as a library call: run, resume, abort, preview (`--check`) and break a lock.

The CLI (`agent/cli/rollout_cmd.py`) and embedders (`make demo`, CI) call these; they take a validated
RolloutSession and a Fabric, so tests drive exactly the code the CLI runs.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field
from typing import Any

from agent.errors import InputError, InputProblem
from agent.platforms.base import ChangePlan
from agent.rollout.fabric import Fabric
from agent.rollout.locks import DeviceLock, LocalLock
from agent.rollout.mode_order import Move
from agent.rollout.playbook import file_hash
from agent.rollout.progress import ProgressSink
from agent.rollout.result import RolloutResult
from agent.rollout.runner import Hooks, RolloutRunner
from agent.rollout.session import RolloutSession
from agent.rollout.stages import ResolvedStage
from agent.rollout.steps import on_devices
from agent.rollout.trail import RolloutJournal, journal, last_interrupted
from agent.txid import new_txid


def who_am_i() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _runner(
    session: RolloutSession,
    fabric: Fabric,
    sink: ProgressSink,
    txid: str,
    stages: list[ResolvedStage],
    hooks: Hooks | None,
) -> RolloutRunner:
    return RolloutRunner(
        session.playbook,
        stages,
        session.nr,
        fabric,
        session.trail(),
        sink,
        LocalLock(session.state_dir),
        txid,
        session.meta(who_am_i()),
        hooks,
    )


def run(session: RolloutSession, fabric: Fabric, sink: ProgressSink, hooks: Hooks | None = None) -> RolloutResult:
    return _runner(session, fabric, sink, new_txid(), session.stages, hooks).run()


def interrupted_journal(session: RolloutSession) -> RolloutJournal:
    """The journal of the interrupted rollout this playbook may resume or abort; InputError otherwise."""
    trail = session.trail()
    txid = last_interrupted(trail.records())
    j = journal(trail.records(txid), txid) if txid else None
    if j is None:
        raise InputError([InputProblem(trail.path, None, "", "no interrupted rollout recorded in this trail")])
    if j.started.get("playbook_hash") != file_hash(session.playbook_path):
        why = f"the interrupted rollout {j.txid} ran {j.started.get('playbook')} with different contents; "
        raise InputError([InputProblem(session.playbook_path, None, "", why + "resume or abort it with that file")])
    return j


def _journal_stages(j: RolloutJournal) -> list[ResolvedStage]:
    return [ResolvedStage(str(s["name"]), [list(b) for b in s["batches"]]) for s in j.started.get("stages", [])]


def resume(session: RolloutSession, fabric: Fabric, sink: ProgressSink, hooks: Hooks | None = None) -> RolloutResult:
    j = interrupted_journal(session)
    return _runner(session, fabric, sink, j.txid, _journal_stages(j), hooks).run(j)


def abort(session: RolloutSession, fabric: Fabric, sink: ProgressSink) -> RolloutResult:
    j = interrupted_journal(session)
    return _runner(session, fabric, sink, j.txid, _journal_stages(j), None).abort(j)


@dataclass
class DevicePreview:
    device: str
    plan: ChangePlan | None = None
    error: str | None = None
    move: Move = field(default_factory=Move)  # lossless <-> lossy, read from the state planned against

    def moves(self) -> str:
        """`-> lossy (Ethernet0, Ethernet4)`: what changes mode, for the dry run ("" when nothing does)."""
        ports = sorted(self.move.ports)
        if self.move.mode is None and not ports:
            return ""
        mode = self.move.mode or next(iter(self.move.ports.values()))[0]
        return f" -> {mode.value}" + (f" ({', '.join(ports)})" if ports and self.move.mode is None else "")


@dataclass
class StagePreview:
    name: str
    batches: list[list[DevicePreview]] = field(default_factory=list)


def preview(session: RolloutSession, fabric: Fabric, sink: ProgressSink | None = None) -> list[StagePreview]:
    """`--check`: plan every staged device (reads only: no lock, no trail, no write)."""
    staged = [d for s in session.stages for d in s.devices]
    plans = on_devices(session.nr, sink, staged, "plan", fabric.plan_with_move)
    out: list[StagePreview] = []
    for stage in session.stages:
        sp = StagePreview(stage.name)
        for batch in stage.batches:
            sp.batches.append([_device_preview(d, plans[d]) for d in batch])
        out.append(sp)
    return out


def _device_preview(device: str, res: Any) -> DevicePreview:
    if isinstance(res, BaseException):
        return DevicePreview(device, error=str(res))
    plan, move = res
    return DevicePreview(device, plan=plan, move=move if not plan.empty else Move())


def break_lock(session: RolloutSession, fabric: Fabric, spec: str) -> str:
    """Remove a stale lock (`@inventory` = the local one), record who held it in the trail, say who it was.
    `DEVICE=TXID` (what a refusal prints) removes the device's lock only while that txid still holds it."""
    device, _, txid = spec.partition("=")
    if device == "@inventory":
        holder = LocalLock(session.state_dir).break_lock()
        present = holder is not None
    else:
        if device not in session.nr.inventory.hosts:
            raise InputError([InputProblem(session.inventory_dir, None, "", f"{device}: not a targeted device")])
        present, holder = DeviceLock(fabric.command_runner(device), session.playbook.options.lock_path).break_lock(
            txid or None
        )
    who = holder.describe() if holder else ("an unreadable lock record" if present else "nobody (no lock was set)")
    broken: dict[str, Any] = {"device": device, "holder": holder.to_json() if holder else None, "who": who_am_i()}
    session.trail().append(holder.txid if holder else "-", "lock_broken", **broken)
    return who
