"""`make demo`: the main job, end to end, on the built-in lab.

Every step runs the real `roce-agent` command line in a subprocess, exactly as an operator would type
it, and checks its exit code. The lab is always stopped at the end, whatever happened.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = "inventories/lab"
console = Console(highlight=False)


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...]
    expect: tuple[int, ...] = (0,)
    why: str = ""


# The misconfiguration an operator might make by hand: PFC moved from priority 3 to 4 on one leaf port.
MISCONFIGURE = "sudo sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet0' pfc_enable 4"

# The segregation fault: a lossless priority on a front-end port (SW-SEG-001, SW-SEG-005).
FRONTEND_TOPOLOGY = "containerlab/roce-fabric-frontend.clab.yml"
FRONTEND_INVENTORY = ".lab/inventory-frontend"
SEGREGATION_FAULT = "sudo sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet4' pfc_enable 3"

# The inference pod (leaf3, host5, host6) runs the lossy profile; an incast into host5 drops instead of pausing.
POD_SWITCH_PFC = "show pfc priority"

STEPS = (
    Step(
        "Validate the lab policy (profiles training and nvidia-roce-lossy)",
        ("policy", "validate", f"{INVENTORY}/policy.yaml"),
    ),
    Step("Start the lab (SONiC and RDMA-host twins over SSH: a training and an inference pod)", ("lab", "up")),
    Step(
        "Check the inventory against the profiles: each device's, and the boundaries declared on links",
        ("policy", "validate", f"{INVENTORY}/policy.yaml", "-i", INVENTORY),
        why="leaf3, host5, host6 on nvidia-roce-lossy; leaf3's uplinks declare it: the spine ports facing it go lossy",
    ),
    Step(
        "Plan: SONiC defaults -> each device's profile (nothing is written)",
        ("plan", "-i", INVENTORY),
        why="every switch and host shows its diff",
    ),
    Step(
        "Roll out with the staged playbook (canary leaf, then the rest, then hosts)",
        ("rollout", "playbooks/rollout.yaml", "-i", INVENTORY, "--yes"),
    ),
    Step(
        "Audit: both pods are compliant (training lossless, inference lossy)", ("audit", "-i", INVENTORY), expect=(0,)
    ),
    Step(
        "A spine keeps PFC towards the training pod and none towards the inference pod",
        ("lab", "exec", "spine1", POD_SWITCH_PFC),
        why="Ethernet0, Ethernet4 face leaf1, leaf2 (lossless); Ethernet8 faces leaf3 (lossy: N/A)",
    ),
    Step("Second plan is empty (idempotent)", ("plan", "-i", INVENTORY)),
    Step("Incast into host5 in the lossy pod", ("lab", "traffic", "host5", "eth1", "incast")),
    Step(
        "Runtime audit of the inference pod: drops are a warning with the ECN mark rate, resends the health signal",
        ("audit", "-i", INVENTORY, "--limit", "host5", "--interval", "2", "--checks", "runtime"),
        expect=(1,),
        why="RT-DROP-002 (warning) and RT-RDMA-002 (resends above the policy's 0.1 %); no PFC anywhere in the pod",
    ),
    Step("Stop the incast", ("lab", "traffic", "host5", "eth1", "idle")),
    Step(
        "Inject a misconfiguration on leaf1 out of band",
        ("lab", "exec", "leaf1", MISCONFIGURE),
        why="an operator moves PFC from priority 3 to 4 on Ethernet0",
    ),
    Step(
        "Audit again: the misconfiguration is caught (exit 1 = findings)",
        ("audit", "-i", INVENTORY),
        expect=(1,),
    ),
    Step(
        "Start a PFC storm on leaf1 Ethernet4 (the peer floods pause frames)",
        ("lab", "traffic", "leaf1", "Ethernet4", "storm"),
    ),
    Step(
        "Monitor one interval: the storm is an event (exit 1 = events raised)",
        ("monitor", "-i", INVENTORY, "--once", "--interval", "2s", "--no-listen"),
        expect=(1,),
        why="counters only, one read per device; events are JSON lines, as a log shipper wants them",
    ),
    Step("Stop the storm", ("lab", "traffic", "leaf1", "Ethernet4", "idle")),
    Step("Stop the lab", ("lab", "down")),
    Step(
        "Start the lab with a front-end leaf (every host's second NIC on fleaf1)",
        ("lab", "up", FRONTEND_TOPOLOGY, "-i", FRONTEND_INVENTORY, "--policy", f"{INVENTORY}/policy.yaml"),
    ),
    Step(
        "Apply: back-end ports lossless, front-end ports the lossy plan",
        ("apply", "-i", FRONTEND_INVENTORY, "--yes"),
    ),
    Step(
        "Turn PFC on for a front-end port out of band",
        ("lab", "exec", "fleaf1", SEGREGATION_FAULT),
        why="an operator copies a back-end port's config onto the front-end leaf",
    ),
    Step(
        "Audit the segregation checks: the lossless front-end port is caught (exit 1 = findings)",
        ("audit", "-i", FRONTEND_INVENTORY, "--checks", "segregation"),
        expect=(1,),
    ),
)


def run_step(index: int, step: Step) -> bool:
    console.print(Rule(f"[bold]{index}. {step.title}"))
    cmd = [sys.executable, "-m", "agent", *step.argv]
    console.print(f"[dim]$ roce-agent {' '.join(shlex.quote(a) for a in step.argv)}[/dim]")
    if step.why:
        console.print(f"[dim]  ({step.why})[/dim]")
    started = time.monotonic()
    code = subprocess.call(cmd, cwd=ROOT, env=_env())
    took = time.monotonic() - started
    ok = code in step.expect
    mark = "[green]ok[/green]" if ok else f"[red]unexpected exit {code}, wanted {step.expect}[/red]"
    console.print(f"  -> exit {code} in {took:.1f}s: {mark}")
    return ok


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("COLUMNS", "120")
    return env


def main() -> int:
    started = time.monotonic()
    ok = True
    # A lab left over from an interrupted demo would make `lab up` refuse; stopping none is not an error.
    subprocess.call([sys.executable, "-m", "agent", "lab", "down"], cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL)
    try:
        for i, step in enumerate(STEPS, start=1):
            if not run_step(i, step):
                ok = False
                break
    finally:
        console.print(Rule("[bold]Stop the lab"))
        subprocess.call([sys.executable, "-m", "agent", "lab", "down"], cwd=ROOT, env=_env())
    took = time.monotonic() - started
    if ok:
        done = "both profiles rolled out and proven compliant, lossy incast, fault, storm and segregation fault caught"
        console.print(f"\n[bold green]demo finished in {took:.0f}s: {done}[/]")
        return 0
    console.print(f"\n[bold red]demo failed after {took:.0f}s (see the step above)[/]")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
