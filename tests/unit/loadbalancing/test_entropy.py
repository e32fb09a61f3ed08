"""The fabric entropy model against fabrics small enough to work out by hand."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
import yaml

from agent.loadbalancing.entropy import TrafficPattern, ring_flows, simulate, synthetic_addresses
from agent.loadbalancing.hashing import Crc32Hash, Flow, HashSettings, fmix32, hash_key
from agent.topology.model import Endpoint, Link, Topology

ROCE_FIELDS = ("SRC_IP", "DST_IP", "L4_SRC_PORT", "L4_DST_PORT", "IP_PROTOCOL")
NO_SPORT = ("SRC_IP", "DST_IP", "L4_DST_PORT", "IP_PROTOCOL")
THREE_TIER = Path(__file__).parents[2] / "fixtures" / "checks" / "links_3tier.yaml"


class QpModel:
    """A hash whose choices are obvious: member = QP index when the source port is hashed, else 0."""

    name = "qp-index"

    def bucket(self, flow: Flow, settings: HashSettings, members: int) -> int:
        return flow.qp % members if "L4_SRC_PORT" in settings.fields else 0


def _topology(pairs: list[tuple[str, str, str]], hosts: set[str]) -> Topology:
    links = [Link(Endpoint.parse(a), Endpoint.parse(b), role=role) for a, b, role in pairs]  # type: ignore[arg-type]
    devices = {e.device for lk in links for e in lk.ends()}
    return Topology.from_links(links, {d: "host" if d in hosts else "switch" for d in devices})


LEAF_SPINE = _topology(
    [
        ("leaf1:Ethernet0", "h1:eth1", "host"),
        ("leaf1:Ethernet1", "h2:eth1", "host"),
        ("leaf2:Ethernet0", "h3:eth1", "host"),
        ("leaf2:Ethernet1", "h4:eth1", "host"),
        ("leaf1:Ethernet8", "spine1:Ethernet0", "fabric"),
        ("leaf1:Ethernet9", "spine2:Ethernet0", "fabric"),
        ("leaf2:Ethernet8", "spine1:Ethernet1", "fabric"),
        ("leaf2:Ethernet9", "spine2:Ethernet1", "fabric"),
    ],
    {"h1", "h2", "h3", "h4"},
)
ROLES = {"leaf1": "leaf", "leaf2": "leaf", "spine1": "spine", "spine2": "spine"}
HOSTS = ("h1", "h2", "h3", "h4")


def _loads(fields: tuple[str, ...]) -> dict[str, int]:
    settings = {sw: HashSettings(fields) for sw in ROLES}
    report = simulate(LEAF_SPINE, settings, TrafficPattern(HOSTS, qps=2), roles=ROLES, model=QpModel())
    return {f"{ld.src}>{ld.dst}": ld.flows for ld in report.loads}


def test_two_qps_with_the_source_port_hashed_use_every_uplink_once() -> None:
    # Ring h1>h2>h3>h4>h1: h1>h2 and h3>h4 stay on their leaf; h2>h3 and h4>h1 cross with QP0 on the
    # first uplink (Ethernet8 -> spine1) and QP1 on the second (Ethernet9 -> spine2).
    assert _loads(ROCE_FIELDS) == {
        "leaf1:Ethernet8>spine1:Ethernet0": 1,
        "leaf1:Ethernet9>spine2:Ethernet0": 1,
        "leaf2:Ethernet8>spine1:Ethernet1": 1,
        "leaf2:Ethernet9>spine2:Ethernet1": 1,
        "spine1:Ethernet0>leaf1:Ethernet8": 1,
        "spine1:Ethernet1>leaf2:Ethernet8": 1,
        "spine2:Ethernet0>leaf1:Ethernet9": 1,
        "spine2:Ethernet1>leaf2:Ethernet9": 1,
    }


def test_without_the_source_port_every_qp_of_a_connection_takes_one_uplink() -> None:
    loads = _loads(NO_SPORT)
    assert loads["leaf1:Ethernet8>spine1:Ethernet0"] == 2
    assert loads["leaf1:Ethernet9>spine2:Ethernet0"] == 0
    assert loads["spine1:Ethernet1>leaf2:Ethernet8"] == 2
    assert sum(loads.values()) == 8  # 4 crossing flows x 2 hops


def test_tier_statistics_show_the_idle_uplinks_and_the_imbalance() -> None:
    settings = {sw: HashSettings(NO_SPORT) for sw in ROLES}
    report = simulate(LEAF_SPINE, settings, TrafficPattern(HOSTS, qps=2), roles=ROLES, model=QpModel())
    up = next(t for t in report.tiers if t.tier == "leaf->spine")
    assert (up.links, up.max, up.idle, up.mean, up.max_over_mean) == (4, 2, 2, 1.0, 2.0)
    assert report.flows == 8
    assert report.unrouted == 0
    assert report.worst(1)[0].flows == 2


def test_crc32_model_hashes_the_fields_in_order_then_mixes_seed_and_algorithm() -> None:
    flow = Flow("h1", "h2", "10.0.0.1", "10.0.0.2", sport=50000)
    settings = HashSettings(("SRC_IP", "L4_SRC_PORT", "L4_DST_PORT"), algorithm="CRC", seed=10)
    key = bytes([10, 0, 0, 1]) + (50000).to_bytes(2, "big") + (4791).to_bytes(2, "big")
    assert hash_key(flow, settings) == key
    salt = fmix32(10 ^ zlib.crc32(b"CRC"))
    assert Crc32Hash().bucket(flow, settings, 3) == fmix32(zlib.crc32(key) ^ salt) % 3


def test_fmix32_is_murmur3s_finaliser() -> None:
    assert fmix32(0) == 0  # its fixed point
    assert fmix32(1) == 0x514E28B7  # MurmurHash3 reference value


def test_crc32_without_source_port_keeps_all_qps_of_a_pair_together() -> None:
    addresses = synthetic_addresses(HOSTS)
    flows = ring_flows(TrafficPattern(HOSTS, qps=16, seed=7), addresses)
    pair = [f for f in flows if (f.src, f.dst) == ("h2", "h3")]
    assert len({f.sport for f in pair}) > 1
    model = Crc32Hash()
    assert len({model.bucket(f, HashSettings(NO_SPORT), 4) for f in pair}) == 1
    assert len({model.bucket(f, HashSettings(ROCE_FIELDS), 4) for f in pair}) > 1


def _three_tier() -> tuple[Topology, dict[str, str]]:
    doc = yaml.safe_load(THREE_TIER.read_text())
    pairs = [(d["a"], d["b"], d.get("role", "fabric")) for d in doc["links"]]
    topo = _topology(pairs, {f"host{i}" for i in range(1, 5)})
    roles = {d: "leaf" if d.startswith("leaf") else "spine" if d.startswith("spine") else "super" for d in topo.kinds}
    return topo, roles


@pytest.mark.parametrize(("spine_seed", "idle"), [(10, 4), (25, 0)])
def test_same_hash_and_seed_on_two_tiers_polarises_the_upper_tier(spine_seed: int, idle: int) -> None:
    # Cross-pod flows choose a spine at the leaf and a super-spine at the spine. With identical settings
    # (and two members at both) the second choice repeats the first, so half the spine->super links
    # never carry a flow: 2 idle per pod. A different seed on the spines decorrelates the choices.
    topo, roles = _three_tier()
    settings = {d: HashSettings(ROCE_FIELDS, seed=spine_seed if r == "spine" else 10) for d, r in roles.items()}
    hosts = tuple(f"host{i}" for i in range(1, 5))
    report = simulate(topo, settings, TrafficPattern(hosts, qps=32, seed=3), roles=roles)
    up = next(t for t in report.tiers if t.tier == "spine->super")
    assert up.links == 8
    assert up.idle == idle


def test_hosts_without_a_switch_path_are_counted_not_routed() -> None:
    topo = _topology([("leaf1:Ethernet0", "h1:eth1", "host"), ("leaf9:Ethernet0", "h2:eth1", "host")], {"h1", "h2"})
    report = simulate(topo, {}, TrafficPattern(("h1", "h2"), qps=1))
    assert report.unrouted == 2
