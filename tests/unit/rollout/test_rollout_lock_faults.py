"""Device locks never strand: a dropped session is reopened to release, a dead one-shot holder's lock is
reclaimed (and said so), a rollout's stale lock is not, and `--break-lock DEVICE=TXID` names its holder."""

from __future__ import annotations

import time

import pytest
from rollout_fakes import FakeDevice, FakeRunner

from agent.errors import SessionLost
from agent.platforms.base import RunResult
from agent.rollout.locks import DeviceLock, LockHeld, LockInfo, device_guard

PATH = "/tmp/roce-agent.lock"
DEAD_PID = 2**22 + 4242  # above pid_max on Linux: no such process


class DroppingRunner(FakeRunner):
    """The session is gone until `reconnect()` (what a drop after command k leaves the agent with)."""

    def __init__(self, box: FakeDevice) -> None:
        super().__init__(box)
        self.dropped = False
        self.reconnects = 0

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        if self.dropped:
            raise SessionLost(self.device, command, "session closed before the command finished")
        return super().run(command, timeout=timeout)

    def reconnect(self) -> DroppingRunner:
        self.dropped = False
        self.reconnects += 1
        return self


def holder(txid: str, playbook: str, *, pid: int = DEAD_PID, ttl: float = 600.0) -> LockInfo:
    me = LockInfo.new(txid, playbook, 1).owner  # this machine: its pids can be checked
    return LockInfo(me, pid, txid, playbook, time.time(), time.time() + ttl)


def test_release_after_a_dropped_session_reconnects_and_frees_the_device() -> None:
    box = FakeDevice("leaf1")
    runner = DroppingRunner(box)
    lock = DeviceLock(runner, PATH)
    lock.acquire(LockInfo.new("tx-apply", "roce-agent apply", 600))
    runner.dropped = True  # the change failed because the session dropped after command k

    lock.release("tx-apply")

    assert runner.reconnects == 1
    assert PATH not in box.files


@pytest.mark.parametrize("playbook", ["roce-agent apply", "roce-agent rollback"])
def test_a_dead_one_shot_holders_lock_is_reclaimed_and_reported(playbook: str) -> None:
    box = FakeDevice("host1")
    stale = holder("tx-crashed", playbook)
    box.files[PATH] = stale.to_json().encode()

    reclaimed = DeviceLock(FakeRunner(box), PATH).acquire(LockInfo.new("tx-next", "roce-agent apply", 600))

    assert reclaimed == stale
    assert LockInfo.from_json(box.files[PATH].decode()).txid == "tx-next"  # type: ignore[union-attr]


def test_an_expired_one_shot_lock_from_another_machine_is_reclaimed() -> None:
    box = FakeDevice("host2")
    old = LockInfo("ops@elsewhere", 77, "tx-old", "roce-agent apply", 0.0, 1.0)
    box.files[PATH] = old.to_json().encode()
    assert DeviceLock(FakeRunner(box), PATH).acquire(LockInfo.new("tx-new", "roce-agent apply", 600)) == old


def test_a_live_one_shot_holder_is_not_reclaimed() -> None:
    box = FakeDevice("host3")
    box.files[PATH] = LockInfo.new("tx-running", "roce-agent apply", 600).to_json().encode()  # this very process
    with pytest.raises(LockHeld, match="txid tx-running"):
        DeviceLock(FakeRunner(box), PATH).acquire(LockInfo.new("tx-other", "roce-agent apply", 600))


def test_a_stopped_rollouts_lock_is_kept_and_the_refusal_names_its_txid() -> None:
    box = FakeDevice("leaf2")
    box.files[PATH] = holder("tx-rollout", "lab-rollout").to_json().encode()
    with pytest.raises(LockHeld, match=r"--resume.*--break-lock leaf2=tx-rollout"):
        DeviceLock(FakeRunner(box), PATH).acquire(LockInfo.new("tx-apply", "roce-agent apply", 600))
    assert PATH in box.files


def test_break_lock_naming_a_txid_removes_only_that_holders_lock() -> None:
    box = FakeDevice("spine1")
    box.files[PATH] = holder("tx-newer", "lab-rollout").to_json().encode()
    with pytest.raises(LockHeld, match="not by txid tx-older"):
        DeviceLock(FakeRunner(box), PATH).break_lock("tx-older")
    assert PATH in box.files
    present, was = DeviceLock(FakeRunner(box), PATH).break_lock("tx-newer")
    assert present
    assert was is not None
    assert was.txid == "tx-newer"
    assert PATH not in box.files


def test_the_apply_guard_reports_the_stale_lock_it_reclaimed() -> None:
    box = FakeDevice("host4")
    box.files[PATH] = holder("tx-crashed", "roce-agent apply").to_json().encode()
    with device_guard(LockInfo.new("tx-next", "roce-agent apply", 600), PATH)(FakeRunner(box)) as notes:
        assert LockInfo.from_json(box.files[PATH].decode()).txid == "tx-next"  # type: ignore[union-attr]
    assert len(notes) == 1
    assert notes[0].startswith("reclaimed the stale lock of ")
    assert "txid tx-crashed" in notes[0]
    assert PATH not in box.files  # released afterwards


class ReadBackDropRunner(DroppingRunner):
    """The session dies right after the lock file is written: the take's read-back never answers."""

    def upload(self, path: str, data: bytes) -> None:
        super().upload(path, data)
        self.dropped = True


def test_a_take_whose_read_back_is_lost_leaves_no_lock_for_any_caller() -> None:
    """A rollout's lock_all calls acquire directly (no guard around it): the take must undo itself."""
    box = FakeDevice("spine1")
    runner = ReadBackDropRunner(box)
    with pytest.raises(SessionLost):
        DeviceLock(runner, PATH).acquire(LockInfo.new("tx-rollout", "lab-rollout", 600))
    assert runner.reconnects == 1
    assert PATH not in box.files


def test_a_refresh_whose_read_back_is_lost_keeps_the_rollouts_lock() -> None:
    box = FakeDevice("spine2")
    mine = LockInfo.new("tx-rollout", "lab-rollout", 600)
    DeviceLock(FakeRunner(box), PATH).acquire(mine)
    with pytest.raises(SessionLost):
        DeviceLock(ReadBackDropRunner(box), PATH).acquire(LockInfo.new("tx-rollout", "lab-rollout", 600))
    assert LockInfo.from_json(box.files[PATH].decode()).txid == "tx-rollout"  # type: ignore[union-attr]
