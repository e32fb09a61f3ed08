"""The transaction's device-side scripts: one command line per phase, not one per step (issue 15).

A change used to cost a round trip per step (re-read, pending?, dry run, checkpoint, arm, apply, each
CLI write, verify read, disarm, save, list and delete checkpoints: 12-16 per switch). Now three lines,
each a list of simple commands every SONiC image runs (`echo`, `cat`, `test`, `rm`, `sudo config ...`,
`setsid`), cut apart by `echo` markers that carry a per-line nonce (command output cannot forge one):

* prepare (read-only): CONFIG_DB as cfggen prints it (the plan's base is checked against it), the
  pending-commit marker, `config list-checkpoints`, `config apply-patch --dry-run`, and the dry run's
  exit status (`$?`). Nothing here writes, so the agent decides on all of it before the first write.
* commit: `config checkpoint` && markers and rollback timer && `config apply-patch` && each CLI write,
  `&&`-chained so the first failure stops the line; its status, then the one-round-trip read for the
  verification. The order is the safety contract's: checkpoint -> timer -> write -> verify.
* confirm: disarm && `config save -y`, its status, then deleting the checkpoints past the newest kept.

`apply` also folds the device lock in (agent.rollout.line_lock): the prepare line takes it first and
prints it back, the confirm line releases it after the save (`saved`, `released` markers).

The last marker printed before the status says which step stopped the line. Every step's stderr is
sent to stdout (`2>&1`), so what a failing step said stays in its own section (an SSH exec channel
delivers stderr apart from stdout, after it).
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.platforms.sonic import deadman
from agent.platforms.sonic.gather import CONFIG_DB_COMMAND, fast_read_line

STATUS = "status"
READ = "read"  # the verify read's own markers follow this one
LOCK = "lock"  # the device lock as the prepare line printed it back after taking it
SAVED, RELEASED = "saved", "released"  # the confirm line's steps when it also releases the lock


@dataclass(frozen=True)
class LockLines:
    """The device lock's fragments for the prepare line: take (compare-and-swap), then read it back."""

    take: str
    read: str


def marker(nonce: str) -> str:
    return f"@@TX-{nonce}@@"


@dataclass(frozen=True)
class Script:
    """One device-side line and how to cut its output."""

    line: str
    nonce: str
    read_nonce: str | None = None  # the verify read's nonce (commit line only)


@dataclass
class ScriptRun:
    """What a script printed: each step's output by name, the steps reached in order, the status."""

    sections: dict[str, str] = field(default_factory=dict)
    reached: list[str] = field(default_factory=list)
    status: int | None = None  # None: the line never got to its status marker (cut off)
    tail: str = ""  # everything after the READ marker (the verify read's own output)

    @property
    def last(self) -> str | None:
        """The last step reached: with a non-zero status, the one that failed."""
        return self.reached[-1] if self.reached else None

    def output(self, name: str) -> str:
        return self.sections.get(name, "")


def _mark(nonce: str, name: str) -> str:
    return "echo " + shlex.quote(f"{marker(nonce)} {name}")


def _status(nonce: str) -> str:
    return f"echo {shlex.quote(marker(nonce) + ' ' + STATUS)} $?"


def prepare_script(
    verb: str, payload_file: str, lock: LockLines | None = None, reads: Sequence[tuple[str, str]] = ()
) -> Script:
    """Read-only: CONFIG_DB, pending marker, checkpoints, and the GCU dry run with its exit status.
    With `lock`, the line first takes the device lock (its compare-and-swap writes only the lock file)
    and prints it back (`lock`), which the agent checks before the commit line writes anything.
    `reads` are (section, command) reads a pre-flight check left to this line (the lookup file)."""
    nonce = secrets.token_hex(4)
    taking = [_mark(nonce, "lock_take"), lock.take, _mark(nonce, LOCK), lock.read] if lock is not None else []
    parts = [
        *taking,
        *[part for name, command in reads for part in (_mark(nonce, name), command)],
        _mark(nonce, "before"),
        CONFIG_DB_COMMAND,
        _mark(nonce, "pending"),
        f"test -e {deadman.INDEX} && cat {deadman.INDEX}",
        _mark(nonce, "checkpoints"),
        "sudo config list-checkpoints 2>&1",
        _mark(nonce, "dry_run"),
        f"sudo config {verb} --dry-run {shlex.quote(payload_file)} 2>&1",
        _status(nonce),
    ]
    return Script("; ".join(parts), nonce)


