"""Monitor samples and events in the inventory's SQLite history (`<inventory>/.state/history.sqlite`).

Same file as the audit history, own tables. A sample row is one non-zero series value of one cycle
(zero rates are the norm and are implied by the cycle's row in `monitor_cycles`), so a quiet fabric of
512 devices stores almost nothing per cycle. Rows older than the retention are deleted as new ones
arrive (at most once a minute).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agent.monitor import metrics as M
from agent.monitor.thresholds import Event

#: the series kept in history (what the trends report draws)
STORED: tuple[M.Metric, ...] = (
    M.PFC_RX, M.PFC_TX, M.PAUSED, M.ECN, M.DROPS, M.HEADROOM_PCT, M.WD_STORM, M.RDMA_RETRANS, M.NIC_DISCARDS,
)  # fmt: skip

_SCHEMA = """
CREATE TABLE IF NOT EXISTS monitor_cycles (at REAL NOT NULL, devices_up INTEGER NOT NULL, devices INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS monitor_samples (
    at REAL NOT NULL, metric TEXT NOT NULL, device TEXT NOT NULL, port TEXT NOT NULL, priority TEXT NOT NULL,
    value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS monitor_samples_at ON monitor_samples(at);
CREATE TABLE IF NOT EXISTS monitor_events (at REAL NOT NULL, device TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS monitor_events_at ON monitor_events(at);
"""


@dataclass(frozen=True)
class SampleRow:
    at: float
    metric: str
    device: str
    port: str
    priority: str
    value: float


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10)
    try:
        conn.executescript(_SCHEMA)
        yield conn
        conn.commit()
    finally:
        conn.close()


class MonitorStore:
    def __init__(self, path: Path, retention_s: float) -> None:
        self.path = path
        self.retention_s = retention_s
        self._pruned_at = 0.0

    def record(self, at: float, points: Iterable[M.Point], events: Iterable[Event], up: int, devices: int) -> None:
        stored = set(STORED)
        rows = [(at, p.metric.name, *_place(p), p.value) for p in points if p.metric in stored and p.value]
        with _connect(self.path) as conn:
            conn.execute("INSERT INTO monitor_cycles VALUES (?, ?, ?)", (at, up, devices))
            conn.executemany("INSERT INTO monitor_samples VALUES (?, ?, ?, ?, ?, ?)", rows)
            docs = [(e.time, e.device, json.dumps(e.to_json())) for e in events]
            conn.executemany("INSERT INTO monitor_events VALUES (?, ?, ?)", docs)
            if at - self._pruned_at > 60:
                self._pruned_at = at
                cutoff = at - self.retention_s
                for table in ("monitor_cycles", "monitor_samples", "monitor_events"):
                    conn.execute(f"DELETE FROM {table} WHERE at < ?", (cutoff,))  # table names are ours


def _place(point: M.Point) -> tuple[str, str, str]:
    names = point.metric.labels
    port = point.label("port") if "port" in names else ""
    prio = point.label("priority") if "priority" in names else ""
    return point.label("device"), port, prio


def samples(path: Path, since: float, devices: set[str] | None = None) -> list[SampleRow]:
    if not path.is_file():
        return []
    with _connect(path) as conn:
        rows = conn.execute(
            "SELECT at, metric, device, port, priority, value FROM monitor_samples WHERE at >= ? ORDER BY at", (since,)
        ).fetchall()
    return [SampleRow(*r) for r in rows if devices is None or r[2] in devices]


def cycles(path: Path, since: float) -> list[float]:
    if not path.is_file():
        return []
    with _connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT at FROM monitor_cycles WHERE at >= ? ORDER BY at", (since,))]


def events(path: Path, since: float) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    with _connect(path) as conn:
        rows = conn.execute("SELECT doc FROM monitor_events WHERE at >= ? ORDER BY at", (since,)).fetchall()
    return [json.loads(r[0]) for r in rows]
