"""Progress of a rollout for people and for machines.

Three renderers of the same event stream (the records the trail stores, already redacted):

* `RichProgress`  on a TTY: a live bar per stage/batch, one coloured line per device decision;
* `PlainProgress` when stdout is not a TTY (CI logs): one plain line per event;
* `JsonProgress`  with `--json`: one JSON object per line, for scripts.

`DeviceProgress` is the Nornir processor the runner attaches to every per-device step, so device starts
and completions are reported from Nornir's worker threads as they happen. Long waits (soak windows, a
host NIC's link flap) are announced with what is being waited for, never as a silent pause.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import IO, Any, Protocol

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

_STYLE = {
    "applied": "yellow",
    "pending_confirm": "yellow",
    "confirmed": "green",
    "unchanged": "green",
    "rolled_back": "magenta",
    "failed": "bold red",
    "aborted": "red",
}


class ProgressSink(Protocol):
    def event(self, record: dict[str, Any]) -> None: ...

    def waiting(self, what: str, seconds: float) -> None: ...

    def close(self) -> None: ...


def describe(record: dict[str, Any]) -> str:
    """One human line for a trail record."""
    ev = str(record.get("event", ""))
    dev = record.get("device")
    where = f"[{record['stage']}#{int(record.get('batch', 0)) + 1}] " if record.get("stage") else ""
    if ev == "rollout_started":
        return f"rollout {record.get('playbook_name')} txid {record.get('txid')} by {record.get('who')}"
    if ev == "planned":
        n = len(record.get("operations") or [])
        return f"{where}{dev}: plan {n} operation(s)" if n else f"{where}{dev}: no change needed"
    if ev == "applied":
        cp = f" (checkpoint {record['checkpoint']})" if record.get("checkpoint") else ""
        detail = f": {record['detail']}" if record.get("detail") and record.get("status") != "applied" else ""
        return f"{where}{dev}: {record.get('status')}{cp}{detail}"
    if ev in ("confirmed", "device_aborted", "rolled_back"):
        why = f": {record.get('reason') or record.get('detail') or ''}".rstrip(": ")
        return f"{where}{dev}: {ev.replace('_', ' ')}{why}"
    if ev == "gate":
        verdict = "passed" if record.get("passed") else "FAILED: " + "; ".join(record.get("reasons") or [])
        return f"{where}gate {record.get('gate_name', '')} {verdict}".replace("  ", " ")
    if ev == "apply_progress":
        return f"{where}{dev}: {record.get('text')}"
    if ev == "batch_started":
        return f"{where}start: {', '.join(record.get('devices') or [])}"
    if ev == "batch_done":
        return f"{where}batch done"
    if ev == "rollout_finished":
        return f"rollout {record.get('result')}"
    return f"{where}{ev}{(' ' + str(dev)) if dev else ''}"


class PlainProgress:
    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._progress: dict[str, tuple[Any, ...]] = {}

    def _line(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def event(self, record: dict[str, Any]) -> None:
        if record.get("event") in ("device_started", "device_done"):
            return  # per-device progress is for the live bars; plain logs get the decision lines
        if record.get("event") == "apply_progress" and not self._worth_saying(record):
            return
        self._line(describe(record))

    def _worth_saying(self, record: dict[str, Any]) -> bool:
        """A change's progress in a log: its start, each port going down or up, each quarter, its end."""
        total, applied = record.get("total"), int(record.get("applied") or 0)
        quarter = applied * 4 // total if isinstance(total, int) and total else None
        key = (record.get("step"), record.get("flapping"), quarter, applied == total)
        last, self._progress[str(record.get("device"))] = self._progress.get(str(record.get("device"))), key
        return key != last

    def waiting(self, what: str, seconds: float) -> None:
        self._line(f"waiting {seconds:g}s: {what}")

    def close(self) -> None:
        return None


class JsonProgress(PlainProgress):
    def event(self, record: dict[str, Any]) -> None:
        self._line(json.dumps(record, sort_keys=True, default=str))

    def waiting(self, what: str, seconds: float) -> None:
        self._line(json.dumps({"event": "waiting", "for": what, "seconds": seconds}, sort_keys=True))


class RichProgress:
    """Live bars per batch and a coloured log line per decision (TTY only)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.bars = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._batch: Any = None
        self._wait: Any = None
        self._changes: dict[str, Any] = {}  # device -> bar of its running change
        self._lock = threading.Lock()
        self.bars.start()

    def event(self, record: dict[str, Any]) -> None:
        ev = record.get("event")
        with self._lock:
            if ev == "apply_progress":
                self._change_bar(record)
                return
            if ev == "batch_started":
                devices = record.get("devices") or []
                label = f"{record.get('stage')} batch {int(record.get('batch', 0)) + 1}"
                self._batch = self.bars.add_task(label, total=len(devices))
            elif ev == "device_done" and record.get("step") == "apply" and self._batch is not None:
                self.bars.advance(self._batch)
            if ev == "device_done" and str(record.get("device")) in self._changes:
                self.bars.remove_task(self._changes.pop(str(record.get("device"))))
            elif ev == "batch_done" and self._batch is not None:
                self.bars.remove_task(self._batch)
                self._batch = None
            if self._wait is not None and ev != "device_started":
                self.bars.remove_task(self._wait)
                self._wait = None
            if ev not in ("device_started", "device_done"):
                style = _STYLE.get(str(record.get("status") or ev), "")
                text = describe(record)
                self.console.print(f"[{style}]{text}[/]" if style else text, markup=bool(style), highlight=False)

    def _change_bar(self, record: dict[str, Any]) -> None:
        """One bar per device while its change runs: changes done of the step's total, the port down now."""
        dev = str(record.get("device"))
        text = f"{dev}: {record.get('text')}"
        total = record.get("total") if isinstance(record.get("total"), int) else None
        bar = self._changes.get(dev)
        if bar is None:
            bar = self._changes[dev] = self.bars.add_task(text, total=total)
        self.bars.update(bar, description=text, total=total, completed=int(record.get("applied") or 0))

    def waiting(self, what: str, seconds: float) -> None:
        with self._lock:
            short = what if len(what) <= 60 else what[:57] + "..."
            self._wait = self.bars.add_task(f"waiting {seconds:g}s: {short}", total=None)

    def close(self) -> None:
        self.bars.stop()


def make_progress(json_lines: bool, stream: IO[str] | None = None) -> ProgressSink:
    out = stream or sys.stdout
    if json_lines:
        return JsonProgress(out)
    if out.isatty():
        return RichProgress(Console(file=out))
    return PlainProgress(out)


class DeviceProgress:
    """Nornir processor: reports each device's start and finish of one runner step to a ProgressSink."""

    def __init__(self, sink: ProgressSink, step: str, stage: str | None = None, batch: int | None = None) -> None:
        self.sink = sink
        self.step = step
        self.stage = stage
        self.batch = batch

    def _record(self, event: str, host: Host, **extra: Any) -> dict[str, Any]:
        rec: dict[str, Any] = {"event": event, "step": self.step, "device": host.name, **extra}
        if self.stage is not None:
            rec.update(stage=self.stage, batch=self.batch)
        return rec

    def task_started(self, task: Task) -> None:
        return None

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        return None

    def task_instance_started(self, task: Task, host: Host) -> None:
        self.sink.event(self._record("device_started", host))

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        self.sink.event(self._record("device_done", host, failed=bool(result.failed)))

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        return None

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        return None
