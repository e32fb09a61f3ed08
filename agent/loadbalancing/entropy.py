"""Fabric entropy: how evenly the fabric's ECMP hashing spreads a collective's RoCE flows over uplinks.

A few long flows is all an all-reduce makes; whether they land on distinct uplinks decides whether the
job runs at line rate. This simulates a traffic pattern (ring all-reduce: every GPU host sends to the
next, with K queue pairs per connection and random UDP source ports) through the switches' ECMP choices
and reports the load of every fabric link, per tier. It is an estimate: the hash model stands in for the
ASIC's (see `hashing`), and routing is shortest-path ECMP over the declared links (BGP's behaviour in
a healthy Clos). Pure: topology, settings and a seed in, numbers out.
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from agent.loadbalancing.hashing import Crc32Hash, Flow, HashModel, HashSettings
from agent.topology.model import Endpoint, Link, Topology

#: RoCEv2 source ports NICs pick from (the dynamic range; mlx5 derives it from the QP number).
SPORT_RANGE = (49152, 65535)


@dataclass(frozen=True)
class TrafficPattern:
    """Ring all-reduce over `hosts` (in the given order) with `qps` queue pairs per connection."""

    hosts: tuple[str, ...]
    qps: int = 4
    seed: int = 1


@dataclass(frozen=True)
class LinkLoad:
    """Flows crossing one fabric link in one direction (`src` sends towards `dst`)."""

    src: Endpoint
    dst: Endpoint
    tier: str
    flows: int


@dataclass(frozen=True)
class TierStats:
    tier: str
    links: int
    mean: float
    max: int
    idle: int

    @property
    def max_over_mean(self) -> float:
        return self.max / self.mean if self.mean else 0.0


@dataclass
class EntropyReport:
    model: str
    flows: int
    qps: int
    loads: list[LinkLoad] = field(default_factory=list)
    tiers: list[TierStats] = field(default_factory=list)
    unrouted: int = 0  # flows between hosts with no switch path (a topology gap, not a hash problem)

    def worst(self, count: int = 5) -> list[LinkLoad]:
        return sorted(self.loads, key=lambda ld: (-ld.flows, ld.src, ld.dst))[:count]


def ring_flows(pattern: TrafficPattern, addresses: Mapping[str, str]) -> list[Flow]:
    """Host i sends to host i+1 (wrapping), `qps` flows each, source ports drawn from a seeded RNG."""
    rng = random.Random(pattern.seed)
    hosts = pattern.hosts
    flows: list[Flow] = []
    if len(hosts) < 2:
        return flows
    for i, src in enumerate(hosts):
        dst = hosts[(i + 1) % len(hosts)]
        for qp in range(pattern.qps):
            sport = rng.randint(*SPORT_RANGE)
            flows.append(Flow(src, dst, addresses[src], addresses[dst], sport, qp=qp))
    return flows


def synthetic_addresses(hosts: Sequence[str]) -> dict[str, str]:
    """10.x.y.z per host in order, for fabrics whose inventory gives no RoCE addresses."""
    return {h: f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i, h in enumerate(hosts, start=1)}


class _Fabric:
    """Switch adjacency (one member per cable, so parallel links are separate ECMP members) and each
    host's attachment points, with BFS distances to each destination switch computed once."""

    def __init__(self, topology: Topology) -> None:
        self.kinds = topology.kinds
        self.members: dict[str, list[tuple[Endpoint, Endpoint]]] = defaultdict(list)
        self.attach: dict[str, list[str]] = defaultdict(list)
        for lk in topology.links:
            self._add(lk)
        for hops in self.members.values():
            hops.sort()
        self._dist: dict[str, dict[str, int]] = {}

    def _is_switch(self, device: str) -> bool:
        return self.kinds.get(device, "switch") == "switch"

    def _add(self, lk: Link) -> None:
        a_sw, b_sw = self._is_switch(lk.a.device), self._is_switch(lk.b.device)
        if a_sw and b_sw:
            self.members[lk.a.device].append((lk.a, lk.b))
            self.members[lk.b.device].append((lk.b, lk.a))
        elif a_sw:
            self.attach[lk.b.device].append(lk.a.device)
        elif b_sw:
            self.attach[lk.a.device].append(lk.b.device)

    def distances(self, target: str) -> dict[str, int]:
        if target not in self._dist:
            dist = {target: 0}
            queue = deque([target])
            while queue:
                cur = queue.popleft()
                for _, peer in self.members.get(cur, []):
                    if peer.device not in dist:
                        dist[peer.device] = dist[cur] + 1
                        queue.append(peer.device)
            self._dist[target] = dist
        return self._dist[target]

    def next_hops(self, switch: str, target: str) -> list[tuple[Endpoint, Endpoint]]:
        dist = self.distances(target)
        here = dist.get(switch)
        if here is None or here == 0:
            return []
        return [(out, peer) for out, peer in self.members.get(switch, []) if dist.get(peer.device) == here - 1]


def simulate(
    topology: Topology,
    settings: Mapping[str, HashSettings],
    pattern: TrafficPattern,
    *,
    roles: Mapping[str, str] | None = None,
    addresses: Mapping[str, str] | None = None,
    model: HashModel | None = None,
) -> EntropyReport:
    """Route every flow of `pattern` switch by switch, each ECMP choice made by `model` with that switch's
    `settings` (a switch without settings hashes on nothing: all flows take its first member)."""
    model = model or Crc32Hash()
    roles = roles or {}
    addresses = addresses or synthetic_addresses(pattern.hosts)
    fabric = _Fabric(topology)
    counts: dict[tuple[Endpoint, Endpoint], int] = {pair: 0 for hops in fabric.members.values() for pair in hops}
    flows = ring_flows(pattern, addresses)
    unrouted = 0
    for flow in flows:
        if not _route(fabric, flow, settings, model, counts):
            unrouted += 1
    loads = [LinkLoad(a, b, _tier(roles, a.device, b.device), n) for (a, b), n in sorted(counts.items())]
    return EntropyReport(model.name, len(flows), pattern.qps, loads, _tier_stats(loads), unrouted)


def _route(
    fabric: _Fabric,
    flow: Flow,
    settings: Mapping[str, HashSettings],
    model: HashModel,
    counts: dict[tuple[Endpoint, Endpoint], int],
) -> bool:
    src_sw, dst_sw = fabric.attach.get(flow.src), fabric.attach.get(flow.dst)
    if not src_sw or not dst_sw:
        return False
    # A multi-homed host binds each QP to one of its NICs; the receiver's NIC is chosen the same way.
    cur, target = src_sw[flow.qp % len(src_sw)], dst_sw[flow.qp % len(dst_sw)]
    empty = HashSettings(fields=())
    while cur != target:
        hops = fabric.next_hops(cur, target)
        if not hops:
            return False
        choice = hops[model.bucket(flow, settings.get(cur, empty), len(hops))]
        counts[choice] += 1
        cur = choice[1].device
    return True


def _tier(roles: Mapping[str, str], a: str, b: str) -> str:
    return f"{roles.get(a, 'switch')}->{roles.get(b, 'switch')}"


def _tier_stats(loads: Sequence[LinkLoad]) -> list[TierStats]:
    by_tier: dict[str, list[int]] = defaultdict(list)
    for ld in loads:
        by_tier[ld.tier].append(ld.flows)
    return [
        TierStats(tier, len(vals), fmean(vals), max(vals), sum(1 for v in vals if v == 0))
        for tier, vals in sorted(by_tier.items())
    ]
