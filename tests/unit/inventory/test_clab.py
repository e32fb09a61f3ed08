"""containerlab topology parsing: kinds, inheritance, interface naming, links and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.inventory.clab import device_kind_of, load_clab, sonic_port_name
from agent.topology.model import Endpoint

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
FIXTURES = ROOT / "tests" / "fixtures" / "lab"


@pytest.mark.parametrize(
    ("iface", "port"),
    [("eth1", "Ethernet0"), ("eth2", "Ethernet4"), ("eth3", "Ethernet8"), ("eth32", "Ethernet124")],
)
def test_sonic_port_name_maps_ethN_to_ethernet_4_times_n_minus_1(iface: str, port: str) -> None:
    assert sonic_port_name(iface) == port


@pytest.mark.parametrize("iface", ["eth0", "Ethernet0", "e1-1", "eth01", "eth"])
def test_sonic_port_name_rejects_non_data_interfaces(iface: str) -> None:
    with pytest.raises(ValueError, match="eth1, eth2"):
        sonic_port_name(iface)


def test_kinds_map_to_device_kinds() -> None:
    assert device_kind_of("sonic-vs") == "switch"
    assert device_kind_of("sonic-vm") == "switch"
    assert device_kind_of("linux") == "host"
    assert device_kind_of("nokia_srlinux") is None


def test_default_topology_nodes_and_labels() -> None:
    topo = load_clab(DEFAULT_TOPOLOGY)
    assert topo.name == "roce-fabric"
    assert topo.mgmt_subnet == "172.20.30.0/24"
    assert sorted(topo.nodes) == [
        *(f"host{i}" for i in range(1, 7)),
        "leaf1",
        "leaf2",
        "leaf3",
        "spine1",
        "spine2",
    ]  # training pod (leaf1, leaf2, host1-4), inference pod (leaf3, host5, host6)
    assert (topo.nodes["leaf3"].labels["roce-profile"], topo.nodes["host6"].labels["roce-profile"]) == (
        "nvidia-roce-lossy",
        "nvidia-roce-lossy",
    )
    leaf1, host3 = topo.nodes["leaf1"], topo.nodes["host3"]
    assert (leaf1.kind, leaf1.image, leaf1.mgmt_ipv4) == ("sonic-vs", "docker-sonic-vs:202511", "172.20.30.21")
    assert (leaf1.device_kind, leaf1.role, leaf1.nornir_groups()) == ("switch", "leaf", ["leaves"])
    assert (host3.device_kind, host3.role, host3.nornir_groups()) == ("host", "rdma-host", ["rdma-hosts"])
    assert host3.image is not None
    assert "sonic" not in host3.image


def test_default_topology_links_follow_the_brief() -> None:
    topo = load_clab(DEFAULT_TOPOLOGY).to_topology()
    assert topo.peer(Endpoint("leaf1", "Ethernet0")) == Endpoint("host1", "eth1")
    assert topo.peer(Endpoint("leaf1", "Ethernet4")) == Endpoint("host2", "eth1")
    assert topo.peer(Endpoint("leaf2", "Ethernet4")) == Endpoint("host4", "eth1")
    assert topo.peer(Endpoint("leaf1", "Ethernet8")) == Endpoint("spine1", "Ethernet0")
    assert topo.peer(Endpoint("leaf2", "Ethernet12")) == Endpoint("spine2", "Ethernet4")
    roles = {(lk.a.device, lk.b.device): lk.role for lk in topo.links}
    assert roles[("leaf1", "host1")] == "host"
    assert roles[("leaf2", "spine1")] == "fabric"
    assert len(topo.links) == 12
    profiles = {(lk.a.device, lk.b.device): lk.profile for lk in topo.links}
    assert profiles[("leaf3", "spine1")] == profiles[("leaf3", "spine2")] == "nvidia-roce-lossy"  # link vars
    assert {p for ends, p in profiles.items() if "leaf3" not in ends} == {None}
    assert topo.peer(Endpoint("leaf3", "Ethernet0")) == Endpoint("host5", "eth1")
    assert topo.peer(Endpoint("spine2", "Ethernet8")) == Endpoint("leaf3", "Ethernet12")
    assert topo.kinds["spine2"] == "switch"
    assert topo.kinds["host4"] == "host"


def test_inheritance_node_over_kind_over_defaults_and_merged_labels() -> None:
    topo = load_clab(FIXTURES / "inherit.clab.yml")
    sw1, sw2, srv1 = topo.nodes["sw1"], topo.nodes["sw2"], topo.nodes["srv1"]
    assert (sw1.kind, sw1.image) == ("sonic-vs", "docker-sonic-vs:202511")  # kind from defaults, image from kinds
    assert sw2.image == "docker-sonic-vs:custom"  # node wins
    assert srv1.image == "ghcr.io/srl-labs/network-multitool:latest"
    assert sw1.labels == {
        "nornir-group": "fabric",
        "roce-port-speed": "100G",
        "nornir-group-2": "sonic-switches",
        "roce-role": "leaf",
    }
    assert sw2.nornir_groups() == ["spines", "sonic-switches"]
    assert srv1.nornir_groups() == ["fabric"]


def test_extended_endpoints_and_host_end_second() -> None:
    topo = load_clab(FIXTURES / "inherit.clab.yml")
    first, second = topo.agent_links()
    # declared host-first; the agent's form puts the switch end first on host links
    assert (str(first.a), str(first.b), first.role) == ("sw1:Ethernet0", "srv1:eth1", "host")
    assert (str(second.a), str(second.b), second.role) == ("sw1:Ethernet124", "sw2:Ethernet4", "fabric")
    assert topo.interfaces_of("sw1") == ["eth1", "eth32"]


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(InputError) as info:
        load_clab(FIXTURES / "broken.clab.yml")
    found = {(p.line, p.field): p.message for p in info.value.problems}
    assert "required" in found[(8, "topology.nodes.nokind.kind")]
    assert "management interface" in found[(12, "topology.links[1].endpoints[0]")]
    assert "eth1, eth2" in found[(13, "topology.links[2].endpoints[0]")]
    assert "unknown node 'leaf9'" in found[(14, "topology.links[3].endpoints[0]")]
    assert "leaf1:eth1 is already cabled by links[0]" in found[(15, "topology.links[4]")]
    assert "exactly two endpoints" in found[(16, "topology.links[5].endpoints")]
    assert all(p.file == FIXTURES / "broken.clab.yml" for p in info.value.problems)
    assert len(info.value.problems) == 6


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("topology: {nodes: {a: {kind: linux}}}\n", "name"),
        ("name: x\n", "topology"),
        ("name: x\ntopology: {nodes: {}}\n", "topology.nodes"),
        ("- just a list\n", ""),
    ],
)
def test_structural_errors_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "t.clab.yml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_clab(path)
    assert next(p.field for p in info.value.problems) == field


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "t.clab.yml"
    path.write_text("name: x\ntopology:\n  nodes: [unclosed\n")
    with pytest.raises(InputError) as info:
        load_clab(path)
    assert info.value.problems[0].line is not None
    assert "not valid YAML" in info.value.problems[0].message


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file: No such file"):
        load_clab(tmp_path / "nope.clab.yml")


LINK_VARS = """\
name: pods
topology:
  nodes:
    leaf1: {kind: sonic-vs, labels: {roce-profile: inference}}
    spine1: {kind: sonic-vs}
  links:
    - endpoints: ["leaf1:eth1", "spine1:eth1"]
      vars: {roce-profile: inference}
    - endpoints: ["leaf1:eth2", "spine1:eth2"]
      vars: {roce-profile: "bad name;"}
