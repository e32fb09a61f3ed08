"""Stage selection: turn `select: "1 leaf"`, `"25% of leaves"`, `"spines"`, `"rdma-hosts by rack"` into
ordered batches of device names.

Each stage picks from the playbook's targets that earlier stages did not take, so a canary stage
(`1 leaf`) followed by `leaves` changes the canary first and the remaining leaves after it. Choices are
deterministic (sorted by name) so `--check`, the real run and a resumed run agree.

    select := "all" | [COUNT ["of"]] SET ["by" KEY]      COUNT := N | N%
    batch  := N | "N%"                                      (of the stage's devices, rounded up)

SET names a Nornir group, a role (singular or plural: `leaf`, `leaves`), or a host name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_SELECT_RE = re.compile(
    r"^\s*(?:(?P<count>\d+)(?P<pct>%)?\s+(?:of\s+)?)?(?P<set>[A-Za-z0-9_.-]+)(?:\s+by\s+(?P<by>[A-Za-z_][A-Za-z0-9_]*))?\s*$"
)
_BATCH_RE = re.compile(r"^\s*(\d+)\s*(%)?\s*$")


@dataclass(frozen=True)
class StageSelect:
    set_name: str
    count: int | None = None  # None = every device of the set
    percent: bool = False
    by: str | None = None  # split into one batch per value of this host data key


@dataclass(frozen=True)
class Candidate:
    """What stage selection needs to know about one device (built from a Nornir Host)."""

    name: str
    role: str | None = None
    groups: tuple[str, ...] = ()
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ResolvedStage:
    name: str
    batches: list[list[str]]

    @property
    def devices(self) -> list[str]:
        return [d for b in self.batches for d in b]


def parse_select(text: str) -> StageSelect:
    m = _SELECT_RE.match(text)
    if not m:
        raise ValueError(
            f"{text!r} is not a selection; use e.g. 'all', 'spines', '1 leaf', '25% of leaves', 'rdma-hosts by rack'"
        )
    count = int(m.group("count")) if m.group("count") else None
    percent = bool(m.group("pct"))
    if count is not None and (count < 1 or (percent and count > 100)):
        raise ValueError(f"{text!r}: the count must be at least 1 (a percentage at most 100%)")
    return StageSelect(m.group("set"), count, percent, m.group("by"))


def parse_batch(value: int | str) -> tuple[int, bool]:
    """(size, is_percent) from 2 or "25%"."""
    if isinstance(value, bool):
        raise ValueError("batch is a device count such as 2 or a percentage such as '25%'")
    m = _BATCH_RE.match(str(value))
    if not m or int(m.group(1)) < 1 or (m.group(2) and int(m.group(1)) > 100):
        raise ValueError(f"{value!r} is not a batch size; use a device count (2) or a percentage ('25%', at most 100%)")
    return int(m.group(1)), bool(m.group(2))


def _singular(word: str) -> set[str]:
    forms = {word}
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


def matches_set(c: Candidate, set_name: str) -> bool:
    if set_name == "all":
        return True
    forms = _singular(set_name)
    return set_name in c.groups or c.name == set_name or (c.role is not None and c.role in forms)


def _take(n_or_pct: int, percent: bool, total: int) -> int:
    return max(1, math.ceil(total * n_or_pct / 100)) if percent else min(n_or_pct, total)


def select_devices(sel: StageSelect, pool: Sequence[Candidate]) -> list[Candidate]:
    chosen = sorted((c for c in pool if matches_set(c, sel.set_name)), key=lambda c: c.name)
    if sel.count is not None:
        chosen = chosen[: _take(sel.count, sel.percent, len(chosen))]
    return chosen


def split_batches(chosen: Sequence[Candidate], sel: StageSelect, batch: int | str | None) -> list[list[str]]:
    """Group by `by` key first (one batch per value, e.g. per rack), then cut each group to the batch size."""
    groups: list[list[str]]
    if sel.by:
        by_value: dict[str, list[str]] = {}
        for c in chosen:
            by_value.setdefault(str(c.data.get(sel.by, "-")), []).append(c.name)
        groups = [by_value[k] for k in sorted(by_value)]
    else:
        groups = [[c.name for c in chosen]] if chosen else []
    if batch is None:
        return groups
    size, percent = parse_batch(batch)
    out: list[list[str]] = []
    for g in groups:
        step = _take(size, percent, len(g))
        out.extend(g[i : i + step] for i in range(0, len(g), step))
    return out


def resolve_stages(
    stages: Iterable[tuple[str, str, int | str | None]], candidates: Sequence[Candidate]
) -> tuple[list[ResolvedStage], list[str]]:
    """(stages with batches, set names that matched no device at all). Earlier stages take devices first."""
    remaining = list(candidates)
    resolved: list[ResolvedStage] = []
    unknown: list[str] = []
    for name, select, batch in stages:
        sel = parse_select(select)
        if not any(matches_set(c, sel.set_name) for c in candidates):
            unknown.append(sel.set_name)
        chosen = select_devices(sel, remaining)
        taken = {c.name for c in chosen}
        remaining = [c for c in remaining if c.name not in taken]
        resolved.append(ResolvedStage(name, split_batches(chosen, sel, batch)))
    return resolved, unknown


def unstaged(resolved: Iterable[ResolvedStage], candidates: Iterable[Candidate]) -> list[str]:
    """Targeted devices that no stage selected: reported, never silently dropped."""
    staged = {d for s in resolved for d in s.devices}
    return sorted(c.name for c in candidates if c.name not in staged)
