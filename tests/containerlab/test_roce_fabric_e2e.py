"""The agent against real sonic-vs: inventory, interface mapping, apply/verify, audit, PFC-WD storm.

sonic-vs proves control plane and programming (CONFIG_DB -> APPL_DB -> ASIC_DB, PFC-WD DEBUG_STORM),
not lossless forwarding (reference sonic.md §5.2), so nothing here asserts on PFC/queue counters.
Switches are reached with `docker exec` (sonic-vs runs no sshd); the linux hosts carry no RDMA NIC, so
only switches are configured and audited.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from nornir import InitNornir
from nornir.core import Nornir
from typer.testing import CliRunner

from agent.checks.engine import run_checks
from agent.checks.finding import Severity
from agent.cli import app
from agent.intent import DeviceIntent, build_intents
from agent.inventory.clab_plugin import read_source, render_docs, topology_from_inventory
from agent.inventory.loader import inventory_devices
from agent.platforms.base import ApplyOptions, ApplyStatus
from agent.platforms.sonic.adapter import SonicAdapter
from agent.policy.loader import load_policy_set
from agent.state import DeviceState
from agent.topology.model import Topology
from agent.transports.docker_exec import DockerExecRunner, DockerTarget

from .conftest import POLICY, TOPOLOGY, DeployedLab

pytestmark = pytest.mark.containerlab
SWITCHES = ("leaf1", "leaf2", "leaf3", "spine1", "spine2")  # leaf3: the lossy inference pod
ADAPTER = SonicAdapter()


def runner(lab: DeployedLab, node: str) -> DockerExecRunner:
    return DockerExecRunner.connect(DockerTarget(node, lab.source.container(node)))


def nornir(lab: DeployedLab) -> Nornir:
    """The ClabInventory plugin on the deployed lab's directory (topology-data.json)."""
    options = {"topology": str(lab.lab_dir)}
    return InitNornir(inventory={"plugin": "ClabInventory", "options": options}, logging={"enabled": False})


def intents(lab: DeployedLab) -> dict[str, DeviceIntent]:
    nr = nornir(lab)
    policy = load_policy_set(POLICY)  # both pods' profiles (the inference pod is lossy)
    devices = [d for d in inventory_devices(nr) if d.name in SWITCHES]
    return build_intents(devices, policy, topology_from_inventory(nr.inventory))


def topology(lab: DeployedLab) -> Topology:
    return topology_from_inventory(nornir(lab).inventory)


