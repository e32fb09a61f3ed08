"""Gate arithmetic: counter deltas over a soak window, and check results, turned into reasons to stop.

Pure functions over DeviceState, so every gate decision can be unit-tested from data and is written to
the trail with the numbers that drove it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agent.checks.finding import Finding
from agent.state import DeviceState


@dataclass(frozen=True)
class WatchedPriorities:
    """The priorities a counters gate watches on one device, port by port. Since per-link profiles a
    switch can run lossless and lossy ports side by side (a spine facing an inference pod): drops on a
    lossy port's RoCE priority are expected there (ECN handles them) and must not count as lossless
    drops, so each port is judged by its own intent; `default` covers ports the intent does not know."""

    default: tuple[int, ...]
    ports: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def of(self, port: str) -> tuple[int, ...]:
        return self.ports.get(port, self.default)


def lossless_drops(state: DeviceState, watched: WatchedPriorities) -> dict[str, int]:
    """Drops per "port/prio" on the port's watched priorities, from the egress queue and the ingress PG the
    port maps the priority to (identity where the device reports no map): on a lossless class these must
    stay 0."""
    out: dict[str, int] = {}
    for name, port in state.ports.items():
        c = port.counters
        if c is None:
            continue
        for prio in watched.of(name):
            queue, pg = port.priority_to_queue.get(prio, prio), port.priority_to_pg.get(prio, prio)
            out[f"{name}/{prio}"] = c.queue_drops.get(queue, 0) + c.pg_drops.get(pg, 0)
    return out


def watchdog_storms(state: DeviceState) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, port in state.ports.items():
        if port.counters is not None:
            for queue, n in port.counters.watchdog_storms.items():
                out[f"{name}/{queue}"] = n
    return out


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Increase per key; a counter that went backwards (cleared, device rebooted) counts from zero."""
    out = {}
    for key, now in after.items():
        prev = before.get(key, 0)
        inc = now - prev if now >= prev else now
        if inc > 0:
            out[key] = inc
    return out


def counter_gate(
    before: dict[str, DeviceState],
    after: dict[str, DeviceState],
    priorities_of: Callable[[str], WatchedPriorities],
    max_drops: int,
    max_storms: int,
    label: str = "lossless",
) -> tuple[list[str], dict[str, dict[str, int]]]:
    """(reasons to stop, per-device deltas for the trail); `label` names the watched priorities."""
    reasons: list[str] = []
    deltas: dict[str, dict[str, int]] = {}
    for device, end in sorted(after.items()):
        start = before.get(device)
        if start is None:
            continue
        prios = priorities_of(device)
        drops = _delta(lossless_drops(start, prios), lossless_drops(end, prios))
        storms = _delta(watchdog_storms(start), watchdog_storms(end))
        deltas[device] = {f"drops:{k}": v for k, v in drops.items()} | {f"storms:{k}": v for k, v in storms.items()}
        if sum(drops.values()) > max_drops:
            where = ", ".join(f"{k} +{v}" for k, v in sorted(drops.items()))
            reasons.append(f"{device}: {sum(drops.values())} new {label} drops ({where}); allowed {max_drops}")
        if sum(storms.values()) > max_storms:
            where = ", ".join(f"{k} +{v}" for k, v in sorted(storms.items()))
            reasons.append(f"{device}: {sum(storms.values())} new PFC watchdog storms ({where}); allowed {max_storms}")
    return reasons, deltas


def finding_reasons(kind: str, findings: list[Finding]) -> list[str]:
    out = []
    for f in findings:
        where = f.device + (f":{f.port}" if f.port else "") + (f" prio {f.priority}" if f.priority is not None else "")
        exp = f" (expected {f.expected}, found {f.actual})" if f.expected is not None or f.actual is not None else ""
        out.append(f"{kind} {f.check_id} failed on {where}: {f.title}{exp}")
    return out
