"""Switch PFC watchdog: armed on every lossless priority, policy action and timers, poll interval."""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import DeviceCtx, finding
from agent.checks.finding import Finding
from agent.checks.registry import check


@check(
    "SW-WD-001",
    "PFC watchdog armed on every lossless priority (pfcwd_sw_enable)",
    scope="switch",
    tags=("watchdog", "pfc"),
    explanation="""Since SONiC 202205 the PFC watchdog only monitors the priorities in
    PORT_QOS_MAP.pfcwd_sw_enable (0 when the field is missing). If it does not cover pfc_enable, a PFC
    storm on a lossless priority is never detected and can freeze the fabric.""",
)
def pfcwd_sw_enable(ctx: DeviceCtx) -> Iterator[Finding]:
    for pi, port in ctx.lossless_ports():
        if not ctx.watchdog_of(pi).enabled:  # the port's profile (a per-link one may differ)
            continue
        lossless = set(ctx.lossless_of(pi))
        wd = port.watchdog
        have = set(wd.priorities) if wd is not None else set()
        missing = lossless - have
        if not missing:
            continue
        want = ",".join(str(p) for p in sorted(have | lossless))
        yield finding(
            "SW-WD-001",
            ctx.name,
            port=port.name,
            expected="covers " + ",".join(str(p) for p in sorted(lossless)),
            actual=",".join(str(p) for p in sorted(have)) or "(none)",
            remediation=f"sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|{port.name}' pfcwd_sw_enable {want}",
        )


@check(
    "SW-WD-002",
    "PFC watchdog present with the policy's action and timers",
    scope="switch",
    tags=("watchdog",),
    explanation="""PFC_WD|<port> must exist for every lossless port with the policy's action (drop by
    default) and detection/restoration times; a missing entry means storms are never mitigated, other
    timers mean this switch reacts differently from the rest of the fabric.""",
)
def watchdog_config(ctx: DeviceCtx) -> Iterator[Finding]:
    cmd = "config pfcwd start --action {a} --restoration-time {r} {p} {d}"
    for pi, port in ctx.lossless_ports():
        pol = ctx.watchdog_of(pi)
        if not pol.enabled:
            continue
        want = f"action {pol.action.value} detection {pol.detection_time} restoration {pol.restoration_time}"
        wd = port.watchdog
        if wd is not None and wd.present:
            have = f"action {wd.action} detection {wd.detection_time} restoration {wd.restoration_time}"
            if have == want:
                continue
        else:
            have = "absent"
        yield finding(
            "SW-WD-002",
            ctx.name,
            port=port.name,
            expected=want,
            actual=have,
            remediation=cmd.format(a=pol.action.value, r=pol.restoration_time, p=port.name, d=pol.detection_time),
        )


@check(
    "SW-WD-003",
    "PFC watchdog poll interval as policy and not above the timers",
    scope="switch",
    tags=("watchdog",),
    explanation="""PFC_WD|GLOBAL POLL_INTERVAL must be <= every detection and restoration time (the CLI
    enforces it, YANG/GCU do not), else detection is late by up to a poll period; it should equal the
    policy's poll_interval.""",
)
def watchdog_poll(ctx: DeviceCtx) -> Iterator[Finding]:
    pol = ctx.expect.watchdog
    armed = any(ctx.watchdog_of(pi).enabled for pi, _p in ctx.lossless_ports())
    if not (pol.enabled or armed) or not ctx.ports:
        return
    poll = ctx.state.watchdog_poll_interval
    timers = [
        t
        for _pi, port in ctx.ports
        if port.watchdog is not None and port.watchdog.present
        for t in (port.watchdog.detection_time, port.watchdog.restoration_time)
        if t is not None
    ]
    floor = min(timers) if timers else None
    if poll == pol.poll_interval and (floor is None or poll <= floor):
        return
    yield finding(
        "SW-WD-003",
        ctx.name,
        expected=f"POLL_INTERVAL {pol.poll_interval} ms (<= detection/restoration)",
        actual="not set" if poll is None else f"{poll} ms" + (f" (smallest timer {floor} ms)" if floor else ""),
        remediation=f"config pfcwd interval {pol.poll_interval}",
    )
