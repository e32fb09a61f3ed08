"""The generic Nornir tasks on a containerlab inventory (`transport: docker`): switches through the
rocesonic driver's docker transport, hosts through the docker_exec plugin, against the twins behind
the containerlab-transport tests' fake `docker` CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nornir import InitNornir
from nornir.core import Nornir

from agent.intent import DeviceIntent, build_intents
from agent.inventory.clab import load_clab
from agent.inventory.clab_plugin import topology_from_inventory
from agent.inventory.loader import inventory_devices
from agent.platforms import tasks
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.policy.loader import load_policy_set
from agent.transports.docker_exec import clab_container_name
from rocelab.spec import build_real_twin, build_spec
from rocelab.twin import Twin
from tests.integration.containerlab_transport.docker_twin_server import DockerTwinServer, fake_docker_on_path

ROOT = Path(__file__).resolve().parents[3]
TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"


@pytest.fixture
def containers(tmp_path: Path) -> dict[str, Twin]:
    topo = load_clab(TOPOLOGY)
    return {
        clab_container_name(topo.name, node.name): build_real_twin(node, tmp_path / "state" / node.name)
        for node in build_spec(topo).nodes
    }


@pytest.fixture
def nr(containers: dict[str, Twin], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Nornir]:
    with fake_docker_on_path(DockerTwinServer, containers, tmp_path / "bin", monkeypatch):
        norn = InitNornir(
            inventory={"plugin": "ClabInventory", "options": {"topology": str(TOPOLOGY)}},
            runner={"plugin": "serial"},
            logging={"enabled": False},
        )
        try:
            yield norn
        finally:
            norn.close_connections()


def intents_of(nr: Nornir) -> dict[str, DeviceIntent]:
    policy = load_policy_set(ROOT / "inventories" / "lab" / "policy.yaml")  # both pods' profiles
    return build_intents(inventory_devices(nr), policy, topology_from_inventory(nr.inventory))


def config_db(twin: Twin) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(twin.run("sonic-cfggen -d --print-data", sudo=False).stdout)
    return doc


def test_plan_and_apply_tasks_over_docker_exec(nr: Nornir, containers: dict[str, Twin]) -> None:
    intents = intents_of(nr)
    sub = nr.filter(filter_func=lambda h: h.name in ("leaf1", "host1"))
    planned = sub.run(task=tasks.plan_task, intents=intents)
    assert not planned.failed, {h: r[0].exception for h, r in planned.items()}
    assert not planned["leaf1"][0].result.empty
    assert not planned["host1"][0].result.empty
    applied = sub.run(task=tasks.apply_task, intents=intents, opts=ApplyOptions())
    assert applied["leaf1"][0].result.status is ApplyStatus.applied, applied["leaf1"][0].result.detail
    assert config_db(containers["clab-roce-fabric-leaf1"])["PORT_QOS_MAP"]["Ethernet0"]["pfc_enable"] == "3"
    again = sub.run(task=tasks.plan_task, intents=intents)
    assert again["leaf1"][0].result.empty
    assert again["host1"][0].result.empty, again["host1"][0].result.lines
