"""A large synthetic fabric for the check engine alone: intents, observed states and topology.

Shape (defaults): 1,024 SONiC switches with 64 front-panel ports each (64 spines, 960 leaves, every leaf
uplinked to 4 spines) and 8,192 RDMA hosts dealt round-robin over the leaves. The observed states are the
"golden" states the check tests use (`tests/unit/checks/checks_builders.py`: what a correctly
configured SONiC switch and mlx5 host report), plus uncabled, admin-down switch ports, and a small
seeded fraction of devices with one real misconfiguration each, so the checks have findings to build.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from agent.intent import DeviceIntent, InventoryDevice, build_device_intent
from agent.policy.model import Policy
from agent.state import DeviceKind, DeviceState, PortState, TrustMode
from agent.topology.model import Endpoint, Link, Topology
from tests.unit.checks import checks_builders as golden

DEFAULT_SEED = 20_261_121
SPEED = 400_000


@dataclass(frozen=True)
class FabricShape:
    switches: int = 1024
    ports_per_switch: int = 64
    hosts: int = 8192
    spines: int = 64
    uplinks_per_leaf: int = 4

    @property
    def leaves(self) -> int:
        return self.switches - self.spines

    @property
    def hosts_per_leaf(self) -> int:
        return -(-self.hosts // self.leaves)

    def validate(self) -> None:
        if self.leaves < 1 or self.spines < 1:
            raise ValueError("need at least one leaf and one spine")
        if self.hosts_per_leaf + self.uplinks_per_leaf > self.ports_per_switch:
            raise ValueError("a leaf has more cables than ports")
        if -(-self.leaves * self.uplinks_per_leaf // self.spines) > self.ports_per_switch:
            raise ValueError("a spine has more cables than ports")


@dataclass
class Fabric:
    policy: Policy
    intents: dict[str, DeviceIntent]
    states: dict[str, DeviceState]
    topology: Topology
    faults: dict[str, str]  # device -> the misconfiguration seeded into it


def port_name(index: int) -> str:
    return f"Ethernet{4 * index}"


def clos_links(shape: FabricShape) -> list[Link]:
    shape.validate()
    leaves = [f"leaf{i + 1}" for i in range(shape.leaves)]
    spines = [f"spine{i + 1}" for i in range(shape.spines)]
    links = [
        Link(Endpoint(leaves[i % shape.leaves], port_name(i // shape.leaves)), Endpoint(f"host{i + 1}", "eth1"), "host")
        for i in range(shape.hosts)
    ]
    spine_next = [0] * shape.spines
    for li, leaf in enumerate(leaves):
        for u in range(shape.uplinks_per_leaf):
            si = (li * shape.uplinks_per_leaf + u) % shape.spines
            a = Endpoint(leaf, port_name(shape.hosts_per_leaf + u))
            links.append(Link(a, Endpoint(spines[si], port_name(spine_next[si])), "fabric"))
            spine_next[si] += 1
    return links


def _devices(shape: FabricShape) -> list[InventoryDevice]:
    def switch(name: str, role: str) -> InventoryDevice:
        return InventoryDevice(name, DeviceKind.switch, "sonic", role=role, default_speed_mbps=SPEED)

    out = [switch(f"spine{i + 1}", "spine") for i in range(shape.spines)]
    out += [switch(f"leaf{i + 1}", "leaf") for i in range(shape.leaves)]
    out += [
        InventoryDevice(f"host{i + 1}", DeviceKind.host, "linux-rdma", role="rdma-host", default_speed_mbps=SPEED)
        for i in range(shape.hosts)
    ]
    return out


def _state(intent: DeviceIntent, shape: FabricShape) -> DeviceState:
    state = golden.golden_state(intent)
    if intent.kind is DeviceKind.switch:
        for i in range(shape.ports_per_switch):
            name = port_name(i)
            if name not in state.ports:
                state.ports[name] = PortState(name=name, admin_up=False, oper_up=False, speed_mbps=SPEED, mtu=9100)
    return state


FAULTS = ("mtu", "pfc", "trust", "dscp")


def _seed_fault(state: DeviceState, kind: str, rng: random.Random) -> str:
    """One misconfiguration on one cabled port (admin-down ports are not checked)."""
    port = rng.choice(sorted(n for n, p in state.ports.items() if p.admin_up))
    ps = state.ports[port]
    if kind == "mtu":
        ps.mtu = 1500
    elif kind == "pfc":
        ps.lossless_priorities = []
    elif kind == "trust":
        ps.trust = TrustMode.pcp
    else:
        ps.dscp_to_priority = {**ps.dscp_to_priority, **dict.fromkeys(ps.dscp_to_priority, 0)}
    return f"{port}: {kind}"


def synthetic_fabric(
    shape: FabricShape | None = None, *, seed: int = DEFAULT_SEED, fault_fraction: float = 0.01
) -> Fabric:
    shape = shape or FabricShape()
    policy = golden.policy()
    links = clos_links(shape)
    by_device: dict[str, list[Link]] = {}
    for link in links:
        for end in link.ends():
            by_device.setdefault(end.device, []).append(link)
    devices = _devices(shape)
    kinds = {d.name: d.kind.value for d in devices}
    # one small topology per device: build_device_intent looks the device's ports up by scanning links
    intents = {d.name: build_device_intent(d, policy, Topology(by_device.get(d.name, []), kinds)) for d in devices}
    states = {name: _state(intent, shape) for name, intent in intents.items()}
    rng = random.Random(seed)
    faults = {}
    for name in sorted(rng.sample(sorted(states), max(1, int(len(states) * fault_fraction)))):
        faults[name] = _seed_fault(states[name], rng.choice(FAULTS), rng)
    return Fabric(policy, intents, states, Topology(links, kinds), faults)
