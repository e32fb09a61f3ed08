"""Switch classification, PFC enablement, scheduling, MTU and config hygiene (SONiC first, any NOS via DeviceState).

The chain each check follows is SONiC's: DSCP -> TC (DSCP_TO_TC_MAP) -> PG (TC_TO_PRIORITY_GROUP_MAP) and
TC -> queue (TC_TO_QUEUE_MAP); a received PFC priority pauses the queue MAP_PFC_PRIORITY_TO_QUEUE names.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import DeviceCtx, finding
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check

_APPLY = "or run `roce-agent apply` to render the policy"


def _csv(values: object) -> str:
    return ",".join(str(v) for v in sorted(values)) if values else "(none)"  # type: ignore[call-overload]


def _is_azure_trap(dscp_map: dict[int, int]) -> bool:
    """SONiC's default AZURE map: DSCP 3->3, 4->4, 48->6 and everything unlisted (incl. 26) -> TC 1."""
    return dscp_map.get(26) == 1 and dscp_map.get(3) == 3 and dscp_map.get(4) == 4 and dscp_map.get(48) == 6


@check(
    "SW-QOS-001",
    "Port trusts the policy's marking (DSCP map bound)",
    scope="switch",
    tags=("trust", "dscp"),
    explanation="""Community SONiC has no trust knob: a port trusts DSCP when PORT_QOS_MAP binds a
    dscp_to_tc_map to it (or to the `global` key). Without it RoCE traffic is classified by PCP or
    lands in TC 0, never reaching the lossless TC.""",
)
def trust_mode(ctx: DeviceCtx) -> Iterator[Finding]:
    want = ctx.expect.trust
    for _pi, port in ctx.ports:
        have = port.trust.value if port.trust is not None else None
        if have != want:
            yield finding(
                "SW-QOS-001",
                ctx.name,
                port=port.name,
                expected=want,
                actual=have or "no map bound",
                remediation=f"bind the policy map: PORT_QOS_MAP|{port.name} dscp_to_tc_map=<policy map> {_APPLY}",
            )


@check(
    "SW-QOS-002",
    "RoCE DSCP reaches a lossless TC",
    scope="switch",
    tags=("dscp", "pfc"),
    explanation="""Every DSCP of a lossless class must map (DSCP_TO_TC_MAP) to that class's priority,
    which is in pfc_enable. SONiC's default AZURE map sends DSCP 26 — the usual RoCEv2 marking — to
    lossy TC 1, so RoCE gets no PFC and is dropped under incast. The finding says when the port still
    carries the AZURE default.""",
)
def roce_dscp_lossless(ctx: DeviceCtx) -> Iterator[Finding]:
    roce = ctx.expect.roce_dscps
    policy_map = ctx.expect.dscp_map
    for _pi, port in ctx.ports:
        table = port.dscp_to_priority
        if table == policy_map:
            continue  # fast path: the port runs the policy's own map
        for dscp, prio in roce.items():
            have = table.get(dscp)
            if have == prio:
                continue
            hint = f"set DSCP_TO_TC_MAP entry {dscp} -> {prio} in the map bound to {port.name} {_APPLY}"
            if _is_azure_trap(table):
                hint = f"{port.name} still uses SONiC's default AZURE map (DSCP 26 -> lossy TC 1); " + hint
            yield finding(
                "SW-QOS-002",
                ctx.name,
                port=port.name,
                priority=prio,
                expected=f"DSCP {dscp} -> TC {prio} (lossless)",
                actual=f"DSCP {dscp} -> {'unmapped' if have is None else f'TC {have}'}",
                remediation=hint,
            )


@check(
    "SW-QOS-003",
    "CNP DSCP reaches its own non-lossless TC",
    scope="switch",
    tags=("dscp", "ecn"),
    explanation="""Congestion notification packets (CNP) must map to the policy's CNP priority, which must
    not be lossless: a CNP stuck behind a paused lossless queue arrives too late to slow the sender
    (DCQCN). NVIDIA's default is DSCP 48 -> TC 6 on a strict-priority queue.""",
)
def cnp_dscp(ctx: DeviceCtx) -> Iterator[Finding]:
    exp = ctx.expect
    if exp.cnp_priority is None:
        return
    for _pi, port in ctx.ports:
        if port.dscp_to_priority == exp.dscp_map and exp.cnp_priority not in port.lossless_priorities:
            continue  # fast path: the policy's own map, CNP priority not paused
        for dscp in exp.cnp_dscps:
            have = port.dscp_to_priority.get(dscp)
            lossless_now = have is not None and have in port.lossless_priorities
            if have == exp.cnp_priority and not lossless_now:
                continue
            yield finding(
                "SW-QOS-003",
                ctx.name,
                port=port.name,
                priority=exp.cnp_priority,
                expected=f"DSCP {dscp} -> TC {exp.cnp_priority} (not lossless)",
                actual=f"DSCP {dscp} -> {'unmapped' if have is None else f'TC {have}'}"
                + (" (lossless)" if lossless_now else ""),
                remediation=f"set DSCP_TO_TC_MAP entry {dscp} -> {exp.cnp_priority} and keep "
                f"{exp.cnp_priority} out of pfc_enable on {port.name} {_APPLY}",
            )


