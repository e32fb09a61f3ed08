"""The audit trail: append-only JSON Lines per inventory at `<inventory>/.state/trail.jsonl`.

One record per decision: who started what (playbook and policy hashes), per device the patch or host
operations, checkpoint names, verification results, gate results, confirm and rollback decisions. It is
both the audit record and the journal `--resume`/`--abort` rebuild an interrupted rollout from, so every
record is flushed and fsync'ed before the runner moves on.

Every record passes through `redact` first: values under secret-looking keys are replaced, any known
secret value (passwords from the environment or the inventory) is masked wherever it appears, and
free text gets the project's `snapshot.scrub` (values after "password=", "token:" ...).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.snapshot import scrub

TRAIL_FILE = "trail.jsonl"
REDACTED = "***REDACTED***"
_SECRET_KEY_RE = re.compile(
    r"(pass(word|wd|phrase)|secret|token|private[_-]?key|api[_-]?key|community|credential)", re.IGNORECASE
)
_MIN_SECRET_LEN = 4  # shorter values are masked only as whole strings (inside text they would mangle words)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `value` with secret-looking keys and every known secret value masked."""
    known = sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True)
    short = {s for s in secrets if s and len(s) < _MIN_SECRET_LEN}
    return _redact(value, known, short)


def _redact(value: Any, known: list[str], short: set[str]) -> Any:
    if isinstance(value, dict):
        return {
            str(k): REDACTED if _SECRET_KEY_RE.search(str(k)) and v not in (None, "") else _redact(v, known, short)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redact(v, known, short) for v in value]
    if isinstance(value, str):
        if value in short:
            return REDACTED  # too short to mask inside text without mangling it; masked when it stands alone
        for secret in known:
            value = value.replace(secret, REDACTED)
        return scrub(value)  # and anything after "password=", "token:" ... in device or library messages
    return value


def secrets_from_environment(extra_env_names: Iterable[str] = ()) -> list[str]:
    """Values of credential variables the agent reads, plus any variable whose name looks secret."""
    names = {"ROCE_AGENT_PASSWORD", *extra_env_names}
    names.update(k for k in os.environ if _SECRET_KEY_RE.search(k))
    return [os.environ[n] for n in names if os.environ.get(n)]


@dataclass
class Trail:
    path: Path
    secrets: list[str] = field(default_factory=list)

    @classmethod
    def for_state_dir(cls, state_dir: Path, secrets: Iterable[str] = ()) -> Trail:
        return cls(Path(state_dir) / TRAIL_FILE, list(secrets))

    def append(self, txid: str, event: str, **fields: Any) -> dict[str, Any]:
        record = redact({"ts": round(time.time(), 3), "txid": txid, "event": event, **fields}, self.secrets)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return dict(record)

    def records(self, txid: str | None = None) -> Iterator[dict[str, Any]]:
        """Every readable record (a torn last line from a crash is skipped), optionally for one txid."""
        if not self.path.is_file():
            return
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict) and (txid is None or rec.get("txid") == txid):
                    yield rec


# ---- reconstruction for --resume / --abort ---------------------------------------------------------------

AFTER, PENDING, BEFORE, FAILED = "after", "pending", "before", "failed"


@dataclass
class RolloutJournal:
    """What the trail says about one rollout: enough to continue or undo it."""

    txid: str
    started: dict[str, Any]
    finished: dict[str, Any] | None = None
    done_batches: set[tuple[str, int]] = field(default_factory=set)
    device_state: dict[str, str] = field(default_factory=dict)  # device -> after|pending|before|failed
    checkpoints: dict[str, str] = field(default_factory=dict)  # device -> checkpoint name
    fingerprints: dict[str, str] = field(default_factory=dict)  # device -> base fingerprint of its plan
    changed_in: dict[str, str] = field(default_factory=dict)  # device -> stage that changed it
    halting: dict[str, Any] | None = None  # a gate failed and the failure action had started

    @property
    def interrupted(self) -> bool:
        return self.finished is None


def journal(records: Iterable[dict[str, Any]], txid: str) -> RolloutJournal | None:
    j: RolloutJournal | None = None
    for rec in records:
        if rec.get("txid") != txid:
            continue
        event = rec.get("event")
        if event == "rollout_started" and j is None:
            j = RolloutJournal(txid, rec)
        if j is None:
            continue
        _fold(j, event, rec)
    return j


_STATE_AFTER_APPLY = {"applied": AFTER, "unchanged": AFTER, "pending_confirm": PENDING, "failed": FAILED}


def _fold(j: RolloutJournal, event: Any, rec: dict[str, Any]) -> None:
    dev = rec.get("device")
    if event == "planned" and isinstance(dev, str) and rec.get("base_fingerprint") and dev not in j.changed_in:
        j.fingerprints[dev] = str(rec["base_fingerprint"])
    elif event == "applied" and isinstance(dev, str):
        status = rec.get("status")
        j.device_state[dev] = _STATE_AFTER_APPLY.get(str(status), BEFORE)
        if rec.get("checkpoint"):
            j.checkpoints[dev] = str(rec["checkpoint"])
        if status in ("applied", "pending_confirm"):
            j.changed_in[dev] = str(rec.get("stage"))
    elif event == "confirmed" and isinstance(dev, str):
        j.device_state[dev] = AFTER
    elif event == "rolled_back" and isinstance(dev, str):
        j.device_state[dev] = {"rolled_back": BEFORE, "unsupported": AFTER}.get(str(rec.get("status")), FAILED)
    elif event == "batch_done":
        j.done_batches.add((str(rec.get("stage")), int(rec.get("batch", 0))))
    elif event == "halting":
        j.halting = rec
    elif event == "rollout_finished":
        j.finished = rec


def last_interrupted(records: Iterable[dict[str, Any]]) -> str | None:
    """txid of the most recent rollout that started and never finished."""
    open_tx: list[str] = []
    for rec in records:
        if rec.get("event") == "rollout_started" and rec.get("mode") != "resume":
            open_tx.append(str(rec.get("txid")))
        elif rec.get("event") == "rollout_finished" and rec.get("txid") in open_tx:
            open_tx.remove(str(rec.get("txid")))
    return open_tx[-1] if open_tx else None
