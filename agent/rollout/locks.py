"""Locks: one per device ON the device, one per inventory on the machine running the agent.

SONiC's GCU has no lock (`ConfigLock.acquire_lock` is a TODO) and hosts have none at all, so the agent
brings its own. The device lock is a small JSON file (owner, txid, expiry) written through the
CommandRunner (`cat`, SFTP upload, `rm -f`; an empty file also counts as free): every SSH-reachable
Linux, SONiC or twin supports that, and any other agent or operator can read who holds it with `cat`.
The inventory lock is a local file created with O_EXCL under `<inventory>/.state/`, so two rollouts
from one checkout cannot even start.

A lock past its expiry, or whose process is gone, is *stale*. A rollout's stale lock is never silently
taken over: the rollout that left it can `--resume`/`--abort` (same txid); anything else needs an explicit
`--break-lock DEVICE=TXID` naming the holder's txid. A one-shot command (`apply`, `rollback`) has nothing to
resume, so its stale lock (process gone on this machine, or lease over) is reclaimed by the next taker,
which reports whose lock it took. Releasing survives a dropped session: it reconnects once and retries,
so a session lost mid-change does not strand the lock.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shlex
import socket
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from agent.errors import DeviceError, Locked, SessionLost
from agent.platforms.base import CommandRunner, LineLockLike
from agent.process import pid_alive

LOCAL_LOCK_FILE = "rollout.lock"
DEFAULT_DEVICE_LOCK = "/tmp/roce-agent.lock"  # on each device; rollouts and `roce-agent apply` share it
ONE_SHOT_HOLDERS = ("roce-agent apply", "roce-agent rollback")  # no --resume: a dead holder's lock is stale


@runtime_checkable
class Reconnectable(Protocol):
    """A runner that can open a fresh session to the same device after a drop (SSH, docker exec)."""

    def reconnect(self) -> object: ...


@dataclass(frozen=True)
class LockInfo:
    owner: str  # user@machine
    pid: int
    txid: str
    playbook: str
    acquired_at: float
    expires_at: float

    @classmethod
    def new(cls, txid: str, playbook: str, ttl_s: int) -> LockInfo:
        now = time.time()
        return cls(f"{getpass.getuser()}@{socket.gethostname()}", os.getpid(), txid, playbook, now, now + ttl_s)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockInfo | None:
        try:
            raw = json.loads(text)
            return cls(
                str(raw["owner"]),
                int(raw["pid"]),
                str(raw["txid"]),
                str(raw.get("playbook", "")),
                float(raw["acquired_at"]),
                float(raw["expires_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def expired(self) -> bool:
        return time.time() > self.expires_at

    @property
    def reclaimable(self) -> bool:
        """A one-shot command's lock whose holder is provably gone: nothing can resume it, so it is free."""
        return self.playbook in ONE_SHOT_HOLDERS and not holder_alive(self)

    def describe(self) -> str:
        left = int(self.expires_at - time.time())
        when = f"expires in {left}s" if left > 0 else f"expired {-left}s ago"
        return f"{self.owner} pid {self.pid} txid {self.txid} ({self.playbook}; {when})"


class LockHeld(Locked):
    """Someone else holds the lock; the message says who, and how to proceed."""

    def __init__(self, where: str, holder: LockInfo | None, hint: str) -> None:
        who = holder.describe() if holder else "an unreadable lock record"
        super().__init__(f"{where} is locked by {who}; {hint}")
        self.where = where
        self.holder = holder


def holder_alive(info: LockInfo) -> bool:
    """Only a process on this machine can be checked; a remote holder is alive until its lock expires."""
    if info.pid <= 0:
        return False
    same_machine = info.owner.endswith("@" + socket.gethostname())
    return not info.expired and (not same_machine or pid_alive(info.pid))


