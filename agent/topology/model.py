"""Links as declared by the inventory (or a containerlab topology) and the fabric graph over them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # imported where a graph is built: ~60-90 ms of every command's start-up otherwise
    import networkx as nx

LinkRole = Literal["host", "fabric"]


@dataclass(frozen=True, order=True)
class Endpoint:
    device: str
    port: str

    def __str__(self) -> str:
        return f"{self.device}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        device, sep, port = text.partition(":")
        if not sep or not device or not port:
            raise ValueError(f"{text!r} is not an endpoint; use DEVICE:PORT, e.g. leaf1:Ethernet0")
        return cls(device, port)


@dataclass(frozen=True)
class Link:
    """A cable. `role` is "host" for switch-host links and "fabric" for switch-switch links."""

    a: Endpoint
    b: Endpoint
    role: LinkRole = "fabric"
    speed_mbps: int | None = None  # when the inventory declares it; else the device's port speed
    network: str = "backend"  # backend | frontend | storage | oob (agent.policy.networks)
    profile: str | None = None  # links.yaml `roce_profile`: both ports run it; None = each device's own

    def peer_of(self, end: Endpoint) -> Endpoint:
        return self.b if end == self.a else self.a

    def ends(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)


@dataclass
class Topology:
    links: list[Link] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # device -> "switch" | "host"
    # Per-device index of (port, link), built on first use: fabrics have tens of thousands of links and
    # intents/checks ask per device, so a scan per question would be quadratic.
    _index: dict[str, list[tuple[str, Link]]] | None = field(default=None, init=False, repr=False, compare=False)
    _indexed_count: int = field(default=-1, init=False, repr=False, compare=False)

    def _by_device(self) -> dict[str, list[tuple[str, Link]]]:
        if self._index is None or self._indexed_count != len(self.links):
            index: dict[str, list[tuple[str, Link]]] = {}
            for lk in self.links:
                for end in lk.ends():
                    index.setdefault(end.device, []).append((end.port, lk))
            self._index, self._indexed_count = index, len(self.links)
        return self._index

    def links_of(self, device: str) -> Iterator[Link]:
        seen: set[int] = set()
        for _, lk in self._by_device().get(device, []):
            if id(lk) not in seen:  # a link looped back to the same device is listed once
                seen.add(id(lk))
                yield lk

    def peer(self, end: Endpoint) -> Endpoint | None:
        for port, lk in self._by_device().get(end.device, []):
            if port == end.port:
                return lk.peer_of(end)
        return None

    def ports_of(self, device: str) -> list[tuple[str, Link]]:
        return list(self._by_device().get(device, []))

    def graph(self) -> nx.MultiGraph:
        """Device-level multigraph; each edge carries its Link."""
        import networkx as nx

        g: nx.MultiGraph = nx.MultiGraph()
        for dev, kind in self.kinds.items():
            g.add_node(dev, kind=kind)
        for lk in self.links:
            g.add_edge(lk.a.device, lk.b.device, link=lk)
        return g

    @classmethod
    def from_links(cls, links: Iterable[Link], kinds: dict[str, str] | None = None) -> Topology:
        return cls(links=list(links), kinds=dict(kinds or {}))
