"""audit as a library call: read every device (or a snapshot), run the check catalogue, keep history.

Read-only. Inputs (policy, inventory, links, check terms) are validated before any device is contacted.
Each device is gathered in its own Nornir task; one that cannot be read becomes an AUDIT-001 finding
and the others are still checked. The result carries what every report format needs (findings, the
report metadata, wall and gather times); rendering is `agent.report.render`.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from nornir.core.inventory import Host
from nornir.core.task import MultiResult, Result, Task

from agent import snapshot
from agent.app.inputs import InventoryRequest, LoadedInventory, load_inventory
from agent.app.progress import Progress, failure_line, run_on, unprefixed
from agent.checks.engine import AuditResult
from agent.checks.engine import audit as run_audit
from agent.checks.registry import CheckSelection, catalogue
from agent.errors import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, InputError, InputProblem
from agent.intent import DeviceIntent
from agent.report import history
from agent.report.causes import Place, root_causes
from agent.report.common import ReportMeta
from agent.state import DeviceState
from agent.topology.model import Topology


@dataclass(frozen=True)
class AuditRequest:
    inputs: InventoryRequest
    include: tuple[str, ...] = ()  # check ids, id prefixes or tags (comma lists allowed)
    exclude: tuple[str, ...] = ()
    from_snapshot: Path | None = None  # check saved states offline; no device contacted
    save_snapshot: Path | None = None
    interval_s: float = 0.0  # read twice this far apart, for the runtime (counter delta) checks
    record_history: bool = True
    quiet: bool = False  # no per-device progress on stderr
    processes: int | None = None  # --processes: worker processes for the gather; None = chosen (agent.app.workers)


@dataclass
class AuditRun:
    """One audit: the engine's result, the report metadata, the states read, and the devices left out."""

    result: AuditResult
    meta: ReportMeta
    snapshot: snapshot.Snapshot
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 no error finding, 1 error findings (an unreadable device is one), 2 no device could be read."""
        if not self.snapshot.states:
            return EXIT_CANNOT_RUN
        return EXIT_OK if self.result.complies else EXIT_FINDINGS


def check_selection(request: AuditRequest) -> CheckSelection:
    """The request's check terms, refused (InputError) when one names no check."""
    selection = CheckSelection.parse(request.include, request.exclude)
    unknown = selection.unknown_terms(catalogue().values())
    if unknown:
        why = f"no check matches {unknown}; see `roce-agent checks list`"
        raise InputError([InputProblem(None, None, "--checks/--exclude", why)])
    return selection


def audit(request: AuditRequest) -> AuditRun:
    """Run the audit `request` describes; raises InputError (exit 2) before any device on bad input."""
    started = time.monotonic()
    selection = check_selection(request)
    if request.from_snapshot is not None and request.interval_s:
        why = "--interval needs live reads; a snapshot carries its own previous/ read"
        raise InputError([InputProblem(None, None, "--interval", why)])
    loaded = load_inventory(replace(request.inputs, contact=request.from_snapshot is None))  # offline: no login
    gather_started = time.monotonic()
    snap = _read(loaded, request)
    gather_s = time.monotonic() - gather_started
    result = run_audit(loaded.intents, snap.states, loaded.topology, selection, previous=snap.previous,
                       errors=snap.errors)  # fmt: skip
    source = f"snapshot:{request.from_snapshot}" if request.from_snapshot else "live"
    meta = ReportMeta(inventory=str(request.inputs.inventory), policy=loaded.policy_name, source=source)
    if request.record_history:
        diff = history.record(history.db_path(request.inputs.inventory), result, policy=meta.policy, source=source)
        meta.previous_audit, meta.new, meta.resolved = diff.previous_id, diff.new, diff.resolved
    if request.save_snapshot is not None:
        snapshot.save(request.save_snapshot, snap)
    meta.causes = root_causes(result.findings, cable_peers(loaded.topology))
    meta.gather_s = gather_s
    meta.wall_s = time.monotonic() - started
    return AuditRun(result, meta, snap, dict(loaded.skipped))


def cable_peers(topology: Topology) -> dict[Place, Place]:
    """Each cabled port -> the port at the other end, both ways (what root-cause grouping matches on)."""
    out: dict[Place, Place] = {}
    for link in topology.links:
        a, b = (link.a.device, link.a.port), (link.b.device, link.b.port)
        out[a], out[b] = b, a
    return out


def _read(loaded: LoadedInventory, request: AuditRequest) -> snapshot.Snapshot:
    if request.from_snapshot is not None:
        return _from_snapshot(loaded, request.from_snapshot)
    first, errors = _gather(loaded, request.quiet, request.record_history, request.processes)
    if not request.interval_s:
        return snapshot.Snapshot(first, None, errors, time.time())
    time.sleep(request.interval_s)
    second, errors2 = _gather(loaded, request.quiet, request.record_history, request.processes)
    errors.update(errors2)
    return snapshot.Snapshot(second, first, errors, time.time())


def _from_snapshot(loaded: LoadedInventory, path: Path) -> snapshot.Snapshot:
    snap = snapshot.load(path)
    wanted = set(loaded.intents)
    states = {n: s for n, s in snap.states.items() if n in wanted}
    errors = {n: e for n, e in snap.errors.items() if n in wanted}
    for name in wanted - set(states) - set(errors):
        errors[name] = f"not in snapshot {path}"
    previous = {n: s for n, s in snap.previous.items() if n in wanted} if snap.previous else None
    return snapshot.Snapshot(states, previous, errors, snap.taken_at)


class GatherProgress(Progress):
    """One short line per device on stderr (the generic one would print the whole DeviceState)."""

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        res = result[0]
        if res.exception is not None or not isinstance(res.result, DeviceState):
            self.say(f"{host.name}: NOT READ: {unprefixed(host.name, failure_line(res, 200))}")
        else:
            self.say(f"{host.name}: read {len(res.result.ports)} ports")


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


def _gather(
    loaded: LoadedInventory, quiet: bool, record: bool = True, processes: int | None = None
) -> tuple[dict[str, DeviceState], dict[str, str]]:
    """One Nornir run of gather_task; a failed device is a reason string, never an exception. With
    `record`, the per-device cost measured is kept for the next run's worker count (agent.app.workers).
    A read changes nothing, so it may be split over worker processes (`processes`; None: chosen)."""
    progress = GatherProgress("gather", quiet)
    results = run_on(loaded, _gather_then_close, progress, record_cost=record, processes=processes,
                     name="gather_task")  # fmt: skip
    states: dict[str, DeviceState] = {}
    errors: dict[str, str] = {}
    for name, multi in results.items():
        res = multi[0]
        if res.failed or not isinstance(res.result, DeviceState):
            errors[name] = failure_line(res, 300)
        else:
            states[name] = res.result
    return states, errors


def read_once(loaded: LoadedInventory, from_snapshot: Path | None, quiet: bool) -> snapshot.Snapshot:
    """One read of every selected device, or the snapshot's states: what read-only commands other than
    audit (e.g. `fabric entropy`) start from. Unreadable devices are reasons in `errors`."""
    if from_snapshot is not None:
        return _from_snapshot(loaded, from_snapshot)
    states, errors = _gather(loaded, quiet)
    return snapshot.Snapshot(states, None, errors, time.time())
