"""The contract between a device twin and the SSH server that serves it.

A twin is a pure in-memory device model: it executes one shell command line and returns what a real
device would print. The SSH layer (prompt, sudo, exit, SFTP) wraps any twin unchanged, so the switch and
host twins can be unit-tested without sockets and served over real SSH in integration tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass
class CommandResult:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0


class Twin(Protocol):
    hostname: str

    def run(self, command: str, *, sudo: bool) -> CommandResult:
        """Execute one command line as `admin` (sudo=True when prefixed by `sudo`)."""
        ...

    def write_file(self, path: str, data: bytes) -> None:
        """Receive a file over SFTP (patch files, configs)."""
        ...

    def read_file(self, path: str) -> bytes | None:
        """Serve a file over SFTP; None when it does not exist."""
        ...
