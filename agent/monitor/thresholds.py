"""Threshold rules: the policy's `monitoring.thresholds` applied to each cycle's series, raise and clear.

A rule watches some series (`Rule.applies`); a series above its limit raises one event for its key
(rule, device, port, priority) and nothing more while it stays above; when it is back at or below the
limit, a `cleared` event follows. A series that is missing this cycle (the device did not answer)
neither raises nor clears: the device's own `device_down` event says why. Config drift found by the
periodic audit uses the same raise/clear bookkeeping (`Alarms.drift`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from pydantic import JsonValue

from agent.monitor import metrics as M
from agent.policy.monitoring import Severity, Threshold, Thresholds

Key = tuple[str, str, str, str]  # rule, device, port, priority ("" when not applicable)


@dataclass(frozen=True)
class Rule:
    name: str  # the threshold's key in the policy
    metrics: tuple[M.Metric, ...]
    scale: float = 1.0  # series value -> the threshold's unit
    applies: Callable[[M.Point], bool] = lambda _p: True


RULES: tuple[Rule, ...] = (
    Rule("pause_frames_per_s", (M.PFC_RX, M.PFC_TX)),
    Rule("drops_per_s", (M.DROPS,), applies=lambda p: p.label("lossless") == "true"),
    Rule("ecn_marks_per_s", (M.ECN,)),
    Rule("headroom_percent", (M.HEADROOM_PCT,)),
    Rule("pause_duration_ms_per_s", (M.PAUSED,), scale=1000.0),
    Rule("roce_on_non_roce_priority_per_s", (M.OFF_PRIORITY,)),
    Rule("watchdog_storm", (M.WD_STORM,)),
)


def threshold_of(thresholds: Thresholds, rule: str) -> Threshold | None:
    limits: dict[str, Threshold | None] = {
        "pause_frames_per_s": thresholds.pause_frames_per_s,
        "drops_per_s": thresholds.drops_per_s,
        "ecn_marks_per_s": thresholds.ecn_marks_per_s,
        "headroom_percent": thresholds.headroom_percent,
        "pause_duration_ms_per_s": thresholds.pause_duration_ms_per_s,
        "roce_on_non_roce_priority_per_s": thresholds.roce_on_non_roce_priority_per_s,
        "watchdog_storm": thresholds.watchdog_storm,
    }
    return limits[rule]


@dataclass(frozen=True)
class Event:
    """One JSON line: a threshold crossed (`raised`) or recovered (`cleared`), or config drift."""

    time: float
    device: str
    port: str | None
    priority: int | None
    metric: str  # the rule (threshold key), `device_down` or `config_drift`
    value: float | str | None
    threshold: float | str | None
    severity: Severity
    state: Literal["raised", "cleared"]
    detail: str = ""

    def to_json(self) -> dict[str, JsonValue]:
        stamp = datetime.fromtimestamp(self.time, tz=timezone.utc).isoformat(timespec="seconds")
        doc: dict[str, JsonValue] = {
            "time": stamp.replace("+00:00", "Z"),
            "device": self.device,
            "port": self.port,
            "priority": self.priority,
            "metric": self.metric,
            "value": round(self.value, 3) if isinstance(self.value, float) else self.value,
            "threshold": self.threshold,
            "severity": self.severity,
            "state": self.state,
        }
        if self.detail:
            doc["detail"] = self.detail
        return doc


@dataclass
class Alarms:
    """The events raised and not yet cleared, across cycles."""

    thresholds: Thresholds
    active: dict[Key, Event] = field(default_factory=dict)

    def update(self, points: Iterable[M.Point], at: float | None = None) -> list[Event]:
        """This cycle's series -> the events it raises and clears (raised ones first, in series order)."""
        now = time.time() if at is None else at
        seen: dict[Key, tuple[M.Point, Rule, Threshold]] = {}
        by_metric = {m: r for r in RULES for m in r.metrics}
        for point in points:
            rule = by_metric.get(point.metric)
            limit = threshold_of(self.thresholds, rule.name) if rule is not None else None
            if rule is None or limit is None or not rule.applies(point):
                continue
            key = _key(rule.name, point)
            best = seen.get(key)
            if best is None or point.value > best[0].value:  # rx and tx of one priority: the worse one counts
                seen[key] = (point, rule, limit)
        events: list[Event] = []
        for key, (point, rule, limit) in seen.items():
            value = point.value * rule.scale
            if value > limit.limit and key not in self.active:
                self.active[key] = _event(key, value, limit, now, "raised")
                events.append(self.active[key])
            elif value <= limit.limit and key in self.active:
                del self.active[key]
                events.append(_event(key, value, limit, now, "cleared"))
        return events

    def device_up(self, device: str, up: bool, why: str = "", at: float | None = None) -> list[Event]:
        """`device_down` raised when a device stops answering, cleared when it answers again."""
        key: Key = ("device_down", device, "", "")
        now = time.time() if at is None else at
        if not up and key not in self.active:
            self.active[key] = Event(now, device, None, None, "device_down", 0.0, 1.0, "critical", "raised", why)
            return [self.active[key]]
        if up and key in self.active:
            del self.active[key]
            return [Event(now, device, None, None, "device_down", 1.0, 1.0, "critical", "cleared")]
        return []

    def drift(self, findings: dict[Key, str], devices: set[str], at: float | None = None) -> list[Event]:
        """Config drift from an audit: `findings` maps (check id, device, port, priority) to its title.
        Drift of a device the audit could not read is kept (not cleared by missing data)."""
        now = time.time() if at is None else at
        events: list[Event] = []
        for (check, device, port, prio), title in findings.items():
            key: Key = ("drift:" + check, device, port, prio)
            if key not in self.active:
                self.active[key] = _drift(key, now, "raised", title)
                events.append(self.active[key])
        for key in [k for k in self.active if k[0].startswith("drift:") and k[1] in devices]:
            if (key[0].removeprefix("drift:"), *key[1:]) not in findings:
                events.append(_drift(key, now, "cleared", self.active.pop(key).detail))
        return events

    def counts(self) -> dict[Severity, int]:
        out: dict[Severity, int] = {"info": 0, "warning": 0, "critical": 0}
        for event in self.active.values():
            out[event.severity] += 1
        return out


def _key(rule: str, point: M.Point) -> Key:
    names = point.metric.labels
    port = point.label("port") if "port" in names else ""
    prio = point.label("priority") if "priority" in names else ""
    return rule, point.label("device"), port, prio


def _event(key: Key, value: float, limit: Threshold, at: float, state: Literal["raised", "cleared"]) -> Event:
    rule, device, port, prio = key
    return Event(at, device, port or None, int(prio) if prio else None, rule, value, limit.limit, limit.severity, state)


def _drift(key: Key, at: float, state: Literal["raised", "cleared"], title: str) -> Event:
    rule, device, port, prio = key
    check = rule.removeprefix("drift:")
    return Event(at, device, port or None, int(prio) if prio else None, "config_drift", check, None, "warning",
                 state, title)  # fmt: skip
