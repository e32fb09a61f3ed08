"""`roce-agent inventory from-clab` / `inventory show`: files the agent's loader reads, same view as the lab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.inventory.loader import load_nornir, load_topology
from tests.lab_inventory import write_lab_inventory

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
LAB_INVENTORY = ROOT / "inventories" / "lab"
CLAB_FIXTURES = ROOT / "tests" / "fixtures" / "inventory" / "clab"
RUNNER = CliRunner()


def test_from_clab_writes_an_inventory_the_loader_reads_with_the_labs_hosts_groups_and_links(tmp_path: Path) -> None:
    out = tmp_path / "inv"
    res = RUNNER.invoke(app, ["inventory", "from-clab", str(DEFAULT_TOPOLOGY), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["defaults.yaml", "groups.yaml", "hosts.yaml", "links.yaml"]
    lab_inventory = write_lab_inventory(tmp_path / "lab")
    nr, lab = load_nornir(out), load_nornir(lab_inventory)
    assert set(nr.inventory.hosts) == set(lab.inventory.hosts)
    for name, host in nr.inventory.hosts.items():
        assert [g.name for g in host.groups] == [g.name for g in lab.inventory.hosts[name].groups]
        assert host.get("role") == lab.inventory.hosts[name].get("role")
        assert host.port == 22
    assert nr.inventory.hosts["leaf1"].hostname == "172.20.30.21"
    assert load_topology(out).links == load_topology(lab_inventory).links


def test_from_clab_is_deterministic_and_copies_the_policy(tmp_path: Path) -> None:
    args = ["inventory", "from-clab", str(DEFAULT_TOPOLOGY), "--policy", str(LAB_INVENTORY / "policy.yaml")]
    assert RUNNER.invoke(app, [*args, "-o", str(tmp_path / "a")]).exit_code == 0
    assert RUNNER.invoke(app, [*args, "-o", str(tmp_path / "b")]).exit_code == 0
    for name in ("hosts.yaml", "groups.yaml", "defaults.yaml", "links.yaml", "policy.yaml"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


def test_from_clab_never_writes_the_password_containerlab_generated(tmp_path: Path) -> None:
    source = CLAB_FIXTURES / "simple-only" / "clab-roce-fabric" / "nornir-simple-inventory.yml"
    assert "password: admin" in source.read_text()
    res = RUNNER.invoke(app, ["inventory", "from-clab", str(source), "-o", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hosts"] == 8
    assert all("password" not in (tmp_path / n).read_text() for n in ("hosts.yaml", "groups.yaml"))


def test_from_clab_bad_topology_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    res = RUNNER.invoke(
        app, ["inventory", "from-clab", str(ROOT / "tests/fixtures/lab/broken.clab.yml"), "-o", str(tmp_path / "x")]
    )
    assert res.exit_code == 2
    assert "broken.clab.yml:" in res.output
    assert not (tmp_path / "x").exists()


def test_show_json_is_the_same_for_the_directory_and_the_topology(tmp_path: Path) -> None:
    RUNNER.invoke(app, ["inventory", "from-clab", str(DEFAULT_TOPOLOGY), "-o", str(tmp_path)])
    from_dir = json.loads(RUNNER.invoke(app, ["inventory", "show", "-i", str(tmp_path), "--json"]).stdout)
    from_topo = json.loads(RUNNER.invoke(app, ["inventory", "show", "-i", str(DEFAULT_TOPOLOGY), "--json"]).stdout)
    assert from_dir == from_topo
    assert len(from_dir["links"]) == 12
    leaf1 = next(h for h in from_dir["hosts"] if h["name"] == "leaf1")
    assert (leaf1["groups"], leaf1["transport"], leaf1["role"]) == (["sonic", "leaves"], "docker", "leaf")
    spines = next(g for g in from_dir["groups"] if g["name"] == "spines")
    assert spines["members"] == ["spine1", "spine2"]


def test_show_lab_inventory_lists_ssh_transport(tmp_path: Path) -> None:
    res = RUNNER.invoke(app, ["inventory", "show", "-i", str(write_lab_inventory(tmp_path / "lab")), "--json"])
    assert res.exit_code == 0, res.output
    hosts = json.loads(res.stdout)["hosts"]
    assert {h["transport"] for h in hosts} == {"ssh"}
    assert {h["hostname"] for h in hosts} == {"127.0.0.1"}


def test_show_missing_inventory_exits_2(tmp_path: Path) -> None:
    res = RUNNER.invoke(app, ["inventory", "show", "-i", str(tmp_path / "nothing.clab.yml")])
    assert res.exit_code == 2
    assert "cannot read" in res.output


def test_wait_ready_without_docker_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    res = RUNNER.invoke(app, ["inventory", "wait-ready", str(DEFAULT_TOPOLOGY), "--timeout", "0"])
    assert res.exit_code == 2
    assert "docker CLI is not on PATH" in res.output
