"""ClabInventory: the same hosts, groups and links as the built-in lab; only reachability differs.

The lab's writer (`rocelab.inventory_writer`) is the reference: for the default topology the plugin
and the deployed-lab files must agree with it on every host's groups and data, on the group
definitions and on the links. Addresses differ by design (mgmt IP:22 vs 127.0.0.1:per-twin port), and
the plugin adds how each node is reached (data `transport`, sonic-vs napalm `transport: docker`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F

from agent.errors import InputError
from agent.inventory.clab import load_clab
from agent.inventory.clab_plugin import ClabInventory, read_source, render_docs, topology_from_inventory
from agent.inventory.loader import load_topology
from rocelab.inventory_writer import groups_doc as lab_groups_doc
from rocelab.inventory_writer import hosts_doc as lab_hosts_doc
from rocelab.inventory_writer import links_doc as lab_links_doc
from rocelab.spec import build_spec
from tests.lab_inventory import write_lab_inventory

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
FIXTURES = ROOT / "tests" / "fixtures" / "inventory" / "clab"
LAB_DIR = FIXTURES / "clab-roce-fabric"
BY_DESIGN = ("hostname", "port", "connection_options")  # how a node is reached; lab and containerlab differ


def lab_reference() -> dict[str, Any]:
    topo = load_clab(DEFAULT_TOPOLOGY)
    spec = build_spec(topo)
    return {
        "hosts": lab_hosts_doc(spec, topo, ROOT / ".lab" / "id_ed25519", ROOT / "inventories" / "lab"),
        "groups": lab_groups_doc(topo.nodes.values()),
        "links": lab_links_doc(topo),
    }


def without_reachability(hosts: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, host in hosts.items():
        data = {k: v for k, v in host["data"].items() if k not in ("transport", "container")}
        out[name] = {**{k: v for k, v in host.items() if k not in BY_DESIGN}, "data": data}
    return out


def plugin_nornir(source: Path) -> Nornir:
    return InitNornir(
        inventory={"plugin": "ClabInventory", "options": {"topology": str(source)}}, logging={"enabled": False}
    )


@pytest.mark.parametrize(
    "source",
    [DEFAULT_TOPOLOGY, LAB_DIR / "topology-data.json", LAB_DIR / "nornir-simple-inventory.yml", LAB_DIR],
    ids=["clab.yml", "topology-data.json", "nornir-simple+sibling-json", "lab-dir"],
)
def test_same_hosts_groups_and_links_as_the_builtin_lab(source: Path) -> None:
    ref = lab_reference()
    docs = render_docs(read_source(source))
    assert without_reachability(docs["hosts.yaml"]) == without_reachability(ref["hosts"])
    assert docs["groups.yaml"] == ref["groups"]
    assert docs["links.yaml"] == ref["links"]


def test_addresses_are_mgmt_ips_on_port_22_and_sonic_vs_goes_through_docker() -> None:
    hosts = render_docs(read_source(DEFAULT_TOPOLOGY))["hosts.yaml"]
    assert (hosts["leaf1"]["hostname"], hosts["leaf1"]["port"]) == ("172.20.30.21", 22)
    assert hosts["leaf1"]["data"]["transport"] == "docker"
    assert hosts["leaf1"]["connection_options"] == {
        "napalm": {"extras": {"optional_args": {"transport": "docker", "container": "clab-roce-fabric-leaf1"}}}
    }
    assert hosts["host1"]["data"]["transport"] == "docker"
    assert "connection_options" not in hosts["host1"]
    assert "container" not in hosts["leaf1"]["data"]  # the default name follows from data `lab`


def test_plugin_through_initnornir_matches_the_lab_inventory(tmp_path: Path) -> None:
    nr = plugin_nornir(DEFAULT_TOPOLOGY)
    lab_inventory = write_lab_inventory(tmp_path / "lab")
    lab = InitNornir(
        inventory={
            "plugin": "SimpleInventory",
            "options": {f"{k}_file": str(lab_inventory / f"{k}s.yaml") for k in ("host", "group")},
        },
        logging={"enabled": False},
    )
    assert set(nr.inventory.hosts) == set(lab.inventory.hosts)
    assert set(nr.inventory.groups) == set(lab.inventory.groups)
    for name, host in nr.inventory.hosts.items():
        assert [g.name for g in host.groups] == [g.name for g in lab.inventory.hosts[name].groups]
        assert host.platform == "linux"
    assert nr.inventory.hosts["spine1"].get_connection_parameters("napalm").platform == "rocesonic"
    assert nr.inventory.hosts["host2"].get("rdma_interfaces") == ["eth1"]
    assert nr.inventory.hosts["leaf2"].get("lab") == "roce-fabric"
    assert topology_from_inventory(nr.inventory).links == load_topology(lab_inventory).links


def test_nornir_filters_work_on_label_groups() -> None:
    nr = plugin_nornir(DEFAULT_TOPOLOGY)
    assert sorted(nr.filter(F(groups__contains="leaves")).inventory.hosts) == ["leaf1", "leaf2", "leaf3"]
    assert sorted(nr.filter(role="spine").inventory.hosts) == ["spine1", "spine2"]


def test_topology_data_gives_real_addresses_and_container_names() -> None:
    src = read_source(LAB_DIR / "topology-data.json")
    assert src.container("leaf1") == "clab-roce-fabric-leaf1"
    assert src.topology.nodes["leaf1"].mgmt_ipv4 == "172.20.30.21"
    assert src.topology.nodes["leaf1"].labels["clab-node-kind"] == "sonic-vs"


def test_nornir_simple_alone_gives_hosts_and_groups_but_no_links_or_password() -> None:
    src = read_source(FIXTURES / "simple-only" / "clab-roce-fabric" / "nornir-simple-inventory.yml")
    docs = render_docs(src)
    hosts = docs["hosts.yaml"]
    assert sorted(hosts) == ["host1", "host2", "host3", "host4", "leaf1", "leaf2", "spine1", "spine2"]
    assert hosts["leaf1"]["groups"] == ["sonic", "leaves"]
    assert hosts["leaf1"]["hostname"] == "172.20.30.21"
    assert "role" not in hosts["leaf1"]["data"]  # roce-role labels are not in that file
    assert docs["links.yaml"] == {"links": []}
    assert docs["defaults.yaml"]["data"]["lab"] == "roce-fabric"  # from the lab directory name
    assert "password" not in repr(docs)


def test_unmanaged_kinds_and_their_links_are_left_out() -> None:
    src = read_source(ROOT / "tests" / "fixtures" / "lab" / "unsupported.clab.yml")
    assert src.skipped == ["srl1 (nokia_srlinux)"]
    assert list(src.topology.nodes) == ["leaf1"]
    assert src.topology.links == []


def test_prefix_changes_container_names_and_sonic_vm_uses_ssh() -> None:
    docs = render_docs(read_source(FIXTURES / "prefix-empty.clab.yml"))
    leaf1, leaf2 = docs["hosts.yaml"]["leaf1"], docs["hosts.yaml"]["leaf2"]
    assert leaf1["hostname"] == "leaf1"  # no mgmt-ipv4: the container name (containerlab adds it to /etc/hosts)
    assert leaf1["connection_options"]["napalm"]["extras"]["optional_args"]["container"] == "leaf1"
    assert leaf2["data"]["transport"] == "ssh"
    assert leaf2["connection_options"] == {
        "netmiko": {"extras": {"ssh_strict": True, "system_host_keys": False}},
        "napalm": {"extras": {"optional_args": {"device_name": "leaf2", "system_host_keys": False}}},
    }
    assert docs["defaults.yaml"] == {"username": "admin", "data": {"lab": "tiny", "clab_prefix": ""}}


def test_bad_topology_data_names_file_and_fields() -> None:
    with pytest.raises(InputError) as err:
        read_source(FIXTURES / "bad-topology-data.json")
    text = str(err.value)
    assert "bad-topology-data.json: nodes.host1.kind: required" in text
    assert "links[0].z.node: unknown node 'host9'" in text
    assert "links[1].a.interface" in text
    assert "eth1, eth2" in text


def test_plugin_options_are_checked() -> None:
    with pytest.raises(InputError, match=r"inventory\.options\.topology"):
        ClabInventory()
    with pytest.raises(InputError, match="unknown"):
        ClabInventory(topology=str(DEFAULT_TOPOLOGY), hostfile="x")


@pytest.mark.parametrize("source", [DEFAULT_TOPOLOGY, FIXTURES / "prefix-empty.clab.yml"], ids=["sonic-vs", "sonic-vm"])
def test_no_two_hosts_share_a_mutable_options_object(source: Path, tmp_path: Path) -> None:
    """Through the plugin and through `inventory from-clab` files read by plain SimpleInventory."""
    from agent.app.inventory import render_files

    for name, text in render_files(read_source(source)).items():
        (tmp_path / name).write_text(text)
    files = {f"{k}_file": str(tmp_path / f"{k}s.yaml") for k in ("host", "group", "defaults")}
    files["defaults_file"] = str(tmp_path / "defaults.yaml")
    simple = InitNornir(inventory={"plugin": "SimpleInventory", "options": files}, logging={"enabled": False})
    for nr in (plugin_nornir(source), simple):
        seen: list[tuple[object, str]] = []  # objects kept alive, so an id is never reused
        for host in nr.inventory.hosts.values():
            for conn in ("netmiko", "napalm"):
                extras = host.get_connection_parameters(conn).extras
                for obj in (extras, extras.get("optional_args")):
                    if obj is not None:
                        shared = [owner for other, owner in seen if other is obj]
                        assert not shared, f"{host.name} shares {conn} options with {shared}"
                        seen.append((obj, host.name))
