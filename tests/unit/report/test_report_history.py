from __future__ import annotations

import sqlite3
from pathlib import Path

from agent.checks.engine import AuditResult
from agent.report import history


def _narrow(result: AuditResult, keep: str) -> AuditResult:
    ran = {b: [c for c in ids if c.startswith(keep)] for b, ids in result.ran.items()}
    return AuditResult(
        [f for f in result.findings if f.check_id.startswith(keep)], ran, {}, result.started_at, 0.0, result.devices
    )


def test_new_and_resolved_by_key(tmp_path: Path, faults: AuditResult, clean: AuditResult) -> None:
    db = history.db_path(tmp_path)
    first = history.record(db, clean, policy="p", source="live")
    assert (first.previous_id, first.new, first.resolved) == (None, [], [])
    second = history.record(db, faults, policy="p", source="live")
    assert second.previous_id == first.audit_id
    assert "SW-QOS-002|leaf1|Ethernet8|3" in second.new
    assert len(second.new) == len(faults.findings)
    third = history.record(db, clean)
    assert third.new == []
    # clean had no previous read, so the runtime finding was not re-checked and is not "resolved"
    assert sorted(third.resolved) == sorted(f.key for f in faults.findings if not f.check_id.startswith("RT-"))
    assert history.changes(db, second.audit_id) == (sorted(second.new), [])
    rows = history.audits(db)
    assert [r.id for r in rows] == [third.audit_id, second.audit_id, first.audit_id]
    assert rows[1].findings == len(faults.findings)
    assert rows[1].complies is False


def test_narrower_selection_does_not_resolve(tmp_path: Path, faults: AuditResult) -> None:
    db = history.db_path(tmp_path)
    history.record(db, faults)
    only_sw = _narrow(faults, "SW-")
    diff = history.record(db, only_sw)
    assert diff.resolved == []  # FAB/AUDIT/RT findings were not re-checked, so not "resolved"
    assert diff.new == []


def test_database_lives_in_state_dir_and_is_plain_sqlite(tmp_path: Path, faults: AuditResult) -> None:
    db = history.db_path(tmp_path)
    assert db == tmp_path / ".state" / "history.sqlite"
    history.record(db, faults)
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute("SELECT COUNT(*) FROM findings").fetchone()
    assert n == len(faults.findings)


def test_empty_history(tmp_path: Path) -> None:
    assert history.audits(history.db_path(tmp_path)) == []
