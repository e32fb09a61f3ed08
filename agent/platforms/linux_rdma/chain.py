"""A host change as one command line: the writes chained, the mlx5 link waits inside it, then the re-read.

An apply used to spend a round trip per operation (write + re-read), one per poll of a flapping link
and one more re-read after it (20-23 per host, issue 15). Here the steps of a change are one line:

* `stop` (an apply): `&&`-chained, so the first failing step ends the line and nothing after it runs;
  each step is announced by an `echo` marker carrying a per-line nonce (command output cannot forge
  it, e.g. the nccl.conf text that `tee` echoes), and the line's `$?` is printed after the chain: the
  last step announced, with that status, is the one that failed.
* not `stop` (a restore): every step runs, each with its own exit status, like a gather batch.

Then, in the same line, the read batch (`gather_batch`) that verifies every step. A link wait
(`linkwait.LinkWait`) is a step too: `sh -c` polling the netdev's operstate and the RDMA port's state
on the host, so "wait until it is back before going on" holds inside the line.

Locally (LocalRunner: no shell, no network) the same steps run one after the other in-process, MTU
through pyroute2 and link waits through pyroute2 link events, so both paths share the apply's logic.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.errors import ParseError
from agent.platforms.linux_rdma.batch import (
    Batch,
    HostShell,
    NativeMtu,
    RemoteShell,
    Section,
    marker,
    new_nonce,
    render_batch,
    split_batch,
)
from agent.platforms.linux_rdma.commands import SECTION_KEY_RE, Cmd, ip_link_set_mtu
from agent.platforms.linux_rdma.linkwait import LinkEvents, LinkResult, LinkWait, wait_for_link

if TYPE_CHECKING:
    from agent.platforms.linux_rdma.apply import ApplySettings


@dataclass(frozen=True)
class MtuSet:
    """`ip link set dev IF mtu N` over SSH; pyroute2 on a shell that sets it natively (NativeMtu)."""

    ifname: str
    mtu: int

    def cmd(self) -> Cmd:
        return ip_link_set_mtu(self.ifname, self.mtu)


Step = Cmd | MtuSet | LinkWait
Steps = Sequence[tuple[str, Step]]


@dataclass
class ChainRun:
    """What the line did: each step reached (output, exit status) in order, the waits, and the re-read."""

    steps: dict[str, Section] = field(default_factory=dict)
    links: dict[str, LinkResult] = field(default_factory=dict)  # local link waits (remote: from the output)
    reads: dict[str, Section] = field(default_factory=dict)

    @property
    def failed(self) -> list[tuple[str, Section]]:
        return [(k, s) for k, s in self.steps.items() if not s.ok]


def _cmd(step: Step) -> Cmd:
    return step if isinstance(step, Cmd) else step.cmd()


def render_chain(steps: Steps, reads: Batch, use_sudo: bool, nonce: str, *, stop: bool) -> str:
    """The one line (module docstring); step keys are SECTION_KEY_RE words, everything else is quoted."""
    mark = marker(nonce)
    parts: list[str] = []
    for key, step in steps:
        if not SECTION_KEY_RE.match(key):
            raise ValueError(f"bad step key {key!r}")
        begin = "echo " + shlex.quote(f"{mark} begin {key}")
        run = f"{_cmd(step).shell(use_sudo)} 2>&1"
        if stop:
            parts.append(f"{begin} && {run} && echo {shlex.quote(f'{mark} end {key} 0')}")
        else:
            parts.append(f'{begin}; {run}; echo "{mark} end {key} $?"')
    line = (" && " if stop else "; ").join(parts)
    line = (line + "; " if line else "") + f'echo "{mark} status $?"'
    return line + ("; " + render_batch(reads, use_sudo, nonce) if reads else "")


def split_chain(device: str, text: str, nonce: str) -> tuple[dict[str, Section], str]:
    """(step sections, the text after the status line). A step announced without an end marker failed
    with the line's status; no status line at all means the line was cut short."""
    found = re.compile(re.escape(marker(nonce)) + r" (begin|end|status) (.*?)\s*$")
    steps: dict[str, Section] = {}
    current: str | None = None
    lines: list[str] = []
    rest = text.splitlines(keepends=True)
    for n, raw in enumerate(rest):
        m = found.search(raw.rstrip("\r\n"))
        if m is None:
            lines.append(raw)
            continue
        head = raw[: m.start()]
        if head and current is not None:
            lines.append(head + "\n")
        what, words = m.group(1), m.group(2).split()
        if what == "begin" and words:
            current, lines = words[0], []
            continue
        rc = _number(words[-1]) if words else 1
        if current is not None and (what == "status" or words[:1] == [current]):
            steps[current] = Section("".join(lines), rc if rc or what == "end" else 1)
        current, lines = None, []
        if what == "status":
            return steps, "".join(rest[n + 1 :])
    raise ParseError(device, "apply host change", "the change line ended early (session dropped or output cut)")


def _number(word: str) -> int:
    return int(word) if word.lstrip("-").isdigit() else 1


def run_chain(shell: HostShell, steps: Steps, reads: Batch, settings: ApplySettings, *, stop: bool = True) -> ChainRun:
    """One round trip over SSH; locally, step by step (module docstring)."""
    if not isinstance(shell, RemoteShell):
        return _run_local(shell, steps, reads, settings, stop)
    nonce = new_nonce()
    line = render_chain(steps, reads, shell.use_sudo, nonce, stop=stop)
    waits = sum(1 for _, s in steps if isinstance(s, LinkWait))
    result = shell.runner.run(line, timeout=120.0 + waits * settings.link_timeout_s)
    text = result.output + (("\n" + result.stderr) if result.stderr else "")
    sections, tail = split_chain(shell.device, text, nonce)
    return ChainRun(sections, {}, split_batch(shell.device, tail, [k for k, _ in reads], nonce) if reads else {})


def _run_local(shell: HostShell, steps: Steps, reads: Batch, settings: ApplySettings, stop: bool) -> ChainRun:
    run = ChainRun()
    for key, step in steps:
        if isinstance(step, LinkWait):
            waiter = shell.link_waiter if isinstance(shell, LinkEvents) else None
            result = wait_for_link(shell, step.ifname, step.rdma, settings, waiter)
            run.links[key] = result
            run.steps[key] = Section("", 0 if result.up else 1)
        elif isinstance(step, MtuSet) and isinstance(shell, NativeMtu):
            problem = shell.set_mtu(step.ifname, step.mtu)
            run.steps[key] = Section(problem + "\n" if problem else "", 1 if problem else 0)
        else:
            run.steps[key] = shell.batch([(key, _cmd(step))])[key]
        if stop and not run.steps[key].ok:
            break
    run.reads = shell.batch(reads) if reads else {}
    return run
