"""RDMA host NIC checks, DCB side (mlx5 first; any NIC the host adapter normalizes into NicState).

Following the host checklist: DCB capability and ownership, trust and DSCP->priority, PFC mask, ETS and
buffers, MTU. The RoCE side (ToS, ECN points, CNP, RDMA link, pause) is in agent.checks.host_roce.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import DeviceCtx, finding, queue_scheduler
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check

ROCE_MIN_NETDEV_MTU = 4192  # RoCE active MTU 4096 needs netdev MTU >= 4096 + 96 (include/rdma/ib_addr.h)


def _bits(prios: set[int] | frozenset[int]) -> str:
    on = " ".join(f"{p}:on" for p in sorted(prios))
    return f"all:off {on}".strip()


@check(
    "HOST-DCB-001",
    "DCB-capable physical function",
    scope="host",
    tags=("pfc",),
    explanation="""DCB (PFC, ETS, APP) only exists on a physical function with dcbnl_ops; a VLAN, bond,
    veth or most VFs answer `Operation not supported`. The RDMA interface in the inventory must be the PF
    netdev.""",
)
def dcb_capable(ctx: DeviceCtx) -> Iterator[Finding]:
    for port, nic in ctx.nic_ports():
        if not nic.dcb_supported:
            yield finding(
                "HOST-DCB-001",
                ctx.name,
                port=port.name,
                expected="DCB supported (dcbnl_ops)",
                actual="Operation not supported",
                remediation=f"list the physical function, not {port.name}, in rdma_interfaces of the inventory",
            )


@check(
    "HOST-DCB-002",
    "The OS owns DCBX (not the NIC firmware)",
    scope="host",
    tags=("pfc",),
    severity=Severity.warning,
    explanation="""When the firmware LLDP/DCBX agent owns the port it may overwrite PFC/ETS from the
    switch's advertisements, and bnxt/ice refuse host DCB writes. The agent configures DCB from the host,
    so DCBX mode must be `host`.""",
)
def dcbx_owner(ctx: DeviceCtx) -> Iterator[Finding]:
    for port, nic in ctx.nic_ports():
        if nic.dcbx_owner not in (None, "host"):
            yield finding(
                "HOST-DCB-002",
                ctx.name,
                port=port.name,
                expected="host",
                actual=nic.dcbx_owner,
                remediation=f"dcb dcbx set dev {port.name} host (ice: ethtool --set-priv-flags {port.name} "
                "fw-lldp-agent off)",
            )


@check(
    "HOST-QOS-001",
    "NIC trusts DSCP",
    scope="host",
    tags=("trust", "dscp"),
    explanation="""With PCP trust the NIC classifies RoCE by VLAN priority, which routed fabrics do not
    carry. On mlx5 the first `dcb app` dscp-prio entry switches trust to DSCP; deleting the last switches
    it back to PCP.""",
)
def host_trust(ctx: DeviceCtx) -> Iterator[Finding]:
    want = ctx.expect.trust
    for port, _nic in ctx.nic_ports():
        have = port.trust.value if port.trust is not None else None
        if have != want:
            yield finding(
                "HOST-QOS-001",
                ctx.name,
                port=port.name,
                expected=want,
                actual=have,
                remediation=f"dcb app add dev {port.name} dscp-prio "
                + " ".join(f"{d}:{p}" for d, p in sorted(ctx.expect.roce_dscps.items())),
            )


@check(
    "HOST-QOS-002",
    "DSCP -> priority for RoCE and CNP",
    scope="host",
    tags=("dscp", "pfc"),
    explanation="""The NIC's APP table (dcb app dscp-prio) decides the priority — and so the PFC class and
    queue — of received RoCE and CNP packets. RoCE DSCP must map to its lossless priority and the CNP
    DSCP to the CNP priority.""",
)
def host_dscp_map(ctx: DeviceCtx) -> Iterator[Finding]:
    exp = ctx.expect
    wanted = dict(exp.roce_dscps)
    if exp.cnp_priority is not None:
        wanted.update(dict.fromkeys(exp.cnp_dscps, exp.cnp_priority))
    for port, _nic in ctx.nic_ports():
        for dscp, prio in sorted(wanted.items()):
            have = port.dscp_to_priority.get(dscp)
            if have == prio:
                continue
            yield finding(
                "HOST-QOS-002",
                ctx.name,
                port=port.name,
                priority=prio,
                expected=f"DSCP {dscp} -> priority {prio}",
                actual=f"DSCP {dscp} -> {'unmapped' if have is None else f'priority {have}'}",
                remediation=f"dcb app replace dev {port.name} dscp-prio {dscp}:{prio}",
            )


@check(
    "HOST-PFC-001",
    "PFC enabled on exactly the lossless priorities",
    scope="host",
    tags=("pfc",),
    explanation="""`dcb pfc` prio-pfc must be on for every lossless priority and off for all others,
    matching the switch's pfc_enable; otherwise one end pauses a class the other drops. On mlx5 changing
    the mask flaps the link.""",
)
def host_pfc(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        if port.nic is None:
            continue
        want = set(pi.lossless_priorities) if pi is not None else set(ctx.expect.lossless)
        have = set(port.lossless_priorities)
        if have != want:
            yield finding(
                "HOST-PFC-001",
                ctx.name,
                port=port.name,
                expected=",".join(map(str, sorted(want))),
                actual=",".join(map(str, sorted(have))) or "(none)",
                remediation=f"dcb pfc set dev {port.name} prio-pfc {_bits(want)} (link flaps on mlx5)",
            )


@check(
    "HOST-ETS-001",
    "ETS: CNP traffic class strict, lossless priorities on their own class",
    scope="host",
    tags=("scheduler",),
    explanation="""`dcb ets` prio-tc and tc-tsa: the CNP priority's traffic class must be strict so CNPs
    overtake data, and each lossless priority needs a traffic class no other priority shares (a PFC
    pause stops the whole class).""",
)
def host_ets(ctx: DeviceCtx) -> Iterator[Finding]:
    exp = ctx.expect
    for port, _nic in ctx.nic_ports():
        ptc = port.priority_to_queue
        if not ptc:
            continue
        cnp = exp.cnp_priority
        if cnp is not None and exp.is_strict(cnp):
            tc = ptc.get(cnp)
            sched = queue_scheduler(port, tc)
            tsa = sched.type if sched is not None else None
            if tsa != "strict":
                yield finding(
                    "HOST-ETS-001",
                    ctx.name,
                    port=port.name,
                    priority=cnp,
                    expected=f"priority {cnp} on a strict TC",
                    actual=f"TC {tc} tsa {tsa}",
                    remediation=f"dcb ets set dev {port.name} tc-tsa <all classes, TC {tc}:strict> tc-bw <...> "
                    "prio-tc <...> (send the complete triple)",
                )
        for prio in exp.lossless_sorted:
            tc = ptc.get(prio)
            shared = sorted(p for p, t in ptc.items() if t == tc and p != prio)
            if tc is not None and not shared:
                continue
            yield finding(
                "HOST-ETS-001",
                ctx.name,
                port=port.name,
                priority=prio,
                expected=f"priority {prio} alone in its TC",
                actual=f"TC {tc} shared with priorities {shared}" if tc is not None else "no TC",
                remediation=f"dcb ets set dev {port.name} prio-tc {prio}:{prio} ... (complete tc-tsa/tc-bw/prio-tc)",
            )


@check(
    "HOST-BUF-001",
    "Lossless priorities have their own non-zero receive buffer; PFC delay as cable length",
    scope="host",
    tags=("buffer",),
    explanation="""mlx5 (`dcb buffer`) maps priorities to receive buffers; a lossless priority needs its
    own non-zero buffer so its xoff headroom is not shared with lossy traffic. mlx5 reads `dcb pfc delay`
    as the cable length in metres and sizes headroom from it, so it must equal the host link's cable.""",
)
def host_buffers(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.lossless_ports():
        nic = port.nic
        if nic is None:
            continue
        if nic.prio_buffer:
            for prio in ctx.expect.lossless_sorted:
                buf = nic.prio_buffer.get(prio)
                size = nic.buffer_size.get(buf, 0) if buf is not None else 0
                shared = sorted(p for p, b in nic.prio_buffer.items() if b == buf and p not in ctx.expect.lossless)
                if buf is not None and size > 0 and not shared:
                    continue
                yield finding(
                    "HOST-BUF-001",
                    ctx.name,
                    port=port.name,
                    priority=prio,
                    expected="own buffer, size > 0",
                    actual=f"buffer {buf} size {size}" + (f" shared with {shared}" if shared else ""),
                    remediation=f"dcb buffer set dev {port.name} prio-buffer <lossy>:0 {prio}:1 buffer-size <...>",
                )
        want = ctx.intent.policy.host.pfc_cable_length or (pi.cable_m if pi is not None else None)
        if want is not None and (nic.driver or "").startswith("mlx5") and nic.pfc_delay != want:
            yield finding(
                "HOST-BUF-001",
                ctx.name,
                port=port.name,
                expected=f"pfc delay {want} (mlx5: cable metres)",
                actual=f"pfc delay {nic.pfc_delay}",
                remediation=f"dcb pfc set dev {port.name} delay {want} (policy key host.pfc_cable_length)",
            )


@check(
    "HOST-MTU-001",
    "Netdev MTU as policy and large enough for RoCE 4096",
    scope="host",
    tags=("mtu",),
    explanation="""RoCE's active MTU is the largest IB MTU <= netdev MTU - 96, so RoCE 4096 needs a netdev
    MTU of at least 4192 (4200 and 9000 both give 4096, 1500 gives 1024). The MTU must also equal the
    policy's mtu.host.""",
)
def host_mtu(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        if port.nic is None:
            continue
        want = pi.mtu if pi is not None else ctx.expect.host_mtu
        if port.mtu == want and (port.mtu or 0) >= ROCE_MIN_NETDEV_MTU:
            continue
        yield finding(
            "HOST-MTU-001",
            ctx.name,
            port=port.name,
            expected=f"{want} (>= {ROCE_MIN_NETDEV_MTU} for RoCE MTU 4096)",
            actual=port.mtu,
            remediation=f"ip link set dev {port.name} mtu {want}",
        )
