"""Error types shared by every layer.

Input errors (policy, inventory, playbook) are collected, never raised one at a time, so an operator
sees every problem in one run. They always exit with code 2 and never reach a device.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_CANNOT_RUN = 2


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with an input file, located precisely enough to fix without guessing."""

    file: Path | None
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        if self.file is None and self.line is None and self.field:  # a command-line option
            return f"{self.field}: {self.message}"
        where = str(self.file) if self.file else "<input>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class InputError(Exception):
    """Raised with every problem found in an input; the CLI prints them all and exits 2."""

    problems: list[InputProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class DeviceError(Exception):
    """A device could not be read or changed; always names the device and what was attempted."""

    def __init__(self, device: str, action: str, detail: str) -> None:
        super().__init__(f"{device}: {action}: {detail}")
        self.device = device
        self.action = action
        self.detail = detail


class PreflightRefused(DeviceError):
    """The device cannot take the change as planned (checked before any write); nothing was written."""

    def __init__(self, device: str, reasons: list[str]) -> None:
        super().__init__(device, "pre-flight", "; ".join(reasons) + ". Nothing was written.")
        self.reasons = reasons


class ParseError(DeviceError):
    """Device output that could not be understood. Never replaced by a silent default."""


class SessionLost(DeviceError):
    """The transport to a device dropped mid-command: whether the command ran is unknown."""


class Locked(Exception):
    """A device or inventory is held by someone else's lock (agent.rollout.locks.LockHeld says who):
    the platform code that takes a lock inside its own lines stops on it without knowing rollout code."""
