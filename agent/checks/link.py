"""Link-end symmetry: both ends of every switch-host and switch-switch cable must agree.

Reported like NetQ's "... inconsistent with <peer>": the finding sits on end A of the link as declared
in links.yaml, `expected` is A's value and `actual` names the peer and its value.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import LinkCtx, finding
from agent.checks.finding import Finding
from agent.checks.registry import check
from agent.state import DeviceKind


def _fmt(prios: list[int]) -> str:
    return ",".join(map(str, sorted(prios))) or "(none)"


def _mismatch(ctx: LinkCtx, check_id: str, a_val: str, b_val: str, remediation: str) -> Finding:
    return finding(
        check_id,
        ctx.link.a.device,
        port=ctx.link.a.port,
        expected=f"{ctx.link.a}: {a_val} (same as peer)",
        actual=f"{ctx.link.b}: {b_val}",
        remediation=remediation,
    )


@check(
    "LINK-PFC-001",
    "Both link ends have the same lossless priorities",
    scope="link",
    tags=("pfc",),
    explanation="""PFC works per link: the receiver pauses a priority only if it treats it as lossless,
    and the sender obeys only if it has PFC on for it. Different sets on the two ends mean one side drops
    what the other believes is lossless.""",
)
def link_pfc(ctx: LinkCtx) -> Iterator[Finding]:
    a, b = set(ctx.a_port.lossless_priorities), set(ctx.b_port.lossless_priorities)
    if a != b:
        yield _mismatch(
            ctx,
            "LINK-PFC-001",
            _fmt(list(a)),
            _fmt(list(b)),
            "make both ends equal to the policy's lossless priorities (see SW-PFC-001 / HOST-PFC-001)",
        )


@check(
    "LINK-TRUST-001",
    "Both link ends trust the same marking",
    scope="link",
    tags=("trust", "dscp"),
    explanation="""If one end classifies by DSCP and the other by PCP, the same packet gets different
    priorities on the two sides of the cable (NetQ RoCE test: same mode on both ends).""",
)
def link_trust(ctx: LinkCtx) -> Iterator[Finding]:
    a, b = ctx.a_port.trust, ctx.b_port.trust
    if a != b:
        yield _mismatch(
            ctx,
            "LINK-TRUST-001",
            a.value if a else "unknown",
            b.value if b else "unknown",
            "set trust to the policy's `trust` on both ends (see SW-QOS-001 / HOST-QOS-001)",
        )


@check(
    "LINK-MTU-001",
    "Link MTU consistent at both ends",
    scope="link",
    tags=("mtu",),
    explanation="""Switch-switch links need the same MTU on both ends. On a switch-host link the switch
    port MTU must be at least the host's netdev MTU (the policy's mtu.switch defaults above mtu.host),
    otherwise the switch drops the host's largest RoCE frames while ping still works.""",
)
def link_mtu(ctx: LinkCtx) -> Iterator[Finding]:
    a, b = ctx.a_port.mtu, ctx.b_port.mtu
    if a is None or b is None:
        return
    if ctx.link.role == "host" and ctx.a_state.kind is not ctx.b_state.kind:
        switch_mtu, host_mtu = (a, b) if ctx.a_state.kind is DeviceKind.switch else (b, a)
        if switch_mtu >= host_mtu:
            return
    elif a == b:
        return
    yield _mismatch(ctx, "LINK-MTU-001", str(a), str(b), "align mtu.switch / mtu.host in the policy and apply")


@check(
    "LINK-SPEED-001",
    "Both link ends run the same speed",
    scope="link",
    tags=("speed",),
    explanation="""A speed mismatch either keeps the link down or makes headroom (sized per speed) wrong
    on one side.""",
)
def link_speed(ctx: LinkCtx) -> Iterator[Finding]:
    a, b = ctx.a_port.speed_mbps, ctx.b_port.speed_mbps
    if a is not None and b is not None and a != b:
        yield _mismatch(
            ctx,
            "LINK-SPEED-001",
            f"{a} Mb/s",
            f"{b} Mb/s",
            f"set the same speed on both ends (SONiC: config interface speed {ctx.link.a.port} <Mb/s>)",
        )
