"""`roce-agent fabric entropy` offline (--from-snapshot) through typer's CliRunner: table, JSON, the HTML
heat map, exit codes, the estimate said in every output, and bad input (exit 2, nothing contacted).

The lab cabling (2 leaves, 2 spines, 4 hosts): the ring's cross-leaf connections are host2->host3 and
host4->host1, so with K QPs each leaf->spine tier of 4 links carries 2K flows (mean K/2). Switches that
hash on MACs only put a pair's K flows on one uplink: max K, 2 idle, 2.0x the mean (by hand)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from agent.cli import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "report"
SWITCHES = ("leaf1", "leaf2", "spine1", "spine2")
runner = CliRunner()


def snapshot(tmp_path: Path, fields: list[str] | None) -> Path:
    snap = tmp_path / "snap"
    shutil.copytree(FIXTURES / "snapshot-clean", snap)
    for name in SWITCHES:
        path = snap / f"{name}.json"
        doc = json.loads(path.read_text())
        seed = 10 if name.startswith("leaf") else 25
        doc["load_balancing"] = {"ecmp_hash": fields, "ecmp_hash_algorithm": "CRC", "ecmp_hash_seed": seed}
        path.write_text(json.dumps(doc))
    return snap


def entropy(inv: Path, *args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["fabric", "entropy", "-i", str(inv), *args])
    return res.exit_code, res.output


def test_json_numbers_of_a_fabric_without_source_port_entropy(inv: Path, tmp_path: Path) -> None:
    rc, out = entropy(inv, "--from-snapshot", str(snapshot(tmp_path, ["SRC_MAC", "DST_MAC"])), "--qps", "4", "--json")
    doc = json.loads(out)
    tiers = {t["tier"]: t for t in doc["tiers"]}
    assert (tiers["leaf->spine"]["links"], tiers["leaf->spine"]["mean"]) == (4, 2.0)
    assert (tiers["leaf->spine"]["max"], tiers["leaf->spine"]["idle"]) == (4, 2)
    assert tiers["leaf->spine"]["max_over_mean"] == 2.0
    assert doc["flows"] == 16
    assert "estimate" in doc["note"]
    assert rc == 1  # above the default 1.5x


def test_threshold_exit_codes_and_table_says_estimate(inv: Path, tmp_path: Path) -> None:
    snap = str(snapshot(tmp_path, ["SRC_MAC", "DST_MAC"]))
    rc, out = entropy(inv, "--from-snapshot", snap)
    assert rc == 1
    assert "ABOVE 1.5x" in out
    assert "estimate" in out
    rc, out = entropy(inv, "--from-snapshot", snap, "--threshold", "2")
    assert rc == 0
    assert "ABOVE" not in out


def test_heat_map_is_one_self_contained_file(inv: Path, tmp_path: Path) -> None:
    page = tmp_path / "entropy.html"
    fields = ["SRC_IP", "DST_IP", "L4_SRC_PORT", "L4_DST_PORT", "IP_PROTOCOL"]
    rc, _ = entropy(inv, "--from-snapshot", str(snapshot(tmp_path, fields)), "--qps", "8", "--html", str(page))
    text = page.read_text()
    assert rc in (0, 1)
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text
    assert "http" not in text.replace("http-equiv", "")
    assert "leaf-&gt;spine" in text
    assert "estimate" in text


def test_switches_without_a_readable_hash_are_named(inv: Path) -> None:
    rc, out = entropy(inv, "--from-snapshot", str(FIXTURES / "snapshot-clean"))  # older snapshot: no hash read
    assert "no readable hash" in out
    assert "leaf1, leaf2, spine1, spine2" in out
    assert rc in (0, 1)


def test_bad_input_exits_2(inv: Path) -> None:
    rc, out = entropy(inv, "--from-snapshot", str(FIXTURES / "snapshot-clean"), "--limit", "nosuch")
    assert rc == 2
    assert "no device was contacted" in out
