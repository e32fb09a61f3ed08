"""The platform-adapter contract: how the agent reads and changes one kind of device.

A platform adapter (SONiC, RDMA host, later EOS/Cumulus) turns native state into DeviceState, plans the
change from observed to intended configuration, and applies it as a transaction. Adapters speak to
devices only through a `CommandRunner`, so the same code runs over SSH (Netmiko), `docker exec`
(containerlab sonic-vs) or locally (subprocess on the host itself), and round trips can be counted.

The written contract (what each method must do, its errors, its round-trip budget) is
docs/platform-contract.md; tests/unit/platforms/test_contract.py holds every registered adapter to it.

`PlatformAdapter` is generic over the platform's raw state (what `gather` returns) and its operation
type (what a `ChangePlan` holds). Platform-neutral code (Nornir tasks, the rollout fabric) gets adapters
from `agent.platforms.registry` as `AnyAdapter` and only passes a raw state or plan back to the adapter
that produced it. What only some platforms or runners can do is a `runtime_checkable` capability
Protocol below, tested with `isinstance`, never probed by attribute name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Protocol, runtime_checkable

from pydantic import JsonValue
from pydantic_core import to_jsonable_python
from typing_extensions import TypeVar

from agent.counters import CounterSample
from agent.errors import DeviceError
from agent.intent import DeviceIntent
from agent.state import DeviceState

if TYPE_CHECKING:
    from nornir.core.configuration import Config
    from nornir.core.inventory import Host

RawT = TypeVar("RawT")
OpT = TypeVar("OpT")
OpT_co = TypeVar("OpT_co", covariant=True, default=object)  # a bare `ChangePlan` is platform-neutral


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


LineSink = Callable[[str], None]


@runtime_checkable
class StreamingRunner(Protocol):
    """A runner that hands over each output line as the device prints it (long commands: GCU's apply)."""

    def run_streaming(self, command: str, on_line: LineSink, *, timeout: float = 60.0) -> RunResult:
        """Like `run`; `on_line` gets every complete line (without its newline) while the command runs."""
        ...


@dataclass
class ChangeStep:
    """One part of a change applied on its own, in order, inside the same transaction (SONiC: one GCU
    patch per group of ports, so each call stays small and says which interfaces it takes down)."""

    label: str
    interfaces: list[str] = field(default_factory=list)
    disruptive: list[str] = field(default_factory=list)
    changes: int = 0


@dataclass
class ChangePlan(Generic[OpT_co]):
    """What would change on one device. `operations` are the platform's own typed operations: RFC 6902
    JSON Patch operations for SONiC, ordered host operations for NICs; `operations_json()` is their plain
    JSON form (plan files, `--json`, the rollout trail). `lines` is the human-readable diff shown by `plan`."""

    device: str
    platform: str
    operations: list[OpT_co] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    base_fingerprint: str | None = None  # hash of the state planned against (detects concurrent change)
    disruptive: list[str] = field(default_factory=list)  # interfaces the change takes down and up again
    steps: list[ChangeStep] = field(default_factory=list)  # applied in this order; empty: in one go

    @property
    def empty(self) -> bool:
        return not self.operations

    def operations_json(self) -> list[JsonValue]:
        """Plain JSON, the same shape plans and trails have always had (pydantic models dumped as dicts)."""
        return [to_jsonable_python(op) for op in self.operations]


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
    plan: ChangePlan[object] | None = None
    verification: list[str] = field(default_factory=list)  # mismatches found when re-reading
    events: list[str] = field(default_factory=list)  # e.g. "link flap on eth1: down 2.1s"


@dataclass(frozen=True)
class ApplyProgress:
    """How far a change on one device has got, while it runs (SONiC: read from GCU's own console lines
    as they arrive): change `applied` of `total` in step `step` of `steps`, and the interface that is
    down right now, if any."""

    device: str
    step: int
    steps: int
    label: str
    applied: int
    total: int | None = None
    flapping: str | None = None

    def text(self) -> str:
        """`GCU step 2/4 (host ports 1/2): change 7/33, Ethernet4 down`."""
        where = f"GCU step {self.step}/{self.steps} ({self.label})" if self.steps > 1 else "GCU"
        count = f"change {self.applied}/{self.total}" if self.total is not None else f"change {self.applied}"
        return f"{where}: {count}" + (f", {self.flapping} down" if self.flapping else "")

    def record(self) -> dict[str, object]:
        """The JSON event scripts get (`apply_progress`)."""
        return {
            "event": "apply_progress",
            "device": self.device,
            "step": self.step,
            "steps": self.steps,
            "label": self.label,
            "applied": self.applied,
            "total": self.total,
            "flapping": self.flapping,
            "text": self.text(),
        }

    def worth_saying(self, last: ApplyProgress | None) -> bool:
        """For line-per-event outputs: the start of a step, a port going down or up, each quarter, the end."""
        if last is None or (last.step, last.flapping) != (self.step, self.flapping):
            return True
        if self.total is None or self.applied in (0, self.total):
            return True
        return self.applied * 4 // self.total != last.applied * 4 // self.total


ProgressCallback = Callable[[ApplyProgress], None]


@dataclass
class ApplyOptions:
    dry_run: bool = False
    confirm_timeout_s: int | None = None  # commit-confirm: device-side revert unless confirmed
    allow_fallback_writer: bool = False  # SONiC: write tables GCU refuses via sonic-db-cli (explicit opt-in)
    txid: str | None = None
    on_progress: ProgressCallback | None = None  # called from the device's worker thread


class RollbackUnsupported(DeviceError):
    """Raised by `confirm`/`rollback` of a platform whose apply is final: nothing was touched, the device
    stays in its verified after state (rollouts report it as needing attention, not as failed)."""


@runtime_checkable
class PlatformAdapter(Protocol[RawT, OpT]):
    """Implemented once per platform and registered under the `roce_agent.platforms` entry point group
    (agent.platforms.registry). Each method's contract is in docs/platform-contract.md."""

    name: str

    def connect(self, host: Host, config: Config) -> CommandRunner:
        """Open (or reuse) the session to an inventory host, on the Nornir host's own connections."""
        ...

    def gather(self, runner: CommandRunner, intent: DeviceIntent | None) -> RawT:
        """Read native state in as few round trips as possible (SONiC: 2, host: 1)."""
        ...

    def load_raw(self, device: str, doc: JsonValue) -> RawT:
        """A raw state from its saved JSON form (`raw_json`); ParseError naming the device if it is not one."""
        ...

    def raw_json(self, raw: RawT) -> JsonValue:
        """The raw state as plain JSON (snapshots, fixtures): `load_raw` reads it back unchanged."""
        ...

    def load_operations(self, device: str, doc: JsonValue) -> list[OpT]:
        """Operations from their JSON form (`ChangePlan.operations_json()`, a trail's `operations`):
        the same operations back, or ParseError naming the device; every value validated again."""
        ...

    def normalize(self, device: str, raw: RawT) -> DeviceState:
        """Native state -> DeviceState. Unparseable output raises ParseError naming device and command."""
        ...

    def plan(self, intent: DeviceIntent, raw: RawT) -> ChangePlan[OpT]:
        """Never writes. A device already in the intended state plans nothing (`plan.empty`)."""
        ...

    def apply(
        self, runner: CommandRunner, intent: DeviceIntent, plan: ChangePlan[OpT], opts: ApplyOptions
    ) -> ApplyOutcome:
        """Transaction: checkpoint/snapshot -> apply -> verify by re-reading -> confirm, else roll back."""
        ...

    def confirm(self, runner: CommandRunner) -> str | None:
        """Confirm the change pending on the device, if any; returns its transaction id, None if none."""
        ...

    def rollback(self, runner: CommandRunner) -> str | None:
        """Undo the pending change, else the newest agent change; returns the checkpoint restored, or None."""
        ...


# What platform-neutral code holds: some adapter, its raw state and operation types not known statically.
AnyAdapter = PlatformAdapter[object, object]


# -- platform capabilities ------------------------------------------------------------------------------
@runtime_checkable
class NapalmBacked(Protocol):
    """Devices reached through a NAPALM driver on the Nornir `napalm` connection: commit-confirm is
    nornir_napalm's `napalm_confirm_commit` on that same session (SONiC: the `rocesonic` driver)."""

    napalm_platform: str


@runtime_checkable
class DeviceSideRevert(Protocol):
    """Commit-confirm backed by a timer on the device itself: an unconfirmed change reverts on its own
    (SONiC's dead-man rollback) and confirming also persists it (`config save`). Platforms without it
    leave an unconfirmed change applied and marked pending until `confirm` or `rollback`."""

    def revert_deadline(self, runner: CommandRunner) -> float | None:
        """When (epoch seconds) the device reverts the pending change by itself; None if nothing pending."""
        ...


@runtime_checkable
class PatchExport(Protocol):
    """Plans whose operations form a standalone document an operator can review and apply by hand
    (SONiC: an RFC 6902 JSON Patch for `config apply-patch`), written by `plan --patch-dir`."""

    patch_suffix: str  # file name suffix, e.g. ".json-patch"


@runtime_checkable
class CountersRead(Protocol):
    """Reads only the runtime counters (PFC, ECN marks, drops, watermarks, watchdog, RDMA) in one round
    trip, none of the configuration: what `roce-agent monitor` polls every interval (SONiC: the counter
    CLIs of the gather; hosts: `ethtool -S` and `rdma statistic`)."""

    def read_counters(self, runner: CommandRunner, ports: Sequence[str]) -> CounterSample:
        """The counters of `ports` (all the device has when empty); DeviceError/ParseError naming the device."""
        ...


# -- runner capabilities --------------------------------------------------------------------------------
@runtime_checkable
class Reconnectable(Protocol):
    """A runner that can reopen its session to the same device (SSH after a drop; docker exec re-checks)."""

    def reconnect(self) -> CommandRunner: ...


@runtime_checkable
class Closable(Protocol):
    """A runner holding a session that must be closed (SSH, SFTP)."""

    def close(self) -> None: ...


@runtime_checkable
class PrivilegeAware(Protocol):
    """A runner that knows whether commands need sudo (False when it already runs as root)."""

    use_sudo: bool


@runtime_checkable
class NamespaceScoped(Protocol):
    """A local runner confined to a network namespace (`ip netns exec NS`): per-namespace host state."""

    netns: str | None


Reconnect = Callable[[], CommandRunner]


def reconnect_of(runner: CommandRunner) -> Reconnect | None:
    """The runner's own reconnect, if it has one."""
    return runner.reconnect if isinstance(runner, Reconnectable) else None


class DeviceGuard(Protocol):
    """Held around a change on one device (e.g. the rollout device lock). Built by the caller, so the
    platform tasks need no rollout code; raises before yielding when the device may not be changed, and
    yields notes for the apply outcome's events (e.g. a stale lock it reclaimed)."""

    def __call__(self, runner: CommandRunner) -> AbstractContextManager[list[str]]: ...


@runtime_checkable
class LineLockLike(Protocol):
    """The device lock as shell fragments, for a platform that folds it into its own lines (SONiC: the
    read line reads it, the prepare line takes it, the confirm line releases it). Built by the caller
    (agent.rollout.line_lock.LineLock), so platforms need no rollout code. `judge` and `confirm_taken`
    raise (LockHeld) when the device is someone else's; nothing may be written before `confirm_taken`."""

    device: str
    taken: bool

    def read_command(self) -> str: ...

    def judge(self, text: str) -> list[str]: ...

    def take_command(self) -> str: ...

    def confirm_taken(self, text: str) -> None: ...

    def release_command(self) -> str: ...


@runtime_checkable
class FoldableGuard(Protocol):
    """A DeviceGuard that can also hand out its lock as a LineLockLike for one device."""

    def __call__(self, runner: CommandRunner) -> AbstractContextManager[list[str]]: ...

    def line_lock(self, device: str) -> LineLockLike: ...


@runtime_checkable
class LockFolding(Protocol):
    """An adapter whose apply takes the device lock inside its own command lines (no lock round trips):
    `gather_locked` reads the device and the lock in one line and judges it (LockHeld: nothing taken,
    nothing written); `apply_locked` takes it before the first write and releases it at the end."""

    def gather_locked(
        self, runner: CommandRunner, intent: DeviceIntent, lock: LineLockLike
    ) -> tuple[Any, list[str]]: ...

    def apply_locked(
        self, runner: CommandRunner, intent: DeviceIntent, plan: ChangePlan[Any], opts: ApplyOptions, lock: LineLockLike
    ) -> ApplyOutcome: ...
