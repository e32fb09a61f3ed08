"""Lab layout from a topology: deterministic ports, twin seeds (switch ports, host NICs), rejected kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.inventory.clab import load_clab
from rocelab.spec import build_spec
from rocelab.twin import TwinNic, TwinPort

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
FIXTURES = ROOT / "tests" / "fixtures" / "lab"


def test_ports_are_base_plus_index_in_sorted_name_order() -> None:
    spec = build_spec(load_clab(DEFAULT_TOPOLOGY), base_port=30000)
    assert [(n.name, n.port) for n in spec.nodes] == [
        ("host1", 30000), ("host2", 30001), ("host3", 30002), ("host4", 30003), ("host5", 30004),
        ("host6", 30005), ("leaf1", 30006), ("leaf2", 30007), ("leaf3", 30008), ("spine1", 30009),
        ("spine2", 30010),
    ]  # fmt: skip
    assert [n.index for n in spec.nodes] == list(range(11))


def test_switch_twin_gets_all_front_panel_ports_with_neighbors() -> None:
    leaf1 = build_spec(load_clab(DEFAULT_TOPOLOGY)).node("leaf1")
    assert len(leaf1.switch_ports) == 32
    assert leaf1.switch_ports[0] == TwinPort("Ethernet0", 400_000, "host1:eth1", "host")
    assert leaf1.switch_ports[2] == TwinPort("Ethernet8", 400_000, "spine1:Ethernet0", "fabric")
    assert leaf1.switch_ports[4] == TwinPort("Ethernet16", 400_000, None, None)  # uncabled
    assert leaf1.switch_ports[-1].name == "Ethernet124"


def test_host_twin_gets_one_nic_per_cabled_interface() -> None:
    host2 = build_spec(load_clab(DEFAULT_TOPOLOGY)).node("host2")
    assert host2.nics == (TwinNic("eth1", "mlx5_0", 400_000, "mlx5_core"),)
    assert host2.switch_ports == ()
    assert (host2.role, host2.groups, host2.mgmt_ipv4) == ("rdma-host", ("rdma-hosts",), "172.20.30.32")


def test_labels_set_speed_and_port_count_grows_to_cover_links() -> None:
    spec = build_spec(load_clab(FIXTURES / "inherit.clab.yml"))
    sw1 = spec.node("sw1")
    assert sw1.port_speed == "100G"
    assert len(sw1.switch_ports) == 32
    assert sw1.switch_ports[31].neighbor == "sw2:Ethernet4"
    assert spec.node("srv1").nics[0].speed_mbps == 100_000


def test_kinds_without_a_twin_are_rejected_with_location() -> None:
    with pytest.raises(InputError) as info:
        build_spec(load_clab(FIXTURES / "unsupported.clab.yml"))
    (problem,) = info.value.problems
    assert problem.field == "topology.nodes.srl1.kind"
    assert problem.line == 5
    assert "nokia_srlinux" in problem.message


@pytest.mark.parametrize("base", [80, 65530])
def test_base_port_must_leave_room_for_every_node(base: int) -> None:
    with pytest.raises(InputError, match="must lie within"):
        build_spec(load_clab(DEFAULT_TOPOLOGY), base_port=base)


def test_bad_labels_are_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.clab.yml"
    path.write_text(
        "name: t\ntopology:\n  nodes:\n"
        "    s1: {kind: sonic-vs, labels: {roce-port-speed: fast, roce-port-count: lots, roce-buffer-model: x}}\n"
    )
    with pytest.raises(InputError) as info:
        build_spec(load_clab(path))
    fields = sorted(p.field for p in info.value.problems)
    assert fields == [
        "topology.nodes.s1.labels.roce-buffer-model",
        "topology.nodes.s1.labels.roce-port-count",
        "topology.nodes.s1.labels.roce-port-speed",
    ]


def test_sku_and_release_labels_pick_the_twin_and_bad_ones_are_input_errors(tmp_path: Path) -> None:
    from rocelab.spec import build_real_twin

    path = tmp_path / "t.clab.yml"
    path.write_text(
        "name: t\ntopology:\n  nodes:\n"
        "    s1: {kind: sonic-vs, labels: {roce-sku: td2, roce-sonic-release: '202405', roce-port-speed: 40G}}\n"
        "    s2: {kind: sonic-vs, labels: {roce-sku: sn5600, roce-buffer-model: dynamic}}\n"
        "    s3: {kind: sonic-vs}\n"
    )
    spec = build_spec(load_clab(path))
    s1 = build_real_twin(spec.node("s1"), None)
    assert "HwSKU: Force10-S6000\n" in s1.run("show version", sudo=False).stdout
    assert "SONiC Software Version: SONiC.202405." in s1.run("show version", sudo=False).stdout
    s2 = build_real_twin(spec.node("s2"), None)
    assert "Platform: x86_64-nvidia_sn5600-r0\n" in s2.run("show version --brief", sudo=False).stdout
    s3 = build_real_twin(spec.node("s3"), None)
    assert "HwSKU: ACS-SN5600\n" in s3.run("show version", sudo=False).stdout  # the default lab SKU
    path.write_text(
        "name: t\ntopology:\n  nodes:\n"
        "    s1: {kind: sonic-vs, labels: {roce-sku: nope}}\n"
        "    s2: {kind: sonic-vs, labels: {roce-sku: th5, roce-buffer-model: dynamic}}\n"
        "    s3: {kind: sonic-vs, labels: {roce-sonic-release: '2019'}}\n"
    )
    with pytest.raises(InputError) as info:
        build_spec(load_clab(path))
    found = {p.field: p.message for p in info.value.problems}
    assert set(found) == {
        "topology.nodes.s1.labels.roce-sku",
        "topology.nodes.s2.labels.roce-buffer-model",
        "topology.nodes.s3.labels.roce-sonic-release",
    }
    assert "ACS-SN5600" in found["topology.nodes.s1.labels.roce-sku"]
    assert "runs traditional" in found["topology.nodes.s2.labels.roce-buffer-model"]
