"""PFC watchdog per lossless queue, driven by storms on the logical clock.

Semantics (reference sonic.md §1.6, §5.2; lossless-engineering.md §2.1): a queue is watched when the
port has a `PFC_WD|<port>` row and the priority is in `pfcwd_sw_enable` (>= 202205). A storm that lasts
`detection_time` turns `PFC_WD_STATUS` to `stormed` (DEADLOCK_DETECTED + 1); `restoration_time` after the
storm ends it is `operational` again (DEADLOCK_RESTORED + 1). Storms come from
`COUNTERS:<queue oid> DEBUG_STORM enabled` (like sonic-swss tests/test_pfcwd.py) or from
`set_traffic(port, "storm")`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rocelab.sonic.db import ConfigDb
from rocelab.sonic.qosview import ms_to_ticks

DROPS_PER_STORMED_TICK = 50


def timer_ticks(wd: dict[str, str]) -> tuple[int, int]:
    """(detection, restoration) in clock ticks; a missing restoration time is 2 x detection (pfcwd CLI)."""
    detection = wd.get("detection_time", "200")
    detect = ms_to_ticks(detection, 200)
    restore = ms_to_ticks(wd.get("restoration_time"), 2 * int(detection) if detection.isdigit() else 400)
    return detect, restore


@dataclass
class StormInterval:
    start: int
    end: int | None = None


@dataclass
class QueueWatch:
    status: str
    detected: int
    restored: int
    stormed_ticks: int
    last_stormed_ticks: int


@dataclass
class Watchdog:
    storms: dict[tuple[str, int], list[StormInterval]] = field(default_factory=dict)

    def start_storm(self, port: str, queue: int, now: int) -> None:
        runs = self.storms.setdefault((port, queue), [])
        if not runs or runs[-1].end is not None:
            runs.append(StormInterval(now))

    def stop_storm(self, port: str, queue: int, now: int) -> None:
        runs = self.storms.get((port, queue))
        if runs and runs[-1].end is None:
            runs[-1].end = now

    def in_storm(self, port: str, queue: int) -> bool:
        runs = self.storms.get((port, queue))
        return runs is not None and bool(runs) and runs[-1].end is None

    def watched(self, config: ConfigDb, port: str, queue: int) -> dict[str, str] | None:
        """The PFC_WD row when this queue is armed, else None (no PFC_WD_* fields at all)."""
        wd = config.hgetall(f"PFC_WD|{port}")
        if not wd:
            return None
        enabled = config.hget(f"PORT_QOS_MAP|{port}", "pfcwd_sw_enable") or ""
        if str(queue) not in enabled.split(","):
            return None
        return wd

    def evaluate(self, wd: dict[str, str], port: str, queue: int, now: int) -> QueueWatch:
        detect, restore = timer_ticks(wd)
        detected = restored = stormed = last = 0
        status = "operational"
        for run in self.storms.get((port, queue), []):
            hit = run.start + detect
            if hit > now or (run.end is not None and run.end < hit):
                continue
            detected += 1
            back = None if run.end is None else run.end + restore
            until = now if back is None or back > now else back
            last = until - hit
            stormed += last
            if back is not None and back <= now:
                restored += 1
            else:
                status = "stormed"
        return QueueWatch(status, detected, restored, stormed, last)

    def fields(self, wd: dict[str, str], port: str, queue: int, now: int) -> dict[str, str]:
        w = self.evaluate(wd, port, queue, now)
        action = wd.get("action", "drop")
        drops = w.stormed_ticks * DROPS_PER_STORMED_TICK if action == "drop" else 0
        last_drops = w.last_stormed_ticks * DROPS_PER_STORMED_TICK if action == "drop" else 0
        return {
            "PFC_WD_ACTION": action,
            "PFC_WD_DETECTION_TIME": wd.get("detection_time", "200"),
            "PFC_WD_RESTORATION_TIME": wd.get("restoration_time", "400"),
            "PFC_WD_STATUS": w.status,
            "PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED": str(w.detected),
            "PFC_WD_QUEUE_STATS_DEADLOCK_RESTORED": str(w.restored),
            "PFC_WD_QUEUE_STATS_TX_PACKETS": "0",
            "PFC_WD_QUEUE_STATS_TX_DROPPED_PACKETS": str(drops),
            "PFC_WD_QUEUE_STATS_RX_PACKETS": "0",
            "PFC_WD_QUEUE_STATS_RX_DROPPED_PACKETS": str(drops),
            "PFC_WD_QUEUE_STATS_TX_PACKETS_LAST": "0",
            "PFC_WD_QUEUE_STATS_TX_DROPPED_PACKETS_LAST": str(last_drops),
            "PFC_WD_QUEUE_STATS_RX_PACKETS_LAST": "0",
            "PFC_WD_QUEUE_STATS_RX_DROPPED_PACKETS_LAST": str(last_drops),
        }
