"""The product's twins with a command counter, so round trips are counted on the device side.

The lab is started with `--twin-factory benchmarks.counting_twin:build_counting_twin`: every twin is the
real SONiC or host twin (`rocelab.spec.build_real_twin`), wrapped in a proxy that counts the command
lines reaching the device (`run`) and the files moved over SFTP. Counting at the device is the only way to
compare our CLI and the naive Netmiko baseline on equal terms: neither can under-report its own traffic.

The count is read through the lab's control socket with the fault-injection verb, which the proxy
intercepts (kind `bench-count`, message `"<commands> <file transfers>"`); any other fault goes to the
real twin unchanged. Session builtins the SSH shell handles itself (`stty`, `PS1=...`, `exit`) never
reach a twin and are not counted.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rocelab.spec import LabNode, build_real_twin
from rocelab.twin import CommandResult, Twin

COUNT_FAULT = "bench-count"
FACTORY = "benchmarks.counting_twin:build_counting_twin"


class CountingTwin:
    """Transparent proxy around a real twin; `commands` and `files` count what the device served."""

    def __init__(self, inner: Twin) -> None:
        self.inner = inner
        self.hostname = inner.hostname
        self.commands = 0
        self.files = 0
        self._lock = threading.Lock()

    def run(self, command: str, *, sudo: bool) -> CommandResult:
        with self._lock:
            self.commands += 1
        return self.inner.run(command, sudo=sudo)

    def write_file(self, path: str, data: bytes) -> None:
        with self._lock:
            self.files += 1
        self.inner.write_file(path, data)

    def read_file(self, path: str) -> bytes | None:
        with self._lock:
            self.files += 1
        return self.inner.read_file(path)

    def inject_fault(self, kind: str, options: dict[str, str]) -> str:
        if kind == COUNT_FAULT:
            return f"{self.commands} {self.files}"
        return self.inner.inject_fault(kind, options)

    def set_traffic(self, port: str, pattern: str) -> str:
        return self.inner.set_traffic(port, pattern)

    def __getattr__(self, name: str) -> object:  # anything else a twin offers (e.g. test hooks)
        return getattr(self.inner, name)


def build_counting_twin(node: LabNode, state_dir: Path | None) -> CountingTwin:
    return CountingTwin(build_real_twin(node, state_dir))


def parse_count(message: str) -> tuple[int, int]:
    """`"<commands> <files>"` from the control reply -> (commands, files)."""
    commands, files = message.split()
    return int(commands), int(files)
