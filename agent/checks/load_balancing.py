"""Load balancing for RoCE: hash fields, seeds per tier, adaptive routing, and the fabric entropy audit.

A RoCEv2 flow's only per-queue-pair entropy is its UDP source port (the destination is always 4791), so
a hash without L4_SRC_PORT pins every QP between two hosts to one member; equal hashes on consecutive
tiers (polarisation) make the second tier repeat the first tier's choice and leave links idle. These
checks read `DeviceState.load_balancing` (switches only) and run only for devices whose policy has a
`load_balancing:` section, except SW-LB-001, which judges any switch carrying RoCE whose hash is known.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from agent.checks.context import DeviceCtx, FabricCtx, finding
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check
from agent.loadbalancing import tiers
from agent.loadbalancing.hashing import HashSettings
from agent.policy.load_balancing import types_with_seed
from agent.state import LoadBalancingState

ROCE_FIELDS = ("SRC_IP", "DST_IP", "L4_SRC_PORT")
#: "Not known to the agent": switches hash on the ASIC's default when SWITCH_HASH is absent.
UNSET = "(not configured: ASIC default)"


def _fields(values: list[str] | None) -> str:
    return ",".join(values) if values is not None else UNSET


def _hash_cmd(kind: str, values: list[str]) -> str:
    return f"sudo config switch-hash global {kind}-hash {' '.join(values)}"


@check(
    "SW-LB-001",
    "ECMP hash includes L4_SRC_PORT and the IP pair on a switch carrying RoCE",
    scope="switch",
    tags=("hash",),
    explanation="""RoCEv2 is UDP to port 4791: the source port the NIC picks per queue pair is the only
    field that differs between the QPs of one host pair. A SWITCH_HASH ecmp_hash without L4_SRC_PORT (or
    without SRC_IP/DST_IP) puts all of them on one uplink however many QPs NCCL opens. Judged on
    switches with a lossless priority whose SWITCH_HASH is configured; an unconfigured hash is reported
    (warning) only when the policy declares load balancing.""",
)
def roce_entropy_fields(ctx: DeviceCtx) -> Iterator[Finding]:
    lb = ctx.state.load_balancing
    if lb is None or not any(pi is not None and pi.lossless_priorities for pi, _p in ctx.ports):
        return
    declared = ctx.intent.policy.load_balancing
    if lb.ecmp_hash is None:
        if declared is not None:
            yield finding(
                "SW-LB-001",
                ctx.name,
                severity=Severity.warning,
                expected="ecmp_hash with " + ", ".join(ROCE_FIELDS),
                actual=UNSET,
                remediation=_hash_cmd("ecmp", list(declared.ecmp_hash or ROCE_FIELDS)),
            )
        return
    missing = [f for f in ROCE_FIELDS if f not in lb.ecmp_hash]
    if missing:
        want = (declared.ecmp_hash if declared is not None else None) or lb.ecmp_hash + missing
        yield finding(
            "SW-LB-001",
            ctx.name,
            expected="ecmp_hash with " + ", ".join(ROCE_FIELDS),
            actual=f"ecmp_hash {_fields(lb.ecmp_hash)} (missing {', '.join(missing)})",
            remediation=f"{_hash_cmd('ecmp', list(want))} (or roce-agent apply --limit {ctx.name})",
        )


@check(
    "SW-LB-002",
    "SWITCH_HASH is the policy's (fields in order, algorithms)",
    scope="switch",
    tags=("hash", "config"),
    explanation="""The policy's load_balancing ecmp_hash / lag_hash field lists and algorithms must be
    SWITCH_HASH|GLOBAL's. A switch whose hash differs from its tier's declared one hashes differently
    from its peers, which the fabric-wide checks cannot tell from a deliberate choice.""",
)
def hash_matches_policy(ctx: DeviceCtx) -> Iterator[Finding]:
    lb, declared = ctx.state.load_balancing, ctx.intent.policy.load_balancing
    if lb is None or declared is None:
        return
    pairs = (
        ("ecmp_hash", declared.ecmp_hash, lb.ecmp_hash),
        ("lag_hash", declared.lag_hash, lb.lag_hash),
        ("ecmp_hash_algorithm", declared.ecmp_hash_algorithm, lb.ecmp_hash_algorithm),
        ("lag_hash_algorithm", declared.lag_hash_algorithm, lb.lag_hash_algorithm),
    )
    for name, want, have in pairs:
        if want is None or want == have:
            continue
        yield finding(
            "SW-LB-002",
            ctx.name,
            port=name,
            expected=f"{name} {_show(want)}",
            actual=f"{name} {_show(have)}",
            remediation=f"roce-agent apply --limit {ctx.name}",
        )


def _show(value: str | list[str] | None) -> str:
    return _fields(value) if not isinstance(value, str) else value


@check(
    "SW-LB-003",
    "Hash seed swss runs with is the tier's (DEVICE_METADATA type)",
    scope="switch",
    tags=("hash",),
    severity=Severity.warning,
    explanation="""SONiC has no CONFIG_DB field for the ECMP/LAG hash seed: swss's start-up template
    (switch.json.j2) writes APPL_DB SWITCH_TABLE:switch ecmp_hash_seed from DEVICE_METADATA|localhost
    type (ToRRouter 0, LeafRouter 10 with offset 10, SpineRouter 25; FabricSpineRouter and
    UpperSpineRouter also 25, because the template tests substrings in order) plus namespace_id. The
    policy declares the type (or seed) per tier; the agent does not change the type, which also drives
    BGP and buffer templates: set it, then restart swss.""",
)
def seed_matches_policy(ctx: DeviceCtx) -> Iterator[Finding]:
    lb, declared = ctx.state.load_balancing, ctx.intent.policy.load_balancing
    if lb is None or declared is None or declared.expected_seed is None or lb.ecmp_hash_seed is None:
        return
    if lb.ecmp_hash_seed == declared.expected_seed:
        return
    seed = declared.expected_seed
    types = declared.device_type or " or ".join(types_with_seed(seed)) or "(none: seed + namespace_id on multi-ASIC)"
    how = f"DEVICE_METADATA type {types}"
    yield finding(
        "SW-LB-003",
        ctx.name,
        expected=f"ecmp_hash_seed {declared.expected_seed}",
        actual=f"ecmp_hash_seed {lb.ecmp_hash_seed} (DEVICE_METADATA type {lb.device_type or '(none)'})",
        remediation=f"set {how} (seed {seed}) on {ctx.name}, then `sudo config reload` "
        "(the agent does not change the device type)",
    )


@check(
    "SW-LB-004",
    "Adaptive routing asked where the platform has none",
    scope="switch",
    tags=("hash",),
    severity=Severity.info,
    explanation="""Adaptive routing (SONiC's ARS design: ARS_PROFILE, ARS_OBJECT, ARS_INTERFACES) exists
    only where the switch publishes STATE_DB ARS_CAPABILITY_TABLE; community releases ship neither
    ArsOrch nor its YANG, so the policy's adaptive_routing is not rendered there. Information, never a
    failure: hash-based ECMP is what the fabric runs.""",
)
def adaptive_routing_unsupported(ctx: DeviceCtx) -> Iterator[Finding]:
    lb, declared = ctx.state.load_balancing, ctx.intent.policy.load_balancing
    if lb is None or declared is None or declared.adaptive_routing is None or not declared.adaptive_routing.enabled:
        return
    if not lb.adaptive_routing_supported:
        yield finding(
            "SW-LB-004",
            ctx.name,
            expected="adaptive routing (policy)",
            actual="not supported on this platform (no STATE_DB ARS_CAPABILITY_TABLE)",
            remediation="none needed: ECMP hashing (SW-LB-001, FAB-LB-002) is what spreads RoCE here",
        )


def _tier_of(ctx: FabricCtx, name: str) -> str:
    intent = ctx.intents.get(name)
    return (intent.role if intent is not None else None) or "switch"


def _by_tier(ctx: FabricCtx) -> dict[str, dict[str, LoadBalancingState]]:
    out: dict[str, dict[str, LoadBalancingState]] = defaultdict(dict)
    for name, state in sorted(ctx.states.items()):
        if state.load_balancing is not None:
            out[_tier_of(ctx, name)][name] = state.load_balancing
    return out


def _odd_ones(ctx: FabricCtx, check_id: str, key: str, describe: dict[str, str]) -> Iterator[Finding]:
    """Members of a tier whose setting differs from the tier's most common one; with no majority (a
    tie), every member, since none of them can be called the odd one."""
    counts = Counter(describe.values())
    if len(counts) <= 1:
        return
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    common, n = ranked[0]
    tie = ranked[1][1] == n
    for name, have in sorted(describe.items()):
        if tie or have != common:
            tier = _tier_of(ctx, name)
            others = sorted(set(counts) - {have})
            yield finding(
                check_id,
                name,
                port=key,
                expected=f"one setting on every {tier} switch ({'; '.join(others)} elsewhere)"
                if tie
                else f"{common} (as on {n} of {len(describe)} {tier} switches)",
                actual=have,
                remediation=f"declare the {tier} tier's hash in load_balancing, then roce-agent apply --limit {name}",
            )


@check(
    "FAB-LB-001",
    "Every switch of a tier hashes ECMP on the same fields with the same algorithm",
    scope="fabric",
    tags=("hash",),
    explanation="""Members of one tier (inventory role) share the flows of every ECMP group above and
    below them; one member hashing on other fields or another algorithm spreads its share differently,
    so the tier's load is uneven in a way no per-device check shows. The minority is reported against
    the tier's most common setting.""",
)
def tier_ecmp_consistent(ctx: FabricCtx) -> Iterator[Finding]:
    for _tier, members in _by_tier(ctx).items():
        desc = {
            n: f"{_fields(lb.ecmp_hash)} {lb.ecmp_hash_algorithm or '(default algorithm)'}" for n, lb in members.items()
        }
        yield from _odd_ones(ctx, "FAB-LB-001", "ecmp_hash", desc)


