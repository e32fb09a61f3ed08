"""Batches: many host commands in one round trip, split back into labelled sections.

A gather (or one write plus its re-read) is a list of `(key, Cmd)`. Over SSH it becomes one command
line where each command is wrapped in echo markers and followed by its own exit status; the markers
carry a random nonce per line, so nothing a command prints (a crafted /etc/nccl.conf, a file the
agent cats) can end a section early or forge another's output and exit status. Locally the
LocalRunner executes the argument lists directly and returns the same sections. Either way callers see
`{key: Section}` and the runner counts one round trip.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from agent.errors import ParseError
from agent.platforms.base import CommandRunner, PrivilegeAware
from agent.platforms.linux_rdma.commands import SECTION_KEY_RE, Cmd

MARK = "@@roce-agent"


def new_nonce() -> str:
    return secrets.token_hex(4)


def marker(nonce: str) -> str:
    """The marker prefix of one line (a gather batch, a host change line): MARK and the line's nonce."""
    if not re.fullmatch(r"[0-9a-f]{8,32}", nonce):
        raise ValueError(f"bad batch nonce {nonce!r}")  # it goes into the line unquoted
    return f"{MARK}-{nonce}"


@dataclass
class Section:
    """What one command printed (stdout and stderr merged, as a terminal shows them) and its exit code."""

    output: str
    rc: int

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def to_dict(self) -> dict[str, object]:
        return {"output": self.output, "rc": self.rc}


Batch = Sequence[tuple[str, Cmd]]


@runtime_checkable
class HostShell(Protocol):
    """Runs batches against one host. `use_sudo` is False when already root."""

    device: str
    use_sudo: bool

    @property
    def round_trips(self) -> int: ...

    def batch(self, commands: Batch, *, timeout: float = 120.0) -> dict[str, Section]: ...


@runtime_checkable
class NativeMtu(Protocol):
    """A shell that sets the MTU natively (LocalRunner: pyroute2) instead of running `ip link set`."""

    def set_mtu(self, ifname: str, mtu: int) -> str | None:
        """None when set, else why not."""
        ...


def render_batch(commands: Batch, use_sudo: bool, nonce: str) -> str:
    mark = marker(nonce)
    parts: list[str] = []
    for key, cmd in commands:
        if not SECTION_KEY_RE.match(key):
            raise ValueError(f"bad section key {key!r}")
        parts.append(f"echo '{mark}:begin:{key}'; {cmd.shell(use_sudo)} 2>&1; echo \"{mark}:end:{key}:$?\"")
    return "; ".join(parts)


def split_batch(device: str, text: str, keys: Sequence[str], nonce: str) -> dict[str, Section]:
    """Cut the combined output at this line's markers; a missing end marker means the output was cut short."""
    mark = re.escape(marker(nonce))
    begin_re, end_re = re.compile(mark + r":begin:(\S+)"), re.compile(mark + r":end:(\S+):(\d+)\s*$")
    sections: dict[str, Section] = {}
    current: str | None = None
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        end = end_re.search(line)
        if end and current is not None:
            head = line[: end.start()]
            if head:
                lines.append(head)
            sections[current] = Section("\n".join(lines) + ("\n" if lines else ""), int(end.group(2)))
            current, lines = None, []
            continue
        begin = begin_re.search(line)
        if begin and current is None:
            current, lines = begin.group(1), []
            continue
        if current is not None:
            lines.append(line)
    missing = [k for k in keys if k not in sections]
    if missing:
        raise ParseError(
            device,
            "read host state",
            f"batched output ended early: no result for {', '.join(missing[:3])}"
            + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            + " (session dropped or output truncated)",
        )
    return sections


class RemoteShell:
    """Adapts any CommandRunner (Netmiko over SSH, the in-process twin) to batches."""

    def __init__(self, runner: CommandRunner, *, use_sudo: bool = True) -> None:
        self.runner = runner
        self.device = runner.device
        self.use_sudo = use_sudo

    @property
    def round_trips(self) -> int:
        return self.runner.round_trips

    def batch(self, commands: Batch, *, timeout: float = 120.0) -> dict[str, Section]:
        nonce = new_nonce()
        line = render_batch(commands, self.use_sudo, nonce)
        result = self.runner.run(line, timeout=timeout)
        text = result.output + (("\n" + result.stderr) if result.stderr else "")
        return split_batch(self.device, text, [k for k, _ in commands], nonce)


def shell_for(runner: CommandRunner) -> HostShell:
    """The runner itself when it runs batches natively (LocalRunner), else a marker-batching wrapper."""
    if isinstance(runner, HostShell):
        return runner
    return RemoteShell(runner, use_sudo=runner.use_sudo if isinstance(runner, PrivilegeAware) else True)
