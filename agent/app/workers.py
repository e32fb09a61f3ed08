"""How many devices a command works on at once: chosen from N and what one device costs (issue 15).

One agent process runs Python for one device at a time (the GIL), so a device task is, for the
controller, `cpu_s` of its own CPU and `wait_s` spent blocked on the network and the device (SSH key
exchange on the switch's side, the device running the read, the bytes coming back). With W workers the
gather takes about

    max(N x cpu_s, ceil(N / W) x (cpu_s + wait_s))

The first term does not depend on W; the second falls as W grows until it meets the first, at
W = 1 + wait_s / cpu_s: from there on the controller's CPU is busy all the time, and more threads only
add sessions that wake up for the GIL (each idle paramiko transport thread polls every 0.1 s). So the
agent picks W = ceil(HEADROOM x (1 + wait_s / cpu_s)), never more than N nor MAX_WORKERS. HEADROOM
absorbs the spread between devices (a spine's read is longer than a host's).

The cost is *measured* when this inventory has a recent record (`<inventory>/.state/costs.json`, written
after each run by `CostMeter`: the process's CPU over the run per device, and each task's wall time), else
*modelled* (MODELLED, from the benchmark under the x86 device cost model: ~10-12 ms of controller CPU
per device for gather + normalize, ~0.1-0.3 s waiting for SSH and the one-round-trip read). A slow
read path (the show fallback: ~9 s of switch time) or a slow link shows up in the measured wait and
raises W by itself on the next run. `--workers N` overrides the choice.

Processes (a read-only gather only): N x cpu_s is one core's work, however many threads. When that term
is what bounds the run (it exceeds ceil(N / W) x (cpu_s + wait_s)), the machine has more than one core
and the CPU in all is worth a fork (MIN_FORK_CPU_S: a worker costs ~0.05 s to fork and its results are
pickled back), the hosts are split over P = min(cores, N x cpu_s / MIN_SHARD_CPU_S) worker processes
(agent.runners.processes), each with the threads its shard needs: the CPU term becomes N x cpu_s / P.
Unless the last run says otherwise: one whose processes kept less than MIN_BUSY of a core busy over its
wall (`busy` in costs.json) waited for something else - on the benchmark's machine, the lab's one
process serving every twin on the same cores - and more processes would only add their overhead.
`--processes N` overrides the choice.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

HEADROOM = 1.5
MAX_WORKERS = 128  # each worker holds an SSH session (a socket, a transport thread): stay far below ulimit -n 1024
COSTS_FILE = Path(".state") / "costs.json"
MIN_FORK_CPU_S = 1.0  # less controller CPU than this in all: one process (a fork would gain < 0.5 s)
MIN_SHARD_CPU_S = 0.5  # no worker process for less CPU than this
MIN_BUSY = 0.8  # a last run that kept less than this of a core busy was bound elsewhere: no fork


@dataclass(frozen=True)
class DeviceCost:
    """What one device's task costs the controller: its own CPU, and the time it waits for the device."""

    cpu_s: float
    wait_s: float
    source: str = "modelled"  # "modelled" | "measured: <when>, <n> devices"
    busy: float | None = None  # measured: the run's CPU in all / its wall, in cores (1.0: one core all along)


# Per Nornir task name; anything else (a rollback, a confirm) is treated like a read.
MODELLED: dict[str, DeviceCost] = {
    "gather_task": DeviceCost(cpu_s=0.012, wait_s=0.25),
    "plan_task": DeviceCost(cpu_s=0.015, wait_s=0.3),
    # apply waits for GCU (seconds to minutes per switch) and host link re-training (~2 s): the devices
    # are the bottleneck, so every device gets its own worker up to MAX_WORKERS.
    "apply_task": DeviceCost(cpu_s=0.05, wait_s=60.0),
}


def choose_workers(devices: int, cost: DeviceCost, *, cap: int = MAX_WORKERS) -> int:
    """The worker count for `devices` devices of this cost (see the module docstring for the formula)."""
    if devices < 1:
        return 1
    if cost.cpu_s <= 0:
        return max(1, min(devices, cap))
    needed = math.ceil(round(HEADROOM * (1.0 + max(0.0, cost.wait_s) / cost.cpu_s), 6))  # 9.000000002 is 9
    return max(1, min(devices, cap, needed))


@dataclass(frozen=True)
class Parallelism:
    """How a run is spread: `workers` devices at once in all, over `processes` processes, and why."""

    workers: int
    processes: int
    why: str


def cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or taskset narrows)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def choose_parallelism(devices: int, cost: DeviceCost, *, cpus: int, workers: int | None = None,
                       processes: int | None = None, cap: int = MAX_WORKERS) -> Parallelism:  # fmt: skip
    """Workers and processes for `devices` devices of this cost on `cpus` cores (module docstring);
    `workers` / `processes` are the operator's overrides (None: chosen)."""
    cpu = devices * max(0.0, cost.cpu_s)
    if processes is None:
        single = workers or choose_workers(devices, cost, cap=cap)
        waiting = math.ceil(devices / single) * (cost.cpu_s + cost.wait_s) if devices else 0.0
        if cpus <= 1 or cpu < MIN_FORK_CPU_S or cpu <= waiting:
            why = "one core" if cpus <= 1 else "too little to fork for" if cpu < MIN_FORK_CPU_S else "wait-bound"
            return Parallelism(single, 1, f"{cpu:.1f} s CPU in all: {why}")
        if cost.busy is not None and cost.busy < MIN_BUSY:
            why = f"the last run kept {cost.busy:.2f} of a core busy: bound by the devices, not this CPU"
            return Parallelism(single, 1, f"{cpu:.1f} s CPU in all, but {why}")
        processes = min(cpus, devices, max(1, int(cpu // MIN_SHARD_CPU_S)))
        why = f"{cpu:.1f} s CPU in all, CPU-bound: {processes} of {cpus} cores"
    else:
        processes, why = max(1, min(processes, max(1, devices))), "--processes"
    if workers is None:
        shard = math.ceil(devices / processes)
        workers = min(devices, processes * choose_workers(shard, cost, cap=max(1, cap // processes)))
    return Parallelism(max(1, workers), processes, why)


def estimate(cpu_s: float, walls: Sequence[float], source: str, run_s: float = 0.0) -> DeviceCost | None:
    """A DeviceCost from one run: the process's CPU over it and each device task's wall time; None with
    too few devices to say anything.

    CPU per device is the run's CPU / devices. Wait is the shortest (wall - CPU per device): a task's
    wall time also holds the time it queued for the GIL (and, in a lab, for the one process serving
    every twin) behind the other workers, which grows with W; the least-queued device is the closest to
    the true wait, so a large W does not inflate the next run's choice (a percentile did: 33 -> 55 ->
    92 workers on three audits of one N = 128 lab)."""
    if len(walls) < 3:
        return None
    cpu = max(0.0, cpu_s) / len(walls)
    wait = min(max(0.0, w - cpu) for w in walls)
    busy = round(max(0.0, cpu_s) / run_s, 3) if run_s > 0 else None
    return DeviceCost(cpu_s=round(cpu, 5), wait_s=round(wait, 5), source=source, busy=busy)


def known_cost(inventory: Path, task_name: str) -> DeviceCost:
    """The cost measured on this inventory's last run of `task_name`, else the modelled one."""
    modelled = MODELLED.get(task_name, MODELLED["gather_task"])
    try:
        doc = json.loads((Path(inventory) / COSTS_FILE).read_text())
        entry = doc[task_name]
        busy = float(entry["busy"]) if entry.get("busy") is not None else None  # older files have none
        return DeviceCost(float(entry["cpu_s"]), float(entry["wait_s"]), str(entry["source"]), busy)
    except (OSError, ValueError, KeyError, TypeError):
        return modelled


def record_cost(inventory: Path, task_name: str, cost: DeviceCost) -> None:
    """Keep `cost` for the next run; a read-only or missing state directory only loses the measurement."""
    path = Path(inventory) / COSTS_FILE
    try:
        doc = json.loads(path.read_text()) if path.is_file() else {}
        if not isinstance(doc, dict):
            doc = {}
        doc[task_name] = asdict(cost)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        tmp.replace(path)
    except (OSError, ValueError):
        return


class CostMeter:
    """Nornir processor: the run's process CPU per device, and each device task's wall time.

    CPU is the whole process's (`time.process_time()` from the run's start to its end, divided by the
    devices): a worker thread's own CPU misses most of it, because paramiko does the key exchange and
    the ciphers in each connection's transport thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: dict[str, float] = {}
        self.walls: list[float] = []
        self.cpu0 = 0.0
        self.cpu_s = 0.0
        self.t0 = 0.0
        self.run_s = 0.0

    def task_started(self, task: Task) -> None:
        self.cpu0, self.t0 = time.process_time(), time.monotonic()

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        self.cpu_s, self.run_s = time.process_time() - self.cpu0, time.monotonic() - self.t0

    def task_instance_started(self, task: Task, host: Host) -> None:
        with self.lock:
            self.started[host.name] = time.monotonic()

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        now = time.monotonic()
        with self.lock:
            start = self.started.pop(host.name, None)
            if start is not None and not result.failed:
                self.walls.append(now - start)

    def subtask_instance_started(self, task: Task, host: Host) -> None: ...
    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None: ...

    def cost(self) -> DeviceCost | None:
        with self.lock:
            walls = list(self.walls)
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return estimate(self.cpu_s, walls, f"measured: {when}, {len(walls)} devices", self.run_s)