@check(
    "FAB-LB-004",
    "Every switch of a tier hashes LAG members alike",
    scope="fabric",
    tags=("hash",),
    explanation="""A LAG's members are chosen by lag_hash and lag_hash_algorithm; switches of one tier
    with different LAG hashes load the member links of their port channels differently.""",
)
def tier_lag_consistent(ctx: FabricCtx) -> Iterator[Finding]:
    for _tier, members in _by_tier(ctx).items():
        desc = {
            n: f"{_fields(lb.lag_hash)} {lb.lag_hash_algorithm or '(default algorithm)'}" for n, lb in members.items()
        }
        yield from _odd_ones(ctx, "FAB-LB-004", "lag_hash", desc)


@check(
    "FAB-LB-002",
    "Consecutive tiers hash differently (no ECMP polarisation)",
    scope="fabric",
    tags=("hash",),
    explanation="""When a switch and the switch above it hash with the same fields, algorithm, seed
    and offset, the upper one repeats the lower one's choice: the flows a leaf sent to one spine all
    pick the same member there, and the rest of the spine's uplinks idle. SONiC decorrelates tiers with
    the seed from DEVICE_METADATA type (SW-LB-003); a pair with equal settings is reported on the upper
    switch (the one further from the hosts).""",
)
def polarisation(ctx: FabricCtx) -> Iterator[Finding]:
    level = tiers.levels(ctx.topology)
    for name in sorted(ctx.states):
        lb = ctx.states[name].load_balancing
        if lb is None or not lb.ecmp_hash or lb.ecmp_hash_seed is None or level.get(name, 0) == 0:
            continue
        mine = tiers.hash_settings(lb)
        below = sorted(
            {
                peer.device
                for _port, lk in ctx.topology.ports_of(name)
                for peer in lk.ends()
                if level.get(peer.device) == level[name] - 1 and _same(ctx, peer.device, mine)
            }
        )
        if below:
            yield finding(
                "FAB-LB-002",
                name,
                expected=f"hash seed/algorithm different from the tier below ({', '.join(below)})",
                actual=f"same fields, algorithm {mine.algorithm} and seed {lb.ecmp_hash_seed} as {', '.join(below)}",
                remediation=f"give {name}'s tier its own DEVICE_METADATA type (seed), or another ecmp_hash_algorithm "
                "in its load_balancing override, then roce-agent apply",
            )


