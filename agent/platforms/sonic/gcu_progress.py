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
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.platforms.base import (
    ApplyOptions,
    ApplyProgress,
    CommandRunner,
    ProgressCallback,
    RunResult,
    StreamingRunner,
)
from agent.platforms.sonic import txscript
from agent.platforms.sonic.steps import Patch
from agent.platforms.sonic.txscript import Script

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


@dataclass
class StepProgress:
    """GCU progress across the steps of one commit line: the line's `<marker> applyK` lines (txscript)
    say which patch GCU is working on; each step gets its own GcuProgress."""

    device: str
    marker: str
    names: dict[str, tuple[int, str]]  # marker name -> (step number, label)
    steps: int
    emit: ProgressCallback
    current: GcuProgress | None = None

    def line(self, text: str) -> None:
        stripped = text.strip()
        if stripped.startswith(self.marker + " "):
            step = self.names.get(stripped[len(self.marker) + 1 :].split(" ")[0])
            self.current = None if step is None else GcuProgress(self.device, step[0], self.steps, step[1], self.emit)
        elif self.current is not None:
            self.current.line(text)


def run_commit(
    runner: CommandRunner, script: Script, patches: Sequence[Patch], opts: ApplyOptions, timeout: float
) -> RunResult:
    """Run the transaction's commit line; with a progress callback and a streaming runner, GCU's lines
    become ApplyProgress as they arrive (the line's step markers say which patch is running)."""
    if opts.on_progress is None or not isinstance(runner, StreamingRunner):
        return runner.run(script.line, timeout=timeout)
    names = {txscript.apply_step(k, len(patches)): (k, p.label) for k, p in enumerate(patches, 1)}
    tracker = StepProgress(runner.device, txscript.marker(script.nonce), names, len(patches), opts.on_progress)
    return runner.run_streaming(script.line, tracker.line, timeout=timeout)
