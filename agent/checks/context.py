"""What check functions receive, and the per-policy expectations computed once per audit.

Checks run over thousands of devices, so everything derived from the policy (lossless set, DSCP table,
ECN and scheduler per priority) is computed once per distinct effective policy (`expectations_for`) and
shared; a check then only compares.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from agent.checks.finding import Finding, Severity
from agent.checks.registry import REGISTRY
from agent.intent import DeviceIntent, PortIntent
from agent.policy.model import Ecn, Policy, Scheduling, SchedulingType, Watchdog
from agent.state import DeviceState, NicState, PortCounters, PortState, PriorityGroupState, SchedulerState
from agent.topology.model import Endpoint, Link, Topology


@dataclass(frozen=True)
class Expect:
    """The policy in the shape checks compare against (all pure derivations of `Policy`)."""

    lossless: frozenset[int]
    lossless_sorted: tuple[int, ...]
    marking: tuple[int, ...]  # priorities whose queues must mark ECN: the lossless ones, or lossy's RoCE class
    lossy: bool  # mode: lossy (no PFC anywhere; ECN is the congestion signal)
    trust: str
    dscp_map: dict[int, int]  # all 64 DSCP -> priority
    roce_dscps: dict[int, int]  # DSCP of a lossless class -> its priority
    lossy_dscps: frozenset[int]  # DSCP of no lossless class
    cnp_dscps: tuple[int, ...]
    cnp_priority: int | None
    ecn: dict[int, Ecn]  # priority -> ECN thresholds (classes that declare them)
    scheduling: dict[int, Scheduling]  # priority -> scheduling of its class
    watchdog: Watchdog
    roce_tos: int | None
    host_np: frozenset[int]
    host_rp: frozenset[int]
    tcp_ecn: int | None
    dcqcn: dict[str, int]  # "rp/<name>" -> value the policy declares
    host_mtu: int
    switch_mtu: int

    @classmethod
    def from_policy(cls, policy: Policy) -> Expect:
        lossless = policy.lossless_priorities
        roce = {d: c.priority for c in policy.lossless_classes for d in c.dscp}
        cnp = policy.cnp_class
        scheduling = {c.priority: c.scheduling for c in policy.classes}
        return cls(
            lossless=frozenset(lossless),
            lossless_sorted=lossless,
            marking=policy.congestion_priorities,
            lossy=policy.lossy,
            trust=policy.trust.value,
            dscp_map=policy.dscp_to_priority(),
            roce_dscps=roce,
            lossy_dscps=frozenset(range(64)) - set(roce),
            cnp_dscps=tuple(cnp.dscp) if cnp else (),
            cnp_priority=cnp.priority if cnp else None,
            # Lossless classes only, except in a lossy profile where the RoCE class marks too.
            ecn={c.priority: c.ecn for c in policy.classes if c.ecn is not None},
            scheduling=scheduling,
            watchdog=policy.pfc.watchdog,
            roce_tos=policy.roce_tos(),
            host_np=frozenset(policy.ecn_notification_priorities),  # lossless, or lossy's RoCE class
            host_rp=frozenset(policy.ecn_reaction_priorities),
            tcp_ecn=policy.host.tcp_ecn,
            dcqcn={f"{pt}/{k}": v for pt, vals in policy.host.dcqcn.files().items() for k, v in vals.items()},
            host_mtu=policy.mtu.host,
            switch_mtu=policy.mtu.switch,
        )

    def is_strict(self, priority: int) -> bool:
        sched = self.scheduling.get(priority)
        return sched is not None and sched.type is SchedulingType.strict


class ExpectCache:
    """Expect per distinct effective policy object (overrides make per-device copies; most share one)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Policy, Expect]] = {}

    def get(self, policy: Policy) -> Expect:
        hit = self._by_id.get(id(policy))
        if hit is None:
            hit = (policy, Expect.from_policy(policy))
            self._by_id[id(policy)] = hit  # keep the policy alive so its id is not reused
        return hit[1]