def apply_step(k: int, n: int) -> str:
    """The marker name of GCU call k of n: `apply` when there is one, else `apply1` ... `applyN`."""
    return "apply" if n == 1 else f"apply{k}"


def commit_script(txid: str, change: str | Sequence[str], cli: Sequence[str], revert_s: int) -> Script:
    """checkpoint && timer && GCU change(s) && CLI writes; the status; then the verify read.

    `change` is `apply-patch FILE` or `replace FILE`, or several `apply-patch FILE`s (a change in port-
    group steps, each its own marker, apply_step); `cli` are the SONiC CLI writes GCU refuses by design
    (the pre-flight's `pfcwd start ...`), each run with sudo as before."""
    deadman.check_txid(txid)
    nonce, read_nonce = secrets.token_hex(4), secrets.token_hex(4)
    changes = [change] if isinstance(change, str) else list(change)
    steps: list[tuple[str, list[str]]] = [
        ("checkpoint", [f"sudo config checkpoint {txid} 2>&1"]),
        ("arm", deadman.arm_commands(txid, revert_s)),
        *[(apply_step(k, len(changes)), [f"sudo config {c} 2>&1"]) for k, c in enumerate(changes, 1)],
        *[(f"cli{n}", [f"sudo {command} 2>&1"]) for n, command in enumerate(cli)],
    ]
    chain = " && ".join(" && ".join([_mark(nonce, name), *commands]) for name, commands in steps)
    parts = [chain + " && " + _mark(nonce, "done"), _status(nonce), _mark(nonce, READ), fast_read_line(read_nonce)]
    return Script("; ".join(parts), nonce, read_nonce)


def confirm_script(txid: str, delete: Sequence[str], list_after: bool, release: str | None = None) -> Script:
    """Disarm && save, the status, then prune: `delete` the named old checkpoints, or (`list_after`,
    when the caller does not know them) list them for a second line. With `release` (the device lock's
    `rm` of our own record) the chain goes on after the save: `saved`, the release, `released`; the
    status is then the release's when `saved` was reached, so the lock is never let go of a switch
    whose save failed (it is rolled back under the lock)."""
    nonce = secrets.token_hex(4)
    chain = deadman.disarm_command(txid) + " 2>&1 && sudo config save -y 2>&1"
    if release is not None:
        chain += f" && {_mark(nonce, SAVED)} && {release} && {_mark(nonce, RELEASED)}"
    parts = [chain, _status(nonce)]
    parts += [f"sudo config delete-checkpoint {deadman.check_txid(name)} 2>&1" for name in delete]
    if list_after:
        parts += [_mark(nonce, "checkpoints"), "sudo config list-checkpoints 2>&1"]
    return Script("; ".join(parts), nonce)


def split(script: Script, text: str) -> ScriptRun:
    """Cut a script's output at its markers; lines before the first marker belong to no step."""
    mark = marker(script.nonce) + " "
    run = ScriptRun()
    lines: dict[str, list[str]] = {}
    current: list[str] | None = None
    rest = text.splitlines()
    for n, line in enumerate(rest):
        stripped = line.strip()
        if not stripped.startswith(mark):
            if current is not None:
                current.append(line)
            continue
        name, _, value = stripped[len(mark) :].partition(" ")
        if name == STATUS:
            run.status = int(value) if value.strip().lstrip("-").isdigit() else None
            current = None
        elif name == READ:
            run.tail = "\n".join(rest[n + 1 :]) + "\n"
            break
        else:
            run.reached.append(name)
            current = lines[name] = []
    run.sections = {name: "".join(ln + "\n" for ln in body) for name, body in lines.items()}
    return run
