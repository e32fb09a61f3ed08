"""The numbered check catalogue: every check's stable id, title, tags, scope, severity and explanation.

Ids never change meaning once published: audits are diffed over time by `Finding.key`, CI pipelines
include/exclude checks by id, and `roce-agent checks explain ID` documents them. A check module declares
its checks with the `check` decorator; importing `agent.checks.catalogue` registers all of them.

Scopes decide what a check function receives (see `agent.checks.context`):
- ``switch`` / ``host``: one device (intent + observed state + precomputed expectations);
- ``link``: both ends of one cable;
- ``fabric``: every intent, every state and the topology at once;
- ``runtime``: two reads of one device taken an interval apart (counter deltas);
- ``audit``: the audit itself (unreachable devices, partial reads, missing ports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from agent.checks.finding import Severity

Scope = Literal["switch", "host", "link", "fabric", "runtime", "audit"]
SCOPES: tuple[Scope, ...] = ("audit", "switch", "host", "link", "fabric", "runtime")

# Topic tags a user may select with `--checks TAG` besides the scope tags above.
TOPIC_TAGS = frozenset(
    {
        "pfc",
        "ecn",
        "buffer",
        "watchdog",
        "dscp",
        "trust",
        "mtu",
        "scheduler",
        "speed",
        "rdma",
        "deadlock",
        "config",
        "hash",
        "segregation",
        "nccl",
    }
)


@dataclass(frozen=True)
class CheckSpec:
    """One catalogue entry. `func` is the pure check function; its argument type depends on `scope`."""

    id: str
    title: str
    scope: Scope
    severity: Severity
    tags: frozenset[str]
    explanation: str
    func: Callable[[Any], Iterable[Any]] = field(compare=False, repr=False)

    @property
    def all_tags(self) -> frozenset[str]:
        return self.tags | {self.scope}


REGISTRY: dict[str, CheckSpec] = {}


def check(
    id: str,
    title: str,
    *,
    scope: Scope,
    tags: Iterable[str],
    explanation: str,
    severity: Severity = Severity.error,
) -> Callable[[Callable[[Any], Iterable[Any]]], Callable[[Any], Iterable[Any]]]:
    """Register a check function under a stable id. Duplicate ids are a programming error."""
    tagset = frozenset(tags)
    unknown = tagset - TOPIC_TAGS - set(SCOPES)
    if unknown:
        raise ValueError(f"check {id}: unknown tags {sorted(unknown)}; add them to TOPIC_TAGS first")

    def register(func: Callable[[Any], Iterable[Any]]) -> Callable[[Any], Iterable[Any]]:
        if id in REGISTRY:
            raise ValueError(f"check id {id} registered twice")
        REGISTRY[id] = CheckSpec(id, title, scope, severity, tagset, " ".join(explanation.split()), func)
        return func

    return register


@lru_cache(maxsize=1)
def catalogue() -> dict[str, CheckSpec]:
    """Every registered check, in id order (built once; do not mutate). Importing the check modules
    registers them."""
    import agent.checks.catalogue  # noqa: F401  (side effect: registration)

    return dict(sorted(REGISTRY.items(), key=lambda kv: _id_sort_key(kv[0])))


def _id_sort_key(check_id: str) -> tuple[int, str]:
    prefix = check_id.split("-", 1)[0]
    order = {"AUDIT": 0, "SW": 1, "HOST": 2, "LINK": 3, "FAB": 4, "RT": 5}
    return (order.get(prefix, 9), check_id)


@dataclass(frozen=True)
class CheckSelection:
    """Which checks to run: `include`/`exclude` hold ids (SW-PFC-001), id prefixes (SW-PFC) or tags (ecn)."""

    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> CheckSelection:
        return cls(frozenset(_split(include)), frozenset(_split(exclude)))

    def selects(self, spec: CheckSpec) -> bool:
        """Audit-scope checks (unreachable device, partial read) run under any --checks selection: a
        narrower selection must not turn an unreadable device into a silent pass. --exclude still wins."""
        if self.include and spec.scope != "audit" and not _matches(spec, self.include):
            return False
        return not _matches(spec, self.exclude)

    def unknown_terms(self, specs: Iterable[CheckSpec]) -> list[str]:
        """Terms that match no check: the CLI refuses them (exit 2) instead of silently running nothing."""
        specs = list(specs)
        return sorted(t for t in self.include | self.exclude if not any(_matches(s, {t}) for s in specs))


def matches(spec: CheckSpec, terms: Iterable[str]) -> bool:
    """True when one of the terms (id, id prefix or tag, comma lists allowed) names this check."""
    return _matches(spec, _split(terms))


def _split(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(part.strip() for part in v.split(",") if part.strip())
    return out


def _matches(spec: CheckSpec, terms: Iterable[str]) -> bool:
    for term in terms:
        upper = term.upper()
        if spec.id == upper or spec.id.startswith(upper + "-") or term.lower() in spec.all_tags:
            return True
    return False