def finding(
    check_id: str,
    device: str,
    *,
    port: str | None = None,
    priority: int | None = None,
    expected: object = None,
    actual: object = None,
    remediation: str | None = None,
    severity: Severity | None = None,
    title: str | None = None,
) -> Finding:
    """Build a Finding from the catalogue entry without re-validating (checks pass typed values)."""
    spec = REGISTRY[check_id]
    return Finding.model_construct(
        check_id=check_id,
        title=title or spec.title,
        severity=severity or spec.severity,
        device=device,
        port=port,
        priority=priority,
        expected=None if expected is None else str(expected),
        actual=None if actual is None else str(actual),
        remediation=remediation,
    )


def queue_scheduler(port: PortState, queue: int | None) -> SchedulerState | None:
    """The scheduler bound to `queue` on `port`, or None when the port has no such queue or the queue no
    scheduler: switch, host and fabric checks all treat "not observed" the same way."""
    q = port.queues.get(queue) if queue is not None else None
    return q.scheduler if q is not None else None


@dataclass
class DeviceCtx:
    """One device for the switch/host checks: its intent, its state and the ports to check."""

    intent: DeviceIntent
    state: DeviceState
    expect: Expect
    ports: list[tuple[PortIntent | None, PortState]] = field(default_factory=list)
    _pgs: dict[str, dict[int, PriorityGroupState]] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.intent.name

    def pg_for(self, port: PortState, prio: int) -> PriorityGroupState | None:
        """The PG (CONFIG_DB key + programmed profile) that carries `prio` on `port` (TC -> PG map),
        indexed once per port because four buffer checks ask the same question."""
        index = self._pgs.get(port.name)
        if index is None:
            index = {p: pg for pg in port.priority_groups for p in pg.priorities}
            self._pgs[port.name] = index
        return index.get(port.priority_to_pg.get(prio, prio))

    def lossless_of(self, pi: PortIntent | None) -> tuple[int, ...]:
        """The port's lossless priorities: its intent's (its link's profile, its network), else the
        device profile's (no topology)."""
        return pi.lossless_priorities if pi is not None else self.expect.lossless_sorted

    def watchdog_of(self, pi: PortIntent | None) -> Watchdog:
        """The watchdog of the profile the port runs (a per-link profile may differ from the device's)."""
        return self.intent.policy_of(pi).pfc.watchdog

    def lossless_ports(self) -> list[tuple[PortIntent | None, PortState]]:
        """Ports that carry the lossless plan: the PFC, buffer and watchdog checks look only at these (a
        front-end port's lossy plan is checked by agent.checks.segregation)."""
        return [(pi, ps) for pi, ps in self.ports if pi is None or pi.lossless_priorities]

    def roce_ports(self) -> list[tuple[PortIntent | None, PortState]]:
        """Back-end ports, where RoCE itself (RDMA device, ToS, ECN NP/RP, CNP) is expected."""
        return [(pi, ps) for pi, ps in self.ports if pi is None or pi.network == "backend"]

    def nic_ports(self) -> Iterator[tuple[PortState, NicState]]:
        """Every port with a NIC read (the DCB side: PFC, ETS, APP, pause, MTU apply to all of them)."""
        for _pi, port in self.ports:
            if port.nic is not None:
                yield port, port.nic

    def roce_nics(self, *, bound: bool = False) -> Iterator[tuple[PortState, NicState]]:
        """NICs on back-end ports, where RoCE is configured (front-end NICs: agent.checks.segregation);
        `bound`: only those with an RDMA device bound, for checks that read its GIDs or counters."""
        for _pi, port in self.roce_ports():
            if port.nic is not None and (not bound or port.nic.rdma_device is not None):
                yield port, port.nic

    @classmethod
    def build(cls, intent: DeviceIntent, state: DeviceState, expect: Expect) -> DeviceCtx:
        """Active ports: the intent's ports that exist on the device; without a topology, every
        admin-up port (what SONiC's templates call PORT_ACTIVE)."""
        if intent.ports:
            ports: list[tuple[PortIntent | None, PortState]] = [
                (pi, state.ports[name]) for name, pi in intent.ports.items() if name in state.ports
            ]
        else:
            ports = [(None, ps) for ps in state.ports.values() if ps.admin_up is not False]
        return cls(intent, state, expect, ports)


