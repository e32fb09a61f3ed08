"""Cross-field rules of a lossless policy: errors that make a policy unusable, and warnings.

Pure functions over the validated parts of a Policy; each finding carries the path of the field to fix,
so the loader can point at its line. The rules come from how PFC/ECN actually fail in fabrics
(reference: lossless-engineering.md §2 and §6.1): a DSCP mapped twice, a priority that is paused on one
class and not on another, CNPs stuck behind paused traffic, more lossless priorities than the buffer
budget, ECN thresholds that cannot ramp.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from agent.yamlfile import Issue, suggest

if TYPE_CHECKING:
    from agent.policy.model import Mtu, Override, Policy, TrafficClass

#: RoCE's largest MTU (4096) needs this much netdev MTU on the host (4096 + RoCE/IP/UDP headers).
ROCE_4096_HOST_MTU = 4192
#: Above this length at 400G+ the headroom per PG alone reaches ~300 KB (lossless-engineering.md §1.5).
LONG_CABLE_M = 300
LONG_CABLE_MIN_SPEED_MBPS = 400_000
#: mlx5 caps `dcb pfc delay` (cable metres) at this value.
MLX5_MAX_CABLE_M = 1000


def unknown_choice(kind: str, value: str, allowed: Sequence[str]) -> str:
    return f"unknown {kind} {value!r}.{suggest(value, allowed)} Allowed: {', '.join(allowed)}"


# ---- errors -------------------------------------------------------------------------------------------


def class_issues(classes: Sequence[TrafficClass], trust: str, *, lossy: bool = False) -> list[Issue]:
    """Rules that need only the class list (run even when other sections are invalid)."""
    return _class_rules(dict(enumerate(classes)), trust, complete=True, lossy=lossy)


def partial_class_issues(valid: Mapping[int, TrafficClass], trust: str, *, lossy: bool = False) -> list[Issue]:
    """The same rules over the valid classes of a list where others failed (keyed by their position).

    Rules about the list as a whole (e.g. "no default class") are left out: the invalid class may be it.
    """
    return _class_rules(valid, trust, complete=False, lossy=lossy)


def _class_rules(classes: Mapping[int, TrafficClass], trust: str, complete: bool, lossy: bool) -> list[Issue]:
    checks = (_unique_names, _dscp_pcp_once, _priority_all_lossless_or_lossy)
    issues = [issue for check in checks for issue in check(classes)]
    issues += _flag_rules(classes, lossy)
    issues += _lossy_rules(classes, complete) if lossy else []
    issues += _one_default(classes, complete)
    issues += _reachable(classes, trust)
    return issues


def _lossy_rules(classes: Mapping[int, TrafficClass], complete: bool) -> Iterator[Issue]:
    """mode: lossy (NVUE `nv set qos roce mode lossy`): no PFC anywhere, so ECN on the RoCE class is the only
    congestion signal DCQCN gets; without it RoCE simply drops under load."""
    for j, c in classes.items():
        if c.lossless:
            yield Issue(
                ("classes", j, "lossless"),
                f"class {c.name!r} is lossless but the profile is mode: lossy, which declares no lossless "
                "priority (no PFC, no headroom); set `lossless: false` or use mode: lossless",
            )
    roce = next(((j, c) for j, c in classes.items() if c.roce), None)
    if roce is None:
        if complete:
            yield Issue(
                ("classes",),
                "a lossy profile must mark its RoCE class `roce: true` (there is no lossless class to take "
                "the RoCE ToS from)",
            )
        return
    j, c = roce
    if c.ecn is None:
        yield Issue(
            ("classes", j, "ecn"),
            f"RoCE class {c.name!r} has no ECN but the profile is mode: lossy: without PFC, ECN marks are the "
            "only congestion signal DCQCN gets; add `ecn: {min_threshold: ..., max_threshold: ...}`",
        )


def _unique_names(classes: Mapping[int, TrafficClass]) -> Iterator[Issue]:
    first: dict[str, int] = {}
    for j, c in classes.items():
        if c.name in first:
            yield Issue(("classes", j, "name"), f"class name {c.name!r} is already used by classes[{first[c.name]}]")
        first.setdefault(c.name, j)


def _one_default(classes: Mapping[int, TrafficClass], complete: bool) -> Iterator[Issue]:
    defaults = [j for j, c in classes.items() if c.default]
    if not defaults and complete:
        yield Issue(
            ("classes",),
            "no default class: mark exactly one class `default: true` (every DSCP no class lists goes to it)",
        )
    for j in defaults[1:]:
        first = classes[defaults[0]].name
        yield Issue(("classes", j, "default"), f"a second default class (the first is {first!r}); exactly one allowed")


def _dscp_pcp_once(classes: Mapping[int, TrafficClass]) -> Iterator[Issue]:
    for field in ("dscp", "pcp"):
        owner: dict[int, int] = {}
        for j, c in classes.items():
            for k, value in enumerate(getattr(c, field)):
                if value in owner:
                    other = classes[owner[value]].name
                    yield Issue(
                        ("classes", j, field, k),
                        f"{field.upper()} {value} is already in class {other!r} (classes[{owner[value]}]); "
                        "a value can map to only one priority",
                    )
                else:
                    owner[value] = j


def _priority_all_lossless_or_lossy(classes: Mapping[int, TrafficClass]) -> Iterator[Issue]:
    first: dict[int, int] = {}
    for j, c in classes.items():
        if c.priority not in first:
            first[c.priority] = j
            continue
        other = classes[first[c.priority]]
        if other.lossless != c.lossless:
            yield Issue(
                ("classes", j, "lossless"),
                f"priority {c.priority} is {'lossless' if other.lossless else 'lossy'} in class {other.name!r} "
                f"but {'lossless' if c.lossless else 'lossy'} here; PFC pauses a whole priority, so all its "
                "classes must agree",
            )
        elif other.scheduling != c.scheduling:
            yield Issue(
                ("classes", j, "scheduling"),
                f"priority {c.priority} is one queue: its scheduling must match class {other.name!r}",
            )


def _flag_rules(classes: Mapping[int, TrafficClass], lossy: bool) -> Iterator[Issue]:
    for flag in ("cnp", "roce"):
        marked = [j for j, c in classes.items() if getattr(c, flag)]
        for j in marked[1:]:
            yield Issue(
                ("classes", j, flag), f"only one class may set {flag}: true (already {classes[marked[0]].name!r})"
            )
    for j, c in classes.items():
        if c.cnp and c.lossless:
            yield Issue(
                ("classes", j, "lossless"),
                "the CNP class must not be lossless: congestion notifications must never wait behind paused "
                "traffic (use a lossy, strict-priority class, e.g. DSCP 48 priority 6)",
            )
        if c.default and c.lossless:
            yield Issue(
                ("classes", j, "lossless"),
                "the default class must not be lossless: it catches every unclassified DSCP, which would all "
                "be paused by PFC",
            )
        if c.ecn is not None and not c.lossless and not lossy:
            yield Issue(
                ("classes", j, "ecn"),
                "ECN/WRED marking is configured only for lossless classes; remove `ecn` or set `lossless: true`",
            )


def _reachable(classes: Mapping[int, TrafficClass], trust: str) -> Iterator[Issue]:
    for j, c in classes.items():
        if c.default or getattr(c, trust):
            continue
        yield Issue(
            ("classes", j, trust),
            f"class {c.name!r} lists no {trust.upper()} values, so with trust: {trust} no traffic reaches it",
        )


def lossless_budget_issues(classes: Sequence[TrafficClass], allowed: int) -> list[Issue]:
    """More lossless priorities than the policy allows (each one reserves headroom on every port)."""
    lossless = sorted({c.priority for c in classes if c.lossless})
    if len(lossless) <= allowed:
        return []
    return [
        Issue(
            ("classes",),
            f"{len(lossless)} lossless priorities {lossless} but pfc.max_lossless_priorities is {allowed}: "
            "each lossless priority reserves headroom on every port",
        )
    ]


def mtu_issues(mtu: Mtu) -> list[Issue]:
    return _mtu_issues(mtu.host, mtu.switch, ("mtu", "host"))


def override_mtu_issues(overrides: Sequence[Override], mtu: Mtu) -> list[Issue]:
    """An override's MTU, combined with the policy's for the roles it leaves out, must still fit."""
    issues: list[Issue] = []
    for i, ov in enumerate(overrides):
        if ov.mtu is not None and ov.mtu.model_fields_set:
            fields = {"host": mtu.host, "switch": mtu.switch}
            fields.update({k: getattr(ov.mtu, k) for k in ov.mtu.model_fields_set})
            issues += _mtu_issues(fields["host"], fields["switch"], ("overrides", i, "mtu"))
    return issues


def _mtu_issues(host: int, switch: int, loc: tuple[str | int, ...]) -> list[Issue]:
    if host <= switch:
        return []
    return [
        Issue(loc, f"host MTU {host} is above the switch MTU {switch}: full-size frames from hosts would be dropped")
    ]


# ---- warnings -----------------------------------------------------------------------------------------


def warning_issues(policy: Policy, speeds_mbps: Iterable[int] = ()) -> list[Issue]:
    """Allowed but worth a second look. `speeds_mbps`: port speeds in use, if known (sharpens cable warnings)."""
    out: list[Issue] = []
    out += _class_warnings(policy)
    out += _cable_warnings(policy, tuple(speeds_mbps))
    out += _host_warnings(policy)
    out += _override_warnings(policy)
    if policy.lossless_priorities and not policy.pfc.watchdog.enabled:
        out.append(
            Issue(
                ("pfc", "watchdog", "enabled"), "PFC watchdog disabled: a NIC stuck sending pauses can stall the fabric"
            )
        )
    return out


def _class_warnings(policy: Policy) -> Iterator[Issue]:
    if not policy.lossless_classes and not policy.lossy:
        yield Issue(("classes",), "no lossless class: PFC will be disabled on every port (or set mode: lossy)")
    elif policy.cnp_class is None:
        yield Issue(("classes",), "no CNP class: congestion notifications fall into the default class")
    for j, c in enumerate(policy.classes):
        if c.lossless and c.ecn is None:
            yield Issue(
                ("classes", j, "ecn"),
                f"lossless class {c.name!r} has no ECN: PFC-only, DCQCN gets no marks and PFC does all the work",
            )
        if c.cnp and c.scheduling.type.value != "strict":
            yield Issue(("classes", j, "scheduling"), "CNP class is not strict priority: CNPs can queue behind data")
        if c.lossless and c.scheduling.type.value == "strict":
            yield Issue(
                ("classes", j, "scheduling"), f"lossless class {c.name!r} is strict priority: it can starve others"
            )
        if c.scheduling.type.value == "dwrr" and c.scheduling.weight is None:
            yield Issue(
                ("classes", j, "scheduling", "weight"),
                f"class {c.name!r} uses dwrr without a weight; the platform default (1) applies",
            )


def _cable_warnings(policy: Policy, speeds: tuple[int, ...]) -> Iterator[Issue]:
    fast = [s for s in speeds if s >= LONG_CABLE_MIN_SPEED_MBPS]
    if speeds and not fast:
        return
    at = f"at {max(fast) // 1000}G" if fast else "at 400G or faster"
    sources: list[tuple[tuple[str | int, ...], dict[str, int]]] = [(("cable_length",), policy.cable_length)]
    sources += [(("overrides", i, "cable_length"), ov.cable_length or {}) for i, ov in enumerate(policy.overrides)]
    for loc, lengths in sources:
        for role, metres in lengths.items():
            if metres > LONG_CABLE_M:
                yield Issue(
                    (*loc, role),
                    f"{metres}m {at} needs large headroom per lossless priority; some ASICs refuse it "
                    '("accumulative headroom size exceeds limit")',
                )


def _override_warnings(policy: Policy) -> Iterator[Issue]:
    for i, ov in enumerate(policy.overrides):
        if ov.cable_length is None and ov.mtu is None and ov.buffer_model is None:
            yield Issue(("overrides", i), "this override changes nothing (no cable_length, mtu or buffer_model)")


def _host_warnings(policy: Policy) -> Iterator[Issue]:
    if policy.mtu.host < ROCE_4096_HOST_MTU:
        yield Issue(
            ("mtu", "host"),
            f"host MTU {policy.mtu.host} < {ROCE_4096_HOST_MTU}: RoCE will use a path MTU below 4096",
        )
    protected = set(policy.congestion_priorities)
    kind = "the RoCE class's" if policy.lossy else "lossless"
    for point in ("notification_point", "reaction_point"):
        chosen = getattr(policy.host.ecn, point)
        extra = sorted(set(chosen or ()) - protected)
        if extra:
            yield Issue(("host", "ecn", point), f"ECN {point} enabled on priorities {extra} that are not {kind}")
    delay = policy.host.pfc_cable_length
    if delay is not None and delay > MLX5_MAX_CABLE_M:
        yield Issue(("host", "pfc_cable_length"), f"mlx5 caps the PFC cable length at {MLX5_MAX_CABLE_M}m")
    yield from _nccl_warnings(policy)


def _nccl_warnings(policy: Policy) -> Iterator[Issue]:
    """The entropy audit (FAB-LB-005) simulates `entropy.qps` QPs per connection: more than the hosts are
    held to makes its verdict optimistic."""
    lb, nccl = policy.load_balancing, policy.nccl
    if lb is None or lb.entropy is None or nccl is None:
        return
    low = nccl.minimum_qps
    if low is None or low < lb.entropy.qps:
        held = f"at least {low}" if low is not None else "nothing (NCCL's default is 1)"
        yield Issue(
            ("load_balancing", "entropy", "qps"),
            f"the entropy audit simulates {lb.entropy.qps} QPs per connection but the hosts are held to {held} "
            "(nccl.min_qps_per_connection / qps_per_connection): its spread is optimistic",
        )