def poll(what: str, probe: Callable[[], bool], timeout_s: float = 60.0, every_s: float = 1.0) -> None:
    """Wait for a condition by polling; fails with `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(every_s)


def gather_state(lab: DeployedLab, node: str, intent: DeviceIntent) -> DeviceState:
    return ADAPTER.normalize(node, ADAPTER.gather(runner(lab, node), intent))


def test_deployed_lab_inventory_matches_the_topology(lab: DeployedLab) -> None:
    docs = render_docs(lab.source)
    topo_docs = render_docs(read_source(TOPOLOGY))
    assert docs["links.yaml"] == topo_docs["links.yaml"]
    assert {n: h["groups"] for n, h in docs["hosts.yaml"].items()} == {
        n: h["groups"] for n, h in topo_docs["hosts.yaml"].items()
    }
    assert docs["hosts.yaml"]["leaf1"]["hostname"] == "172.20.30.21"  # mgmt-ipv4 from the topology


def test_eth_n_is_ethernet_4_n_minus_4_on_the_real_image(lab: DeployedLab) -> None:
    leaf1 = runner(lab, "leaf1")
    for port in ("Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"):  # eth1..eth4, all cabled
        res = leaf1.run(f"sonic-db-cli APPL_DB hget 'PORT_TABLE:{port}' oper_status")
        assert res.output.strip() == "up", f"{port}: {res.output!r}"
    res = leaf1.run("sonic-db-cli APPL_DB hget 'PORT_TABLE:Ethernet16' oper_status")
    assert res.output.strip() != "up"  # eth5 is not cabled


def test_apply_converges_every_switch_and_programs_the_asic(lab: DeployedLab) -> None:
    by_device = intents(lab)
    for node in SWITCHES:
        run = runner(lab, node)
        plan = ADAPTER.plan(by_device[node], ADAPTER.gather(run, by_device[node]))
        outcome = ADAPTER.apply(run, by_device[node], plan, ApplyOptions())
        assert outcome.status in (ApplyStatus.applied, ApplyStatus.unchanged), f"{node}: {outcome.detail}"
        assert ADAPTER.plan(by_device[node], ADAPTER.gather(run, by_device[node])).empty, f"{node}: not idempotent"
    leaf1 = runner(lab, "leaf1")
    pfc = leaf1.run("sonic-db-cli CONFIG_DB hget 'PORT_QOS_MAP|Ethernet0' pfc_enable").output.strip()
    lossless = ",".join(str(p) for p in sorted(by_device["leaf1"].ports["Ethernet0"].lossless_priorities))
    assert pfc == lossless
    oid = leaf1.run("sonic-db-cli COUNTERS_DB hget COUNTERS_PORT_NAME_MAP Ethernet0").output.strip()
    asic = leaf1.run(
        f"sonic-db-cli ASIC_DB hget 'ASIC_STATE:SAI_OBJECT_TYPE_PORT:{oid}' SAI_PORT_ATTR_PRIORITY_FLOW_CONTROL"
    )
    assert asic.output.strip() == str(sum(1 << int(p) for p in lossless.split(",")))


def test_audit_after_apply_has_no_switch_errors(lab: DeployedLab) -> None:
    by_device = intents(lab)
    states = {node: gather_state(lab, node, by_device[node]) for node in SWITCHES}
    findings = run_checks(by_device, states, topology(lab))
    errors = [
        f for f in findings if f.severity is Severity.error and f.device in SWITCHES and f.check_id.startswith("SW-")
    ]
    assert errors == [], "\n".join(f"{f.check_id} {f.device} {f.port}: {f.actual}" for f in errors)


def test_pfc_watchdog_debug_storm_is_detected_and_restored(lab: DeployedLab) -> None:
    by_device = intents(lab)
    leaf1 = runner(lab, "leaf1")
    queue = sorted(by_device["leaf1"].ports["Ethernet0"].lossless_priorities)[0]
    oid = leaf1.run(f"sonic-db-cli COUNTERS_DB hget COUNTERS_QUEUE_NAME_MAP Ethernet0:{queue}").output.strip()
    assert oid.startswith("oid:"), oid
    before = gather_state(lab, "leaf1", by_device["leaf1"])

    def status() -> str:
        return leaf1.run(f"sonic-db-cli COUNTERS_DB hget COUNTERS:{oid} PFC_WD_STATUS").output.strip()

    leaf1.run(f"sonic-db-cli COUNTERS_DB hset COUNTERS:{oid} DEBUG_STORM enabled")
    try:
        poll("PFC_WD_STATUS stormed", lambda: status() == "stormed")
        during = gather_state(lab, "leaf1", by_device["leaf1"])
        assert during.ports["Ethernet0"].queues[queue].watchdog_status == "stormed"
        findings = run_checks(
            by_device,
            {"leaf1": during},
            topology(lab),
            previous={"leaf1": before},
        )
        assert any(f.check_id == "RT-WD-001" and f.port == "Ethernet0" and f.priority == queue for f in findings)
    finally:
        leaf1.run(f"sonic-db-cli COUNTERS_DB hset COUNTERS:{oid} DEBUG_STORM disabled")
    poll("PFC_WD_STATUS operational", lambda: status() == "operational")


def test_inventory_from_clab_cli_on_the_lab_directory(lab: DeployedLab, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["inventory", "from-clab", str(lab.lab_dir), "-o", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hosts"] == 11
