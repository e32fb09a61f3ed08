"""End-to-end tests on a real containerlab deployment of containerlab/roce-fabric.clab.yml (sonic-vs + linux).

Needs a Docker engine, the containerlab CLI and the topology's images loaded locally (docker-sonic-vs is
on no public registry: `docker load < docker-sonic-vs.gz`). Anything missing skips every test here with
the reason (pytest -ra prints it). Deploy once per session, poll readiness (no fixed sleeps), destroy at
the end even when tests fail.

Environment: CONTAINERLAB (command, default `containerlab`; e.g. `sudo -E containerlab`),
ROCE_CLAB_READY_TIMEOUT (seconds, default 600), ROCE_CLAB_KEEP=1 (leave the lab running for debugging),
ROCE_CLAB_DEPLOYED=1 (the caller, e.g. CI, deployed the lab and destroys it: no deploy, no destroy here).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.inventory.clab import load_clab
from agent.inventory.clab_plugin import ClabSource, read_source
from agent.transports.clab_ready import wait_ready

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"


def containerlab_cmd() -> list[str]:
    return shlex.split(os.environ.get("CONTAINERLAB", "containerlab"))


def missing_prerequisite() -> str | None:
    """Why the lab cannot be deployed here, or None."""
    if shutil.which(containerlab_cmd()[-1]) is None:
        return "the containerlab CLI is not installed"
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        return "no Docker engine is reachable (docker info failed)"
    images = sorted({n.image for n in load_clab(TOPOLOGY).nodes.values() if n.image})
    for image in images:
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False).returncode != 0:
            return f"image {image} is not loaded (sonic-vs: docker load < docker-sonic-vs.gz)"
    return None


@dataclass
class DeployedLab:
    source: ClabSource  # from the lab's topology-data.json: real addresses and container names
    lab_dir: Path


@pytest.fixture(scope="session")
def lab() -> Iterator[DeployedLab]:
    reason = missing_prerequisite()
    if reason is not None:
        pytest.skip(f"containerlab end-to-end tests skipped: {reason}")
    clab = containerlab_cmd()
    owned = os.environ.get("ROCE_CLAB_DEPLOYED") != "1"
    if owned:
        subprocess.run([*clab, "deploy", "-t", str(TOPOLOGY), "--reconfigure"], check=True)
    try:
        lab_dir = TOPOLOGY.parent / f"clab-{load_clab(TOPOLOGY).name}"
        source = read_source(lab_dir)
        timeout = float(os.environ.get("ROCE_CLAB_READY_TIMEOUT", "600"))
        results = wait_ready(source, timeout_s=timeout)
        not_ready = [f"{r.device}: {r.detail}" for r in results if not r.ready]
        if not_ready:
            pytest.fail(f"lab not ready after {timeout:.0f}s: " + "; ".join(not_ready))
        yield DeployedLab(source, lab_dir)
    finally:
        if owned and os.environ.get("ROCE_CLAB_KEEP") != "1":
            subprocess.run([*clab, "destroy", "-t", str(TOPOLOGY), "--cleanup"], check=False)
