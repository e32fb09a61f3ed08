"""GCU's console lines (both wordings of the real PatchApplier) -> live progress per change."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.platforms.base import ApplyProgress
from agent.platforms.sonic import gcu_cost
from agent.platforms.sonic.gcu_progress import GcuProgress

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic"


def feed(name: str, steps: int = 1) -> list[ApplyProgress]:
    seen: list[ApplyProgress] = []
    reader = GcuProgress("leaf1", 1, steps, "host ports", seen.append)
    for line in (FIXTURES / name).read_text().splitlines():
        reader.line(line)
    return seen


@pytest.mark.parametrize(
    ("name", "flapping"),
    [
        ("gcu_apply_patch_202305_flap.txt", [None, "Ethernet0", "Ethernet0", None]),
        ("gcu_apply_patch_202505_flap.txt", [None, "Ethernet0", "Ethernet0", None, "Ethernet4", "Ethernet4", None]),
    ],
)
def test_each_applied_change_is_one_event_and_the_down_port_is_named(name: str, flapping: list[str | None]) -> None:
    seen = feed(name)
    total = len(flapping) - 1
    assert [(p.applied, p.total) for p in seen] == [(n, total) for n in range(total + 1)]
    assert [p.flapping for p in seen] == flapping  # 202305's first listing (before applying) is not progress
    assert gcu_cost.parse_console((FIXTURES / name).read_text()).changes == total


def test_text_and_record_name_the_step_and_port() -> None:
    p = feed("gcu_apply_patch_202505_flap.txt", steps=3)[4]
    assert p.text() == "GCU step 1/3 (host ports): change 4/6, Ethernet4 down"
    assert p.record() == {
        "event": "apply_progress", "device": "leaf1", "step": 1, "steps": 3, "label": "host ports",
        "applied": 4, "total": 6, "flapping": "Ethernet4", "text": p.text(),
    }  # fmt: skip


def test_worth_saying_keeps_a_log_short() -> None:
    seen = feed("gcu_apply_patch_202505_flap.txt")
    said = [p.applied for last, p in zip([None, *seen], seen, strict=False) if p.worth_saying(last)]
    assert said == [0, 1, 2, 3, 4, 5, 6]  # every change here moves a port or a quarter
    quiet = [ApplyProgress("leaf1", 1, 1, "all", n, 100) for n in range(101)]
    said = [p.applied for last, p in zip([None, *quiet], quiet, strict=False) if p.worth_saying(last)]
    assert said == [0, 25, 50, 75, 100]
