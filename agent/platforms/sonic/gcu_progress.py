"""Live progress of `config apply-patch`, read from GCU's console lines as they arrive.

GCU's PatchApplier logs to the console (generic_updater.py): `... applying N changes in order:` (from
202405, with the scope: `Patch Applier: localhost: applying 33 changes in order:`; 202211-202311 say
`Patch Applier: Applying 33 changes in order:`), then `Patch Applier:   * [<json patch>]` right before it
applies each change, which ChangeApplier follows with a 1 s sleep. Releases before 202405 also list every
change once after `The patch was converted into N changes:`, before applying anything; those lines are
not progress, so only lines after `applying ... in order` count. A change that sets
`/PORT/<p>/admin_status` to `down` is the sorter taking the port down; `up` brings it back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from agent.platforms.base import ApplyProgress, ProgressCallback

APPLYING = re.compile(r"[Aa]pplying (\d+) changes? in order")
CHANGE = re.compile(r"(?:^|:)\s+\* (\[.*\])\s*$")


def admin_changes(text: str) -> list[tuple[str, str]]:
    """(port, "down"|"up") for each `/PORT/<p>/admin_status` operation of one `  * [...]` line."""
    try:
        ops = json.loads(text)
    except json.JSONDecodeError:
        return []
    out: list[tuple[str, str]] = []
    for op in ops if isinstance(ops, list) else []:
        if not isinstance(op, dict):
            continue
        parts = str(op.get("path", "")).split("/")
        if len(parts) == 4 and parts[1] == "PORT" and parts[3] == "admin_status":
            out.append((parts[2].replace("~1", "/").replace("~0", "~"), str(op.get("value"))))
    return out


@dataclass
class GcuProgress:
    """Feed it GCU's lines (`line`); it calls `emit` once when the apply starts and once per change."""

    device: str
    step: int
    steps: int
    label: str
    emit: ProgressCallback
    total: int | None = None
    applied: int = 0
    down: list[str] = field(default_factory=list)
    applying: bool = False

    def line(self, text: str) -> None:
        started = APPLYING.search(text)
        if started is not None:
            self.total, self.applying = int(started.group(1)), True
            self._emit()
            return
        change = CHANGE.search(text) if self.applying else None
        if change is None:
            return
        self.applied += 1
        for port, state in admin_changes(change.group(1)):
            if state == "down" and port not in self.down:
                self.down.append(port)
            elif state == "up" and port in self.down:
                self.down.remove(port)
        self._emit()

    def _emit(self) -> None:
        flapping = self.down[-1] if self.down else None
        self.emit(ApplyProgress(self.device, self.step, self.steps, self.label, self.applied, self.total, flapping))
