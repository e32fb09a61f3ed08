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
from typing import TYPE_CHECKING

from agent.topology.model import Endpoint

if TYPE_CHECKING:  # imported only for a fabric with lateral links (base_cycle): not on every audit
    import networkx as nx

Hop = tuple[Endpoint, Endpoint]  # directed switch-switch link: (sender end, receiver end)


class _Link:
    """One directed link with its classification precomputed; identity-hashed so sets and graphs of
    them stay cheap on fabrics with tens of thousands of cables."""

    __slots__ = ("dst", "hop", "kind", "lossless", "src")

    def __init__(self, src: Endpoint, dst: Endpoint, kind: str, lossless: bool) -> None:
        self.src, self.dst, self.kind, self.lossless = src, dst, kind, lossless
        self.hop: Hop = (src, dst)


@dataclass
class Fabric:
    """Switch-level view for one lossless priority: which directed links are lossless nodes."""

    tier: dict[str, int]
    links: list[_Link] = field(default_factory=list)  # every directed switch-switch link
    out: dict[str, list[_Link]] = field(default_factory=lambda: defaultdict(list))

    @property
    def hops(self) -> list[Hop]:
        return [lk.hop for lk in self.links]

    @property
    def lossless(self) -> set[Hop]:
        """The dependency-graph nodes (for callers and tests; the analysis itself uses `links`)."""
        return {lk.hop for lk in self.links if lk.lossless}


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
        both = is_lossless(a) and is_lossless(b)
        ta, tb = tier[a.device], tier[b.device]
        for src, dst, t_src, t_dst in ((a, b, ta, tb), (b, a, tb, ta)):
            kind = "up" if t_dst > t_src else "down" if t_dst < t_src else "lateral"
            link = _Link(src, dst, kind, both)
            fab.links.append(link)
            fab.out[src.device].append(link)
    return fab


def base_cycle(fab: Fabric) -> Cycle | None:
    """A cycle under normal up-down routing (only possible with lateral links)."""
    if not any(lk.kind == "lateral" and lk.lossless for lk in fab.links):
        return None  # up*down* walks cannot close: acyclic by construction
    import networkx as nx

    g: nx.DiGraph = nx.DiGraph()
    for lk in fab.links:
        if not lk.lossless:
            continue
        for nxt in fab.out[lk.dst.device]:
            if not nxt.lossless or nxt.dst == lk.src:
                continue
            if lk.kind == "up" or nxt.kind == "down" or (lk.kind == "lateral" and nxt.kind == "lateral"):
                g.add_edge(lk, nxt)
    try:
        edges = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return None
    return Cycle(tuple(e[0].hop for e in edges), None)


def _closure(fab: Fabric, direction: str) -> dict[str, dict[str, _Link]]:
    """node -> {reachable switch: first link towards it} walking lossless links of one direction.

    "up": switches reachable upward from node. "down-anc": switches that reach node downward, with the
    link that leaves that switch (used to rebuild the path).
    """
    order = sorted(fab.tier, key=lambda n: fab.tier[n], reverse=True)  # top tier first
    result: dict[str, dict[str, _Link]] = {n: {} for n in fab.tier}
    if direction == "up":
        for node in order:
            mine = result[node]
            for lk in fab.out[node]:
                if lk.lossless and lk.kind == "up":
                    above = lk.dst.device
                    mine.setdefault(above, lk)
                    for far in result[above]:
                        mine.setdefault(far, lk)
        return result
    # down-ancestors: T reaches node downward. Process top first so parents are complete.
    for node in order:
        for lk in fab.out[node]:
            if lk.lossless and lk.kind == "down":
                below = result[lk.dst.device]
                below.setdefault(node, lk)
                for far, first in result[node].items():
                    below.setdefault(far, first)
    return result


def failure_cycles(fab: Fabric) -> list[Cycle]:
    """One cycle per failed link whose reroute creates a cyclic buffer dependency."""
    up = _closure(fab, "up")
    anc = _closure(fab, "down-anc")
    parents: dict[str, set[str]] = defaultdict(set)
    for lk in fab.links:
        if lk.kind == "up":
            parents[lk.src.device].add(lk.dst.device)
    found: list[Cycle] = []
    for lk in fab.links:
        if lk.kind != "up" or not anc[lk.dst.device]:
            continue  # each cable once (its upward direction); no ancestors above B means no way back
        cycle = _scenario(fab, up, anc, parents[lk.src.device] - {lk.dst.device}, lk)
        if cycle is not None:
            found.append(cycle)
    return found


def _scenario(
    fab: Fabric,
    up: dict[str, dict[str, _Link]],
    anc: dict[str, dict[str, _Link]],
    other_parents: set[str],
    failed: _Link,
) -> Cycle | None:
    low, high = failed.src.device, failed.dst.device
    for down in fab.out[high]:
        child = down.dst.device
        if not down.lossless or down.kind != "down" or child == low:
            continue
        for rise in fab.out[child]:
            d = rise.dst.device
            if not rise.lossless or d not in other_parents:
                continue
            meet = next((t for t in up[d] if t in anc[high]), None)
            if meet is not None:
                path = [down, rise, *_walk(up, d, meet), *_walk_down(anc, high, meet)]
                return Cycle(tuple(lk.hop for lk in path), failed.hop)
    return None


def _walk(up: dict[str, dict[str, _Link]], start: str, goal: str) -> list[_Link]:
    links: list[_Link] = []
    node = start
    while node != goal:
        lk = up[node][goal]
        links.append(lk)
        node = lk.dst.device
    return links


def _walk_down(anc: dict[str, dict[str, _Link]], target: str, top: str) -> list[_Link]:
    links: list[_Link] = []
    node = top
    while node != target:
        lk = anc[target].get(node)
        if lk is None:
            break
        links.append(lk)
        node = lk.dst.device
    return links
