"""Device-side commit-confirm for SONiC: a dead-man timer that rolls back unless confirmed.

GCU has no commit timer, so the agent arms one on the switch itself before it writes anything. If the
controller or its session is lost, the switch rolls back to the checkpoint on its own.

Exact command lines (real SONiC bash and the lab twin must both run them; `TXID` matches
``roce-agent-[0-9TZ-]+-[0-9a-f]+``, so nothing here needs quoting beyond what is shown):

* arm (two SFTP uploads, then one command)::

      upload /tmp/roce-agent-TXID.pending   (JSON: txid, checkpoint, deadline)
      upload /tmp/roce-agent.pending        (same JSON: "which commit is pending on this switch")
      sudo setsid -f sh -c 'sleep N; T; T; T' >/dev/null 2>&1 </dev/null
      where T = test -e /tmp/roce-agent-TXID.pending && config rollback TXID
                && rm -f /tmp/roce-agent-TXID.pending /tmp/roce-agent.pending

  (one line on the wire; wrapped here). T runs again only while the marker is still there, i.e. after
  a failed rollback pass.
  `setsid -f` (util-linux) forks into a new session and returns at once, so the timer survives the
  SSH session's SIGHUP and needs no trailing `&`.
* confirm / disarm: ``rm -f /tmp/roce-agent-TXID.pending /tmp/roce-agent.pending``
* pending?: ``cat /tmp/roce-agent.pending`` (exit 1 and "No such file" when nothing is pending)

Markers live in /tmp on purpose: a reboot clears them together with the timer, and since the agent
never runs `config save` before confirming, the switch then boots into its before state.
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass

from agent.errors import DeviceError
from agent.platforms.base import CommandRunner
from agent.txid import TXID_RE, check_txid, new_txid

__all__ = [
    "INDEX",
    "TXID_RE",
    "Pending",
    "arm",
    "arm_commands",
    "check_txid",
    "disarm",
    "new_txid",
    "parse_pending",
    "pending",
]

INDEX = "/tmp/roce-agent.pending"


@dataclass(frozen=True)
class Pending:
    txid: str
    checkpoint: str
    deadline: float


def marker(txid: str) -> str:
    return f"/tmp/{txid}.pending"


ROLLBACK_TRIES = 3


def timer_command(txid: str, seconds: int) -> str:
    """The timer script tries the rollback up to ROLLBACK_TRIES times while the marker remains: GCU
    replays a rollback change by change and buffermgrd can remove a BUFFER_PG row under it, failing one
    pass (sonic-buildimage #11328); the next pass diffs against what is really there."""
    check_txid(txid)
    once = f"test -e {marker(txid)} && config rollback {txid} && rm -f {marker(txid)} {INDEX}"
    script = f"sleep {int(seconds)}; " + "; ".join([once] * ROLLBACK_TRIES)
    return f"sudo setsid -f sh -c '{script}' >/dev/null 2>&1 </dev/null"


def disarm_command(txid: str) -> str:
    return f"rm -f {marker(check_txid(txid))} {INDEX}"


def arm(runner: CommandRunner, txid: str, seconds: int) -> Pending:
    """Write the markers, then start the timer. Raises DeviceError if the timer could not start."""
    pending = Pending(txid=txid, checkpoint=txid, deadline=time.time() + seconds)
    doc = json.dumps({"txid": txid, "checkpoint": txid, "deadline": pending.deadline}).encode()
    runner.upload(marker(txid), doc)
    runner.upload(INDEX, doc)
    res = runner.run(timer_command(txid, seconds))
    if res.exit_code != 0:
        runner.run(disarm_command(txid))
        raise DeviceError(runner.device, "arm rollback timer", f"exit {res.exit_code}: {res.output.strip()[-200:]}")
    return pending


def arm_commands(txid: str, seconds: int) -> list[str]:
    """`arm` as commands for a device-side script (the transaction's commit line): the two markers
    written by `echo` (the JSON holds only the validated txid and a number; shell-quoted anyway), then
    the timer. Written *after* the checkpoint in the same line, so a marker never exists without the
    checkpoint and the timer it announces."""
    check_txid(txid)
    doc = shlex.quote(json.dumps({"txid": txid, "checkpoint": txid, "deadline": time.time() + seconds}))
    return [f"echo {doc} > {marker(txid)}", f"echo {doc} > {INDEX}", timer_command(txid, seconds)]


def disarm(runner: CommandRunner, txid: str) -> None:
    res = runner.run(disarm_command(txid))
    if res.exit_code != 0:
        raise DeviceError(runner.device, "disarm rollback timer", f"exit {res.exit_code}: {res.output.strip()[-200:]}")


def pending(runner: CommandRunner) -> Pending | None:
    """The commit awaiting confirmation on this switch, if any (state lives on the device)."""
    res = runner.run(f"cat {INDEX}")
    if res.exit_code != 0:
        return None
    return parse_pending(runner.device, res.output)


def parse_pending(device: str, text: str) -> Pending | None:
    """The pending-commit marker's content (`cat {INDEX}`); None for an empty answer (no marker)."""
    if not text.strip():
        return None
    try:
        doc = json.loads(text.strip())
        return Pending(check_txid(str(doc["txid"])), str(doc["checkpoint"]), float(doc["deadline"]))
    except (ValueError, KeyError, TypeError):
        raise DeviceError(device, f"cat {INDEX}", f"unreadable pending-commit marker: {text[:120]!r}") from None
