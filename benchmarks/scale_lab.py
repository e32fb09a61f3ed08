"""One lab process with N twins for a benchmark run: start it with the real CLI, count, measure, stop it.

`roce-agent lab up` runs as a subprocess with its own state dir (`$ROCE_AGENT_LAB_DIR`) and inventory
directory in a temp dir, a per-command latency (`--latency`, default 20 ms) and the counting twin
factory (`benchmarks.counting_twin`), so a benchmark never touches the default lab or another engineer's.
The lab process is measured with psutil: start time (until every twin answers SSH), RSS, peak RSS
(VmHWM) and CPU seconds, which `benchmarks.run` reports next to the controller's.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.counting_twin import COUNT_FAULT, FACTORY, parse_count
from benchmarks.measure import Measured, run_measured
from rocelab.control import request
from rocelab.paths import STATE_DIR_ENV, LabPaths

ROOT = Path(__file__).resolve().parents[1]
CLI_SCRIPT = Path(sys.executable).with_name("roce-agent")
LAB_POLICY = ROOT / "inventories" / "lab" / "policy.yaml"


def cli() -> list[str]:
    """The console script users run (falls back to `python -m agent` outside a virtualenv)."""
    return [str(CLI_SCRIPT)] if CLI_SCRIPT.exists() else [sys.executable, "-m", "agent"]


def cli_env(state_dir: Path) -> dict[str, str]:
    """Environment for every command of a run: this lab's state dir; the repo on the path for the factory."""
    env = dict(os.environ)
    env[STATE_DIR_ENV] = str(state_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def free_base_port(count: int, start: int = 24000, step: int = 1000, tries: int = 20) -> int:
    """A base port with `count` consecutive free ports on 127.0.0.1 (other engineers run labs too)."""
    for base in range(start, start + step * tries, step):
        if all(_port_free(p) for p in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports from {start}")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class RunningLab:
    """A lab started for one benchmark size."""

    workdir: Path
    topology: Path
    latency_ms: float
    cost_model: str = ""  # x86 | arm | flat:<N>ms; "" = flat at latency_ms
    pid: int = 0
    devices: tuple[str, ...] = ()
    start: Measured | None = None

    @property
    def state_dir(self) -> Path:
        return self.workdir / "state"

    @property
    def inventory(self) -> Path:
        return self.workdir / "inventory"

    @property
    def env(self) -> dict[str, str]:
        return cli_env(self.state_dir)

    def up(self, base_port: int, timeout_s: float = 180.0) -> Measured:
        argv = [*cli(), "lab", "up", str(self.topology), "--inventory", str(self.inventory),
                "--cost-model", self.cost_model or f"flat:{self.latency_ms:g}ms",
                "--base-port", str(base_port), "--policy", str(LAB_POLICY),
                "--timeout", str(timeout_s), "--twin-factory", FACTORY, "--json"]  # fmt: skip
        self.start = run_measured(argv, env=self.env, cwd=ROOT, timeout_s=timeout_s + 30)
        if self.start.exit_code != 0:
            raise RuntimeError(f"lab up failed ({self.start.exit_code}): {self.start.stderr[-2000:]}")
        state = json.loads(self.start.stdout)
        self.pid = int(state["pid"])
        self.devices = tuple(n["name"] for n in state["nodes"])
        return self.start

    def down(self) -> None:
        run_measured([*cli(), "lab", "down"], env=self.env, cwd=ROOT, timeout_s=60)

    def counts(self) -> dict[str, tuple[int, int]]:
        """device -> (commands, file transfers) served so far."""
        paths = LabPaths(self.state_dir)
        out = {}
        for device in self.devices:
            reply = request(paths, {"op": "fault", "device": device, "kind": COUNT_FAULT})
            if not reply.get("ok"):
                raise RuntimeError(f"{device}: cannot read the command count: {reply}")
            out[device] = parse_count(str(reply["message"]))
        return out

    def device_seconds(self) -> dict[str, float]:
        """device -> device-side seconds charged by the lab's cost model so far (`lab status`)."""
        reply = request(LabPaths(self.state_dir), {"op": "status"})
        return {str(n["name"]): float(n.get("device_s", 0.0)) for n in reply.get("nodes", [])}

    def process(self) -> psutil.Process:
        return psutil.Process(self.pid)

    def rss_mib(self) -> float:
        return float(self.process().memory_info().rss) / 2**20

    def peak_rss_mib(self) -> float:
        """VmHWM: the lab process's peak resident set since it started."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return self.rss_mib()

    def cpu_s(self) -> float:
        times = self.process().cpu_times()
        return float(times.user + times.system)


def per_device_delta(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    return {d: (after[d][0] - before[d][0], after[d][1] - before[d][1]) for d in after}


@contextlib.contextmanager
def lab_for(
    topology: Path, workdir: Path, latency_ms: float, base_port: int, cost_model: str = ""
) -> Iterator[RunningLab]:
    lab = RunningLab(workdir, topology, latency_ms, cost_model)
    try:
        lab.up(base_port)
        yield lab
    finally:
        lab.down()
