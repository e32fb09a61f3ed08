"""Rollout and plan over `docker exec` (containerlab inventories: `transport: docker`), on the lab twins
behind the fake `docker` executable of tests/integration/containerlab_transport/."""

from __future__ import annotations

import io
import json
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agent.cli import app
from agent.inventory.clab import load_clab
from agent.rollout import orchestrate
from agent.rollout.progress import JsonProgress
from agent.rollout.runner import Hooks
from agent.rollout.session import make_fabric, open_rollout
from agent.transports.docker_exec import clab_container_name
from rocelab.spec import build_real_twin, build_spec
from rocelab.twin import Twin
from tests.integration.containerlab_transport.docker_twin_server import DockerTwinServer, fake_docker_on_path

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
LEAF1 = "clab-roce-fabric-leaf1"
LAB_DIR = ROOT / "tests" / "fixtures" / "inventory" / "clab" / "clab-roce-fabric"  # what `deploy` writes
PLAYBOOK = """\
kind: rollout
name: leaf1-over-docker
targets:
  groups: [sonic]
options:
  confirm_timeout: 60s
stages:
  - name: canary
    select: leaf1
    post_checks: [SW-PFC-*]
"""
cli = CliRunner()


@pytest.fixture
def containers(tmp_path: Path) -> dict[str, Twin]:
    topo = load_clab(TOPOLOGY)
    return {
        clab_container_name(topo.name, node.name): build_real_twin(node, tmp_path / "state" / node.name)
        for node in build_spec(topo).nodes
    }


SUPERVISOR_PROBE = "supervisorctl status orchagent syncd 2>&1"  # agent.transports.clab_ready.sonic_probe
SUPERVISOR_ANSWER = (  # `supervisorctl status` on a booted sonic-vs
    "echo 'orchagent                        RUNNING   pid 58, uptime 0:03:12'; "
    "echo 'syncd                            RUNNING   pid 31, uptime 0:03:20'"
)


class BootedDockerTwins(DockerTwinServer):
    """The SONiC twin serves the databases but does not model supervisord: answer its status for it, as a
    sonic-vs whose swss and syncd run does, so the readiness wait sees a booted lab."""

    def exec(self, args: list[str], stdin: bytes) -> tuple[str, str, int]:
        if args and args[-1].startswith(SUPERVISOR_PROBE):
            args = [*args[:-1], SUPERVISOR_ANSWER + args[-1][len(SUPERVISOR_PROBE) :]]
        return super().exec(args, stdin)


@pytest.fixture
def docker(containers: dict[str, Twin], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DockerTwinServer]:
    with fake_docker_on_path(BootedDockerTwins, containers, tmp_path / "bin", monkeypatch) as server:
        yield server


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    out = tmp_path / "inv"
    res = cli.invoke(app, ["inventory", "from-clab", str(TOPOLOGY), "-o", str(out)])
    assert res.exit_code == 0, res.output
    shutil.copy(POLICY, out / "policy.yaml")
    return out


def pfc_enable(twin: Twin) -> Any:
    doc = json.loads(twin.run("sonic-cfggen -d --print-data", sudo=False).stdout)
    return doc.get("PORT_QOS_MAP", {}).get("Ethernet0", {}).get("pfc_enable")


def test_rollout_reaches_docker_transport_switches_with_docker_exec(
    docker: DockerTwinServer, containers: dict[str, Twin], inventory: Path, tmp_path: Path
) -> None:
    playbook = tmp_path / "leaf1.yaml"
    playbook.write_text(PLAYBOOK)
    session = open_rollout(playbook, inventory)

    result = orchestrate.run(session, make_fabric(session), JsonProgress(io.StringIO()), Hooks(sleep=lambda _s: None))

    assert result.result == "converged", result.summary()
    assert pfc_enable(containers[LEAF1]) == "3"
    execs = [argv for argv in docker.calls if argv[:1] == ["exec"]]
    assert execs
    assert all(LEAF1 in argv for argv in execs)  # only the targeted switch, only through docker exec


def test_plan_gives_napalm_the_inventorys_optional_args(
    docker: DockerTwinServer, inventory: Path, containers: dict[str, Twin]
) -> None:
    """leaf1 says `docker` only in connection_options.napalm.extras.optional_args (no host data
    `transport`): the driver must still get transport and container from there."""
    yaml = YAML()
    hosts_file = inventory / "hosts.yaml"
    hosts = yaml.load(hosts_file.read_text())
    del hosts["leaf1"]["data"]["transport"]
    assert hosts["leaf1"]["connection_options"]["napalm"]["extras"]["optional_args"] == {
        "transport": "docker",
        "container": LEAF1,
    }
    with hosts_file.open("w") as fh:
        yaml.dump(hosts, fh)

    res = cli.invoke(app, ["plan", "-i", str(inventory), "--limit", "leaf1", "--json"])

    assert res.exit_code == 0, res.output
    device = json.loads(res.stdout)["devices"][0]
    assert (device["device"], device["status"]) == ("leaf1", "changes")
    assert any(LEAF1 in argv for argv in docker.calls)


def test_ci_precheck_reuses_the_deployed_containerlab_lab_writes_its_inventory_and_junit(
    docker: DockerTwinServer, containers: dict[str, Twin], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`roce-agent rollout playbooks/precheck-ci.yaml -i inventories/clab`, as the workflow runs it: the lab
    is deployed (clab-roce-fabric/ beside the topology), so containerlab itself must not be called."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "playbooks", work / "playbooks")
    (work / "containerlab").mkdir()
    shutil.copy(TOPOLOGY, work / "containerlab")
    shutil.copytree(LAB_DIR, work / "containerlab" / "clab-roce-fabric")
    (work / "inventories" / "lab").mkdir(parents=True)
    shutil.copy(POLICY, work / "inventories" / "lab" / "policy.yaml")
    calls = tmp_path / "containerlab-calls"
    fake_clab = tmp_path / "clabbin" / "containerlab"
    fake_clab.parent.mkdir()
    fake_clab.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 1\n')
    fake_clab.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_clab.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CONTAINERLAB", raising=False)
    monkeypatch.setenv("ROCE_CLAB_READY_TIMEOUT", "30")
    monkeypatch.chdir(work)

    res = cli.invoke(app, ["rollout", "playbooks/precheck-ci.yaml", "-i", "inventories/clab"])

    assert res.exit_code == 0, res.output
    assert not calls.exists()  # reused: no deploy, no destroy
    assert (work / "inventories" / "clab" / "hosts.yaml").is_file()
    assert (work / "inventories" / "clab" / "policy.yaml").read_text() == POLICY.read_text()
    suite = ET.parse(work / "playbooks" / "precheck-results.xml").getroot()[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "0", "0")
    names = [case.get("name") for case in suite]
    assert names == ["validate-policy", "rollout rollout-switches.yaml", "audit audit-switches.yaml"]
    assert pfc_enable(containers[LEAF1]) == "3"
    assert any("clab-roce-fabric-spine2" in argv for argv in docker.calls)
