"""`roce-agent audit` over real SSH against the lab twins (SONiC + RDMA hosts), end to end.

Order matters (module-scoped lab): a fresh lab first (SONiC defaults: the AZURE DSCP trap, 0m cables,
hosts untouched), then an unreachable device, snapshot reproducibility, `apply`, and a PFC storm.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agent.cli import app
from tests.integration.rocelab.conftest import ROOT, free_base_port, running_lab

pytestmark = pytest.mark.integration
runner = CliRunner()
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"


@dataclass
class Lab:
    root: Path
    inventory: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("audit-lab")
    with running_lab(root, POLICY) as inventory:
        yield Lab(root, inventory)


def _audit(inventory: Path, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    res = runner.invoke(app, ["audit", "-i", str(inventory), "-q", "-f", "json", "--no-history", *args])
    assert res.exit_code in (0, 1, 2), res.output
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}


def _keys(doc: dict) -> set[str]:  # type: ignore[type-arg]
    return {f["key"] for f in doc["findings"]}


def test_fresh_lab_is_not_compliant_for_the_right_reasons(lab: Lab) -> None:
    code, doc = _audit(lab.inventory)
    assert code == 1
    by_key = {f["key"]: f for f in doc["findings"]}
    trap = by_key["SW-QOS-002|leaf1|Ethernet0|3"]
    assert "AZURE" in trap["remediation"]
    assert trap["actual"] == "DSCP 26 -> TC 1"
    # the default SKU boots with 5m cables (its default_cable): right for hosts, wrong for the 40m fabric
    assert "SW-BUF-003|leaf1|Ethernet0|" not in by_key
    assert by_key["SW-BUF-003|leaf1|Ethernet8|"]["actual"] == "5m"
    assert "HOST-PFC-001|host1|eth1|" in by_key
    assert not any(k.startswith("AUDIT-") for k in by_key)  # everything was read


def test_unreachable_device_is_a_finding_and_the_rest_is_checked(lab: Lab) -> None:
    inv = lab.root / "inventory-host4-down"  # next to the original: the key path is relative
    shutil.copytree(lab.inventory, inv)
    yaml = YAML()
    hosts = yaml.load((inv / "hosts.yaml").read_text())
    hosts["host4"]["port"] = free_base_port(1)  # nothing listens there
    with (inv / "hosts.yaml").open("w") as fh:
        yaml.dump(hosts, fh)
    code, doc = _audit(inv)
    assert code == 1
    assert "AUDIT-001|host4||" in _keys(doc)
    assert doc["devices"]["host4"]["reachable"] is False
    assert "SW-QOS-002|leaf2|Ethernet0|3" in _keys(doc)


def test_snapshot_reproduces_the_audit_offline(lab: Lab, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    code, live = _audit(lab.inventory, "--save-snapshot", str(snap))
    assert sorted(p.name for p in snap.glob("*.json"))[:2] == ["_audit.json", "host1.json"]
    assert "password" not in "".join(p.read_text() for p in snap.glob("*.json")).lower()
    code2, offline = _audit(lab.inventory, "--from-snapshot", str(snap))
    assert (code2, _keys(offline)) == (code, _keys(live))


def test_check_mode_dry_runs_every_device_and_changes_nothing(lab: Lab) -> None:
    res = runner.invoke(app, ["plan", "-i", str(lab.inventory), "--detailed-exitcode"])
    assert res.exit_code == 2, res.output  # changes pending
    res = runner.invoke(app, ["apply", "-i", str(lab.inventory), "--check", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {d["status"] for d in doc["devices"]} == {"would_change"}
    assert doc["recap"] == {"changed": 11, "unchanged": 0, "failed": 0}
    res = runner.invoke(app, ["apply", "-i", str(lab.inventory), "--check"])
    assert "recap: 11 would change, 0 unchanged, 0 failed" in res.stdout
    assert "  ~ " not in res.stdout  # counts only; --diff prints the diffs
    assert "  ~ " in runner.invoke(app, ["apply", "-i", str(lab.inventory), "--check", "--diff"]).stdout
    res = runner.invoke(app, ["plan", "-i", str(lab.inventory), "--detailed-exitcode"])
    assert res.exit_code == 2, res.output  # the dry runs wrote nothing


def test_after_apply_the_fabric_complies(lab: Lab) -> None:
    res = runner.invoke(app, ["apply", "-i", str(lab.inventory), "--yes"])
    assert res.exit_code == 0, res.output
    code, doc = _audit(lab.inventory)
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert errors == []
    assert code == 0
    history = runner.invoke(app, ["audit", "history", "-i", str(lab.inventory), "--json"])
    assert json.loads(history.stdout)["audits"] == []  # --no-history kept it empty
    res = runner.invoke(app, ["plan", "-i", str(lab.inventory), "--detailed-exitcode"])
    assert res.exit_code == 0, res.output  # nothing left to change


def test_the_demo_fault_is_reported_as_one_root_cause(lab: Lab) -> None:
    fault = "sudo sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet0' pfc_enable 4"  # agent.demo.MISCONFIGURE
    assert runner.invoke(app, ["lab", "exec", "leaf1", fault]).exit_code == 0
    code, doc = _audit(lab.inventory)
    root = "SW-PFC-001|leaf1|Ethernet0|"
    assert code == 1
    errors = {f["key"] for f in doc["findings"] if f["severity"] == "error"}
    assert root in errors
    assert set(doc["root_causes"][root]) == errors - {root}  # every other error follows from it
    res = runner.invoke(app, ["apply", "-i", str(lab.inventory), "--yes"])  # converge again for the next test
    assert res.exit_code == 0, res.output
    assert "recap: 1 changed, 10 unchanged, 0 failed" in res.stdout


def test_pfc_storm_shows_in_runtime_checks(lab: Lab) -> None:
    res = runner.invoke(app, ["lab", "traffic", "leaf1", "Ethernet4", "storm"])
    assert res.exit_code == 0, res.output
    code, doc = _audit(lab.inventory, "--checks", "runtime", "--interval", "1")
    assert code == 1
    assert "RT-WD-001|leaf1|Ethernet4|3" in _keys(doc)
