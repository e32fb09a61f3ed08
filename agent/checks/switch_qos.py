"""Switch classification: DSCP trust and the DSCP -> TC -> PG / queue maps (SONiC first, any NOS via DeviceState).

The chain each check follows is SONiC's: DSCP -> TC (DSCP_TO_TC_MAP) -> PG (TC_TO_PRIORITY_GROUP_MAP) and
TC -> queue (TC_TO_QUEUE_MAP); a received PFC priority pauses the queue MAP_PFC_PRIORITY_TO_QUEUE names.
PFC enablement, scheduling, MTU, port state and config hygiene are in agent.checks.switch_port.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import DeviceCtx, finding
from agent.checks.finding import Finding
from agent.checks.registry import check

APPLY_HINT = "or run `roce-agent apply` to render the policy"


def csv_or_none(values: object) -> str:
    """Sorted comma list as findings print sets of priorities or DSCPs; "(none)" for an empty set."""
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
                remediation=f"bind the policy map: PORT_QOS_MAP|{port.name} dscp_to_tc_map=<policy map> {APPLY_HINT}",
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
        trap = ""  # decided once per port, not per RoCE DSCP
        if _is_azure_trap(table):
            trap = f"{port.name} still uses SONiC's default AZURE map (DSCP 26 -> lossy TC 1); "
        for dscp, prio in roce.items():
            have = table.get(dscp)
            if have == prio:
                continue
            hint = f"{trap}set DSCP_TO_TC_MAP entry {dscp} -> {prio} in the map bound to {port.name} {APPLY_HINT}"
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
                f"{exp.cnp_priority} out of pfc_enable on {port.name} {APPLY_HINT}",
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
            expected="only RoCE DSCP " + csv_or_none(ctx.expect.roce_dscps) + " in lossless TCs",
            actual="DSCP " + ", ".join(f"{d}->TC {port.dscp_to_priority[d]}" for d in bad),
            remediation="map " + ", ".join(f"DSCP {d} -> TC {policy_map[d]}" for d in bad) + f" {APPLY_HINT}",
        )


def _map_check(ctx: DeviceCtx, check_id: str, attr: str, what: str, table: str) -> Iterator[Finding]:
    """SW-QOS-005..007 are one rule on three maps: PFC keys everything by priority number, so each
    lossless priority must map to the PG / queue of its own number in `attr` (SONiC table `table`)."""
    for pi, port in ctx.ports:
        mapping: dict[int, int] = getattr(port, attr)
        for prio in sorted(ctx.expect.lossless | set(ctx.lossless_of(pi))):  # a per-link lossless port too
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
                remediation=f"set {table} entry {prio} -> {prio} in the map bound to {port.name} {APPLY_HINT}",
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
