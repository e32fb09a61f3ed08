"""Switch lossless buffers (PGs, headroom, cable length), ECN/WRED on lossless queues, and the PFC watchdog."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from agent.checks.context import DeviceCtx, finding
from agent.checks.finding import Finding, Severity
from agent.checks.headroom_expect import expected_dynamic_profile, mellanox_budget
from agent.checks.registry import check
from agent.policy import ecn as ecn_math
from agent.policy import headroom as headroom_math
from agent.policy.headroom import Headroom
from agent.state import EcnState, PortState

_APPLY = "or run `roce-agent apply`"


@lru_cache(maxsize=256)
def _physical_bound(speed_mbps: int, cable_m: int, mtu: int) -> int | None:
    """Cached: thousands of ports share a handful of (speed, cable, MTU) triples. None = speed unknown to IEEE."""
    try:
        return headroom_math.minimum_xoff(speed_mbps, cable_m, mtu)
    except ValueError:
        return None


@lru_cache(maxsize=256)
def _pfc_trigger(pool: int, dynamic_th: int) -> int | None:
    try:
        return ecn_math.pfc_trigger_threshold(pool, dynamic_th, 1)
    except ValueError:
        return None


@check(
    "SW-BUF-001",
    "Lossless PG configured for every lossless priority",
    scope="switch",
    tags=("buffer", "pfc"),
    explanation="""Each pfc_enable priority needs a BUFFER_PG entry in CONFIG_DB (traditional model: a
    pg_lossless_<speed>_<cable>_profile written by buffermgrd; dynamic model: profile "NULL"). Without it
    the port sends PFC but has no headroom behind xoff, so it drops.""",
)
def pg_configured(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.lossless_ports():
        for prio in ctx.lossless_of(pi):
            pg = ctx.pg_for(port, prio)
            if pg is not None and pg.configured_profile:
                continue
            yield finding(
                "SW-BUF-001",
                ctx.name,
                port=port.name,
                priority=prio,
                expected=f"BUFFER_PG|{port.name}|{prio} with a lossless profile",
                actual="absent" if pg is None else f"BUFFER_PG|{port.name}|{pg.key} without profile",
                remediation=f"check CABLE_LENGTH and speed of {port.name} so buffermgrd creates the PG; "
                f"dynamic model: config interface buffer priority-group lossless add {port.name} {prio}",
            )


@check(
    "SW-BUF-002",
    "Lossless PG programmed in the data plane (APPL_DB)",
    scope="switch",
    tags=("buffer", "pfc"),
    explanation="""CONFIG_DB shows intent; buffermgrd can still refuse it (unknown speed/cable pair,
    headroom over the limit, 0m cable) and the port forwards with no lossless buffer. The check reads the
    programmed profile (APPL_DB BUFFER_PG_TABLE) and requires xoff > 0.""",
)
def pg_programmed(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.lossless_ports():
        for prio in ctx.lossless_of(pi):
            pg = ctx.pg_for(port, prio)
            prog = pg.programmed if pg is not None else None
            if prog is not None and (prog.xoff or 0) > 0:
                continue
            yield finding(
                "SW-BUF-002",
                ctx.name,
                port=port.name,
                priority=prio,
                expected="APPL_DB BUFFER_PG_TABLE entry with xoff > 0",
                actual="absent" if prog is None else f"profile {prog.name} xoff {prog.xoff}",
                remediation=f"fix the inputs buffermgrd needs on {port.name} (speed, CABLE_LENGTH != 0m, "
                "pfc_enable) and read its log: `show logging | grep buffermgrd`",
            )


@check(
    "SW-BUF-003",
    "Cable length set (not 0m) and as declared",
    scope="switch",
    tags=("buffer",),
    explanation="""buffermgrd sizes headroom from CABLE_LENGTH; `0m` (the docker-sonic-vs default) or no
    entry means no lossless PG at all. A length different from the policy's cable_length for the link
    role sizes headroom for the wrong round trip (warning).""",
)
def cable_length(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        want = pi.cable_m if pi is not None else None
        if port.cable_m and (want is None or port.cable_m == want):
            continue
        sev = Severity.error if not port.cable_m else Severity.warning
        actual = "not set" if port.cable_m is None else f"{port.cable_m}m"
        target = f"{want}m" if want is not None else "the real length (e.g. 5m)"
        yield finding(
            "SW-BUF-003",
            ctx.name,
            port=port.name,
            expected=target,
            actual=actual,
            severity=sev,
            remediation=f"sonic-db-cli CONFIG_DB hset 'CABLE_LENGTH|AZURE' {port.name} {target} "
            f"(dynamic model: config interface cable-length {port.name} {target}); policy key cable_length",
        )


@check(
    "SW-BUF-004",
    "Headroom (xoff) covers at least the cable and the sender's response",
    scope="switch",
    tags=("buffer", "pfc"),
    explanation="""After the PG crosses xoff, bytes keep arriving until the sender stops: the frame in
    flight, the cable round trip at line rate and the sender's response time (IEEE 802.3 Annex 31B pause
    quanta). The check compares the programmed xoff (APPL_DB) with that floor
    (agent.policy.headroom.minimum_xoff: port MTU + cable both ways + pause quanta, from the port's speed,
    cable length and MTU). It deliberately leaves out the second frame, interface delays and cell
    inflation of the full physical bound: platforms account for those differently (SONiC assumes a
    1024 B lossless MTU), and the full bound sits above healthy SONiC profiles at 100G. Every SONiC value
    in the reference is above this floor; a profile below it cannot stop the sender before overflow
    (typically a traditional pg_profile_lookup.ini row meant for a slower port or a shorter cable).
    In the dynamic model on a known platform (DEVICE_METADATA platform, else the policy's
    headroom.platform) the profile must also be at least what SONiC's own headroom plugin computes for
    the port (agent.policy.headroom.lua_headroom with the platform's ASIC table and gearbox and the
    port's PORT.lanes: 8-lane ports need a doubled xon and the port MTU more in size); less means a
    stale or hand-made profile.""",
)
def headroom_adequate(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.ports:
        speed = port.speed_mbps or (pi.speed_mbps if pi is not None else None)
        cable = port.cable_m or (pi.cable_m if pi is not None else None)
        mtu = port.mtu or (pi.mtu if pi is not None else None)
        if not speed or not cable or not mtu:
            continue  # SW-PORT-001 / SW-BUF-003 / SW-MTU-001 report the missing input
        need = _physical_bound(speed, cable, mtu)
        sonic = expected_dynamic_profile(ctx.state, port, cable, mtu, ctx.intent.policy.headroom.platform)
        for prio in ctx.lossless_of(pi):
            pg = ctx.pg_for(port, prio)
            prog = pg.programmed if pg is not None else None
            if prog is None or not prog.xoff:
                continue  # absence is SW-BUF-002's finding
            if need is None or prog.xoff >= need:
                if sonic is not None and (prog.xoff < sonic.xoff or (prog.size or 0) < sonic.size):
                    yield _below_sonic(ctx, port, prio, prog.name, (prog.xoff, prog.size), sonic, (cable, mtu))
                continue
            yield finding(
                "SW-BUF-004",
                ctx.name,
                port=port.name,
                priority=prio,
                expected=f"xoff >= {need} B ({speed // 1000}G, {cable}m, MTU {mtu})",
                actual=f"xoff {prog.xoff} B ({prog.name})",
                remediation=f"raise xoff of {prog.name} to >= {need} (traditional: the pg_profile_lookup.ini "
                f"row for {speed} {cable}m; dynamic: check CABLE_LENGTH and MTU of {port.name})",
            )


def _below_sonic(
    ctx: DeviceCtx, port: PortState, prio: int, name: str, got: tuple[int, int | None], want: Headroom,
    cable_mtu: tuple[int, int],
) -> Finding:  # fmt: skip
    lanes = f", {port.lanes} lanes" if port.lanes else ""
    speed = (port.speed_mbps or 0) // 1000
    inputs = f"{speed}G, {cable_mtu[0]}m, MTU {cable_mtu[1]}{lanes} on {ctx.state.hardware_platform}"
    return finding(
        "SW-BUF-004",
        ctx.name,
        port=port.name,
        priority=prio,
        expected=f"xoff >= {want.xoff} B, size >= {want.size} B (SONiC's headroom formula: {inputs})",
        actual=f"{name}: xoff {got[0]} B, size {got[1]} B",
        remediation=f"let buffermgrd recompute the profile of {port.name} (remove the static profile from "
        f"BUFFER_PG|{port.name}|<pgs>, or check PORT|{port.name} lanes, speed and CABLE_LENGTH)",
    )


@check(
    "SW-BUF-005",
    "Lossless profile fields are sane and within the port's headroom budget",
    scope="switch",
    tags=("buffer",),
    explanation="""A lossless profile needs xon > 0, xoff > 0 and size >= xon (bytes). Where the platform
    publishes a per-port headroom limit (STATE_DB BUFFER_MAX_PARAM_TABLE max_headroom_size), the port's
    headroom must stay below it, or buffermgrd refuses the profile. On a known Mellanox/sonic-vs platform
    it is counted as buffer_check_headroom_mellanox.lua does: 4096 B + the lossy PG (pipeline latency,
    2x-1 on 8-lane ports) + egress mirror (20 KiB, 40 KiB on 8 lanes) + every PG's size times the PGs in
    its range; with the shared headroom pool on, the xoff parked in the pool must fit the port's SHP
    cells. Elsewhere: the PG sizes times their PG count plus 4096.""",
)
def headroom_budget(ctx: DeviceCtx) -> Iterator[Finding]:
    shp_on = ctx.state.lossless_traffic is not None and ctx.state.lossless_traffic.shared_headroom_pool
    for pi, port in ctx.ports:
        lossless_here = set(ctx.lossless_of(pi))
        total = 4096
        for pg in port.priority_groups:
            prog = pg.programmed
            if prog is None:
                continue
            total += (prog.size or 0) * len(pg.priorities)
            lossless = any(p in lossless_here for p in pg.priorities)
            if lossless and not ((prog.xon or 0) > 0 and (prog.xoff or 0) > 0 and (prog.size or 0) >= (prog.xon or 0)):
                yield finding(
                    "SW-BUF-005",
                    ctx.name,
                    port=port.name,
                    priority=pg.priorities[0] if pg.priorities else None,
                    expected="xon > 0, xoff > 0, size >= xon",
                    actual=f"{prog.name}: size {prog.size} xon {prog.xon} xoff {prog.xoff}",
                    remediation=f"correct BUFFER_PROFILE|{prog.name} (config mmu / pg_profile_lookup.ini)",
                )
        yield from _over_budget(ctx, port, total, shp_on)


def _over_budget(ctx: DeviceCtx, port: PortState, neutral_total: int, shp_on: bool) -> Iterator[Finding]:
    declared = ctx.intent.policy.headroom.platform
    budget = mellanox_budget(ctx.state, port, declared) if port.max_headroom_size is not None else None
    fix = f"shorten cable_length or reduce lossless priorities on {port.name}"
    if budget is None:
        if port.max_headroom_size is not None and neutral_total > port.max_headroom_size:
            yield finding("SW-BUF-005", ctx.name, port=port.name, expected=f"headroom <= {port.max_headroom_size} B",
                          actual=f"{neutral_total} B (PG sizes + 4096)", remediation=fix)  # fmt: skip
        return
    lanes = f"{port.lanes} lanes" if port.lanes else "lanes unknown"
    if port.max_headroom_size is not None and budget.accumulated >= port.max_headroom_size:
        yield finding(
            "SW-BUF-005", ctx.name, port=port.name, expected=f"headroom < {port.max_headroom_size} B",
            actual=f"{budget.accumulated} B (PGs + lossy PG + egress mirror + 4096, {lanes}, "
            f"{budget.platform})",
            remediation=fix,
        )  # fmt: skip
    if shp_on and budget.shared_limit is not None and budget.shared > budget.shared_limit:
        yield finding(
            "SW-BUF-005", ctx.name, port=port.name, expected=f"shared headroom <= {budget.shared_limit} B",
            actual=f"{budget.shared} B of xoff in the shared headroom pool ({lanes})", remediation=fix,
        )  # fmt: skip


def _lossless_queues(ctx: DeviceCtx, port: PortState) -> Iterator[tuple[int, int, EcnState | None]]:
    """(priority, the queue it maps to, that queue's ECN state or None): what the ECN checks walk. The
    lossless priorities, or in a lossy profile the RoCE class's: there ECN is the only congestion signal."""
    for prio in ctx.expect.marking:
        queue = port.priority_to_queue.get(prio, prio)
        q = port.queues.get(queue)
        yield prio, queue, q.ecn if q is not None else None


@check(
    "SW-ECN-001",
    "ECN marking enabled on every lossless queue",
    scope="switch",
    tags=("ecn",),
    explanation="""DCQCN needs the switch to mark CE on the lossless queue before PFC fires (in a lossy
    profile: on the RoCE queue, where marking is the only congestion signal). SONiC marks
    through a WRED_PROFILE attached to QUEUE|<port>|<q>; it only acts with `ecn` != ecn_none and
    wred_green_enable true (the SAI default is off, and ecnconfig historically did not set it).""",
)
def ecn_enabled(ctx: DeviceCtx) -> Iterator[Finding]:
    for _pi, port in ctx.ports:
        for _prio, queue, ecn in _lossless_queues(ctx, port):
            if ecn is not None and ecn.enabled:
                continue
            actual = "no WRED profile" if ecn is None else f"profile {ecn.profile} not marking (ecn {ecn.mode})"
            yield finding(
                "SW-ECN-001",
                ctx.name,
                port=port.name,
                priority=queue,
                expected="WRED profile with ecn_all/ecn_green and wred_green_enable true",
                actual=actual,
                remediation=f"QUEUE|{port.name}|{queue} wred_profile=<lossless profile>; in the profile set "
                f"ecn=ecn_all and wred_green_enable=true {_APPLY}",
            )


@check(
    "SW-ECN-002",
    "ECN thresholds valid and as the policy declares",
    scope="switch",
    tags=("ecn",),
    explanation="""Kmin must be below Kmax (bytes) or marking degenerates to a step; values other than the
    policy's classes[].ecn make this switch mark at a different depth than the rest of the fabric
    (warning). Probability is Pmax in percent.""",
)
def ecn_thresholds(ctx: DeviceCtx) -> Iterator[Finding]:
    for _pi, port in ctx.ports:
        for prio, queue, ecn in _lossless_queues(ctx, port):
            if ecn is None or not ecn.enabled:
                continue  # SW-ECN-001
            lo, hi = ecn.min_threshold, ecn.max_threshold
            actual = f"min {lo} max {hi} prob {ecn.probability}"
            if lo is None or hi is None or not 0 < lo < hi:
                yield finding(
                    "SW-ECN-002",
                    ctx.name,
                    port=port.name,
                    priority=queue,
                    expected="0 < min < max",
                    actual=actual,
                    remediation=f"ecnconfig -p {ecn.profile} -gmin <Kmin> -gmax <Kmax>",
                )
                continue
            want = ctx.expect.ecn.get(prio)
            if want is None or (lo, hi, ecn.probability) == (want.min_threshold, want.max_threshold, want.probability):
                continue
            yield finding(
                "SW-ECN-002",
                ctx.name,
                port=port.name,
                priority=queue,
                severity=Severity.warning,
                expected=f"min {want.min_threshold} max {want.max_threshold} prob {want.probability}",
                actual=actual,
                remediation=f"ecnconfig -p {ecn.profile} -gmin {want.min_threshold} -gmax {want.max_threshold} "
                f"-gdrop {want.probability}",
            )


@check(
    "SW-ECN-003",
    "ECN can mark before PFC fires",
    scope="switch",
    tags=("ecn", "pfc"),
    explanation="""ECN marks on egress queue depth, PFC fires on ingress PG occupancy against the dynamic
    threshold: a PG in pool B with alpha = 2^dynamic_th stabilises at alpha*B/(1+N*alpha) for N congested
    PGs (agent.policy.ecn.pfc_trigger_threshold). If Kmin is at or above that level for a single
    congested PG (N=1), PFC always fires first and DCQCN never engages (error); if only Kmax is above it,
    marking is weaker than intended (warning).""",
)
def ecn_before_pfc(ctx: DeviceCtx) -> Iterator[Finding]:
    pools = ctx.state.buffer_pool_sizes
    for _pi, port in ctx.ports:
        for prio, queue, ecn in _lossless_queues(ctx, port):
            pg = ctx.pg_for(port, prio)
            prog = pg.programmed if pg is not None else None
            if prog is None or prog.dynamic_th is None or ecn is None or not ecn.enabled:
                continue
            pool = pools.get(prog.pool or "")
            if not pool or ecn.min_threshold is None or ecn.max_threshold is None:
                continue
            trigger = _pfc_trigger(pool, prog.dynamic_th)
            if trigger is None or ecn.max_threshold <= trigger:
                continue
            sev = Severity.error if ecn.min_threshold >= trigger else Severity.warning
            yield finding(
                "SW-ECN-003",
                ctx.name,
                port=port.name,
                priority=queue,
                severity=sev,
                expected=f"Kmax <= {trigger} B (PFC trigger, pool {prog.pool} {pool} B, dynamic_th {prog.dynamic_th})",
                actual=f"Kmin {ecn.min_threshold} Kmax {ecn.max_threshold}",
                remediation=f"lower the ECN thresholds (policy classes[].ecn) below {trigger} B: "
                f"ecnconfig -p {ecn.profile} -gmax {trigger}",
            )
