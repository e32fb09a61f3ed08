"""Measure one command as users run it: wall time, CPU seconds, peak memory, and the lower bound.

`run_measured` starts the command as a subprocess and reaps it with `os.wait4`, which returns the
resource usage of exactly that process (and of any children it waited for): user + system CPU seconds
and the peak resident set (`ru_maxrss`, KiB on Linux). The lab process, a separate process, is measured
on its own with psutil, so the controller's numbers never include the twins' work.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """One command run: what it printed and what it cost the controller."""

    argv: tuple[str, ...]
    exit_code: int
    wall_s: float
    cpu_s: float  # user + system of the process (and children it reaped)
    peak_rss_mib: float
    stdout: str
    stderr: str

    def summary(self) -> dict[str, float | int]:
        return {
            "exit_code": self.exit_code,
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "peak_rss_mib": round(self.peak_rss_mib, 1),
        }


def run_measured(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout_s: float = 900.0
) -> Measured:
    """Run `argv` to completion (stdout/stderr captured in files, so no pipe can fill) and measure it."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        deadline = started + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it: keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return Measured(
        argv=tuple(argv),
        exit_code=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,
        stdout=stdout,
        stderr=stderr,
    )


def lower_bound_s(
    *,
    devices: int,
    workers: int,
    round_trips: int,
    latency_s: float,
    controller_cpu_s: float,
    cores: int,
    total_round_trips: int | None = None,
) -> float:
    """The fastest this run could physically be: CPU spread over every core, or the latency of the round
    trips the workers must wait for in turn, whichever is larger.

    max(controller CPU / cores, ceil(devices / workers) * round trips per device * latency)

    `round_trips` is the most any one device needed. When devices differ (the naive baseline sends 204
    commands to a spine but 8 to a host), pass `total_round_trips` too: the latency term becomes
    max(ceil(total / workers), round_trips) * latency, which is still a true bound (the workers share the
    total, and no device can finish faster than its own chain) and equals the formula above when every
    device needs the same number.
    """
    if devices < 0 or workers < 1 or cores < 1 or round_trips < 0 or latency_s < 0 or controller_cpu_s < 0:
        raise ValueError("devices, round trips, latency and CPU must be >= 0; workers and cores >= 1")
    cpu_bound = controller_cpu_s / cores
    if total_round_trips is None:
        latency_bound = math.ceil(devices / workers) * round_trips * latency_s
    else:
        latency_bound = max(math.ceil(total_round_trips / workers), round_trips) * latency_s
    return max(cpu_bound, latency_bound)


def device_bound_s(*, workers: int, device_s: list[float], controller_cpu_s: float, cores: int) -> float:
    """The fastest a run could be when devices cost what the lab's cost model charges (issue 15):

    max(controller CPU / cores, the slowest device's own time, ceil(N / workers) x mean device time).
    The last term is the devices' total time spread evenly over the workers, whole devices per worker:
    a worker cannot be faster than the devices it waits for, one after the other."""
    if workers < 1 or cores < 1 or controller_cpu_s < 0 or any(s < 0 for s in device_s):
        raise ValueError("workers and cores must be >= 1; CPU and device seconds >= 0")
    if not device_s:
        return controller_cpu_s / cores
    mean = sum(device_s) / len(device_s)
    return max(controller_cpu_s / cores, max(device_s), math.ceil(len(device_s) / workers) * mean)


def serial_bound_s(
    device_bound: float, *, controller_cpu_s: float, lab_cpu_s: float, cores: int, processes: int = 1
) -> float:
    """A bound that knows what runs on one core: each CPython process runs its Python under one GIL (the
    agent gathers in `processes` of them) and the lab serves every twin from one asyncio thread, so
    neither can go faster than its own CPU seconds per process, and both together share the machine's
    cores.

    max(device_bound_s, controller CPU / processes, lab CPU, (controller CPU + lab CPU) / cores). The
    issue's bound (device_bound_s) leaves out the lab, which on this machine runs on the same cores."""
    if cores < 1 or processes < 1 or controller_cpu_s < 0 or lab_cpu_s < 0:
        raise ValueError("cores and processes must be >= 1; CPU seconds >= 0")
    return max(
        device_bound, controller_cpu_s / min(processes, cores), lab_cpu_s, (controller_cpu_s + lab_cpu_s) / cores
    )
