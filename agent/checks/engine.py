"""Run the selected checks over intents, observed states and the topology.

`run_checks` is the whole engine in one call (what the CLI, rollout gates and benchmarks use).
`audit` wraps it with the bookkeeping reports need: which checks ran for which device, which were
skipped because the device could not be read, and timing.

Speed: expectations are derived once per effective policy (ExpectCache), each device's active ports are
resolved once and shared by all its checks, and findings are built without re-validation.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from agent.checks.context import AuditCtx, DeviceCtx, ExpectCache, FabricCtx, LinkCtx, RuntimeCtx
from agent.checks.finding import Finding, Severity
from agent.checks.registry import CheckSelection, CheckSpec, Scope, catalogue
from agent.intent import DeviceIntent
from agent.state import DeviceState
from agent.topology.model import Topology

FABRIC = "fabric"  # report bucket for fabric-scope checks


SelectionLike = CheckSelection | Iterable[str] | None  # a CheckSelection, or ids/prefixes/tags to include


def _as_selection(selection: SelectionLike) -> CheckSelection | None:
    if selection is None or isinstance(selection, CheckSelection):
        return selection
    return CheckSelection.parse([selection] if isinstance(selection, str) else selection)


def selected(selection: SelectionLike = None) -> dict[Scope, list[CheckSpec]]:
    selection = _as_selection(selection)
    by_scope: dict[Scope, list[CheckSpec]] = {}
    for spec in catalogue().values():
        if selection is None or selection.selects(spec):
            by_scope.setdefault(spec.scope, []).append(spec)
    return by_scope


def run_checks(
    intents: Mapping[str, DeviceIntent],
    states: Mapping[str, DeviceState],
    topology: Topology,
    selection: SelectionLike = None,
    *,
    previous: Mapping[str, DeviceState] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Pure: findings for every selected check. `previous` enables runtime (counter delta) checks;
    `errors` explains why devices missing from `states` could not be read.

    The cyclic garbage collector is paused for the run: checks allocate many short-lived objects
    next to a heap of millions of state objects, and full collections would otherwise dominate
    the run time on large fabrics (nothing the checks create is cyclic garbage).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(intents, states, topology, selection, previous, errors)
    finally:
        if was_enabled:
            gc.enable()


def _run(
    intents: Mapping[str, DeviceIntent],
    states: Mapping[str, DeviceState],
    topology: Topology,
    selection: SelectionLike,
    previous: Mapping[str, DeviceState] | None,
    errors: Mapping[str, str] | None,
) -> list[Finding]:
    specs = selected(selection)
    cache = ExpectCache()
    out: list[Finding] = []
    intents = dict(intents)
    states = dict(states)
    audit_ctx = AuditCtx(intents, states, dict(errors or {}))
    for spec in specs.get("audit", []):
        out.extend(spec.func(audit_ctx))
    device_specs = {"switch": specs.get("switch", []), "host": specs.get("host", [])}
    for name, intent in intents.items():
        state = states.get(name)
        if state is None:
            continue
        ctx = DeviceCtx.build(intent, state, cache.get(intent.policy))
        for spec in device_specs[intent.kind.value]:
            out.extend(spec.func(ctx))
    if specs.get("link"):
        for lctx in _link_contexts(intents, states, topology):
            for spec in specs["link"]:
                out.extend(spec.func(lctx))
    if specs.get("fabric"):
        fctx = FabricCtx(intents, states, topology, cache)
        for spec in specs["fabric"]:
            out.extend(spec.func(fctx))
    if previous and specs.get("runtime"):
        for name, intent in intents.items():
            before, after = previous.get(name), states.get(name)
            if before is None or after is None:
                continue
            rctx = RuntimeCtx(intent, before, after, cache.get(intent.policy))
            for spec in specs["runtime"]:
                out.extend(spec.func(rctx))
    return out


def _link_contexts(
    intents: dict[str, DeviceIntent], states: dict[str, DeviceState], topology: Topology
) -> Iterable[LinkCtx]:
    for link in topology.links:
        sa, sb = states.get(link.a.device), states.get(link.b.device)
        ia, ib = intents.get(link.a.device), intents.get(link.b.device)
        if sa is None or sb is None or ia is None or ib is None:
            continue
        pa, pb = sa.ports.get(link.a.port), sb.ports.get(link.b.port)
        if pa is None or pb is None:
            continue  # AUDIT-003 reports the missing port
        yield LinkCtx(link, ia, ib, sa, sb, pa, pb)


@dataclass
class AuditResult:
    """Everything a report needs: findings plus which checks ran (and were skipped) per bucket."""

    findings: list[Finding]
    ran: dict[str, list[str]]  # device (or "fabric") -> check ids evaluated
    skipped: dict[str, list[str]]  # device -> check ids not evaluated (device unreachable)
    started_at: float
    duration_s: float
    devices: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.warning)

    @property
    def complies(self) -> bool:
        return self.errors == 0

    def bucket_of(self, f: Finding) -> str:
        spec = catalogue().get(f.check_id)
        return FABRIC if spec is not None and spec.scope == "fabric" else f.device


def audit(
    intents: Mapping[str, DeviceIntent],
    states: Mapping[str, DeviceState],
    topology: Topology,
    selection: SelectionLike = None,
    *,
    previous: Mapping[str, DeviceState] | None = None,
    errors: Mapping[str, str] | None = None,
) -> AuditResult:
    started = time.time()
    t0 = time.perf_counter()
    findings = run_checks(intents, states, topology, selection, previous=previous, errors=errors)
    duration = time.perf_counter() - t0
    ran, skipped = _bookkeeping(intents, states, topology, selected(selection), previous)
    return AuditResult(findings, ran, skipped, started, duration, devices=sorted(intents))


def _bookkeeping(
    intents: Mapping[str, DeviceIntent],
    states: Mapping[str, DeviceState],
    topology: Topology,
    specs: dict[Scope, list[CheckSpec]],
    previous: Mapping[str, DeviceState] | None,
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    linked = {end.device for lk in topology.links for end in lk.ends()}
    ran: dict[str, list[str]] = {}
    skipped: dict[str, list[str]] = {}
    for name, intent in intents.items():
        ids = [s.id for s in specs.get("audit", [])]
        local = [s.id for s in specs.get(intent.kind.value, [])]  # type: ignore[call-overload]
        if name in linked:
            local += [s.id for s in specs.get("link", [])]
        if previous is not None and name in previous:
            local += [s.id for s in specs.get("runtime", [])]
        if name in states:
            ran[name] = ids + local
        else:
            ran[name] = ids
            skipped[name] = local
    if specs.get("fabric"):
        ran[FABRIC] = [s.id for s in specs["fabric"]]
    return ran, skipped
