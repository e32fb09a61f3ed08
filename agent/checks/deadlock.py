"""Cyclic buffer dependency (PFC deadlock) analysis over up-down routes and single-link-failure reroutes.

Model (lossless-engineering.md §2.2). A node of the dependency graph is a directed switch-switch link
(u:pu -> v:pv) on one lossless priority p; it exists when both ends have PFC on p (the receiver pauses,
the sender obeys). Edge (y->x) -> (x->z): the queue y->x waits on x's ingress buffer, which drains into
x->z — present whenever some route turns y->x->z.

Routes. Switches get tiers by BFS from the host-facing switches (tier 1). Up-down routing allows, at x,
any turn after arriving from below (up or down, never back on the same cable) and only down-turns after
arriving from above; links between switches of one tier ("lateral") may continue laterally or down.
Walks without lateral links are up*down*, so the base graph of a tiered fabric is acyclic by
construction; with lateral links the graph is built explicitly and searched (networkx).

Single link failure of A-B (B one tier above A): traffic that reached B for A's subtree bounces
B -> C -> D -> A through a common child C of B and another parent D of A — a valley turn (B->C)->(C->D).
A cycle through it needs a way back to (B->C): from D up to some T and down to B. So the failure
creates a deadlock-prone cycle iff for some valid (C, D) the set of switches reachable upward from D
meets the set of switches that reach B downward. Both sets are computed once per priority by dynamic
programming over tiers, which keeps this linear-ish in the fabric size instead of one graph search per
failure scenario. In a two-tier Clos the answer is always "no cycle"; in three tiers a leaf-spine failure
inside a pod closes a cycle over the super-spines (Hu et al., HotNets'16: bounced up-down-up paths).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx

from agent.topology.model import Endpoint

Hop = tuple[Endpoint, Endpoint]  # directed switch-switch link: (sender end, receiver end)


@dataclass
class Fabric:
    """Switch-level view for one lossless priority: which directed links are lossless nodes."""

    tier: dict[str, int]
    hops: list[Hop] = field(default_factory=list)  # every directed switch-switch link
    lossless: set[Hop] = field(default_factory=set)  # the dependency-graph nodes
    out: dict[str, list[Hop]] = field(default_factory=lambda: defaultdict(list))

    def kind(self, hop: Hop) -> str:
        a, b = self.tier[hop[0].device], self.tier[hop[1].device]
        return "up" if b > a else "down" if b < a else "lateral"


@dataclass(frozen=True)
class Cycle:
    hops: tuple[Hop, ...]
    failed: tuple[Endpoint, Endpoint] | None  # the failed link that creates it; None = normal routing

    def describe(self) -> str:
        path = " -> ".join(f"{a}>{b}" for a, b in self.hops)
        return path + (f" (after {self.failed[0]}-{self.failed[1]} fails)" if self.failed else "")


def tiers(switch_links: list[tuple[Endpoint, Endpoint]], host_facing: set[str]) -> dict[str, int]:
    """BFS distance (+1) from the host-facing switches; unreachable switches get the deepest tier + 1."""
    adj: dict[str, set[str]] = defaultdict(set)
    for a, b in switch_links:
        adj[a.device].add(b.device)
        adj[b.device].add(a.device)
    tier = dict.fromkeys(host_facing, 1)
    queue = deque(host_facing)
    while queue:
        node = queue.popleft()
        for nxt in adj[node]:
            if nxt not in tier:
                tier[nxt] = tier[node] + 1
                queue.append(nxt)
    deepest = max(tier.values(), default=1)
    for node in adj:
        tier.setdefault(node, deepest + 1)
    return tier


def build_fabric(
    switch_links: list[tuple[Endpoint, Endpoint]],
    tier: dict[str, int],
    is_lossless: Callable[[Endpoint], bool],
) -> Fabric:
    fab = Fabric(tier=tier)
    for a, b in switch_links:
        for hop in ((a, b), (b, a)):
            fab.hops.append(hop)
            fab.out[hop[0].device].append(hop)
            if is_lossless(hop[0]) and is_lossless(hop[1]):
                fab.lossless.add(hop)
    return fab


def base_cycle(fab: Fabric) -> Cycle | None:
    """A cycle under normal up-down routing (only possible with lateral links)."""
    if not any(fab.kind(h) == "lateral" for h in fab.lossless):
        return None  # up*down* walks cannot close: acyclic by construction
    g: nx.DiGraph = nx.DiGraph()
    for hop in fab.lossless:
        arrived = fab.kind(hop)
        for nxt in fab.out[hop[1].device]:
            if nxt not in fab.lossless or nxt[1] == hop[0]:
                continue
            if arrived == "up" or fab.kind(nxt) == "down" or (arrived == "lateral" and fab.kind(nxt) == "lateral"):
                g.add_edge(hop, nxt)
    try:
        edges = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return None
    return Cycle(tuple(e[0] for e in edges), None)


def _closure(fab: Fabric, direction: str) -> dict[str, dict[str, Hop]]:
    """node -> {reachable switch: first hop towards it} walking lossless hops of `direction` only.

    "up": switches reachable upward from node. "down-anc": switches that reach node downward, with the
    hop that leaves that switch (used to rebuild the path).
    """
    order = sorted(fab.tier, key=lambda n: fab.tier[n], reverse=True)  # top tier first
    result: dict[str, dict[str, Hop]] = {n: {} for n in fab.tier}
    if direction == "up":
        for node in order:
            for hop in fab.out[node]:
                if hop in fab.lossless and fab.kind(hop) == "up":
                    above = hop[1].device
                    result[node].setdefault(above, hop)
                    for far in result[above]:
                        result[node].setdefault(far, hop)
        return result
    # down-ancestors: T reaches node downward. Process top first so parents are complete.
    for node in order:
        for hop in fab.out[node]:
            if hop in fab.lossless and fab.kind(hop) == "down":
                below = hop[1].device
                result[below].setdefault(node, hop)
                for far, first in result[node].items():
                    result[below].setdefault(far, first)
    return result


def failure_cycles(fab: Fabric) -> list[Cycle]:
    """One cycle per failed link whose reroute creates a cyclic buffer dependency."""
    up = _closure(fab, "up")
    anc = _closure(fab, "down-anc")
    parents: dict[str, set[str]] = defaultdict(set)
    for a, b in fab.hops:
        if fab.tier[b.device] > fab.tier[a.device]:
            parents[a.device].add(b.device)
    found: list[Cycle] = []
    seen: set[tuple[Endpoint, Endpoint]] = set()
    for a_end, b_end in fab.hops:
        low, high = a_end.device, b_end.device
        if fab.tier[high] <= fab.tier[low] or not anc[high] or (a_end, b_end) in seen:
            continue
        seen.add((a_end, b_end))
        cycle = _scenario(fab, up, anc, parents, low, high, (a_end, b_end))
        if cycle is not None:
            found.append(cycle)
    return found


def _scenario(
    fab: Fabric,
    up: dict[str, dict[str, Hop]],
    anc: dict[str, dict[str, Hop]],
    parents: dict[str, set[str]],
    low: str,
    high: str,
    failed: tuple[Endpoint, Endpoint],
) -> Cycle | None:
    other_parents = parents[low] - {high}
    for down in fab.out[high]:
        child = down[1].device
        if down not in fab.lossless or fab.kind(down) != "down" or child == low:
            continue
        for rise in fab.out[child]:
            d = rise[1].device
            if rise not in fab.lossless or d not in other_parents:
                continue
            meet = next((t for t in up[d] if t in anc[high]), None)
            if meet is not None:
                return Cycle((down, rise, *_walk(up, d, meet), *_walk_down(anc, high, meet)), failed)
    return None


def _walk(up: dict[str, dict[str, Hop]], start: str, goal: str) -> list[Hop]:
    hops: list[Hop] = []
    node = start
    while node != goal:
        hop = up[node][goal]
        hops.append(hop)
        node = hop[1].device
    return hops


def _walk_down(anc: dict[str, dict[str, Hop]], target: str, top: str) -> list[Hop]:
    hops: list[Hop] = []
    node = top
    while node != target:
        hop = anc[target].get(node)
        if hop is None:
            break
        hops.append(hop)
        node = hop[1].device
    return hops
