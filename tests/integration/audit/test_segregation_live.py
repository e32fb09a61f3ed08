"""Segregation live, on the lab with a front-end leaf (containerlab/roce-fabric-frontend.clab.yml): the
agent gives front-end ports the lossy plan, and a lossless priority turned on by hand on a front-end
port is caught.

Fresh SONiC enables PFC on 3,4 on every port (its default QoS config), so before the agent has run the
front-end leaf is lossless on all its ports: the first audit finds exactly those. After `apply` the lab
is compliant end to end (front-end ports without PFC, lossless buffers or watchdog, host front-end NICs
without RoCE), and `lab exec` puts PFC back on one front-end port.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tests.integration.rocelab.conftest import ROOT, running_lab

pytestmark = pytest.mark.integration
runner = CliRunner()
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
TOPOLOGY = ROOT / "containerlab" / "roce-fabric-frontend.clab.yml"
FRONT_PORTS = ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"]


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_lab(tmp_path_factory.mktemp("segregation-lab"), POLICY, TOPOLOGY, nodes=9) as inv:
        yield inv


def _findings(inventory: Path, *checks: str) -> list[tuple[str, str, str | None]]:
    args = ["audit", "-i", str(inventory), "-q", "-f", "json", "--no-history"]
    res = runner.invoke(app, [*args, *(a for c in checks for a in ("--checks", c))])
    assert res.exit_code in (0, 1), res.output
    return sorted((f["check_id"], f["device"], f["port"]) for f in json.loads(res.stdout)["findings"])


def test_front_end_leaf_gets_the_lossy_plan_and_a_fault_is_caught(inventory: Path) -> None:
    links = (inventory / "links.yaml").read_text()
    assert links.count("network: frontend") == 4
    fresh = _findings(inventory, "segregation")
    assert fresh == [("SW-SEG-001", "fleaf1", p) for p in sorted(FRONT_PORTS)]

    applied = runner.invoke(app, ["apply", "-i", str(inventory), "--yes"])
    assert applied.exit_code == 0, applied.output
    assert _findings(inventory) == []  # every check, every device: the mixed fabric is compliant

    cmd = "sudo sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet4' pfc_enable 3"
    assert runner.invoke(app, ["lab", "exec", "fleaf1", cmd]).exit_code == 0
    caught = _findings(inventory, "segregation")
    assert caught == [("SW-SEG-001", "fleaf1", "Ethernet4"), ("SW-SEG-005", "fleaf1", "Ethernet4")]
