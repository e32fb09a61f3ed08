"""RDMA host NIC checks, RoCE side: ToS, ECN notification/reaction points, CNP marking, RDMA link state,
global pause and TCP ECN (the DCB side is in agent.checks.host)."""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import DeviceCtx, finding
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check


@check(
    "HOST-ROCE-001",
    "RoCE v2 with the policy's ToS",
    scope="host",
    tags=("dscp", "rdma"),
    explanation="""rdma_cm's default_roce_tos sets the DSCP (and ECT bits) of RoCE traffic: DSCP 26 with
    ECT(0) is ToS 106. Another ToS puts RoCE on a different priority than the fabric makes lossless.""",
)
def roce_tos(ctx: DeviceCtx) -> Iterator[Finding]:
    want = ctx.expect.roce_tos
    for port, nic in ctx.roce_nics():
        mode_ok = nic.roce_mode is None or "2" in nic.roce_mode
        if (want is None or nic.roce_tos == want) and mode_ok:
            continue
        dev = nic.rdma_device or "<rdma dev>"
        yield finding(
            "HOST-ROCE-001",
            ctx.name,
            port=port.name,
            expected=f"RoCE v2, ToS {want}",
            actual=f"{nic.roce_mode or 'mode ?'}, ToS {nic.roce_tos}",
            remediation=f"echo {want} > /sys/kernel/config/rdma_cm/{dev}/ports/1/default_roce_tos "
            f"(cma_roce_tos -d {dev} -t {want})",
        )


@check(
    "HOST-ECN-001",
    "ECN notification and reaction points on the lossless priorities",
    scope="host",
    tags=("ecn",),
    explanation="""DCQCN needs the receiver NIC (notification point) to turn CE marks into CNPs and the
    sender NIC (reaction point) to slow down on CNPs, per priority. mlx5:
    /sys/class/net/<if>/ecn/roce_np|roce_rp/enable/<prio>. The policy's host.ecn lists them (default: the
    lossless priorities).""",
)
def host_ecn(ctx: DeviceCtx) -> Iterator[Finding]:
    exp = ctx.expect
    for port, nic in ctx.roce_nics():
        if not nic.ecn_np and not nic.ecn_rp:
            continue  # not exposed by this driver (upstream mlx5 without OFED sysfs)
        for point, want, have in (("roce_np", exp.host_np, nic.ecn_np), ("roce_rp", exp.host_rp, nic.ecn_rp)):
            for prio in sorted(want):
                if have.get(prio):
                    continue
                yield finding(
                    "HOST-ECN-001",
                    ctx.name,
                    port=port.name,
                    priority=prio,
                    expected=f"{point} enabled",
                    actual="disabled" if prio in have else "not reported",
                    remediation=f"echo 1 > /sys/class/net/{port.name}/ecn/{point}/enable/{prio}",
                )


@check(
    "HOST-CNP-001",
    "CNPs sent with the policy's DSCP and priority",
    scope="host",
    tags=("ecn", "dscp"),
    explanation="""The notification point marks CNPs with cnp_dscp / cnp_802p_prio; they must match the
    CNP class so switches put CNPs on the strict queue (NVIDIA default DSCP 48, priority 6).""",
)
def host_cnp(ctx: DeviceCtx) -> Iterator[Finding]:
    exp = ctx.expect
    if exp.cnp_priority is None or not exp.cnp_dscps:
        return
    want_dscp = exp.cnp_dscps[0]
    for port, nic in ctx.roce_nics():
        if nic.cnp_dscp is None and nic.cnp_priority is None:
            continue  # not readable (needs OFED sysfs or debugfs as root)
        if nic.cnp_dscp == want_dscp and nic.cnp_priority == exp.cnp_priority:
            continue
        yield finding(
            "HOST-CNP-001",
            ctx.name,
            port=port.name,
            priority=exp.cnp_priority,
            expected=f"cnp_dscp {want_dscp}, cnp_802p_prio {exp.cnp_priority}",
            actual=f"cnp_dscp {nic.cnp_dscp}, cnp_802p_prio {nic.cnp_priority}",
            remediation=f"echo {want_dscp} > /sys/class/net/{port.name}/ecn/roce_np/cnp_dscp; "
            f"echo {exp.cnp_priority} > /sys/class/net/{port.name}/ecn/roce_np/cnp_802p_prio",
        )