"""


def test_a_link_var_declares_the_profile_both_its_ports_run(tmp_path: Path) -> None:
    """vars, not labels: containerlab's topology-data.json exports a link's vars only."""
    path = tmp_path / "t.clab.yml"
    path.write_text(LINK_VARS.replace('"bad name;"', "inference"))
    topo = load_clab(path)
    assert [lk.profile for lk in topo.to_topology().links] == ["inference", "inference"]
    assert topo.nodes["leaf1"].labels["roce-profile"] == "inference"


def test_a_bad_link_profile_var_is_located(tmp_path: Path) -> None:
    path = tmp_path / "t.clab.yml"
    path.write_text(LINK_VARS)
    with pytest.raises(InputError) as info:
        load_clab(path)
    [problem] = info.value.problems
    assert (problem.line, problem.field) == (9, "topology.links[1].vars")
    assert "a profile name of the policy (got 'bad name;')" in problem.message


def test_the_deployed_labs_topology_data_keeps_the_inference_pods_link_profiles() -> None:
    from agent.inventory.clab_deployed import load_topology_data

    topo, _ = load_topology_data(
        ROOT / "tests" / "fixtures" / "inventory" / "clab" / "clab-roce-fabric" / "topology-data.json"
    )
    declared = {(lk.a.device, lk.b.device): lk.profile for lk in topo.to_topology().links if lk.profile}
    assert declared == {("leaf3", "spine1"): "nvidia-roce-lossy", ("leaf3", "spine2"): "nvidia-roce-lossy"}
