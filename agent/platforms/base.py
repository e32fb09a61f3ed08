"""The platform-adapter contract: how the agent reads and changes one kind of device.

A platform adapter (SONiC, RDMA host, later EOS/Cumulus) turns native state into DeviceState, plans the
change from observed to intended configuration, and applies it as a transaction. Adapters speak to
devices only through a `CommandRunner`, so the same code runs over SSH (Netmiko), `docker exec`
(containerlab sonic-vs) or locally (subprocess on the host itself), and round trips can be counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from agent.intent import DeviceIntent
from agent.state import DeviceState


@dataclass
class RunResult:
    output: str  # stdout (and stderr where the transport merges them, as an SSH shell does)
    exit_code: int = 0
    stderr: str = ""


class CommandRunner(Protocol):
    """One round trip = one call to `run`. Implementations count calls in `round_trips`."""

    device: str
    round_trips: int

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult: ...

    def upload(self, path: str, data: bytes) -> None:
        """Put a file on the device (SFTP, docker cp, or a local write)."""
        ...


@dataclass
class ChangePlan:
    """What would change on one device. `operations` is platform-native: a JSON Patch list for SONiC,
    ordered host operations for NICs. `lines` is the human-readable diff shown by `plan`."""

    device: str
    platform: str
    operations: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    base_fingerprint: str | None = None  # hash of the state planned against (detects concurrent change)
    disruptive: list[str] = field(default_factory=list)  # interfaces the change takes down and up again

    @property
    def empty(self) -> bool:
        return not self.operations


class ApplyStatus(str, Enum):
    unchanged = "unchanged"  # nothing to do
    applied = "applied"  # after state, verified (and confirmed unless pending)
    pending_confirm = "pending_confirm"  # applied, device-side revert timer armed
    rolled_back = "rolled_back"  # failed, back to the before state (verified)
    failed = "failed"  # failed and could NOT be proven back to before: needs a human


@dataclass
class ApplyOutcome:
    device: str
    status: ApplyStatus
    detail: str = ""
    checkpoint: str | None = None
    plan: ChangePlan | None = None
    verification: list[str] = field(default_factory=list)  # mismatches found when re-reading
    events: list[str] = field(default_factory=list)  # e.g. "link flap on eth1: down 2.1s"


@dataclass
class ApplyOptions:
    dry_run: bool = False
    confirm_timeout_s: int | None = None  # commit-confirm: device-side revert unless confirmed
    allow_fallback_writer: bool = False  # SONiC: write tables GCU refuses via sonic-db-cli (explicit opt-in)
    txid: str | None = None


class PlatformAdapter(Protocol):
    """Implemented once per platform; looked up by `DeviceIntent.platform` in agent.platforms.registry."""

    name: str

    def gather(self, runner: CommandRunner, intent: DeviceIntent | None) -> Any:
        """Read native state in as few round trips as possible (SONiC: 2, host: 1)."""
        ...

    def normalize(self, device: str, raw: Any) -> DeviceState:
        """Native state -> DeviceState. Unparseable output raises ParseError naming device and command."""
        ...

    def plan(self, intent: DeviceIntent, raw: Any) -> ChangePlan: ...

    def apply(self, runner: CommandRunner, intent: DeviceIntent, plan: ChangePlan, opts: ApplyOptions) -> ApplyOutcome:
        """Transaction: checkpoint/snapshot -> apply -> verify by re-reading -> confirm, else roll back."""
        ...
