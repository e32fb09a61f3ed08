"""Locks: the inventory lock is exclusive and says who holds it; device locks live on the device."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from rollout_fakes import FakeDevice, FakeRunner

from agent.rollout.locks import DeviceLock, LocalLock, LockHeld, LockInfo

PATH = "/tmp/roce-agent.lock"


def info(txid: str = "roce-agent-20260101T000000Z-aaaaaa", ttl: int = 600) -> LockInfo:
    return LockInfo.new(txid, "test", ttl)


def test_local_lock_is_exclusive_and_names_the_holder(tmp_path: Path) -> None:
    lock = LocalLock(tmp_path / ".state")
    lock.acquire(info("tx-a"))
    with pytest.raises(LockHeld, match=f"pid {os.getpid()} txid tx-a .*wait for it to finish"):
        LocalLock(tmp_path / ".state").acquire(info("tx-b"))
    lock.release("tx-b")  # not the holder: no effect
    assert lock.read() is not None
    assert lock.read().txid == "tx-a"
    lock.release("tx-a")
    assert lock.read() is None


def test_interrupted_lock_is_kept_for_its_own_txid_only(tmp_path: Path) -> None:
    lock = LocalLock(tmp_path)
    lock.acquire(info("tx-a"))
    lock.mark_interrupted("tx-a")
    with pytest.raises(LockHeld, match="--resume"):
        lock.acquire(info("tx-b"))
    lock.acquire(info("tx-a"), takeover_txid="tx-a")
    assert lock.read().pid == os.getpid()  # type: ignore[union-attr]


def test_dead_holder_process_is_not_silently_taken_over(tmp_path: Path) -> None:
    lock = LocalLock(tmp_path)
    dead = LockInfo(info().owner, 2**22 + 12345, "tx-dead", "x", time.time(), time.time() + 600)
    lock.path.write_text(dead.to_json())
    with pytest.raises(LockHeld, match="interrupted"):
        lock.acquire(info("tx-new"))
    assert lock.break_lock() == dead
    lock.acquire(info("tx-new"))


def test_device_lock_round_trip_through_the_command_runner() -> None:
    box = FakeDevice("leaf1")
    mine, theirs = info("tx-mine"), info("tx-theirs")
    DeviceLock(FakeRunner(box), PATH).acquire(mine)
    assert LockInfo.from_json(box.files[PATH].decode()) == mine
    DeviceLock(FakeRunner(box), PATH).acquire(mine)  # re-acquire (refresh) by the same transaction is fine
    with pytest.raises(LockHeld, match=r"device leaf1 is locked by .* txid tx-mine"):
        DeviceLock(FakeRunner(box), PATH).acquire(theirs)
    DeviceLock(FakeRunner(box), PATH).release("tx-theirs")
    assert PATH in box.files
    DeviceLock(FakeRunner(box), PATH).release("tx-mine")
    assert PATH not in box.files


def test_expired_device_lock_needs_an_explicit_break() -> None:
    box = FakeDevice("spine1")
    old = LockInfo("ops@other", 1, "tx-old", "x", 0.0, 1.0)
    box.files[PATH] = old.to_json().encode()
    with pytest.raises(LockHeld, match=r"expired; break it with .*--break-lock spine1"):
        DeviceLock(FakeRunner(box), PATH).acquire(info())
    assert DeviceLock(FakeRunner(box), PATH).break_lock() == (True, old)
    DeviceLock(FakeRunner(box), PATH).acquire(info())


def test_unreadable_lock_file_is_treated_as_held() -> None:
    box = FakeDevice("leaf2")
    box.files[PATH] = b"garbage"
    with pytest.raises(LockHeld, match="unreadable lock record"):
        DeviceLock(FakeRunner(box), PATH).acquire(info())


def test_lock_path_is_quoted_in_commands() -> None:
    box = FakeDevice("leaf3")
    runner = FakeRunner(box)
    odd = "/tmp/x y;rm -rf ~"
    DeviceLock(runner, odd).acquire(info())
    assert odd in box.files  # the whole path reached `cat`/upload as one argument


def test_release_without_rm_leaves_an_empty_file_that_counts_as_free() -> None:
    box = FakeDevice("host1", faults={"no-rm"})
    DeviceLock(FakeRunner(box), PATH).acquire(info("tx-a"))
    DeviceLock(FakeRunner(box), PATH).release("tx-a")
    assert box.files[PATH] == b""
    DeviceLock(FakeRunner(box), PATH).acquire(info("tx-b"))
