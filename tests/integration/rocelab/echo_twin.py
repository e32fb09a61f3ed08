"""A tiny twin for testing the SSH server and lab runtime without the SONiC/host device models.

It answers a handful of commands the way a device model would (through CommandResult), so the tests
can check what the server does with output, exit codes, sudo, delays and disconnects.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from rocelab.spec import LabNode
from rocelab.twin import CommandResult

TRAFFIC_PATTERNS = ("idle", "steady", "incast")


class EchoTwin:
    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        self.files: dict[str, bytes] = {}
        self.commands: list[tuple[str, bool]] = []
        self.armed: dict[str, dict[str, str]] = {}
        self.traffic: dict[str, str] = {}

    def run(self, command: str, *, sudo: bool) -> CommandResult:
        self.commands.append((command, sudo))
        if "fail" in self.armed:
            code = int(self.armed.pop("fail").get("code", "1"))
            return CommandResult(stderr=f"injected failure of {command!r}\n", exit_code=code)
        words = shlex.split(command)
        name, args = words[0], words[1:]
        if name == "whoami":
            return CommandResult(stdout=("root" if sudo else "admin") + "\n")
        if name == "hostname":
            return CommandResult(stdout=self.hostname + "\n")
        if name == "exit-with":
            return CommandResult(stderr=f"exiting {args[0]}\n", exit_code=int(args[0]))
        if name == "slow":
            return CommandResult(stdout="slow done\n", delay_s=float(args[0]))
        if name == "drop":
            return CommandResult(stdout="dropping\n", disconnect=True)
        if name == "cat":
            data = self.files.get(args[0])
            if data is None:
                return CommandResult(stderr=f"cat: {args[0]}: No such file or directory\n", exit_code=1)
            return CommandResult(stdout=data.decode())
        if name == "traffic":
            return CommandResult(stdout=f"{args[0]} {self.traffic.get(args[0], 'idle')}\n")
        return CommandResult(stdout=f"ran: {command}\n")

    def write_file(self, path: str, data: bytes) -> None:
        self.files[path] = data

    def read_file(self, path: str) -> bytes | None:
        return self.files.get(path)

    def inject_fault(self, kind: str, options: dict[str, str]) -> str:
        if kind != "fail":
            raise ValueError(f"unknown fault kind {kind!r}; kinds: fail")
        self.armed[kind] = options
        return f"next command fails with exit code {options.get('code', '1')}"

    def set_traffic(self, port: str, pattern: str) -> str:
        if pattern not in TRAFFIC_PATTERNS:
            raise ValueError(f"unknown pattern {pattern!r}; patterns: {', '.join(TRAFFIC_PATTERNS)}")
        self.traffic[port] = pattern
        return f"{port}: traffic {pattern}"


def build(node: LabNode, state_dir: Path | None) -> EchoTwin:
    """Twin factory for `python -m rocelab.runtime --twin-factory tests.integration.rocelab.echo_twin:build`."""
    return EchoTwin(node.name)
