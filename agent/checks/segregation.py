"""Back-end / front-end segregation: lossless RoCE stays on the back-end network.

Every port's network comes from the inventory (links.yaml `network:`, host data `interface_networks`,
default backend) and the policy's `networks:` section says which plan each network carries and which
networks may share a switch (agent.policy.networks). These checks find the places where the front-end
(or storage, or oob) network would inherit lossless behaviour or share a broadcast or routing domain
with the back-end: PFC pauses from a congested front-end then stall GPU traffic, and a front-end flood
reaches lossless queues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from agent.checks.context import DeviceCtx, LinkCtx, finding
from agent.checks.finding import Finding
from agent.checks.registry import check
from agent.intent import PortIntent
from agent.state import PortState

BACKEND = "backend"


def _lossy_ports(ctx: DeviceCtx) -> Iterator[tuple[PortIntent, PortState]]:
    """Ports whose network carries a lossy plan (front-end, storage, oob by default)."""
    networks = ctx.intent.policy.networks
    for pi, port in ctx.ports:
        if pi is not None and not networks.is_lossless(pi.network):
            yield pi, port


def _no_lossless(ctx: DeviceCtx, check_id: str, fix: str) -> Iterator[Finding]:
    plans = ctx.intent.policy.networks
    for pi, port in _lossy_ports(ctx):
        if port.lossless_priorities:
            prios = sorted(port.lossless_priorities)
            yield finding(
                check_id,
                ctx.name,
                port=port.name,
                priority=prios[0],
                expected=f"no lossless priority ({pi.network} network, plan {plans.plan_of(pi.network)})",
                actual=f"PFC on priorities {','.join(map(str, prios))}",
                remediation=fix.format(port=port.name, prios=",".join(map(str, prios)), prio=prios[0]),
            )


@check(
    "SW-SEG-001",
    "No lossless priority on a front-end switch port",
    scope="switch",
    tags=("segregation", "pfc"),
    explanation="""A port on the front-end, storage or oob network carries the lossy plan: PFC enabled
    there lets congestion in user or storage traffic pause the switch, and pauses spread hop by hop into
    the back-end. Only back-end ports (links.yaml `network: backend`) get the lossless priorities.""",
)
def switch_front_lossless(ctx: DeviceCtx) -> Iterator[Finding]:
    yield from _no_lossless(ctx, "SW-SEG-001", "config interface pfc priority {port} {prio} off (for each of {prios})")


@check(
    "HOST-SEG-001",
    "No lossless priority on a front-end host interface",
    scope="host",
    tags=("segregation", "pfc", "rdma"),
    explanation="""A host's front-end NIC sends user and storage traffic: PFC on it makes the host pause
    its front-end switch port (and obey pauses) for traffic the policy declares lossy. PFC belongs on the
    back-end RDMA interfaces only.""",
)
def host_front_lossless(ctx: DeviceCtx) -> Iterator[Finding]:
    yield from _no_lossless(ctx, "HOST-SEG-001", "dcb pfc set dev {port} prio-pfc {prio}:off (for each of {prios})")


@check(
    "HOST-SEG-002",
    "RoCE-enabled NICs only on back-end links",
    scope="host",
    tags=("segregation", "rdma"),
    explanation="""An active RDMA device on a front-end interface lets RoCE traffic leave the host on the
    lossy network, where nothing protects it from drops (and go-back-N retransmits collapse throughput).
    RDMA belongs on back-end interfaces; disable RoCE on the others (mlx5: devlink param enable_roce false)
    or move the cable.""",
)
def host_roce_backend_only(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        nic = port.nic
        if pi is None or pi.network == BACKEND or nic is None or nic.rdma_device is None:
            continue
        if nic.rdma_state not in (None, "ACTIVE"):
            continue
        yield finding(
            "HOST-SEG-002",
            ctx.name,
            port=port.name,
            expected=f"no RoCE on the {pi.network} network",
            actual=f"RDMA device {nic.rdma_device} {nic.rdma_state or 'present'} on {port.name}",
            remediation=f"disable RoCE on {port.name} (devlink dev param set <pci> name enable_roce value false "
            "cmode driverinit) or cable it to the back-end network",
        )


@check(
    "SW-SEG-002",
    "A switch carries only networks the policy lets share a switch",
    scope="switch",
    tags=("segregation", "config"),
    explanation="""The policy's networks.share_switch lists the groups of networks that may sit on one
    switch (default: back-end alone; front-end with storage; oob alone). A back-end leaf that also serves
    the front-end shares buffers, the control plane and failure domain between them.""",
)
def switch_networks_allowed(ctx: DeviceCtx) -> Iterator[Finding]:
    present = {pi.network for pi in ctx.intent.ports.values()}
    networks = ctx.intent.policy.networks
    if networks.may_share(present):
        return
    groups = " | ".join(",".join(g) for g in networks.share_switch)
    yield finding(
        "SW-SEG-002",
        ctx.name,
        expected=f"networks from one group of: {groups}",
        actual=f"ports on {', '.join(sorted(present))}",
        remediation="move the ports of the other network to a switch of its own, or allow the mix in the "
        "policy's networks.share_switch",
    )


@check(
    "SW-SEG-003",
    "Back-end and front-end ports never share a VLAN",
    scope="switch",
    tags=("segregation", "config"),
    explanation="""A VLAN is one broadcast (L2) domain: a back-end port in the same VLAN as a front-end
    port receives the front-end's floods and ARP, and lossless back-end traffic can be bridged onto the
    lossy network. Each VLAN (CONFIG_DB VLAN_MEMBER) holds ports of one network.""",
)
def no_shared_vlan(ctx: DeviceCtx) -> Iterator[Finding]:
    members: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for pi, port in ctx.ports:
        if pi is not None:
            for vlan in port.vlans:
                members[vlan][pi.network].append(port.name)
    for vlan, by_net in sorted(members.items()):
        if BACKEND not in by_net or len(by_net) == 1:
            continue
        others = {n: ps for n, ps in sorted(by_net.items()) if n != BACKEND}
        first = min(p for ps in others.values() for p in ps)
        yield finding(
            "SW-SEG-003",
            ctx.name,
            port=first,
            expected=f"Vlan{vlan} with ports of one network",
            actual=f"Vlan{vlan}: backend {','.join(by_net[BACKEND])}; "
            + "; ".join(f"{n} {','.join(ps)}" for n, ps in others.items()),
            remediation=f"config vlan member del {vlan} {first} (give each network its own VLAN)",
        )


@check(
    "SW-SEG-004",
    "Back-end and front-end interfaces sit in their declared VRFs",
    scope="switch",
    tags=("segregation", "config"),
    explanation="""Where the policy declares a VRF per network (networks.vrfs), routes of one network
    must not reach the other: each port's L3 interface (CONFIG_DB INTERFACE, or VLAN_INTERFACE of its
    VLANs) is bound (vrf_name) to its network's VRF, and that VRF exists (VRF table).""",
)
def interfaces_in_vrfs(ctx: DeviceCtx) -> Iterator[Finding]:
    networks = ctx.intent.policy.networks
    if not networks.vrfs:
        return
    declared = ctx.state.vrfs
    wanted = {networks.vrf_of(pi.network) for pi in ctx.intent.ports.values()}
    for vrf in sorted(v for v in wanted if v is not None and declared is not None and v not in declared):
        yield finding(
            "SW-SEG-004",
            ctx.name,
            expected=f"VRF {vrf} declared",
            actual=f"VRFs: {', '.join(declared or []) or '(none)'}",
            remediation=f"config vrf add {vrf}",
        )
    for pi, port in ctx.ports:
        want = networks.vrf_of(pi.network) if pi is not None else None
        if want is None or pi is None or not port.vrfs or port.vrfs == [want]:
            continue
        yield finding(
            "SW-SEG-004",
            ctx.name,
            port=port.name,
            expected=f"{pi.network} network in VRF {want}",
            actual=f"routed in {', '.join(port.vrfs)}",
            remediation=f"config interface vrf bind {port.name} {want}",
        )