def _same(ctx: FabricCtx, device: str, settings: HashSettings) -> bool:
    state = ctx.states.get(device)
    lb = state.load_balancing if state is not None else None
    return lb is not None and lb.ecmp_hash_seed is not None and tiers.hash_settings(lb) == settings


@check(
    "FAB-LB-003",
    "Adaptive routing on every member of an ECMP group or on none",
    scope="fabric",
    tags=("hash",),
    explanation="""A switch's uplinks to the next tier form its ECMP group. With adaptive routing on only
    some of them, the adaptive members absorb what the hashed ones cannot, and the group behaves like
    neither: all members or none.""",
)
def adaptive_all_or_none(ctx: FabricCtx) -> Iterator[Finding]:
    level = tiers.levels(ctx.topology)
    for name in sorted(ctx.states):
        lb = ctx.states[name].load_balancing
        if lb is None:
            continue
        group = [local.port for local, _peer in tiers.uplinks(ctx.topology, name, level)]
        on = [p for p in group if p in lb.adaptive_routing_ports]
        if on and len(on) < len(group):
            off = [p for p in group if p not in on]
            yield finding(
                "FAB-LB-003",
                name,
                port=off[0],
                expected=f"adaptive routing on all of {', '.join(group)} or on none",
                actual=f"on {', '.join(on)}; off {', '.join(off)}",
                remediation=f"add {', '.join(off)} to ARS_INTERFACES on {name}, or remove the others",
            )