class LocalLock:
    """`<inventory>/.state/rollout.lock`, created atomically (O_EXCL)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / LOCAL_LOCK_FILE

    def read(self) -> LockInfo | None:
        try:
            return LockInfo.from_json(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def acquire(self, info: LockInfo, *, takeover_txid: str | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        holder = self.read() if self.path.exists() else None
        if self.path.exists():
            if holder is not None and holder.txid == takeover_txid and not holder_alive(holder):
                self.path.unlink()
            elif holder is not None and holder_alive(holder):
                raise LockHeld(f"inventory {self.path.parent.parent}", holder, "wait for it to finish")
            else:
                raise LockHeld(
                    f"inventory {self.path.parent.parent}",
                    holder,
                    "that rollout was interrupted: run `roce-agent rollout PLAYBOOK --resume` or `--abort`, "
                    "or `--break-lock @inventory` if you know it is safe",
                )
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            where = f"inventory {self.path.parent.parent}"
            raise LockHeld(where, self.read(), "another rollout just started") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(info.to_json())

    def release(self, txid: str) -> None:
        holder = self.read()
        if holder is not None and holder.txid == txid:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def mark_interrupted(self, txid: str) -> None:
        """The runner stopped without finishing (exception, Ctrl-C): keep the lock for --resume/--abort but
        record that no process is running it any more (pid 0), so only that txid can take it over."""
        holder = self.read()
        if holder is not None and holder.txid == txid:
            stopped = LockInfo(holder.owner, 0, holder.txid, holder.playbook, holder.acquired_at, holder.expires_at)
            self.path.write_text(stopped.to_json(), encoding="utf-8")

    def break_lock(self) -> LockInfo | None:
        holder = self.read()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        return holder


class DeviceLock:
    """A JSON lock file on the device. Acquire = read, write if free or ours, read back to confirm."""

    def __init__(self, runner: CommandRunner, path: str) -> None:
        self.runner = runner
        self.path = path
        self.qpath = shlex.quote(path)

    def read(self) -> tuple[bool, LockInfo | None]:
        """(present, holder); present with holder None = a lock file that is not ours to parse."""
        res = self.runner.run(f"cat {self.qpath}", timeout=30.0)  # path validated absolute: no option confusion
        if res.exit_code != 0:
            return False, None
        text = res.output.strip()
        if not text:
            return False, None
        return True, LockInfo.from_json(text)

    def acquire(self, info: LockInfo) -> LockInfo | None:
        """Take the lock (or refresh our own); returns the stale one-shot lock it reclaimed, if any."""
        present, holder = self.read()
        reclaimed = claim(self.runner.device, present, holder, info.txid)
        try:
            self.runner.upload(self.path, (info.to_json() + "\n").encode())
            _, mine = self.read()
        except DeviceError:
            # The session may have died after the file was written (on the read-back): a first take undoes
            # itself, so no caller (apply's guard, a rollout's lock_all) is left with a lock it never got.
            # A refresh of our own lock keeps it: the rollout that holds it still owns the device.
            if not (present and holder is not None and holder.txid == info.txid):
                with contextlib.suppress(DeviceError):
                    self.release(info.txid)  # only a lock that carries our txid is removed
            raise
        check_taken(self.runner.device, mine, info.txid)
        return reclaimed

    def release(self, txid: str) -> None:
        """Remove our lock; a session that dropped (the fault that ended the change) is reopened once."""
        try:
            self._release(txid)
        except SessionLost:
            if not isinstance(self.runner, Reconnectable):
                raise
            self.runner.reconnect()
            self._release(txid)

    def _release(self, txid: str) -> None:
        _, holder = self.read()
        if holder is not None and holder.txid == txid:
            self._remove()

    def break_lock(self, txid: str | None = None) -> tuple[bool, LockInfo | None]:
        """(a lock file was there, its holder if readable). With `txid`, only a lock held by that txid is
        removed (LockHeld otherwise), so breaking the lock you looked at cannot remove a newer one."""
        present, holder = self.read()
        if txid is not None and present and (holder is None or holder.txid != txid):
            raise LockHeld(f"device {self.runner.device}", holder, f"not by txid {txid}: left alone")
        self._remove()
        return present, holder

    def _remove(self) -> None:
        """`rm -f`; where there is no `rm` (minimal images), an empty lock file also means "free"."""
        if self.runner.run(f"rm -f {self.qpath}", timeout=30.0).exit_code != 0:
            self.runner.upload(self.path, b"")


def claim(device: str, present: bool, holder: LockInfo | None, txid: str) -> LockInfo | None:
    """Whether `txid` may take the lock file it found (`present`, holding `holder`; None: unparsable):
    LockHeld when someone else holds it; else the stale one-shot lock the take reclaims (None: free or
    ours). DeviceLock and the folded LineLock decide alike."""
    if present and (holder is None or (holder.txid != txid and not holder.reclaimable)):
        raise LockHeld(f"device {device}", holder, hint_for(device, holder))
    return holder if present and holder is not None and holder.txid != txid else None


def check_taken(device: str, mine: LockInfo | None, txid: str) -> None:
    """The read-back after a take: ours, or LockHeld (another agent took it at the same moment)."""
    if mine is None or mine.txid != txid:
        raise LockHeld(f"device {device}", mine, "another agent took it at the same moment")


def hint_for(device: str, holder: LockInfo | None) -> str:
    """How to proceed past a lock `holder` keeps on `device` (what a refusal prints)."""
    breaking = f"`roce-agent rollout PLAYBOOK --break-lock {device}={holder.txid if holder else ''}`"
    if holder is not None and holder.expired:
        return f"the lock expired; break it with {breaking}"
    if holder is not None and not holder_alive(holder):
        return f"its rollout stopped: `--resume` or `--abort` it, or break the lock with {breaking}"
    return f"wait for it, or break it with {breaking} if you know it is stale"


class DeviceLockGuard:
    """A DeviceGuard for agent.platforms.tasks: hold the device lock around the change on each device.
    A platform that folds the lock into its own command lines (LockFolding) asks for `line_lock`
    instead: the same file and record, taken and released by those lines (agent.rollout.line_lock)."""

    def __init__(self, info: LockInfo, path: str = DEFAULT_DEVICE_LOCK) -> None:
        self.info = info
        self.path = path

    def __call__(self, runner: CommandRunner) -> AbstractContextManager[list[str]]:
        return held(DeviceLock(runner, self.path), self.info)

    def line_lock(self, device: str) -> LineLockLike:
        from agent.rollout.line_lock import LineLock  # it builds on this module's records

        return LineLock(device, self.path, self.info)


def device_guard(info: LockInfo, path: str = DEFAULT_DEVICE_LOCK) -> DeviceLockGuard:
    return DeviceLockGuard(info, path)


@contextlib.contextmanager
def held(lock: DeviceLock, info: LockInfo) -> Iterator[list[str]]:
    """Take the lock (LockHeld naming the holder if someone else has it), release it afterwards; yields
    the notes for the outcome (the stale one-shot lock it reclaimed, if any)."""
    stale = lock.acquire(info)
    try:
        yield [f"reclaimed the stale lock of {stale.describe()}"] if stale is not None else []
    finally:
        with contextlib.suppress(DeviceError):  # unreachable even after a reconnect: a one-shot lock is reclaimable
            lock.release(info.txid)
