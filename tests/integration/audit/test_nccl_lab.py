"""Switch <-> NIC <-> NCCL end to end in the lab: the lab policy plus an `nccl:` section (in both pods'
profiles), applied over real SSH to the lab's 5 SONiC and 6 RDMA-host twins, audited clean; then one break
per layer is caught by the fabric-level FAB-NCCL-001 (and the per-device check of that layer) and `apply`
converges again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agent.cli import app
from tests.integration.rocelab.conftest import ROOT, running_lab

pytestmark = pytest.mark.integration
runner = CliRunner()
NCCL = {"qps_per_connection": 4, "min_qps_per_connection": 2}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("nccl-lab")
    policy = root / "policy.yaml"
    yaml = YAML()
    doc = yaml.load((ROOT / "inventories" / "lab" / "policy.yaml").read_text())
    for profile in doc["profiles"].values():  # the training and the inference pod
        profile["nccl"] = dict(NCCL)
    with policy.open("w") as fh:
        yaml.dump(doc, fh)
    with running_lab(root, policy) as inv:
        yield inv


def _audit(inventory: Path) -> tuple[int, dict[str, dict[str, str]]]:
    res = runner.invoke(app, ["audit", "-i", str(inventory), "-q", "-f", "json", "--no-history"])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, {f["key"]: f for f in json.loads(res.stdout)["findings"]}


def _exec(device: str, command: str) -> None:
    res = runner.invoke(app, ["lab", "exec", device, command])
    assert res.exit_code == 0, res.output


def test_applied_lab_is_clean_and_each_layer_break_is_followed_end_to_end(inventory: Path) -> None:
    applied = runner.invoke(app, ["apply", "-i", str(inventory), "--yes"])
    assert applied.exit_code == 0, applied.output
    code, findings = _audit(inventory)
    assert (code, list(findings)) == (0, [])
    # NCCL layer: a job image overwrote the file with DSCP 24 and the RoCE v1 GID
    edited = "NCCL_IB_TC=96\\nNCCL_IB_GID_INDEX=2\\nNCCL_IB_QPS_PER_CONNECTION=4\\n"
    _exec("host2", f"printf '{edited}' | sudo tee /etc/nccl.conf")
    # switch layer: PFC turned off by hand on the port facing host1
    _exec("leaf1", "sudo sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet0' pfc_enable 4")
    code, findings = _audit(inventory)
    assert code == 1
    assert {"HOST-NCCL-001|host2||", "HOST-NCCL-002|host2|eth1|", "FAB-NCCL-001|host2|eth1|3",
            "FAB-NCCL-001|host1|eth1|3"} <= set(findings)  # fmt: skip
    assert "NCCL_IB_TC=96 -> DSCP 24" in findings["FAB-NCCL-001|host2|eth1|3"]["actual"]
    assert "leaf1:Ethernet4 TC 0" in findings["FAB-NCCL-001|host2|eth1|3"]["actual"]  # DSCP 24: not RoCE's TC
    assert "leaf1:Ethernet0 TC 3 queue 3 (PFC off)" in findings["FAB-NCCL-001|host1|eth1|3"]["actual"]
    assert "index 2 is IB/RoCE v1" in findings["HOST-NCCL-002|host2|eth1|"]["actual"]
    fixed = runner.invoke(app, ["apply", "-i", str(inventory), "--yes"])
    assert fixed.exit_code == 0, fixed.output
    code, findings = _audit(inventory)
    assert (code, list(findings)) == (0, [])
