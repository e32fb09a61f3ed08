"""Progress renderers: plain lines off a TTY, JSON lines with --json, live bars on a TTY; the processor."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from agent.inventory.loader import load_nornir
from agent.rollout.progress import JsonProgress, PlainProgress, RichProgress, describe, make_progress
from agent.rollout.steps import on_devices

INVENTORY = Path(__file__).resolve().parents[2] / "fixtures" / "rollout" / "inventory"
APPLIED = {"event": "applied", "stage": "canary", "batch": 0, "device": "leaf1", "status": "pending_confirm",
           "checkpoint": "cp1", "detail": "rolls back in 300s unless confirmed"}  # fmt: skip


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []

    def event(self, record: dict[str, object]) -> None:
        self.events.append(record)

    def waiting(self, what: str, seconds: float) -> None:
        self.events.append({"event": "waiting", "for": what})

    def close(self) -> None:
        return None


def test_describe_says_what_happened_where() -> None:
    assert describe(APPLIED) == (
        "[canary#1] leaf1: pending_confirm (checkpoint cp1): rolls back in 300s unless confirmed"
    )
    gate = {"event": "gate", "stage": "hosts", "batch": 1, "gate_name": "soak", "passed": False,
            "reasons": ["host3: 2 new lossless drops"]}  # fmt: skip
    assert describe(gate) == "[hosts#2] gate soak FAILED: host3: 2 new lossless drops"


def test_plain_progress_prints_decisions_and_waits_not_device_ticks() -> None:
    out = io.StringIO()
    sink = PlainProgress(out)
    sink.event({"event": "device_started", "device": "leaf1"})
    sink.event(APPLIED)
    sink.waiting("soak 30s on leaf1: no new lossless drops", 30)
    assert out.getvalue().splitlines() == [describe(APPLIED), "waiting 30s: soak 30s on leaf1: no new lossless drops"]


def test_json_progress_is_one_object_per_line() -> None:
    out = io.StringIO()
    sink = JsonProgress(out)
    sink.event(APPLIED)
    sink.waiting("link flap on host1", 5)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0] == APPLIED
    assert lines[1] == {"event": "waiting", "for": "link flap on host1", "seconds": 5}


def test_rich_progress_on_a_terminal_shows_coloured_decisions() -> None:
    out = io.StringIO()
    sink = RichProgress(Console(file=out, force_terminal=True, width=200))
    sink.event({"event": "batch_started", "stage": "canary", "batch": 0, "devices": ["leaf1"]})
    sink.event({"event": "device_done", "device": "leaf1"})
    sink.event(APPLIED)
    sink.waiting("soak 2s on leaf1", 2)
    sink.event({"event": "batch_done", "stage": "canary", "batch": 0})
    sink.close()
    text = out.getvalue()
    assert "\x1b[" in text  # colours on a terminal
    assert "leaf1: pending_confirm (checkpoint cp1)" in text


def test_make_progress_picks_by_terminal_and_flag() -> None:
    assert isinstance(make_progress(True, io.StringIO()), JsonProgress)
    assert isinstance(make_progress(False, io.StringIO()), PlainProgress)  # StringIO is not a TTY


def test_processor_reports_each_device_start_and_finish_from_nornir() -> None:
    nr = load_nornir(INVENTORY)
    rec = Recorder()

    def step(device: str) -> str:
        if device == "leaf2":
            raise RuntimeError("unreachable")
        return device.upper()

    results = on_devices(nr, rec, ["leaf1", "leaf2"], "plan", step, parallel=2, where=("canary", 0))

    assert results["leaf1"] == "LEAF1"
    assert isinstance(results["leaf2"], RuntimeError)
    done = {e["device"]: e["failed"] for e in rec.events if e["event"] == "device_done"}
    assert done == {"leaf1": False, "leaf2": True}
    started = [e for e in rec.events if e["event"] == "device_started"]
    assert {e["device"] for e in started} == {"leaf1", "leaf2"}
    assert all(e["stage"] == "canary" and e["step"] == "plan" for e in started)


def _changes(total: int) -> list[dict[str, object]]:
    from agent.platforms.base import ApplyProgress

    down = {3: "Ethernet0", 4: "Ethernet0"}
    return [ApplyProgress("leaf1", 2, 3, "host ports", n, total, down.get(n)).record() for n in range(total + 1)]


def test_change_progress_plain_is_throttled_json_is_every_change_rich_is_a_bar() -> None:
    plain, js = io.StringIO(), io.StringIO()
    p, j = PlainProgress(plain), JsonProgress(js)
    for record in _changes(40):
        p.event(record)
        j.event(record)
    lines = plain.getvalue().splitlines()
    assert lines[0] == "leaf1: GCU step 2/3 (host ports): change 0/40"
    assert "leaf1: GCU step 2/3 (host ports): change 3/40, Ethernet0 down" in lines
    assert len(lines) == 7  # start, port down, port up, three more quarters, end
    assert [json.loads(x)["applied"] for x in js.getvalue().splitlines()] == list(range(41))
    out = io.StringIO()
    rich = RichProgress(Console(file=out, force_terminal=True, width=100))
    for record in _changes(8):
        rich.event(record)
    assert rich.bars.tasks[0].completed == 8
    assert rich.bars.tasks[0].total == 8
    rich.event({"event": "device_done", "step": "apply", "device": "leaf1"})
    assert not rich.bars.tasks
    rich.close()