@dataclass
class LinkCtx:
    """Both ends of one cable, each with its device's intent and observed port."""

    link: Link
    a_intent: DeviceIntent
    b_intent: DeviceIntent
    a_state: DeviceState
    b_state: DeviceState
    a_port: PortState
    b_port: PortState


Hop = tuple[Link, Endpoint, Endpoint, PortState, PortState]  # link, sender end, receiver end, their ports


@dataclass
class FabricCtx:
    """The whole fabric. Derived indexes are computed once and shared by every fabric check."""

    intents: dict[str, DeviceIntent]
    states: dict[str, DeviceState]
    topology: Topology
    expect: ExpectCache

    @cached_property
    def kinds(self) -> dict[str, str]:
        """device -> "switch" | "host": intent first, then observed state, then the topology's own label."""
        out = dict(self.topology.kinds)
        out.update({n: s.kind.value for n, s in self.states.items()})
        out.update({n: i.kind.value for n, i in self.intents.items()})
        return out

    @cached_property
    def hops(self) -> list[Hop]:
        """Every cable in both directions where both ends were read."""
        out: list[Hop] = []
        for link in self.topology.links:
            sa, sb = self.states.get(link.a.device), self.states.get(link.b.device)
            pa = sa.ports.get(link.a.port) if sa is not None else None
            pb = sb.ports.get(link.b.port) if sb is not None else None
            if pa is None or pb is None:
                continue
            out.append((link, link.a, link.b, pa, pb))
            out.append((link, link.b, link.a, pb, pa))
        return out

    def active_ports(self, device: str) -> list[PortState]:
        """The device's ports in the topology (what the policy governs); every port without a topology."""
        state = self.states.get(device)
        if state is None:
            return []
        intent = self.intents.get(device)
        if intent is None or not intent.ports:
            return list(state.ports.values())
        return [state.ports[p] for p in intent.ports if p in state.ports]

    def any_expect(self) -> Expect | None:
        """Fabric checks compare with the fabric-wide policy (overrides never change classes)."""
        intent = next(iter(self.intents.values()), None)
        return self.expect.get(intent.policy) if intent is not None else None


@dataclass
class RuntimeCtx:
    """Two reads of one device; counters are compared as deltas (before -> after)."""

    intent: DeviceIntent
    before: DeviceState
    after: DeviceState
    expect: Expect

    @property
    def name(self) -> str:
        return self.intent.name

    def lossless_at(self, port: str) -> frozenset[int]:
        """The port's lossless priorities (its link's profile, its network), else the device profile's."""
        pi = self.intent.ports.get(port)
        return frozenset(pi.lossless_priorities) if pi is not None else self.expect.lossless

    def policy_at(self, port: str) -> Policy:
        """The profile the port runs (a declared link profile, else the device's)."""
        return self.intent.policy_of(self.intent.ports.get(port))

    @cached_property
    def pairs(self) -> list[tuple[PortState, PortCounters, PortCounters]]:
        """(port as read second, its first counters, its second counters) for the active ports read
        both times with counters — computed once, shared by every runtime check."""
        names = self.intent.ports.keys() if self.intent.ports else self.after.ports.keys()
        out: list[tuple[PortState, PortCounters, PortCounters]] = []
        for name in names:
            after, before = self.after.ports.get(name), self.before.ports.get(name)
            if after is None or before is None or after.counters is None or before.counters is None:
                continue
            out.append((after, before.counters, after.counters))
        return out


@dataclass
class AuditCtx:
    intents: dict[str, DeviceIntent]
    states: dict[str, DeviceState]
    errors: dict[str, str]  # device -> why it could not be read
