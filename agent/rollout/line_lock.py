"""The device lock as shell fragments a platform folds into its own command lines (issue 15).

`DeviceLock` costs four commands per change (read, upload + read-back, read + `rm` to release). A SONiC
apply already sends one read line and three transaction lines, so the lock rides on them instead:

* the read line prints the lock file (`read_command`); the agent decides from it (`judge`) whether the
  device is free, ours, or a dead one-shot command's to reclaim - else LockHeld, nothing taken;
* the prepare line takes it (`take_command`): the record is written to a temp file with `printf` and
  moved over the lock with `mv` only while the lock file still holds what the read saw (nothing, or
  that very record), then printed back; `confirm_taken` proves from that print-back that the lock is
  ours before the commit line writes anything;
* the confirm line releases it (`release_command`): `rm` only while the file carries our txid.

Same file, same JSON as DeviceLock, so rollouts, `--break-lock` and other agents see one lock. The test
and the `mv` run in one shell on the device, apart by microseconds rather than a round trip; the
print-back still catches a concurrent taker that wrote after us (as DeviceLock's read-back does).
Every path and the record are shell-quoted; the txid is validated by agent.txid.
"""

from __future__ import annotations

import shlex

from agent.rollout.locks import LockInfo, check_taken, claim
from agent.txid import check_txid


class LineLock:
    """One device's lock for one change, taken and released inside the platform's own lines."""

    def __init__(self, device: str, path: str, info: LockInfo) -> None:
        check_txid(info.txid)
        self.device = device
        self.path = path
        self.info = info
        self.seen: LockInfo | None = None  # what the read line found (None: free)
        self.seen_text = ""  # that record as the file held it, for the compare-and-swap
        self.taken = False  # set by confirm_taken: from then on a lost session must undo the take

    @property
    def qpath(self) -> str:
        return shlex.quote(self.path)

    def read_command(self) -> str:
        """Prints the lock record, or nothing when there is none."""
        return f"cat {self.qpath} 2>/dev/null"

    def judge(self, text: str) -> list[str]:
        """Decide from the read line's print-out: LockHeld when someone else holds it; else the notes
        for the outcome (the stale one-shot lock that the take will reclaim)."""
        record = text.strip()
        holder = LockInfo.from_json(record) if record else None
        reclaimed = claim(self.device, bool(record), holder, self.info.txid)
        self.seen, self.seen_text = holder, record if holder is not None else ""
        return [f"reclaimed the stale lock of {reclaimed.describe()}"] if reclaimed is not None else []

    def take_command(self) -> str:
        """Compare-and-swap: our record to a temp file, `mv` over the lock only while the lock still
        holds what `judge` saw (no record: absent or empty; else exactly that record)."""
        tmp = shlex.quote(f"{self.path}.{self.info.txid}.tmp")
        write = f"printf '%s\\n' {shlex.quote(self.info.to_json())} > {tmp}"
        if self.seen is None:
            swap = f"{write} && cat {self.qpath} 2>/dev/null | grep . >/dev/null || mv -f {tmp} {self.qpath}"
        else:
            seen = shlex.quote(self.seen_text)
            swap = f"{write} && cat {self.qpath} 2>/dev/null | grep -xF {seen} >/dev/null && mv -f {tmp} {self.qpath}"
        return f"{swap}; rm -f {tmp}"

    def confirm_taken(self, text: str) -> None:
        """The print-back after the take: ours, or LockHeld (someone took it at the same moment)."""
        check_taken(self.device, LockInfo.from_json(text.strip()) if text.strip() else None, self.info.txid)
        self.taken = True

    def release_command(self) -> str:
        """`rm` the lock only while it carries our txid (exit 0 either way is not promised)."""
        ours = shlex.quote(f'"txid": "{self.info.txid}"')
        return f"cat {self.qpath} 2>/dev/null | grep -F {ours} >/dev/null && rm -f {self.qpath}"
