"""Audit trail: redaction of every record, append-only JSON Lines, journal reconstruction."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from agent.rollout.trail import AFTER, BEFORE, PENDING, REDACTED, Trail, journal, last_interrupted, redact


def test_redact_masks_secret_keys_and_known_values_everywhere() -> None:
    record = {
        "password": "hunter22",
        "nested": {"api_key": "abc", "token": "", "note": "login with hunter22 failed"},
        "list": ["x", {"Secret": 5}],
        "passed": True,
        "passes": 3,
    }
    out = redact(record, ["hunter22", "ab"])
    assert out["password"] == REDACTED
    assert out["nested"]["api_key"] == REDACTED
    assert out["nested"]["token"] == ""  # empty values stay (they reveal nothing)
    assert out["nested"]["note"] == f"login with {REDACTED} failed"
    assert out["list"][1]["Secret"] == REDACTED
    assert out["passed"] is True
    assert out["passes"] == 3
    assert "hunter22" not in json.dumps(out)


def test_short_secrets_are_masked_only_where_they_stand_alone() -> None:
    assert redact({"m": "a b c", "n": "pw1"}, ["a", "pw1"]) == {"m": "a b c", "n": REDACTED}


def test_every_appended_record_is_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trail = Trail.for_state_dir(tmp_path, ["s3cret-value"])
    trail.append("tx1", "applied", device="leaf1", detail="used s3cret-value", extra={"password": "p4ss-word"})
    text = trail.path.read_text()
    assert stat.S_IMODE(trail.path.stat().st_mode) == 0o600  # readable by its owner only
    assert "s3cret-value" not in text
    assert "p4ss-word" not in text
    assert len(text.splitlines()) == 1


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    trail = Trail.for_state_dir(tmp_path)
    trail.append("tx1", "rollout_started", stages=[])
    with trail.path.open("a") as fh:
        fh.write('{"txid": "tx1", "event": "appl')  # the process died mid-write
    assert [r["event"] for r in trail.records()] == ["rollout_started"]


def test_journal_rebuilds_device_states(tmp_path: Path) -> None:
    trail = Trail.for_state_dir(tmp_path)
    trail.append("tx1", "rollout_started", stages=[{"name": "a", "batches": [["d1", "d2"]]}])
    trail.append("tx1", "planned", stage="a", batch=0, device="d1", base_fingerprint="fp1")
    trail.append("tx1", "applied", stage="a", batch=0, device="d1", status="pending_confirm", checkpoint="cp")
    trail.append("tx1", "confirmed", stage="a", batch=0, device="d1")
    trail.append("tx1", "batch_done", stage="a", batch=0)
    trail.append("tx1", "applied", stage="b", batch=0, device="d2", status="pending_confirm", checkpoint="cp")
    trail.append("tx1", "applied", stage="b", batch=0, device="d3", status="unchanged")
    trail.append("tx2", "rollout_started", stages=[])
    trail.append("tx2", "rollout_finished", result="converged")

    assert last_interrupted(trail.records()) == "tx1"
    j = journal(trail.records(), "tx1")
    assert j is not None
    assert j.interrupted
    assert j.device_state == {"d1": AFTER, "d2": PENDING, "d3": AFTER}
    assert j.done_batches == {("a", 0)}
    assert j.fingerprints == {"d1": "fp1"}
    assert list(j.changed_in) == ["d1", "d2"]

    trail.append("tx1", "rolled_back", device="d2", status="rolled_back")
    trail.append("tx1", "rollout_finished", result="halted")
    j = journal(trail.records(), "tx1")
    assert j is not None
    assert not j.interrupted
    assert j.device_state["d2"] == BEFORE
    assert last_interrupted(trail.records()) is None


def test_unknown_secrets_after_keywords_in_messages_are_scrubbed() -> None:
    out = redact({"detail": "login failed: password=Unlisted9 for admin"}, [])
    assert "Unlisted9" not in out["detail"]
