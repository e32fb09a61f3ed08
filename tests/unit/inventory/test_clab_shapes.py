"""containerlab files as containerlab reads them (its types/topology.go and link types), table-driven over
small real-shaped fixtures: node > group > kind > defaults, links that leave the lab skipped with a note,
Ansible inventories refused with what to give instead, a lone nornir-simple-inventory warned about."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from nornir import InitNornir
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import InputError
from agent.inventory.clab import load_clab
from agent.inventory.clab_plugin import read_source

ROOT = Path(__file__).resolve().parents[3]
SHAPES = ROOT / "tests" / "fixtures" / "inventory" / "clab" / "shapes"
SIMPLE_ONLY = ROOT / "tests" / "fixtures" / "inventory" / "clab" / "simple-only" / "clab-roce-fabric"

# node: (kind, image, roce-role, roce-port-speed, nornir-group) as containerlab resolves groups.clab.yml
GROUPED = {
    "spine1": ("sonic-vs", "docker-sonic-vs:202511", "spine", "200G", "spines"),  # kind from its group
    "leaf1": ("sonic-vs", "docker-sonic-vs:group", "leaf", "400G", "fabric"),  # group from its kind; node label wins
    "leaf2": ("sonic-vs", "docker-sonic-vs:node", "leaf", "200G", "fabric"),  # node image beats group's
    "host1": ("linux", "ghcr.io/srl-labs/network-multitool:latest", "rdma-host", "100G", "fabric"),  # defaults' group
}


@pytest.mark.parametrize("name", GROUPED)
def test_node_fields_resolve_node_group_kind_defaults(name: str) -> None:
    node = load_clab(SHAPES / "groups.clab.yml").nodes[name]
    got = (node.kind, node.image, node.role, node.labels["roce-port-speed"], node.labels["nornir-group"])
    assert got == GROUPED[name]


def test_grouped_topology_yields_managed_devices_and_links() -> None:
    src = read_source(SHAPES / "groups.clab.yml")
    assert src.skipped == []
    assert {n.name: n.device_kind for n in src.topology.nodes.values()} == {
        "spine1": "switch", "leaf1": "switch", "leaf2": "switch", "host1": "host"
    }  # fmt: skip
    assert [(str(lk.a), str(lk.b)) for lk in src.topology.agent_links()] == [
        ("leaf1:Ethernet0", "host1:eth1"),
        ("leaf1:Ethernet4", "spine1:Ethernet0"),
    ]


SPECIAL = [
    (1, "a link to host:leaf1-eth5"),
    (2, "a link to mgmt-net:host1-eth2"),
    (3, "a link to macvlan:enp0s3"),
    (4, "a host link of leaf1:eth6"),
    (5, "a mgmt-net link of leaf1:eth7"),
    (6, "a macvlan link of host1:eth4"),
    (7, "a dummy link of leaf1:eth8"),
    (8, "a vxlan link of leaf1:eth9"),
]


@pytest.mark.parametrize(("index", "what"), SPECIAL, ids=[w for _, w in SPECIAL])
def test_links_that_leave_the_lab_are_skipped_with_a_note(index: int, what: str) -> None:
    topo = load_clab(SHAPES / "special-links.clab.yml")
    assert f"topology.links[{index}]: {what} skipped" in "\n".join(topo.notes)


def test_only_links_between_lab_nodes_remain_in_both_syntaxes() -> None:
    topo = load_clab(SHAPES / "special-links.clab.yml")
    assert [(str(lk.a), str(lk.b)) for lk in topo.links] == [("leaf1:eth1", "host1:eth1"), ("leaf1:eth2", "host1:eth5")]
    assert len(topo.notes) == len(SPECIAL)


def test_deployed_lab_links_to_host_and_mgmt_net_and_one_ended_links_are_skipped() -> None:
    src = read_source(SHAPES / "clab-special")
    assert len(src.topology.links) == 8  # the fabric's own cabling, untouched
    notes = "\n".join(src.notes)
    assert "links[8]: a link to host:leaf1-eth5 skipped" in notes
    assert "links[9]: a link to mgmt-net:host2-eth2 skipped" in notes
    assert "links[10]: a one-ended link of leaf2:eth9 skipped" in notes


def test_an_unknown_link_type_is_an_error_naming_file_line_and_the_known_types() -> None:
    with pytest.raises(InputError) as err:
        load_clab(SHAPES / "unknown-link-type.clab.yml")
    text = str(err.value)
    assert "unknown-link-type.clab.yml:7: topology.links[0].type: unknown link type 'wormhole'" in text
    assert "veth" in text
    assert "vxlan" in text


@pytest.mark.parametrize(
    "source",
    [SHAPES / "ansible-only" / "clab-roce-fabric" / "ansible-inventory.yml", SHAPES / "renamed-ansible.yml"],
    ids=["ansible-inventory.yml", "renamed"],
)
def test_an_ansible_inventory_is_refused_saying_what_to_give(source: Path) -> None:
    with pytest.raises(InputError, match=r"an Ansible inventory is not supported; give topology-data\.json or the lab"):
        read_source(source)


def test_a_lab_directory_with_only_an_ansible_inventory_says_so() -> None:
    with pytest.raises(InputError, match=r"ansible-inventory\.yml is not supported"):
        read_source(SHAPES / "ansible-only" / "clab-roce-fabric")


def test_a_lone_nornir_simple_inventory_warns_that_link_and_fabric_checks_cannot_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert "link and fabric checks (LINK-*, FAB-*) cannot run" in "\n".join(read_source(SIMPLE_ONLY).notes)
    res = CliRunner().invoke(app, ["inventory", "from-clab", str(SIMPLE_ONLY), "-o", str(tmp_path / "inv")])
    assert res.exit_code == 0, res.output
    assert "note: " in res.stderr
    assert "cannot run; give topology-data.json or the lab directory" in res.stderr
    with caplog.at_level(logging.WARNING, logger="agent.inventory.clab_plugin"):
        options = {"topology": str(SIMPLE_ONLY / "nornir-simple-inventory.yml")}
        InitNornir(inventory={"plugin": "ClabInventory", "options": options}, logging={"enabled": False})
    assert "link and fabric checks" in caplog.text


def test_from_clab_prints_the_skipped_links(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["inventory", "from-clab", str(SHAPES / "special-links.clab.yml"), "-o", str(tmp_path / "inv")]
    )
    assert res.exit_code == 0, res.output
    assert res.stderr.count("note: ") == len(SPECIAL)
    assert "2 links" in res.stdout  # leaf1:eth1-host1:eth1 and the extended veth
