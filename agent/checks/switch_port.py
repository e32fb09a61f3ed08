"""Switch ports: PFC enablement, queue scheduling, MTU, speed and link state, and config hygiene.

What a port does with traffic once it is classified (agent.checks.switch_qos holds the classification
maps): which priorities it pauses, how its queues are scheduled, and whether the port itself is as
declared (MTU, speed, up) and the running configuration survives a reboot.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import DeviceCtx, finding, queue_scheduler
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check
from agent.checks.switch_qos import APPLY_HINT, csv_or_none


@check(
    "SW-PFC-001",
    "pfc_enable equals the policy's lossless priorities",
    scope="switch",
    tags=("pfc",),
    explanation="""PORT_QOS_MAP.pfc_enable on every active port must be exactly the policy's lossless set:
    a missing priority is lossy (drops under incast), an extra one reserves headroom and lets pauses
    spread on a class that was meant to be lossy. orchagent programs it as the port's PFC bitmask.""",
)
def pfc_enable(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        want = set(pi.lossless_priorities) if pi is not None else ctx.expect.lossless
        have = set(port.lossless_priorities)
        if have == want:
            continue
        cmds = [f"config interface pfc priority {port.name} {p} on" for p in sorted(want - have)]
        cmds += [f"config interface pfc priority {port.name} {p} off" for p in sorted(have - want)]
        yield finding(
            "SW-PFC-001",
            ctx.name,
            port=port.name,
            expected=csv_or_none(want),
            actual=csv_or_none(have),
            remediation="; ".join(cmds),
        )


@check(
    "SW-PFC-002",
    "Asymmetric PFC is off",
    scope="switch",
    tags=("pfc",),
    severity=Severity.warning,
    explanation="""With pfc_asym on, a SONiC port honours received PFC on every priority while
    generating it only for lossless ones. The policy declares symmetric PFC; asymmetric mode is a
    server-facing special case that must be intended per port.""",
)
def pfc_asym(ctx: DeviceCtx) -> Iterator[Finding]:
    for _pi, port in ctx.ports:
        if port.pfc_asym:
            yield finding(
                "SW-PFC-002",
                ctx.name,
                port=port.name,
                expected="off",
                actual="on",
                remediation=f"config interface pfc asymmetric {port.name} off",
            )


@check(
    "SW-SCH-001",
    "CNP queue is strict priority",
    scope="switch",
    tags=("scheduler", "ecn"),
    explanation="""CNPs must overtake data so the sender reacts within microseconds: the queue the CNP
    TC maps to needs a STRICT scheduler (Cumulus/Onyx default: TC 6 strict).""",
)
def cnp_strict(ctx: DeviceCtx) -> Iterator[Finding]:
    cnp = ctx.expect.cnp_priority
    if cnp is None or not ctx.expect.is_strict(cnp):
        return
    for _pi, port in ctx.ports:
        queue = port.priority_to_queue.get(cnp, cnp)
        sched = queue_scheduler(port, queue)
        have = sched.type if sched is not None else None
        if have != "strict":
            yield finding(
                "SW-SCH-001",
                ctx.name,
                port=port.name,
                priority=queue,
                expected="STRICT",
                actual=have.upper() if have else "no scheduler",
                remediation=f"QUEUE|{port.name}|{queue} scheduler=<a SCHEDULER with type STRICT> {APPLY_HINT}",
            )


@check(
    "SW-SCH-002",
    "Queue schedulers and weights as the policy declares",
    scope="switch",
    tags=("scheduler",),
    severity=Severity.warning,
    explanation="""Each class's queue must use the scheduler type and DWRR weight the policy declares
    (e.g. RoCE 50 %, default 50 %); a different weight starves RoCE or other traffic and differs from
    the rest of the fabric.""",
)
def queue_weights(ctx: DeviceCtx) -> Iterator[Finding]:
    for prio, sched in ctx.expect.scheduling.items():
        if sched.type.value != "dwrr" or sched.weight is None:
            continue
        for _pi, port in ctx.ports:
            queue = port.priority_to_queue.get(prio, prio)
            have = queue_scheduler(port, queue)
            if have is not None and have.type == "dwrr" and have.weight == sched.weight:
                continue
            actual = "no scheduler" if have is None else f"{(have.type or '?').upper()} weight {have.weight}"
            yield finding(
                "SW-SCH-002",
                ctx.name,
                port=port.name,
                priority=queue,
                expected=f"DWRR weight {sched.weight}",
                actual=actual,
                remediation=f"QUEUE|{port.name}|{queue} scheduler=<DWRR weight {sched.weight}> {APPLY_HINT}",
            )


@check(
    "SW-MTU-001",
    "Port MTU as the policy declares",
    scope="switch",
    tags=("mtu",),
    explanation="""RoCE frames (4096 payload + headers) must fit every hop, and the dynamic buffer model
    sizes headroom from the port MTU; a port below the policy MTU drops jumbo RoCE silently.""",
)
def switch_mtu(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        want = pi.mtu if pi is not None else ctx.expect.switch_mtu
        if port.mtu != want:
            yield finding(
                "SW-MTU-001",
                ctx.name,
                port=port.name,
                expected=want,
                actual=port.mtu,
                remediation=f"config interface mtu {port.name} {want}",
            )


@check(
    "SW-PORT-001",
    "Port speed as the inventory declares",
    scope="switch",
    tags=("speed", "buffer"),
    explanation="""Headroom is sized from the port speed (buffermgrd's profile name carries it), so a port
    running at another speed than declared has headroom for the wrong rate.""",
)
def switch_speed(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        if pi is None or pi.speed_mbps is None or port.speed_mbps == pi.speed_mbps:
            continue
        yield finding(
            "SW-PORT-001",
            ctx.name,
            port=port.name,
            expected=f"{pi.speed_mbps} Mb/s",
            actual="unknown" if port.speed_mbps is None else f"{port.speed_mbps} Mb/s",
            remediation=f"config interface speed {port.name} {pi.speed_mbps} (or fix port_speed in the inventory)",
        )


@check(
    "SW-PORT-002",
    "Linked port is up",
    scope="switch",
    tags=("speed",),
    severity=Severity.warning,
    explanation="""A port in the topology that is admin or oper down carries no traffic; on Mellanox its
    lossless PGs are reclaimed, so it comes back without headroom until buffermgrd reacts.""",
)
def switch_port_up(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        if pi is None or (port.admin_up is not False and port.oper_up is not False):
            continue
        state = "admin down" if port.admin_up is False else "oper down"
        yield finding(
            "SW-PORT-002",
            ctx.name,
            port=port.name,
            expected="admin up, oper up",
            actual=state,
            remediation=f"config interface startup {port.name}; then check the cable and the peer {pi.peer}",
        )


@check(
    "SW-CFG-001",
    "Running configuration is saved",
    scope="switch",
    tags=("config",),
    severity=Severity.warning,
    explanation="""If CONFIG_DB differs from /etc/sonic/config_db.json, a reboot or `config reload` brings
    back the old QoS configuration — the fabric silently loses its lossless settings.""",
)
def config_saved(ctx: DeviceCtx) -> Iterator[Finding]:
    if ctx.state.config_saved is False:
        yield finding(
            "SW-CFG-001",
            ctx.name,
            expected="running == startup",
            actual="unsaved changes",
            remediation="config save -y",
        )
