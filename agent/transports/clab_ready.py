"""Wait until a deployed containerlab lab can be configured: poll, never sleep a fixed time.

`containerlab deploy` returns when containers run, not when SONiC inside them is up. A sonic-vs node
is ready when supervisord reports `orchagent` and `syncd` RUNNING (swss programs the ASIC through
syncd) and every cabled port exists in STATE_DB (`PORT_TABLE|EthernetX` state `ok`, written once the
kernel netdev exists) and is oper up in APPL_DB (containerlab's veth carries carrier). A linux node is
ready when `docker exec` answers. Each poll is one `docker exec` per node; polling stops at the first
all-ready round or at the deadline, which names every node still not ready and why.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

from agent.errors import DeviceError
from agent.inventory.clab_plugin import ClabSource
from agent.platforms.base import CommandRunner
from agent.transports.docker_exec import DockerExecRunner, DockerTarget

SONIC_DAEMONS = ("orchagent", "syncd")
SECTION = "@@ready@@"


@dataclass(frozen=True)
class Readiness:
    device: str
    ready: bool
    detail: str  # what is missing, or "ready"


def sonic_probe(ports: list[str]) -> str:
    """One command line for a SONiC node: daemon states, then per port its STATE_DB state and oper status."""
    parts = [f"supervisorctl status {' '.join(SONIC_DAEMONS)} 2>&1"]  # its complaint stays in its section
    for port in ports:
        state = shlex.quote(f"PORT_TABLE|{port}")
        appl = shlex.quote(f"PORT_TABLE:{port}")
        parts.append(f"sonic-db-cli STATE_DB hget {state} state; sonic-db-cli APPL_DB hget {appl} oper_status")
    return f"; echo {SECTION}; ".join(parts)


def judge_sonic(device: str, ports: list[str], output: str) -> Readiness:
    """Decide from the probe's output; the first missing thing is what the operator is told."""
    sections = output.split(SECTION + "\n")
    states = _supervisor_states(sections[0])
    for daemon in SONIC_DAEMONS:
        if states.get(daemon) != "RUNNING":
            seen = states.get(daemon) or _last_line(sections[0]) or "no answer"
            return Readiness(device, False, f"{daemon} not RUNNING ({seen})")
    if len(sections) - 1 < len(ports):
        return Readiness(device, False, "probe output truncated")
    for port, section in zip(ports, sections[1:], strict=False):
        state, oper = [*section.strip().splitlines(), "", ""][:2]
        if state.strip() != "ok":
            return Readiness(device, False, f"{port} not created yet (STATE_DB state {state.strip() or 'missing'})")
        if oper.strip() != "up":
            return Readiness(device, False, f"{port} oper {oper.strip() or 'missing'}")
    return Readiness(device, True, "ready")


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1].strip() if lines else ""


def _supervisor_states(text: str) -> dict[str, str]:
    """`supervisorctl status` lines: `orchagent   RUNNING   pid 58, uptime 0:00:42`."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1].isupper():
            out[words[0]] = words[1]
    return out


def check_node(src: ClabSource, node: str, runner: CommandRunner) -> Readiness:
    clab_node = src.topology.nodes[node]
    try:
        if clab_node.device_kind != "switch":
            res = runner.run("true", timeout=30.0)
            return Readiness(node, res.exit_code == 0, "ready" if res.exit_code == 0 else res.output.strip()[-200:])
        ports = [
            src.topology.device_endpoint(e).port for lk in src.topology.links for e in (lk.a, lk.b) if e.node == node
        ]
        res = runner.run(sonic_probe(ports), timeout=30.0)
        return judge_sonic(node, ports, res.output)
    except DeviceError as exc:
        return Readiness(node, False, exc.detail)


def wait_ready(
    src: ClabSource,
    *,
    timeout_s: float = 600.0,
    poll_s: float = 5.0,
    docker: str = "docker",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[list[Readiness]], None] | None = None,
) -> list[Readiness]:
    """Poll every docker-reached node until all are ready or `timeout_s` passes; returns the last round."""
    nodes = [n for n, node in sorted(src.topology.nodes.items()) if node.kind in ("sonic-vs", "linux")]
    runners = {n: DockerExecRunner(DockerTarget(n, src.container(n), docker=docker)) for n in nodes}
    deadline = clock() + timeout_s
    while True:
        results = [check_node(src, n, runners[n]) for n in nodes]
        if on_poll is not None:
            on_poll(results)
        if all(r.ready for r in results) or clock() >= deadline:
            return results
        sleep(min(poll_s, max(0.0, deadline - clock())))