@check(
    "HOST-DCQCN-001",
    "DCQCN parameters as the policy declares",
    scope="host",
    tags=("ecn",),
    explanation="""The reaction point (ecn/roce_rp/*: how a sender cuts and recovers its rate on CNPs) and
    the notification point (ecn/roce_np/min_time_between_cnps) decide how fast DCQCN reacts; in a lossy
    profile they are the whole congestion control. Every parameter the policy's host.dcqcn declares must
    read back with that value; undeclared ones are the firmware's and are not checked.""",
)
def host_dcqcn(ctx: DeviceCtx) -> Iterator[Finding]:
    wanted = ctx.expect.dcqcn
    if not wanted:
        return
    for port, nic in ctx.nic_ports():
        if not nic.dcqcn:
            continue  # not exposed (upstream mlx5 has them in debugfs only; the plan warns)
        wrong = {k: v for k, v in sorted(wanted.items()) if k in nic.dcqcn and nic.dcqcn[k] != v}
        if not wrong:
            continue
        yield finding(
            "HOST-DCQCN-001",
            ctx.name,
            port=port.name,
            expected=", ".join(f"{k} {v}" for k, v in wrong.items()),
            actual=", ".join(f"{k} {nic.dcqcn[k]}" for k in wrong),
            remediation="; ".join(f"echo {v} > /sys/class/net/{port.name}/ecn/roce_{k}" for k, v in wrong.items()),
        )


@check(
    "HOST-RDMA-001",
    "RDMA port ACTIVE",
    scope="host",
    tags=("rdma",),
    explanation="""`rdma link` must show the RDMA device bound to this netdev with state ACTIVE and
    physical_state LINK_UP; otherwise no RoCE traffic flows regardless of QoS.""",
)
def rdma_active(ctx: DeviceCtx) -> Iterator[Finding]:
    for port, nic in ctx.roce_nics():
        if nic.rdma_state == "ACTIVE" and nic.rdma_physical_state in (None, "LINK_UP"):
            continue
        yield finding(
            "HOST-RDMA-001",
            ctx.name,
            port=port.name,
            expected="ACTIVE / LINK_UP",
            actual=f"{nic.rdma_device or 'no rdma device'}: {nic.rdma_state} / {nic.rdma_physical_state}",
            remediation=f"ip link set dev {port.name} up; check `rdma link` and the cable to the switch",
        )


@check(
    "HOST-PAUSE-001",
    "Global (802.3x) pause off",
    scope="host",
    tags=("pfc",),
    explanation="""Link-level pause stops every priority and cannot coexist with PFC on the same port;
    it must be off in both directions (`ethtool -a`).""",
)
def global_pause(ctx: DeviceCtx) -> Iterator[Finding]:
    for port, nic in ctx.nic_ports():
        if not nic.global_pause_rx and not nic.global_pause_tx:
            continue
        yield finding(
            "HOST-PAUSE-001",
            ctx.name,
            port=port.name,
            expected="rx off, tx off",
            actual=f"rx {'on' if nic.global_pause_rx else 'off'}, tx {'on' if nic.global_pause_tx else 'off'}",
            remediation=f"ethtool -A {port.name} rx off tx off",
        )


@check(
    "HOST-TCP-001",
    "TCP ECN as the policy declares",
    scope="host",
    tags=("ecn",),
    severity=Severity.info,
    explanation="""NVIDIA's host checklist enables net.ipv4.tcp_ecn=1 so TCP on the same NIC reacts to
    the marks the fabric applies; the policy's host.tcp_ecn states the wanted value.""",
)
def tcp_ecn(ctx: DeviceCtx) -> Iterator[Finding]:
    want = ctx.expect.tcp_ecn
    if want is None:
        return
    for port, nic in ctx.nic_ports():
        if nic.tcp_ecn is None or nic.tcp_ecn == want:
            continue
        yield finding(
            "HOST-TCP-001",
            ctx.name,
            port=port.name,
            expected=want,
            actual=nic.tcp_ecn,
            remediation=f"sysctl -w net.ipv4.tcp_ecn={want}",
        )
