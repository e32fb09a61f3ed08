"""The default topology's twins behind a fake `docker` (first on PATH), named as containerlab names them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.inventory.clab import load_clab
from agent.transports.docker_exec import clab_container_name
from rocelab.spec import build_real_twin, build_spec
from rocelab.twin import Twin

from .docker_twin_server import DockerTwinServer, fake_docker_on_path

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
    with fake_docker_on_path(DockerTwinServer, containers, tmp_path / "bin", monkeypatch) as server:
        yield server
