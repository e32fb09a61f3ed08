"""What a rollout leaves behind, per device and overall: the summary every rollout ends with.

The summary answers the operator's three questions: which devices are in the after state, which were
rolled back and why, and which need a human (a rollback that could not be proven).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.rollout.trail import AFTER, BEFORE, FAILED, PENDING, RolloutJournal


@dataclass
class DeviceRecord:
    state: str = BEFORE  # after | pending | before | failed
    changed: bool = False  # this rollout changed it (so a rollback has something to undo)
    stage: str | None = None
    checkpoint: str | None = None
    base_fingerprint: str | None = None  # state planned against = the before state a rollback must restore
    rolled_back: bool = False
    attention: bool = False  # in a proven state, but not the one the failure action wanted
    reason: str = ""


@dataclass
class RolloutResult:
    txid: str
    result: str  # converged (every device in the after state) | partial (tolerated failures) | halted | aborted
    devices: dict[str, DeviceRecord] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        bad = any(r.attention or r.state in (FAILED, PENDING) for r in self.devices.values())
        return 0 if self.result == "converged" and not bad else 1

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"after": [], "already_compliant": [], "rolled_back": {}, "not_changed": {}}
        out["needs_attention"] = {}
        for name, r in sorted(self.devices.items()):
            if r.attention or r.state in (FAILED, PENDING):
                out["needs_attention"][name] = r.reason or "state could not be proven"
            elif r.state == AFTER:
                out["after" if r.changed else "already_compliant"].append(name)
            elif r.rolled_back:
                out["rolled_back"][name] = r.reason
            else:
                out["not_changed"][name] = r.reason or "not reached"
        return out


def records_from_journal(journal: RolloutJournal) -> dict[str, DeviceRecord]:
    """Device records as an interrupted rollout left them (for --resume and --abort)."""
    out: dict[str, DeviceRecord] = {}
    for dev, state in journal.device_state.items():
        out[dev] = DeviceRecord(
            state=state,
            changed=dev in journal.changed_in,
            stage=journal.changed_in.get(dev),
            checkpoint=journal.checkpoints.get(dev),
            base_fingerprint=journal.fingerprints.get(dev),
        )
    return out
