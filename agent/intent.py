"""Intent: the policy resolved for one device and each of its ports (role, speed, cable, MTU).

Intent is vendor-neutral. Renderers turn it into native configuration; checks compare it with the
observed DeviceState. Building it is pure: inventory records + policy + topology in, intents out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from agent.policy.model import Policy
from agent.policy.profiles import PolicySet
from agent.policy.resolve import effective_policy
from agent.state import DeviceKind
from agent.topology.model import Endpoint, Topology


@dataclass(frozen=True)
class InventoryDevice:
    """What the agent needs from a Nornir host, independent of Nornir itself."""

    name: str
    kind: DeviceKind
    platform: str  # "sonic" | "linux-rdma"
    role: str | None = None  # leaf, spine, rdma-host ...
    groups: tuple[str, ...] = ()
    port_speed_mbps: dict[str, int] = field(default_factory=dict)  # per port, from inventory data
    default_speed_mbps: int | None = None
    interface_networks: dict[str, str] = field(default_factory=dict)  # host data: port -> network
    profile: str | None = None  # inventory `roce_profile`; None = the policy's default_profile


class PortIntent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    link_role: str  # "host" | "fabric"
    peer: str | None = None  # "device:port"
    speed_mbps: int | None = None
    cable_m: int
    mtu: int
    lossless_priorities: tuple[int, ...]  # () on a port whose network carries a lossy plan
    network: str = "backend"  # backend | frontend | storage | oob (agent.policy.networks)
    # The link's roce_profile when it is not the device's: the port runs that profile's mode (PFC,
    # headroom, watchdog); switch-wide settings stay the device's (agent.policy.profiles).
    profile: str | None = None
    profile_policy: Policy | None = Field(default=None, repr=False)


class DeviceIntent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: DeviceKind
    platform: str
    role: str | None = None
    groups: tuple[str, ...] = ()
    policy: Policy
    ports: dict[str, PortIntent] = Field(default_factory=dict)

    def policy_of(self, port: PortIntent | None) -> Policy:
        """The profile a port runs: its link's (a declared boundary), else the device's."""
        return port.profile_policy if port is not None and port.profile_policy is not None else self.policy


def build_device_intent(
    dev: InventoryDevice, policy: Policy, topology: Topology, profiles: Mapping[str, Policy] | None = None
) -> DeviceIntent:
    """`profiles` (the policy file's, by name) resolve the links' roce_profile; without them a link's
    profile is ignored (callers that build intents from one plain Policy have no boundaries)."""
    eff = effective_policy(policy, dev.name, dev.groups, dev.role)
    mtu = eff.mtu.switch if dev.kind is DeviceKind.switch else eff.mtu.host
    ports: dict[str, PortIntent] = {}
    for port, link in topology.ports_of(dev.name):
        peer = link.peer_of(Endpoint(dev.name, port))
        speed = link.speed_mbps or dev.port_speed_mbps.get(port) or dev.default_speed_mbps
        network = dev.interface_networks.get(port, link.network)
        own = profiles.get(link.profile) if profiles and link.profile and link.profile != policy.name else None
        plan = own or eff
        ports[port] = PortIntent(
            name=port,
            link_role=link.role,
            peer=str(peer),
            speed_mbps=speed,
            cable_m=eff.cable_length_for(link.role),
            mtu=mtu,
            lossless_priorities=plan.lossless_priorities if eff.networks.is_lossless(network) else (),
            network=network,
            profile=link.profile if own is not None else None,
            profile_policy=own,
        )
    return DeviceIntent(
        name=dev.name,
        kind=dev.kind,
        platform=dev.platform,
        role=dev.role,
        groups=dev.groups,
        policy=eff,
        ports=dict(sorted(ports.items(), key=lambda kv: _port_sort_key(kv[0]))),
    )


def build_intents(
    devices: Iterable[InventoryDevice], policy: Policy | PolicySet, topology: Topology
) -> dict[str, DeviceIntent]:
    """One intent per device, each from its own profile (a plain Policy is one profile for every device).
    Profile names must have been validated (agent.inventory.profiles): an unknown one is a KeyError here."""
    if isinstance(policy, Policy):
        return {d.name: build_device_intent(d, policy, topology) for d in devices}
    profiles = policy.profiles
    return {d.name: build_device_intent(d, policy.profile(d.profile), topology, profiles) for d in devices}


def _port_sort_key(name: str) -> tuple[str, int]:
    digits = "".join(ch for ch in name if ch.isdigit())
    prefix = name.rstrip("0123456789")
    return (prefix, int(digits) if digits else -1)
