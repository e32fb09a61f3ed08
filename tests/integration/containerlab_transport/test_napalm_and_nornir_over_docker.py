"""The rocesonic NAPALM driver and Nornir over `docker exec` (transport "docker"), end to end on the twins.

The inventory is the ClabInventory plugin's view of containerlab/roce-fabric.clab.yml, so this is the
path a containerlab user takes: plugin -> napalm (transport docker) / docker_exec connection -> container.
"""

from __future__ import annotations

import json
from typing import Any

import napalm
import pytest
from nornir import InitNornir
from nornir.core import Nornir
from nornir_napalm.plugins.tasks import napalm_get

from agent.intent import build_intents
from agent.inventory.clab_plugin import topology_from_inventory
from agent.inventory.loader import inventory_devices
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings
from agent.policy.loader import load_policy_set
from agent.transports.docker_exec import UPLOAD_SCRIPT, DockerExecRunner, open_for_host
from rocelab.twin import Twin

from .conftest import DEFAULT_TOPOLOGY, ROOT
from .docker_twin_server import DockerTwinServer

LEAF1 = "clab-roce-fabric-leaf1"
ADAPTER = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))


def config_db(twin: Twin) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(twin.run("sonic-cfggen -d --print-data", sudo=False).stdout)
    return doc


@pytest.fixture
def driver(docker: DockerTwinServer) -> Any:
    cls = napalm.get_network_driver("rocesonic")
    dev = cls("leaf1", "admin", "", optional_args={"transport": "docker", "container": LEAF1, "verify_interval_s": 0})
    dev.open()
    yield dev
    dev.close()


@pytest.fixture
def nr(docker: DockerTwinServer) -> Nornir:
    return InitNornir(
        inventory={"plugin": "ClabInventory", "options": {"topology": str(DEFAULT_TOPOLOGY)}},
        runner={"plugin": "serial"},
        logging={"enabled": False},
    )


def test_driver_opens_a_docker_exec_runner_and_reads_facts(driver: Any) -> None:
    assert isinstance(driver.runner, DockerExecRunner)
    facts = driver.get_facts()
    assert facts["hostname"] == "leaf1"
    assert "Ethernet0" in facts["interface_list"]


def test_gather_is_one_docker_exec(driver: Any, docker: DockerTwinServer) -> None:
    """The one-round-trip read (redis-cli EVAL, cfggen only as its fallback): one exec per gather."""
    before = len(docker.calls)
    config = driver.get_lossless_config()
    execs = [call for call in docker.calls[before:] if call[:1] == ["exec"]]
    assert len(execs) == 1
    assert config  # the getter parsed the twin's answers


def test_gcu_apply_patch_through_the_driver(driver: Any, docker: DockerTwinServer, containers: dict[str, Twin]) -> None:
    twin = containers[LEAF1]
    assert config_db(twin)["CABLE_LENGTH"]["AZURE"]["Ethernet0"] != "40m"
    driver.load_merge_candidate(config=json.dumps({"CABLE_LENGTH": {"AZURE": {"Ethernet0": "40m"}}}))
    assert "Ethernet0" in driver.compare_config()
    driver.commit_config()
    assert driver.last_outcome.status is ApplyStatus.applied, driver.last_outcome.detail
    assert config_db(twin)["CABLE_LENGTH"]["AZURE"]["Ethernet0"] == "40m"
    scripts = [call[-1] for call in docker.calls if call[:1] == ["exec"]]
    assert any("apply-patch" in s for s in scripts), "the change went through GCU"
    assert any(call[5:6] == [UPLOAD_SCRIPT] for call in docker.calls), "the patch file was uploaded over stdin"
    driver.load_merge_candidate(config=json.dumps({"CABLE_LENGTH": {"AZURE": {"Ethernet0": "40m"}}}))
    assert driver.compare_config() == ""  # applied once, nothing left to change


def test_policy_converges_over_docker_exec_and_second_plan_is_empty(
    nr: Nornir, docker: DockerTwinServer, containers: dict[str, Twin]
) -> None:
    policy = load_policy_set(ROOT / "inventories" / "lab" / "policy.yaml")  # both pods' profiles
    intents = build_intents(inventory_devices(nr), policy, topology_from_inventory(nr.inventory))
    runner = open_for_host(nr.inventory.hosts["leaf1"], nr.config)
    plan = ADAPTER.plan(intents["leaf1"], ADAPTER.gather(runner, intents["leaf1"]))
    assert not plan.empty
    outcome = ADAPTER.apply(runner, intents["leaf1"], plan, ApplyOptions())
    assert outcome.status is ApplyStatus.applied, outcome.detail
    assert ADAPTER.plan(intents["leaf1"], ADAPTER.gather(runner, intents["leaf1"])).empty
    assert config_db(containers[LEAF1])["PORT_QOS_MAP"]["Ethernet0"]["pfc_enable"] == "3"


def test_nornir_napalm_get_uses_the_inventorys_docker_transport(nr: Nornir) -> None:
    result = nr.filter(name="spine2").run(task=napalm_get, getters=["facts"])
    assert not result.failed, result["spine2"][0].result
    assert result["spine2"][0].result["facts"]["hostname"] == "spine2"


def test_docker_exec_connection_reaches_a_linux_host(nr: Nornir) -> None:
    host = nr.inventory.hosts["host3"]
    runner = open_for_host(host, nr.config)
    res = runner.run("ip -j link show eth1")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["ifname"] == "eth1"
    assert runner.target.container == "clab-roce-fabric-host3"
    assert host.get_connection("docker_exec", nr.config) is runner  # one runner per host, via the plugin


def test_container_override_from_host_data(nr: Nornir, docker: DockerTwinServer) -> None:
    host = nr.inventory.hosts["host1"]
    host.data["container"] = "clab-roce-fabric-host2"  # e.g. a lab deployed under another name
    runner = open_for_host(host, nr.config)
    runner.run("true")
    assert docker.calls[-1][2] == "clab-roce-fabric-host2"
