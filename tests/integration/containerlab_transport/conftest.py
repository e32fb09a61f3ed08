"""The default topology's twins behind a fake `docker` (first on PATH), named as containerlab names them."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.inventory.clab import load_clab
from agent.lab.spec import build_real_twin, build_spec
from agent.lab.twin import Twin
from agent.transports.docker_exec import clab_container_name

from .docker_twin_server import DockerTwinServer, install_fake_docker

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"


@pytest.fixture
def containers(tmp_path: Path) -> dict[str, Twin]:
    topo = load_clab(DEFAULT_TOPOLOGY)
    spec = build_spec(topo)
    return {
        clab_container_name(topo.name, node.name): build_real_twin(node, tmp_path / "state" / node.name)
        for node in spec.nodes
    }


@pytest.fixture
def docker(containers: dict[str, Twin], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DockerTwinServer]:
    sock_dir = Path(tempfile.mkdtemp(prefix="fakedocker"))  # AF_UNIX paths must stay under 108 bytes
    server = DockerTwinServer(sock_dir / "docker.sock", containers).start()
    install_fake_docker(tmp_path / "bin", sys.executable)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_DOCKER_SOCKET", str(sock_dir / "docker.sock"))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(sock_dir, ignore_errors=True)
