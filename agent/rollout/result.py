"""What a rollout leaves behind, per device and overall: the summary every rollout ends with.

The summary answers the operator's three questions: which devices are in the after state, which were
rolled back and why, and which need a human (a rollback that could not be proven).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.rollout.trail import AFTER, BEFORE, FAILED, PENDING


@dataclass
class DeviceRecord:
    state: str = BEFORE  # after | pending | before | failed
    changed: bool = False  # this rollout changed it (so a rollback has something to undo)
    stage: str | None = None
    checkpoint: str | None = None
    base_fingerprint: str | None = None  # state planned against = the before state a rollback must restore
    rolled_back: bool = False
    reason: str = ""


@dataclass
class RolloutResult:
    txid: str
    result: str  # converged | halted | aborted
    devices: dict[str, DeviceRecord] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        bad = any(r.state in (FAILED, PENDING) for r in self.devices.values())
        return 0 if self.result == "converged" and not bad else 1

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"after": [], "already_compliant": [], "rolled_back": {}, "not_changed": {}}
        out["needs_attention"] = {}
        for name, r in sorted(self.devices.items()):
            if r.state == AFTER:
                out["after" if r.changed else "already_compliant"].append(name)
            elif r.state in (FAILED, PENDING):
                out["needs_attention"][name] = r.reason or "state could not be proven"
            elif r.rolled_back:
                out["rolled_back"][name] = r.reason
            else:
                out["not_changed"][name] = r.reason or "not reached"
        return out
