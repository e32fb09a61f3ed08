"""Fabric tiers from the cabling, and each switch's hash settings in the model's terms.

A switch's level is its distance in switch hops from the nearest host (leaves 0, spines 1, super-spines
2): "consecutive tiers" for polarisation and "uplinks" for an ECMP group follow from it without relying
on role names, which inventories spell differently.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from agent.loadbalancing.hashing import HashSettings
from agent.state import LoadBalancingState
from agent.topology.model import Endpoint, Topology


def levels(topology: Topology) -> dict[str, int]:
    """Switch -> hops from the nearest host-facing switch (BFS over switch-switch links)."""
    kinds = topology.kinds
    is_switch = {d: kinds.get(d, "switch") == "switch" for lk in topology.links for d in (lk.a.device, lk.b.device)}
    adj: dict[str, set[str]] = {d: set() for d, sw in is_switch.items() if sw}
    level: dict[str, int] = {}
    for lk in topology.links:
        a, b = lk.a.device, lk.b.device
        if is_switch[a] and is_switch[b]:
            adj[a].add(b)
            adj[b].add(a)
        elif is_switch[a] != is_switch[b]:
            level[a if is_switch[a] else b] = 0
    queue = deque(sorted(level))
    while queue:
        cur = queue.popleft()
        for peer in sorted(adj[cur]):
            if peer not in level:
                level[peer] = level[cur] + 1
                queue.append(peer)
    return level


def uplinks(topology: Topology, switch: str, level: Mapping[str, int]) -> list[tuple[Endpoint, Endpoint]]:
    """(local end, peer end) of the switch's links to switches one level up: its upward ECMP group."""
    here = level.get(switch)
    out: list[tuple[Endpoint, Endpoint]] = []
    if here is None:
        return out
    for port, lk in topology.ports_of(switch):
        local = Endpoint(switch, port)
        peer = lk.peer_of(local)
        if level.get(peer.device) == here + 1:
            out.append((local, peer))
    return sorted(out)


def hash_settings(lb: LoadBalancingState) -> HashSettings:
    """The model's view of one switch. The offset (SONiC sets ecmp_hash_offset 10 on leaves) is folded
    into the seed: two switches differing only in offset pick members differently too."""
    seed = (lb.ecmp_hash_seed or 0) ^ ((lb.ecmp_hash_offset or 0) << 16)
    return HashSettings(tuple(lb.ecmp_hash or ()), lb.ecmp_hash_algorithm or "CRC", seed)