@check(
    "SW-SEG-005",
    "RoCE DSCP arriving on a front-end port lands in a lossy class",
    scope="switch",
    tags=("segregation", "dscp", "buffer"),
    explanation="""A front-end host that marks RoCE's DSCP (by mistake or on purpose) must not get a
    lossless class on the front-end: on a front-end port the RoCE DSCP maps (DSCP_TO_TC_MAP) to a traffic
    class whose priority group has no lossless buffer profile (no xoff headroom) and no PFC.""",
)
def front_roce_dscp_lossy(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in _lossy_ports(ctx):
        for dscp, _prio in sorted(ctx.expect.roce_dscps.items()):
            tc = port.dscp_to_priority.get(dscp)
            if tc is None:
                continue  # unmapped DSCP goes to TC 0 (lossy)
            pg = ctx.pg_for(port, tc)
            pg_lossless = pg is not None and pg.programmed is not None and bool(pg.programmed.xoff)
            if tc not in port.lossless_priorities and not pg_lossless:
                continue
            what = f"PG {pg.key} profile {pg.programmed.name}" if pg_lossless and pg and pg.programmed else "PFC on"
            yield finding(
                "SW-SEG-005",
                ctx.name,
                port=port.name,
                priority=tc,
                expected=f"DSCP {dscp} in a lossy class on the {pi.network} network",
                actual=f"DSCP {dscp} -> TC {tc}: lossless ({what})",
                remediation=f"config interface buffer priority-group lossless remove {port.name} "
                f"{pg.key if pg else tc}; config interface pfc priority {port.name} {tc} off",
            )


@check(
    "LINK-SEG-001",
    "Both ends of a link are on the same network",
    scope="link",
    tags=("segregation",),
    explanation="""A host's interface_networks and the link's network in links.yaml must agree: if the
    host declares eth2 front-end while the cable is declared back-end, the two ends get different plans
    (one lossless, one lossy) and the declaration itself is wrong somewhere.""",
)
def link_same_network(ctx: LinkCtx) -> Iterator[Finding]:
    a = ctx.a_intent.ports.get(ctx.link.a.port)
    b = ctx.b_intent.ports.get(ctx.link.b.port)
    if a is None or b is None or a.network == b.network:
        return
    yield finding(
        "LINK-SEG-001",
        ctx.link.a.device,
        port=ctx.link.a.port,
        expected=f"{ctx.link.a}: {a.network} (same as peer)",
        actual=f"{ctx.link.b}: {b.network}",
        remediation="make links.yaml `network:` and the host's interface_networks agree",
    )
