"""Fabric-wide checks: one DSCP meaning everywhere, the end-to-end priority path, PFC deadlock freedom,
and no lossless priority on a multi-switch L2 domain.

These read every device at once (FabricCtx). They use the observed state where a device was read and
fall back to the intent for devices that were not (so an unreachable device does not hide a cycle).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from agent.checks import deadlock
from agent.checks.context import Expect, FabricCtx, Hop, finding, queue_scheduler
from agent.checks.finding import Finding
from agent.checks.registry import check
from agent.state import DeviceKind, PortState
from agent.topology.model import Endpoint


def _kind(ctx: FabricCtx, device: str) -> str | None:
    return ctx.kinds.get(device)


def _port(ctx: FabricCtx, end: Endpoint) -> PortState | None:
    state = ctx.states.get(end.device)
    return state.ports.get(end.port) if state is not None else None


def _lossless_at(ctx: FabricCtx, end: Endpoint) -> frozenset[int]:
    port = _port(ctx, end)
    if port is not None:
        return frozenset(port.lossless_priorities)
    intent = ctx.intents.get(end.device)
    pi = intent.ports.get(end.port) if intent is not None else None
    return frozenset(pi.lossless_priorities) if pi is not None else frozenset()


def _meant_lossless(ctx: FabricCtx, end: Endpoint) -> bool:
    """The intent gives this port PFC (its profile is lossless); True where the device has no intent."""
    intent = ctx.intents.get(end.device)
    pi = intent.ports.get(end.port) if intent is not None else None
    return pi is None or bool(pi.lossless_priorities)


def _any_expect(ctx: FabricCtx) -> Expect | None:
    return ctx.any_expect()


@check(
    "FAB-DSCP-001",
    "One DSCP -> priority meaning across the fabric",
    scope="fabric",
    tags=("dscp",),
    explanation="""Every switch and host must give each DSCP the policy declares the same priority (NetQ:
    consistent RoCE/QoS configuration on all nodes). One device with another meaning moves RoCE or CNP to
    a different class for every path through it. Reported only when devices disagree with each other;
    the per-device checks report disagreement with the policy.""",
)
def dscp_meaning(ctx: FabricCtx) -> Iterator[Finding]:
    exp = _any_expect(ctx)
    if exp is None:
        return
    declared = sorted(set(exp.roce_dscps) | set(exp.cnp_dscps))
    for dscp in declared:
        meaning: dict[str, tuple[str, int | None]] = {}
        for name in ctx.states:
            for port in ctx.active_ports(name):
                if port.dscp_to_priority:
                    meaning[name] = (port.name, port.dscp_to_priority.get(dscp))
                    if meaning[name][1] != exp.dscp_map[dscp]:
                        break
        if len({m for _p, m in meaning.values()}) <= 1:
            continue
        counts = Counter(m for _p, m in meaning.values())
        for name, (pname, prio) in sorted(meaning.items()):
            if prio == exp.dscp_map[dscp]:
                continue
            yield finding(
                "FAB-DSCP-001",
                name,
                port=pname,
                priority=exp.dscp_map[dscp],
                expected=f"DSCP {dscp} -> {exp.dscp_map[dscp]} (as on {counts.get(exp.dscp_map[dscp], 0)} devices)",
                actual=f"DSCP {dscp} -> {prio}",
                remediation=f"map DSCP {dscp} to {exp.dscp_map[dscp]} on {name} (roce-agent apply --limit {name})",
            )


def _hops(ctx: FabricCtx) -> list[Hop]:
    return ctx.hops


def _sent_dscp(port: PortState, default: int) -> int:
    nic = port.nic
    return nic.roce_tos >> 2 if nic is not None and nic.roce_tos is not None else default


@check(
    "FAB-PATH-001",
    "RoCE stays lossless at every hop of host -> leaf -> spine -> leaf -> host",
    scope="fabric",
    tags=("pfc", "dscp"),
    explanation="""Follows the RoCE DSCP the hosts really send (their RoCE ToS) over every cable, both
    directions: at each hop the receiver must classify it to a priority it pauses for, and the sender
    must carry it on that same priority with PFC on — otherwise the receiver's pause stops another
    queue. Every host-to-host path crosses only such hops, so one bad hop breaks every path through it;
    the finding names the hop and the link it sits on. Hops whose ports run a lossy profile (a lossy
    device, or a link declaring one) carry RoCE without PFC by design and are not followed; their own
    PFC checks (SW-PFC-001, HOST-PFC-001, RT-PFC-001) hold them to "no PFC".""",
)
def roce_path(ctx: FabricCtx) -> Iterator[Finding]:
    exp = _any_expect(ctx)
    if exp is None or not exp.roce_dscps:
        return
    default = next(iter(exp.roce_dscps))
    policy_dscps = sorted(exp.roce_dscps)
    seen: set[tuple[str, str, int | None]] = set()
    for link, tx, rx, ptx, prx in _hops(ctx):
        if link.network != "backend":
            continue  # RoCE paths run on the back-end; front-end hops are lossy (agent.checks.segregation)
        if not (_meant_lossless(ctx, tx) and _meant_lossless(ctx, rx)):
            continue  # a lossy profile's hop (device or declared link): RoCE rides it without PFC by design
        # Every hop must carry the policy's RoCE DSCP losslessly. A host that marks another DSCP is
        # judged on its own uplink only: that is where the wrong marking enters the fabric.
        dscps = list(policy_dscps)
        if ptx.nic is not None and _sent_dscp(ptx, default) not in exp.roce_dscps:
            dscps.append(_sent_dscp(ptx, default))
        for dscp in dscps:
            p_tx, p_rx = ptx.dscp_to_priority.get(dscp), prx.dscp_to_priority.get(dscp)
            if (
                p_tx is not None
                and p_tx == p_rx
                and p_tx in ptx.lossless_priorities
                and p_rx in prx.lossless_priorities
            ):
                continue
            host_marking = dscp not in exp.roce_dscps
            bad_rx = not host_marking and (p_rx is None or p_rx not in prx.lossless_priorities)
            where = rx if bad_rx else tx
            prio = exp.roce_dscps.get(dscp, exp.roce_dscps[default])
            if (where.device, where.port, prio) in seen:
                continue
            seen.add((where.device, where.port, prio))
            hint = (
                f"mark RoCE with DSCP {default} on {tx.device} (HOST-ROCE-001)"
                if host_marking
                else f"fix DSCP map / pfc_enable on {where}; see SW-QOS-002, SW-PFC-001, HOST-PFC-001"
            )
            yield finding(
                "FAB-PATH-001",
                where.device,
                port=where.port,
                priority=prio,
                expected=f"DSCP {dscp} lossless on {tx} -> {rx} ({link.role} link)",
                actual=f"{tx} priority {p_tx} (pfc {sorted(ptx.lossless_priorities)}), "
                f"{rx} priority {p_rx} (pfc {sorted(prx.lossless_priorities)})",
                remediation=hint,
            )


@check(
    "FAB-PATH-002",
    "CNP rides its strict, non-lossless queue at every hop",
    scope="fabric",
    tags=("ecn", "scheduler", "dscp"),
    explanation="""CNPs travel from the receiver back to the sender. At every hop in both directions the
    CNP DSCP the hosts really send (cnp_dscp) must map to a priority that is not lossless and whose
    egress queue is strict, so a paused or congested data queue never delays the signal that relieves it.""",
)
def cnp_path(ctx: FabricCtx) -> Iterator[Finding]:
    exp = _any_expect(ctx)
    if exp is None or exp.cnp_priority is None or not exp.is_strict(exp.cnp_priority) or not exp.cnp_dscps:
        return
    sent = {
        p.nic.cnp_dscp for s in ctx.states.values() for p in s.ports.values() if p.nic and p.nic.cnp_dscp is not None
    }
    reported: set[tuple[Endpoint, int]] = set()
    dscps = sorted(sent | {exp.cnp_dscps[0]})
    for link, tx, rx, ptx, _prx in _hops(ctx):
        for dscp in dscps:
            if (tx, dscp) in reported:
                continue
            prio = ptx.dscp_to_priority.get(dscp)
            queue = ptx.priority_to_queue.get(prio, prio) if prio is not None else None
            sched = queue_scheduler(ptx, queue)
            strict = sched is not None and sched.type == "strict"
            if prio is not None and strict and prio not in ptx.lossless_priorities:
                continue
            reported.add((tx, dscp))
            yield finding(
                "FAB-PATH-002",
                tx.device,
                port=tx.port,
                priority=exp.cnp_priority,
                expected=f"CNP DSCP {dscp} on a strict, non-lossless queue on {tx} -> {rx} ({link.role} link)",
                actual=f"priority {prio}, queue {queue}, "
                f"{'strict' if strict else 'not strict'}, {'lossless' if prio in ptx.lossless_priorities else 'lossy'}",
                remediation=f"map DSCP {dscp} to {exp.cnp_priority} and make its queue STRICT on {tx} "
                "(SW-QOS-003, SW-SCH-001, HOST-ETS-001)",
            )


@check(
    "FAB-DLK-001",
    "No cyclic buffer dependency (PFC deadlock) on a lossless priority",
    scope="fabric",
    tags=("deadlock", "pfc"),
    explanation="""Builds the buffer-dependency graph per lossless priority — nodes are directed
    switch-switch links with PFC on both ends, edges are the turns routes make — over up-down routes
    (tiers by distance from the host-facing switches) and over the bounced routes every single link
    failure causes (B -> C -> D -> A around a failed A-B). A cycle means pauses can hold each other
    forever (PFC deadlock) once traffic fills it. The finding lists the cycle hop by hop and the failure
    that creates it; the cure is a fabric without that bounce (two tiers, or Tagger-style remapping of
    bounced traffic to another lossless priority) or no PFC on the links of the cycle.""",
)
def no_deadlock(ctx: FabricCtx) -> Iterator[Finding]:
    exp = _any_expect(ctx)
    if exp is None:
        return
    switch_links = [
        (lk.a, lk.b)
        for lk in ctx.topology.links
        if _kind(ctx, lk.a.device) == "switch" and _kind(ctx, lk.b.device) == "switch"
    ]
    if not switch_links:
        return
    host_facing = _host_facing(ctx, switch_links)
    if not host_facing:
        return  # no host links and no leaf roles: up and down cannot be told apart
    tier = deadlock.tiers(switch_links, host_facing)
    lossless_by_end = {end: _lossless_at(ctx, end) for pair in switch_links for end in pair}
    for prio in exp.lossless_sorted:
        fab = deadlock.build_fabric(switch_links, tier, lambda e, p=prio: p in lossless_by_end[e])  # type: ignore[misc]
        cycles = [c for c in (deadlock.base_cycle(fab),) if c is not None] or deadlock.failure_cycles(fab)
        for cycle in cycles:
            first = cycle.hops[0][0]
            yield finding(
                "FAB-DLK-001",
                first.device,
                port=first.port,
                priority=prio,
                expected="acyclic buffer dependency",
                actual="cycle " + cycle.describe(),
                remediation="remove the bounce: keep the fabric two-tier, or remap bounced traffic to another "
                "lossless priority (Tagger), or drop PFC on one link of the cycle",
            )


def _host_facing(ctx: FabricCtx, switch_links: list[tuple[Endpoint, Endpoint]]) -> set[str]:
    """Tier-1 switches: those cabled to hosts; without host links, those whose inventory role is leaf/tor."""
    facing = {
        end.device
        for lk in ctx.topology.links
        if lk.role == "host" or DeviceKind.host.value in (_kind(ctx, lk.a.device), _kind(ctx, lk.b.device))
        for end in lk.ends()
        if _kind(ctx, end.device) == "switch"
    }
    if facing:
        return facing
    switches = {end.device for pair in switch_links for end in pair}
    return {n for n in switches if n in ctx.intents and (ctx.intents[n].role or "") in ("leaf", "tor", "edge")}


@check(
    "FAB-L2-001",
    "No lossless priority across a multi-switch L2 domain",
    scope="fabric",
    tags=("deadlock", "pfc"),
    explanation="""Flooded lossless traffic (unknown unicast, an ARP entry outliving the MAC entry) creates
    up-down-up paths and a cyclic buffer dependency: Microsoft saw exactly this deadlock in a Clos
    (Guo et al., SIGCOMM'16). A VLAN that spans more than one switch over switch-switch links must not
    carry a lossless priority; keep lossless traffic routed.""",
)
def no_lossless_l2(ctx: FabricCtx) -> Iterator[Finding]:
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def root(node: tuple[int, str]) -> tuple[int, str]:
        while parent.get(node, node) != node:
            node = parent[node]
        return node

    spans: list[tuple[int, Endpoint, Endpoint]] = []
    for link in ctx.topology.links:
        pa, pb = _port(ctx, link.a), _port(ctx, link.b)
        if pa is None or pb is None or _kind(ctx, link.a.device) != "switch" or _kind(ctx, link.b.device) != "switch":
            continue
        for vlan in set(pa.vlans) & set(pb.vlans):
            ra, rb = root((vlan, link.a.device)), root((vlan, link.b.device))
            parent.setdefault(ra, ra)
            parent[rb] = ra
            spans.append((vlan, link.a, link.b))
    if not spans:
        return
    lossless_domains: dict[tuple[int, str], set[int]] = defaultdict(set)
    for name in ctx.states:
        for port in ctx.active_ports(name):
            for vlan in port.vlans:
                if (vlan, name) in parent:
                    lossless_domains[root((vlan, name))].update(port.lossless_priorities)
    for vlan, a, b in spans:
        prios = lossless_domains.get(root((vlan, a.device)), set())
        if not prios:
            continue
        yield finding(
            "FAB-L2-001",
            a.device,
            port=a.port,
            priority=min(prios),
            expected=f"VLAN {vlan} without lossless priorities, or not spanning switches",
            actual=f"VLAN {vlan} spans {a.device} and {b.device} and carries lossless {sorted(prios)}",
            remediation=f"route between {a.device} and {b.device} (remove VLAN {vlan} from {a.port}) or keep "
            "lossless traffic off that VLAN",
        )
