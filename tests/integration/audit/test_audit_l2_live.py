"""FAB-L2-001 live: the SONiC adapter reads VLAN membership from CONFIG_DB, so a VLAN stretched over a
leaf-spine link carrying lossless priorities is found on the twins, not only on hand-built states.

leaf1 Ethernet8 is cabled to spine1 Ethernet0 (inventories/lab/links.yaml); both carry pfc_enable 3,4
(SONiC default), so one VLAN on both ends makes a multi-switch L2 domain with lossless traffic.
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


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_lab(tmp_path_factory.mktemp("audit-l2-lab"), POLICY) as inv:
        yield inv


def _l2_findings(inventory: Path) -> list[dict]:  # type: ignore[type-arg]
    res = runner.invoke(app, ["audit", "-i", str(inventory), "-q", "-f", "json", "--no-history"])
    assert res.exit_code in (0, 1), res.output
    return [f for f in json.loads(res.stdout)["findings"] if f["check_id"] == "FAB-L2-001"]


def _vlan100(device: str, port: str) -> None:
    for cmd in (
        "sudo sonic-db-cli CONFIG_DB hset 'VLAN|Vlan100' vlanid 100",
        f"sudo sonic-db-cli CONFIG_DB hset 'VLAN_MEMBER|Vlan100|{port}' tagging_mode tagged",
    ):
        res = runner.invoke(app, ["lab", "exec", device, cmd])
        assert res.exit_code == 0, res.output


def test_vlan_stretched_over_a_fabric_link_is_found_live(inventory: Path) -> None:
    assert _l2_findings(inventory) == []  # fresh lab: every port routed
    _vlan100("leaf1", "Ethernet8")
    assert _l2_findings(inventory) == []  # one switch only: no multi-switch domain yet
    _vlan100("spine1", "Ethernet0")
    found = _l2_findings(inventory)
    assert [(f["device"], f["port"], f["priority"]) for f in found] == [("leaf1", "Ethernet8", 3)]
    assert found[0]["actual"] == "VLAN 100 spans leaf1 and spine1 and carries lossless [3, 4]"
