"""The device lock as shell fragments (agent.rollout.line_lock): what the read decides, the lines built
(golden files), and what they do in a real bash on a real file system (compare-and-swap, release)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from agent.rollout.line_lock import LineLock
from agent.rollout.locks import LockHeld, LockInfo

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rollout" / "line_lock"
TXID = "roce-agent-20261207T000000Z-5a0001"
FIXED = LockInfo("ops@controller-1", 4242, TXID, "roce-agent apply", 1796600000.0, 1796600600.0)
DEAD_PID = 2**22 + 4242  # above pid_max on Linux: no such process


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def bash(line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=False)


def test_the_read_prints_the_record_of_a_quoted_path() -> None:
    assert (
        LineLock("leaf1", "/tmp/my locks/roce.lock", FIXED).read_command()
        == "cat '/tmp/my locks/roce.lock' 2>/dev/null"
    )


def test_no_record_is_free_and_a_rollouts_record_is_held_with_its_break_lock_hint() -> None:
    lock = LineLock("leaf1", "/tmp/roce-agent.lock", FIXED)
    assert lock.judge("") == []
    assert lock.seen is None
    with pytest.raises(LockHeld, match="--break-lock leaf1=roce-agent-20261207T000000Z-0bee12") as held:
        LineLock("leaf1", "/tmp/roce-agent.lock", FIXED).judge(fixture("rollout_holder.json"))
    assert held.value.holder is not None
    assert held.value.holder.playbook == "lab-rollout"


def test_an_unreadable_record_is_held() -> None:
    with pytest.raises(LockHeld, match="an unreadable lock record"):
        LineLock("leaf1", "/tmp/roce-agent.lock", FIXED).judge(fixture("truncated.json"))


def test_our_own_record_is_a_refresh_and_a_dead_one_shot_record_is_reclaimed_and_said_so() -> None:
    ours = LineLock("leaf1", "/tmp/roce-agent.lock", FIXED)
    assert ours.judge(FIXED.to_json() + "\n") == []
    assert ours.seen == FIXED
    me = LockInfo.new("x", "roce-agent apply", 1).owner  # this machine: the dead pid can be checked
    dead = LockInfo(me, DEAD_PID, "roce-agent-20261206T000000Z-dead00", "roce-agent apply", time.time(), 2e9)
    lock = LineLock("leaf1", "/tmp/roce-agent.lock", FIXED)
    assert lock.judge(dead.to_json()) == [f"reclaimed the stale lock of {dead.describe()}"]


def test_the_take_lines_are_the_golden_ones() -> None:
    free = LineLock("leaf1", "/tmp/roce-agent.lock", FIXED)
    free.judge("")
    assert free.take_command() + "\n" == fixture("take_free.txt")
    over = LineLock("leaf1", "/tmp/roce-agent.lock", FIXED)
    over.seen, over.seen_text = (
        LockInfo.from_json(fixture("rollout_holder.json")),
        fixture("rollout_holder.json").strip(),
    )
    assert over.take_command() + "\n" == fixture("take_over.txt")


def test_a_txid_that_is_not_ours_to_quote_is_refused() -> None:
    bad = LockInfo("ops@c", 1, "roce-agent-x'; rm -rf /; '", "roce-agent apply", 0.0, 1.0)
    with pytest.raises(ValueError, match="transaction id"):
        LineLock("leaf1", "/tmp/roce-agent.lock", bad)


def test_compare_and_swap_in_bash_takes_a_free_lock_and_leaves_a_new_holders_one(tmp_path: Path) -> None:
    path = tmp_path / "roce-agent.lock"
    lock = LineLock("leaf1", str(path), FIXED)
    lock.judge("")
    taken = bash(f"{lock.take_command()}; {lock.read_command()}")
    lock.confirm_taken(taken.stdout)
    assert lock.taken
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roce-agent.lock"]  # the temp file is gone

    other = LineLock("leaf1", str(path), LockInfo.new("roce-agent-20261207T000000Z-0bee12", "roce-agent apply", 60))
    other.judge("")  # it read before we took the lock: its swap must not replace ours
    raced = bash(f"{other.take_command()}; {other.read_command()}")
    with pytest.raises(LockHeld, match="another agent took it at the same moment"):
        other.confirm_taken(raced.stdout)
    assert LockInfo.from_json(path.read_text()) == FIXED


def test_a_refresh_swaps_only_the_record_it_read(tmp_path: Path) -> None:
    path = tmp_path / "roce-agent.lock"
    path.write_text(FIXED.to_json() + "\n")
    longer = LockInfo(FIXED.owner, FIXED.pid, TXID, FIXED.playbook, FIXED.acquired_at, FIXED.expires_at + 600)
    lock = LineLock("leaf1", str(path), longer)
    lock.judge(path.read_text())
    lock.confirm_taken(bash(f"{lock.take_command()}; {lock.read_command()}").stdout)
    assert LockInfo.from_json(path.read_text()) == longer


def test_release_removes_only_a_record_carrying_our_txid(tmp_path: Path) -> None:
    path = tmp_path / "roce-agent.lock"
    path.write_text(fixture("rollout_holder.json"))
    assert bash(LineLock("leaf1", str(path), FIXED).release_command()).returncode == 1
    assert path.exists()
    path.write_text(FIXED.to_json() + "\n")
    assert bash(LineLock("leaf1", str(path), FIXED).release_command()).returncode == 0
    assert not path.exists()
