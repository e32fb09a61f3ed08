"""Audit history in SQLite under the inventory's state directory (`<inventory>/.state/history.sqlite`).

Every audit is stored with its findings. "New" and "resolved" compare `Finding.key` with the previous
audit of the same inventory; a finding of a check that did not run this time is not "resolved" (a
narrower `--checks` selection must not look like a fix).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agent.checks.engine import AuditResult

STATE_DIR = ".state"
DB_NAME = "history.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    duration_s REAL NOT NULL,
    policy TEXT,
    source TEXT,
    complies INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    devices INTEGER NOT NULL,
    checks TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    check_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    device TEXT NOT NULL,
    port TEXT,
    priority INTEGER,
    title TEXT,
    expected TEXT,
    actual TEXT,
    remediation TEXT
);
CREATE INDEX IF NOT EXISTS findings_audit ON findings(audit_id);
"""


@dataclass(frozen=True)
class AuditDiff:
    audit_id: int
    previous_id: int | None
    new: list[str]
    resolved: list[str]


@dataclass(frozen=True)
class AuditRow:
    id: int
    started_at: float
    duration_s: float
    policy: str | None
    source: str | None
    complies: bool
    errors: int
    warnings: int
    devices: int
    findings: int


def db_path(inventory_dir: Path) -> Path:
    return Path(inventory_dir) / STATE_DIR / DB_NAME


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(_SCHEMA)
        yield conn
        conn.commit()
    finally:
        conn.close()


def record(path: Path, result: AuditResult, *, policy: str | None = None, source: str | None = None) -> AuditDiff:
    """Store the audit; return what is new and what was resolved since the previous one."""
    ran = sorted({c for ids in result.ran.values() for c in ids})
    with _connect(path) as conn:
        prev = conn.execute("SELECT id FROM audits ORDER BY id DESC LIMIT 1").fetchone()
        previous_id = int(prev[0]) if prev else None
        before: dict[str, str] = {}
        if previous_id is not None:
            before = dict(conn.execute("SELECT key, check_id FROM findings WHERE audit_id = ?", (previous_id,)))
        cur = conn.execute(
            "INSERT INTO audits (started_at, duration_s, policy, source, complies, errors, warnings, devices, checks)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                result.started_at,
                result.duration_s,
                policy,
                source,
                int(result.complies),
                result.errors,
                result.warnings,
                len(result.devices),
                json.dumps(ran),
            ),
        )
        audit_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    audit_id,
                    f.key,
                    f.check_id,
                    f.severity.value,
                    f.device,
                    f.port,
                    f.priority,
                    f.title,
                    f.expected,
                    f.actual,
                    f.remediation,
                )
                for f in result.findings
            ],
        )
    now = {f.key for f in result.findings}
    ran_set = set(ran)
    new = sorted(now - set(before)) if previous_id is not None else []
    resolved = sorted(k for k, check in before.items() if k not in now and check in ran_set)
    return AuditDiff(audit_id, previous_id, new, resolved)


def audits(path: Path, limit: int = 20) -> list[AuditRow]:
    """Most recent audits first. A missing database is an empty history."""
    if not path.is_file():
        return []
    with _connect(path) as conn:
        rows = conn.execute(
            "SELECT a.id, a.started_at, a.duration_s, a.policy, a.source, a.complies, a.errors, a.warnings,"
            " a.devices, (SELECT COUNT(*) FROM findings f WHERE f.audit_id = a.id)"
            " FROM audits a ORDER BY a.id DESC LIMIT ?",
            (limit,),
        ).fetchall()
    return [AuditRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], r[9]) for r in rows]


def changes(path: Path, audit_id: int) -> tuple[list[str], list[str]]:
    """(new, resolved) keys of `audit_id` compared with the audit before it."""
    with _connect(path) as conn:
        row = conn.execute("SELECT checks FROM audits WHERE id = ?", (audit_id,)).fetchone()
        prev = conn.execute("SELECT MAX(id) FROM audits WHERE id < ?", (audit_id,)).fetchone()
        if row is None or prev is None or prev[0] is None:
            return [], []
        ran = set(json.loads(row[0]))
        now = {r[0] for r in conn.execute("SELECT key FROM findings WHERE audit_id = ?", (audit_id,))}
        before = dict(conn.execute("SELECT key, check_id FROM findings WHERE audit_id = ?", (prev[0],)))
    return sorted(now - set(before)), sorted(k for k, c in before.items() if k not in now and c in ran)
