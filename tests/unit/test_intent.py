from agent.intent import InventoryDevice, build_intents
from agent.policy.model import Override, Policy, TrafficClass
from agent.state import DeviceKind
from agent.topology.model import Endpoint, Link, Topology


def _policy(**kw: object) -> Policy:
    classes = [
        TrafficClass(name="roce", dscp=[26], priority=3, lossless=True),
        TrafficClass(name="cnp", dscp=[48], priority=6, cnp=True, scheduling={"type": "strict"}),
        TrafficClass(name="bulk", priority=0, default=True),
    ]
    return Policy(classes=classes, **kw)  # type: ignore[arg-type]


TOPO = Topology(
    links=[
        Link(Endpoint("leaf1", "Ethernet4"), Endpoint("spine1", "Ethernet0"), role="fabric"),
        Link(Endpoint("leaf1", "Ethernet0"), Endpoint("host1", "eth1"), role="host", speed_mbps=100_000),
    ]
)
DEVICES = [
    InventoryDevice("leaf1", DeviceKind.switch, "sonic", role="leaf", groups=("leaves",), default_speed_mbps=400_000),
    InventoryDevice("spine1", DeviceKind.switch, "sonic", role="spine", groups=("spines",)),
    InventoryDevice("host1", DeviceKind.host, "linux-rdma", role="rdma-host"),
]


def test_ports_get_role_cable_mtu_speed_and_peer() -> None:
    intents = build_intents(DEVICES, _policy(), TOPO)
    leaf = intents["leaf1"]
    assert list(leaf.ports) == ["Ethernet0", "Ethernet4"]  # numeric order, not insertion order
    host_port, fabric_port = leaf.ports["Ethernet0"], leaf.ports["Ethernet4"]
    assert (host_port.link_role, host_port.cable_m, host_port.speed_mbps) == ("host", 5, 100_000)
    assert (fabric_port.link_role, fabric_port.cable_m, fabric_port.speed_mbps) == ("fabric", 40, 400_000)
    assert fabric_port.peer == "spine1:Ethernet0"
    assert host_port.mtu == 9100
    assert intents["host1"].ports["eth1"].mtu == 9000
    assert host_port.lossless_priorities == (3,)


def test_group_override_changes_only_matching_devices() -> None:
    policy = _policy(overrides=[Override(match={"group": "spines"}, cable_length={"fabric": 300})])
    intents = build_intents(DEVICES, policy, TOPO)
    assert intents["spine1"].ports["Ethernet0"].cable_m == 300
    assert intents["leaf1"].ports["Ethernet4"].cable_m == 40


def test_policy_views_dscp_map_and_tos() -> None:
    p = _policy()
    table = p.dscp_to_priority()
    assert len(table) == 64
    assert (table[26], table[48], table[0], table[46]) == (3, 6, 0, 0)
    assert p.roce_tos() == 106
    assert p.lossless_priorities == (3,)
