"""The containerlab end-to-end suite, rehearsed on the lab twins behind the fake `docker`.

tests/containerlab/ only runs where containerlab and sonic-vs exist. Collecting its test functions here
with a `lab` fixture backed by the twins keeps that suite's own logic (inventory, ethN mapping, apply
and idempotence, ASIC programming, audit, PFC-WD DEBUG_STORM) exercised and honest on every run. The
lab directory is the committed topology-data.json fixture, i.e. what `containerlab deploy` writes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.inventory.clab import load_clab
from agent.inventory.clab_plugin import read_source
from agent.transports.docker_exec import clab_container_name
from rocelab.spec import build_real_twin, build_spec
from tests.containerlab.conftest import TOPOLOGY, DeployedLab
from tests.containerlab.test_roce_fabric_e2e import (  # noqa: F401  (collected here against the twins)
    test_apply_converges_every_switch_and_programs_the_asic,
    test_audit_after_apply_has_no_switch_errors,
    test_deployed_lab_inventory_matches_the_topology,
    test_eth_n_is_ethernet_4_n_minus_4_on_the_real_image,
    test_inventory_from_clab_cli_on_the_lab_directory,
    test_pfc_watchdog_debug_storm_is_detected_and_restored,
)

from .docker_twin_server import DockerTwinServer, fake_docker_on_path

LAB_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "inventory" / "clab" / "clab-roce-fabric"


@pytest.fixture(scope="module")
def lab() -> Iterator[DeployedLab]:
    work = Path(tempfile.mkdtemp(prefix="clabrehearsal"))
    topo = load_clab(TOPOLOGY)
    containers = {
        clab_container_name(topo.name, node.name): build_real_twin(node, work / node.name)
        for node in build_spec(topo).nodes
    }
    try:
        with pytest.MonkeyPatch.context() as mp, fake_docker_on_path(DockerTwinServer, containers, work / "bin", mp):
            yield DeployedLab(read_source(LAB_DIR), LAB_DIR)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # after the server has stopped