@check(
    "SW-QOS-004",
    "No lossy DSCP lands in a lossless TC",
    scope="switch",
    tags=("dscp", "pfc"),
    explanation="""Only the RoCE DSCP values may map to a lossless TC. Other traffic there shares the
    lossless queue and its PFC pauses (head-of-line blocking), and non-ECT packets on an ECN/WRED
    queue may be dropped between Kmin and Kmax on some ASICs.""",
)
def lossy_in_lossless(ctx: DeviceCtx) -> Iterator[Finding]:
    lossless = ctx.expect.lossless
    lossy = ctx.expect.lossy_dscps
    policy_map = ctx.expect.dscp_map
    for _pi, port in ctx.ports:
        if port.dscp_to_priority == policy_map:
            continue  # fast path: the policy's map puts only RoCE DSCPs in lossless TCs
        bad = sorted(d for d, tc in port.dscp_to_priority.items() if tc in lossless and d in lossy)
        if not bad:
            continue
        yield finding(
            "SW-QOS-004",
            ctx.name,
            port=port.name,
            expected="only RoCE DSCP " + _csv(ctx.expect.roce_dscps) + " in lossless TCs",
            actual="DSCP " + ", ".join(f"{d}->TC {port.dscp_to_priority[d]}" for d in bad),
            remediation="map " + ", ".join(f"DSCP {d} -> TC {policy_map[d]}" for d in bad) + f" {_APPLY}",
        )


def _map_check(ctx: DeviceCtx, check_id: str, attr: str, what: str, table: str) -> Iterator[Finding]:
    for _pi, port in ctx.ports:
        mapping: dict[int, int] = getattr(port, attr)
        for prio in ctx.expect.lossless_sorted:
            have = mapping.get(prio)
            if have == prio:
                continue
            yield finding(
                check_id,
                ctx.name,
                port=port.name,
                priority=prio,
                expected=f"{what} {prio} -> {prio}",
                actual=f"{what} {prio} -> {'unmapped' if have is None else have}",
                remediation=f"set {table} entry {prio} -> {prio} in the map bound to {port.name} {_APPLY}",
            )


@check(
    "SW-QOS-005",
    "Lossless TC maps to its own PG (TC -> PG identity)",
    scope="switch",
    tags=("pfc", "buffer"),
    explanation="""PFC is generated when the ingress PG of a priority crosses xoff, and buffermgrd builds
    the lossless PG key from pfc_enable (priority 3 -> PG 3). TC_TO_PRIORITY_GROUP_MAP must therefore map
    each lossless TC to the PG of the same number (the AZURE map does: 3->3, 4->4).""",
)
def tc_to_pg(ctx: DeviceCtx) -> Iterator[Finding]:
    return _map_check(ctx, "SW-QOS-005", "priority_to_pg", "TC", "TC_TO_PRIORITY_GROUP_MAP")


@check(
    "SW-QOS-006",
    "Lossless TC maps to its own queue (TC -> queue identity)",
    scope="switch",
    tags=("pfc", "scheduler"),
    explanation="""A received PFC frame for priority p pauses the queue MAP_PFC_PRIORITY_TO_QUEUE names;
    the lossless traffic must be in that queue, so TC_TO_QUEUE_MAP maps each lossless TC to the queue of
    the same number (identity, as the AZURE map does), and the ECN profile is attached to that queue.""",
)
def tc_to_queue(ctx: DeviceCtx) -> Iterator[Finding]:
    return _map_check(ctx, "SW-QOS-006", "priority_to_queue", "TC", "TC_TO_QUEUE_MAP")


@check(
    "SW-QOS-007",
    "PFC priority pauses the queue that carries it",
    scope="switch",
    tags=("pfc",),
    explanation="""MAP_PFC_PRIORITY_TO_QUEUE (pfc_to_queue_map) decides which egress queue stops when a
    PFC frame for priority p arrives. If it names a different queue than TC_TO_QUEUE_MAP, the peer's
    pause stops the wrong queue and the lossless queue keeps sending into a full buffer.""",
)
def pfc_to_queue(ctx: DeviceCtx) -> Iterator[Finding]:
    return _map_check(ctx, "SW-QOS-007", "pfc_priority_to_queue", "PFC priority", "MAP_PFC_PRIORITY_TO_QUEUE")


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
            expected=_csv(want),
            actual=_csv(have),
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
        q = port.queues.get(queue)
        have = q.scheduler.type if q is not None and q.scheduler is not None else None
        if have != "strict":
            yield finding(
                "SW-SCH-001",
                ctx.name,
                port=port.name,
                priority=queue,
                expected="STRICT",
                actual=have.upper() if have else "no scheduler",
                remediation=f"QUEUE|{port.name}|{queue} scheduler=<a SCHEDULER with type STRICT> {_APPLY}",
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
            q = port.queues.get(queue)
            have = q.scheduler if q is not None else None
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
                remediation=f"QUEUE|{port.name}|{queue} scheduler=<DWRR weight {sched.weight}> {_APPLY}",
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
