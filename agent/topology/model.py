"""Links as declared by the inventory (or a containerlab topology) and the fabric graph over them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

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

    def peer_of(self, end: Endpoint) -> Endpoint:
        return self.b if end == self.a else self.a

    def ends(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)


@dataclass
class Topology:
    links: list[Link] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # device -> "switch" | "host"

    def links_of(self, device: str) -> Iterator[Link]:
        return (lk for lk in self.links if device in (lk.a.device, lk.b.device))

    def peer(self, end: Endpoint) -> Endpoint | None:
        for lk in self.links:
            if end in lk.ends():
                return lk.peer_of(end)
        return None

    def ports_of(self, device: str) -> list[tuple[str, Link]]:
        out: list[tuple[str, Link]] = []
        for lk in self.links:
            for end in lk.ends():
                if end.device == device:
                    out.append((end.port, lk))
        return out

    def graph(self) -> nx.MultiGraph:
        """Device-level multigraph; each edge carries its Link."""
        g: nx.MultiGraph = nx.MultiGraph()
        for dev, kind in self.kinds.items():
            g.add_node(dev, kind=kind)
        for lk in self.links:
            g.add_edge(lk.a.device, lk.b.device, link=lk)
        return g

    @classmethod
    def from_links(cls, links: Iterable[Link], kinds: dict[str, str] | None = None) -> Topology:
        return cls(links=list(links), kinds=dict(kinds or {}))
