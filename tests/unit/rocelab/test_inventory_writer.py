"""The lab's Nornir inventory: committed files equal the writer's output, Nornir reads it, no secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from agent.inventory.clab import load_clab
from agent.inventory.loader import load_nornir
from rocelab.inventory_writer import (
    INVENTORY_FILES,
    key_reference,
    known_hosts_text,
    render_inventory,
    write_inventory,
)
from rocelab.spec import DEFAULT_BASE_PORT, build_spec

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
COMMITTED = ROOT / "inventories" / "lab"


def _default_render() -> dict[str, str]:
    topo = load_clab(DEFAULT_TOPOLOGY)
    key_ref = key_reference(ROOT / ".lab" / "id_ed25519", COMMITTED)
    return render_inventory(build_spec(topo, DEFAULT_BASE_PORT), topo, key_ref)


@pytest.mark.parametrize("name", INVENTORY_FILES)
def test_committed_lab_inventory_is_what_lab_up_writes(name: str) -> None:
    assert (COMMITTED / name).read_text() == _default_render()[name], (
        f"inventories/lab/{name} is stale; regenerate it with the lab's inventory writer"
    )


def test_key_reference_is_relative_within_one_tree_and_absolute_across(tmp_path: Path) -> None:
    assert key_reference(ROOT / ".lab" / "id_ed25519", COMMITTED) == "../../.lab/id_ed25519"
    assert key_reference(tmp_path / "s" / "k", tmp_path / "inv") == "../s/k"
    assert key_reference(Path("/proc/k"), tmp_path) == "/proc/k"


def test_known_hosts_lines_pin_each_port() -> None:
    text = known_hosts_text([(2202, "ssh-ed25519 BBBB\n"), (2201, "ssh-ed25519 AAAA")])
    assert text == "[127.0.0.1]:2201 ssh-ed25519 AAAA\n[127.0.0.1]:2202 ssh-ed25519 BBBB\n"


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return {str(k) for k in node} | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_no_password_or_secret_keys_in_the_inventory() -> None:
    for name, text in _default_render().items():
        keys = _keys(YAML(typ="safe").load(text))
        assert not keys & {"password", "secret", "passphrase"}, name
        assert "BEGIN OPENSSH PRIVATE KEY" not in text


def test_nornir_reads_the_written_inventory(tmp_path: Path) -> None:
    topo = load_clab(DEFAULT_TOPOLOGY)
    spec = build_spec(topo, 31000)
    inv, key = tmp_path / "inv", tmp_path / "state" / "id_ed25519"
    write_inventory(spec, topo, inv, client_key=key, known_hosts=known_hosts_text([(31000, "ssh-ed25519 AAAA")]))
    nr = load_nornir(inv)
    leaf1, host1 = nr.inventory.hosts["leaf1"], nr.inventory.hosts["host1"]
    assert (leaf1.hostname, leaf1.port, leaf1.username, leaf1.platform) == ("127.0.0.1", 31004, "admin", "linux")
    assert [g.name for g in leaf1.groups] == ["sonic", "leaves"]
    assert (leaf1["device_kind"], leaf1["nos"], leaf1["role"], leaf1["port_speed"]) == (
        "switch",
        "sonic",
        "leaf",
        "400G",
    )
    assert host1["rdma_interfaces"] == ["eth1"]
    assert host1["role"] == "rdma-host"
    assert host1.platform == "linux"
    assert "nos" not in host1.data
    napalm = leaf1.get_connection_parameters("napalm")
    netmiko = host1.get_connection_parameters("netmiko")
    assert napalm.platform == "rocesonic"
    assert napalm.extras["optional_args"]["key_file"] == str(key)  # relative in the file, resolved by the loader
    assert netmiko.extras == {"use_keys": True, "key_file": str(key), "allow_agent": False}
    assert leaf1.data["_ssh_options"]["alt_key_file"] == str(inv / "known_hosts")
    assert nr.inventory.hosts.keys() == {n.name for n in spec.nodes}
    assert set(nr.inventory.groups) == {"sonic", "rdma-hosts", "leaves", "spines"}


def test_write_keeps_an_existing_policy_and_copies_a_given_one(tmp_path: Path) -> None:
    topo = load_clab(DEFAULT_TOPOLOGY)
    spec = build_spec(topo)
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "policy.yaml").write_text("# mine\n")
    changed = write_inventory(spec, topo, inv, client_key=tmp_path / "k")
    assert (inv / "policy.yaml").read_text() == "# mine\n"
    assert sorted(p.name for p in changed) == sorted(INVENTORY_FILES)
    assert write_inventory(spec, topo, inv, client_key=tmp_path / "k") == []  # unchanged: nothing rewritten
    source = tmp_path / "other-policy.yaml"
    source.write_text("# other\n")
    write_inventory(spec, topo, inv, client_key=tmp_path / "k", policy_source=source)
    assert (inv / "policy.yaml").read_text() == "# other\n"
