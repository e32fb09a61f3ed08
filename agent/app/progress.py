"""Per-device progress lines on stderr while a Nornir run goes on, and running a task on a selection.

Progress is stderr so stdout stays the result (a table or JSON a script reads). The lines are written
under a lock because Nornir runs devices in threads.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import replace
from typing import Any

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Result, Task

from agent.app.inputs import LoadedInventory
from agent.app.workers import DeviceCost, Parallelism
from agent.failure import reason
from agent.platforms.base import ApplyOutcome, ApplyProgress, ChangePlan


class Progress:
    """Nornir processor: one line per device on stderr as it starts and ends (thread-safe)."""

    def __init__(self, verb: str, quiet: bool = False) -> None:
        self.verb = verb
        self.quiet = quiet
        self.lock = threading.Lock()
        self.last_progress: dict[str, ApplyProgress] = {}

    def change_progress(self, p: ApplyProgress) -> None:
        """A change running on one device (ApplyOptions.on_progress): a line when it is worth one."""
        with self.lock:
            last, self.last_progress[p.device] = self.last_progress.get(p.device), p
        if p.worth_saying(last):
            self.say(f"{p.device}: {p.text()}")

    def say(self, text: str) -> None:
        if not self.quiet:
            with self.lock:
                print(text, file=sys.stderr, flush=True)

    def task_started(self, task: Task) -> None: ...
    def task_completed(self, task: Task, result: AggregatedResult) -> None: ...
    def subtask_instance_started(self, task: Task, host: Host) -> None: ...
    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None: ...

    def task_instance_started(self, task: Task, host: Host) -> None:
        self.say(f"{host.name}: {self.verb} ...")

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        self.say(f"{host.name}: {unprefixed(host.name, summary(result[0]))}")


def summary(res: Result) -> str:
    if res.exception is not None:
        return f"FAILED: {reason(res)}"
    value = res.result
    if isinstance(value, ChangePlan):
        return "no changes" if value.empty else f"{len(value.operations)} change(s) planned"
    if isinstance(value, ApplyOutcome):
        return f"{value.status.value}: {value.detail}"
    return str(value)


def unprefixed(device: str, text: str) -> str:
    """A device error already names its device ("leaf1: gather: ..."); after "leaf1: " once is enough."""
    return text.replace(f": {device}: ", ": ", 1) if text.startswith("FAILED: ") else text.removeprefix(f"{device}: ")


def failure_line(res: Result, limit: int) -> str:
    """First line of why a device task failed, secrets scrubbed, cut to `limit` characters."""
    return reason(res, limit)  # never empty: a bare EOFError from a hung-up sshd still names itself


def quiet_nornir() -> None:
    """Nornir's task tracebacks belong in results, not on stderr: one NullHandler on its logger, added
    once (a long-running monitor audits every few minutes; a handler per run would pile up forever)."""
    logger = logging.getLogger("nornir")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def run_on(
    loaded: LoadedInventory,
    task: Any,
    progress: Progress,
    *,
    record_cost: bool = True,
    processes: int | None = 1,
    **kwargs: Any,
) -> AggregatedResult:
    """Run `task` on every selected device; failures are per-device Results (reported, not raised).

    The worker count is the operator's `--workers`, else chosen from N and the per-device cost this
    inventory measured last time, or the modelled one (agent.app.workers); the run's own cost is then
    recorded for the next (unless `record_cost` is false: `audit --no-history` leaves .state alone).
    `processes`: 1 for tasks that change devices (a lock or a commit-confirm timer belongs to one process),
    None to choose from the cost (read-only gathers), N for the operator's `--processes N`; more than one
    runs on agent.runners.processes, whose workers' CPU is counted in the cost."""
    from agent.app.workers import CostMeter, choose_parallelism, cores, known_cost
    from agent.app.workers import record_cost as keep_cost
    from agent.runners.processes import ProcessRunner

    quiet_nornir()
    name = str(kwargs.get("name") or task.__name__)
    cost = known_cost(loaded.inventory_dir, name)
    devices = len(loaded.nr.inventory.hosts)
    plan = choose_parallelism(devices, cost, cpus=cores(), workers=loaded.workers, processes=processes)
    if plan.processes > 1 and not ProcessRunner.can_fork():  # e.g. monitor's periodic audit: its threads
        plan = replace(plan, processes=1, why="not forked: this process already runs threads")
    if (loaded.workers is None or processes is None) and devices > 1:
        progress.say(worker_line(devices, plan, cost, processes != 1))
    meter = CostMeter()
    runner = ProcessRunner(plan.processes, plan.workers)
    nr = loaded.nr.with_processors([progress, meter]).with_runner(runner)
    try:
        result: AggregatedResult = nr.run(task=task, intents=loaded.intents, raise_on_error=False, **kwargs)
    finally:
        loaded.nr.close_connections(on_good=True, on_failed=True)
    meter.cpu_s += runner.worker_cpu_s
    measured = meter.cost()
    if record_cost and measured is not None:
        keep_cost(loaded.inventory_dir, name, measured)
    return result


def worker_line(devices: int, plan: Parallelism, cost: DeviceCost, shardable: bool) -> str:
    """What the run will do and why, e.g. `512 devices, 66 at a time (in 2 processes: 6.1 s CPU in all,
    CPU-bound: 2 of 2 cores; per device 12 ms CPU, 0.25 s waiting: measured ...; --workers/--processes to
    override)`. A task that is never split over processes (apply) keeps the line without them. The
    prefix up to "(" stays as it was: benchmarks/phases.py reads the worker count from it."""
    per = f"per device {cost.cpu_s * 1000:.0f} ms CPU, {cost.wait_s:.2f} s waiting: {cost.source}"
    if not shardable and plan.processes == 1:
        return f"{devices} devices, {plan.workers} at a time ({per}; --workers to override)"
    procs = "1 process" if plan.processes == 1 else f"{plan.processes} processes"
    override = "--workers/--processes to override"
    return f"{devices} devices, {plan.workers} at a time (in {procs}: {plan.why}; {per}; {override})"
