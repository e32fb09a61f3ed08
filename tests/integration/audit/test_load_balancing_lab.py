"""Issue 17 in the lab over real SSH: a spine whose hash lost L4_SRC_PORT and a spine hashing exactly
like the leaves (same fields, algorithm and seed: the twin's fresh image makes every switch a
LeafRouter, seed 10) are caught by the audit, and `apply` fixes what configuration can fix. The seed
itself cannot be applied (SONiC derives it from DEVICE_METADATA type at swss start): SW-LB-003 stays,
as a warning that says how to change it."""

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
ROCE = ["SRC_IP", "DST_IP", "L4_SRC_PORT", "L4_DST_PORT", "IP_PROTOCOL"]
LOAD_BALANCING = {
    "ecmp_hash": ROCE,
    "ecmp_hash_algorithm": "CRC",
    "entropy": {"qps": 4, "max_over_mean": 2.0},
}
SPINES = {
    "match": {"role": "spine"},
    "load_balancing": {"device_type": "SpineRouter", "ecmp_hash_algorithm": "CRC_32LO"},
}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("lb-lab")
    yaml = YAML()
    policy = yaml.load((ROOT / "inventories" / "lab" / "policy.yaml").read_text())
    for profile in policy["profiles"].values():  # both pods' profiles hash alike
        profile["load_balancing"] = LOAD_BALANCING
        profile["overrides"] = [*(profile.get("overrides") or []), SPINES]
    path = root / "policy.yaml"
    with path.open("w") as fh:
        yaml.dump(policy, fh)
    with running_lab(root, path) as inv:
        res = runner.invoke(app, ["apply", "-i", str(inv), "--yes"])
        assert res.exit_code == 0, res.output
        yield inv


def _audit(inventory: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    res = runner.invoke(app, ["audit", "-i", str(inventory), "-q", "-f", "json", "--no-history", "--checks", "hash"])
    assert res.exit_code in (0, 1), res.output
    return {f["key"]: f for f in json.loads(res.stdout)["findings"]}


def _exec(device: str, command: str) -> None:
    res = runner.invoke(app, ["lab", "exec", device, command])
    assert res.exit_code == 0, res.output


def test_applied_hash_is_clean_but_the_seed_cannot_be_applied(inventory: Path) -> None:
    found = _audit(inventory)
    assert not [k for k, f in found.items() if f["severity"] == "error"], found
    for spine in ("spine1", "spine2"):
        seed = found[f"SW-LB-003|{spine}||"]
        assert seed["severity"] == "warning"
        assert "ecmp_hash_seed 10" in seed["actual"]
        assert "config reload" in seed["remediation"]


def test_lost_source_port_and_polarised_spine_are_caught_and_apply_fixes_them(inventory: Path) -> None:
    _exec(
        "spine1",
        "sudo sonic-db-cli CONFIG_DB hset 'SWITCH_HASH|GLOBAL' 'ecmp_hash@' 'SRC_IP,DST_IP,L4_DST_PORT,IP_PROTOCOL'",
    )
    _exec("spine2", "sudo sonic-db-cli CONFIG_DB hset 'SWITCH_HASH|GLOBAL' ecmp_hash_algorithm CRC")
    found = _audit(inventory)
    assert "missing L4_SRC_PORT" in found["SW-LB-001|spine1||"]["actual"]
    polarised = found["FAB-LB-002|spine2||"]
    assert "leaf1, leaf2" in polarised["actual"]
    assert "seed 10" in polarised["actual"]
    assert "SW-LB-002|spine2|ecmp_hash_algorithm|" in found
    res = runner.invoke(app, ["apply", "-i", str(inventory), "--yes"])
    assert res.exit_code == 0, res.output
    assert "2 changed" in res.stdout
    after = _audit(inventory)
    assert not [k for k, f in after.items() if f["severity"] == "error"], after
    assert "SW-LB-003|spine1||" in after  # what apply cannot change is still said


def test_entropy_audit_reads_the_live_fabric(inventory: Path, tmp_path: Path) -> None:
    page = tmp_path / "entropy.html"
    res = runner.invoke(app, ["fabric", "entropy", "-i", str(inventory), "--json", "--html", str(page)])
    assert res.exit_code in (0, 1), res.output
    doc = json.loads(res.stdout)
    assert doc["flows"] == 24  # ring over the 6 hosts of both pods, 4 QPs each
    assert doc["switches_without_known_hash"] == []
    assert {t["tier"] for t in doc["tiers"]} == {"leaf->spine", "spine->leaf"}
    assert page.read_text().startswith("<!DOCTYPE html>")
