"""Lab scale: start time and memory of one lab process serving N twins, each on its own port.

    python -m benchmarks.lab_scale --nodes 512                 # trivial twins: the runtime's own cost
    python -m benchmarks.lab_scale --nodes 512 --twins real    # SONiC + host twins, all built by a login

`measure_lab(n)` returns a dict (see `LabScale`) for the benchmark runner. It goes through the same path
as `roce-agent lab up` (spawn, listen on every port, write the inventory, wait for every SSH banner),
then optionally logs in to every twin once (which also builds lazily constructed twins) and reads
the lab process's RSS from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncssh

from rocelab.control import start_lab, stop_lab
from rocelab.paths import LabPaths
from rocelab.runtime import RuntimeOptions
from rocelab.spec import LabNode
from rocelab.twin import CommandResult

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL_FACTORY = "benchmarks.lab_scale:build_trivial_twin"


class TrivialTwin:
    """Answers every command with one line: isolates the cost of the SSH runtime from device models."""

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname

    def run(self, command: str, *, sudo: bool) -> CommandResult:
        return CommandResult(stdout=f"{self.hostname}: {command}\n")

    def write_file(self, path: str, data: bytes) -> None:
        return None

    def read_file(self, path: str) -> bytes | None:
        return None

    def inject_fault(self, kind: str, options: dict[str, str]) -> str:
        return kind

    def set_traffic(self, port: str, pattern: str) -> str:
        return pattern


def build_trivial_twin(node: LabNode, state_dir: Path | None) -> TrivialTwin:
    return TrivialTwin(node.name)


def scale_topology(n: int, leaf_every: int = 16) -> str:
    """A leaf/host containerlab topology with n nodes: one SONiC leaf per `leaf_every` nodes, the rest hosts."""
    leaves = max(1, n // leaf_every)
    lines = ["name: scale", "topology:", "  nodes:"]
    lines += [
        f"    leaf{i}: {{kind: sonic-vs, labels: {{roce-role: leaf, nornir-group: leaves}}}}" for i in range(leaves)
    ]
    hosts = n - leaves
    lines += [f"    host{i}: {{kind: linux, labels: {{roce-role: rdma-host}}}}" for i in range(hosts)]
    lines.append("  links:")
    lines += [f'    - endpoints: ["leaf{i % leaves}:eth{i // leaves + 1}", "host{i}:eth1"]' for i in range(hosts)]
    return "\n".join(lines) + "\n"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


@dataclass
class LabScale:
    nodes: int
    twins: str
    start_s: float  # `lab up` until every twin answers with an SSH banner
    rss_idle_mib: float  # lab process after start, no session yet
    login_all_s: float | None  # one key login + one command on every twin, 64 at a time
    rss_after_logins_mib: float | None  # every twin built and used once


async def _login_all(state: dict[str, object], key_file: Path, known_hosts: Path, parallel: int = 64) -> None:
    key = asyncssh.read_private_key(key_file)
    known = asyncssh.import_known_hosts(known_hosts.read_text())
    gate = asyncio.Semaphore(parallel)

    async def one(port: int) -> None:
        async with (
            gate,
            asyncssh.connect("127.0.0.1", port, username="admin", client_keys=[key], known_hosts=known) as c,
        ):
            result = await c.run("hostname", check=True)
            assert result.stdout

    nodes = state["nodes"]
    assert isinstance(nodes, list)
    await asyncio.gather(*(one(int(n["port"])) for n in nodes))


def measure_lab(
    n: int, *, twins: str = "trivial", base_port: int = 21000, login: bool = True, leaf_every: int = 16
) -> LabScale:
    """Start a lab of n twins, measure, stop it. `twins`: "trivial" or "real" (the product's twins)."""
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="lab-scale-") as tmp:
        work = Path(tmp)
        topo = work / "scale.clab.yml"
        topo.write_text(scale_topology(n, leaf_every))
        options = RuntimeOptions(
            topology=topo,
            inventory=work / "inventory",
            state_dir=work / "state",
            base_port=base_port,
            twin_factory=TRIVIAL_FACTORY if twins == "trivial" else None,
        )
        started = time.perf_counter()
        state = start_lab(options, timeout_s=120)
        start_s = time.perf_counter() - started
        pid = int(str(state["pid"]))
        try:
            idle = rss_mib(pid)
            login_s = after = None
            if login:
                t0 = time.perf_counter()
                asyncio.run(_login_all(state, Path(str(state["client_key"])), Path(str(state["known_hosts"]))))
                login_s = time.perf_counter() - t0
                after = rss_mib(pid)
        finally:
            stop_lab(LabPaths(options.state_dir))
    return LabScale(
        n, twins, round(start_s, 2), round(idle, 1), login_s and round(login_s, 2), after and round(after, 1)
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", type=int, default=512)
    p.add_argument("--twins", choices=["trivial", "real"], default="trivial")
    p.add_argument("--base-port", type=int, default=21000)
    p.add_argument("--no-login", action="store_true", help="only start and measure idle memory")
    p.add_argument("--leaf-every", type=int, default=16, help="one SONiC node per N nodes (1: all switches)")
    args = p.parse_args()
    result = measure_lab(
        args.nodes, twins=args.twins, base_port=args.base_port, login=not args.no_login, leaf_every=args.leaf_every
    )
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
