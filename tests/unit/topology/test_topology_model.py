import pytest

from agent.topology.model import Endpoint, Link, Topology


def _link(a: str, b: str, role: str = "fabric") -> Link:
    return Link(Endpoint.parse(a), Endpoint.parse(b), role=role)  # type: ignore[arg-type]


def test_ports_peers_and_links_per_device() -> None:
    topo = Topology(
        links=[_link("leaf1:Ethernet0", "host1:eth1", "host"), _link("leaf1:Ethernet8", "spine1:Ethernet0")]
    )
    assert [p for p, _ in topo.ports_of("leaf1")] == ["Ethernet0", "Ethernet8"]
    assert topo.peer(Endpoint("spine1", "Ethernet0")) == Endpoint("leaf1", "Ethernet8")
    assert topo.peer(Endpoint("spine1", "Ethernet4")) is None
    assert len(list(topo.links_of("leaf1"))) == 2
    assert topo.ports_of("nobody") == []


def test_index_follows_links_added_later() -> None:
    topo = Topology(links=[_link("leaf1:Ethernet0", "host1:eth1", "host")])
    assert topo.peer(Endpoint("host2", "eth1")) is None
    topo.links.append(_link("leaf1:Ethernet4", "host2:eth1", "host"))
    assert topo.peer(Endpoint("host2", "eth1")) == Endpoint("leaf1", "Ethernet4")


def test_graph_has_one_edge_per_link() -> None:
    topo = Topology(
        links=[_link("leaf1:Ethernet8", "spine1:Ethernet0"), _link("leaf1:Ethernet12", "spine1:Ethernet4")],
        kinds={"leaf1": "switch", "spine1": "switch", "idle": "switch"},
    )
    g = topo.graph()
    assert g.number_of_edges("leaf1", "spine1") == 2
    assert "idle" in g.nodes


@pytest.mark.parametrize("text", ["leaf1", "leaf1:", ":eth1"])
def test_endpoint_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="DEVICE:PORT"):
        Endpoint.parse(text)
