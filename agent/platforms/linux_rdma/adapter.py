"""The RDMA host platform adapter (`linux-rdma`): gather, normalize, plan, apply through a CommandRunner.

Works unchanged over SSH (NetmikoRunner, marker-batched command lines), against the in-process host
twin, and locally (LocalRunner: argument lists, pyroute2 for MTU and link events).

`confirm` and `rollback` mean what they mean for SONiC switches (agent.platforms.sonic.adapter), with the
checkpoint being the before-snapshot every apply keeps on the host (agent.platforms.linux_rdma.snapshots). Unlike a
switch, a host has no dead-man timer: an unconfirmed apply stays applied (and marked pending on the
host) until the agent confirms or rolls it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import JsonValue

from agent.counters import CounterSample
from agent.errors import DeviceError, ParseError
from agent.intent import DeviceIntent
from agent.platforms.base import (
    ApplyOptions,
    ApplyOutcome,
    ApplyStatus,
    ChangePlan,
    CommandRunner,
    NamespaceScoped,
    PlatformAdapter,
)
from agent.platforms.linux_rdma.apply import ApplySettings, apply_host, restore_snapshot
from agent.platforms.linux_rdma.batch import shell_for
from agent.platforms.linux_rdma.counters import read_counters
from agent.platforms.linux_rdma.gather import HostRaw, discover_interfaces, gather, native_from_raw
from agent.platforms.linux_rdma.normalize import normalize_host
from agent.platforms.linux_rdma.ops import HostOperation, load_operations
from agent.platforms.linux_rdma.plan import plan_host
from agent.platforms.linux_rdma.snapshots import INEXACT, STATE_DIR, SnapshotStore
from agent.state import DeviceState

if TYPE_CHECKING:
    from nornir.core.configuration import Config
    from nornir.core.inventory import Host


def as_raw(device: str, raw: JsonValue) -> HostRaw:
    """A HostRaw from its saved JSON form (`--from-snapshot`, fixtures)."""
    if isinstance(raw, dict):
        try:
            return HostRaw.from_dict(raw)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ParseError(device, "load host snapshot", f"not a host gather snapshot: {exc}") from None
    raise ParseError(device, "load host snapshot", f"expected a host gather, got {type(raw).__name__}")


class HostAdapter:
    name = "linux-rdma"

    def __init__(self, settings: ApplySettings | None = None) -> None:
        self.settings = settings or ApplySettings()

    def connect(self, host: Host, config: Config) -> CommandRunner:
        """`docker exec` when host data says `transport: docker` (containerlab), else the roce_ssh session."""
        from agent.transports import docker_exec
        from agent.transports.nornir_ssh import open_ssh

        if docker_exec.uses_docker(host):
            return docker_exec.open_for_host(host, config)
        return open_ssh(host, config)

    def gather(self, runner: CommandRunner, intent: DeviceIntent | None) -> HostRaw:
        """One round trip when the intent names the interfaces; one more to discover them otherwise."""
        shell = shell_for(runner)
        interfaces = list(intent.ports) if intent is not None and intent.ports else discover_interfaces(shell)
        return gather(shell, interfaces)

    def read_counters(self, runner: CommandRunner, ports: Sequence[str]) -> CounterSample:
        """CountersRead: `ethtool -S` per NIC and `rdma statistic` only, one round trip."""
        return read_counters(runner, ports)

    def load_raw(self, device: str, doc: JsonValue) -> HostRaw:
        return as_raw(device, doc)

    def raw_json(self, raw: HostRaw) -> JsonValue:
        doc: JsonValue = raw.to_dict()
        return doc

    def load_operations(self, device: str, doc: JsonValue) -> list[HostOperation]:
        return load_operations(device, doc)

    def normalize(self, device: str, raw: HostRaw) -> DeviceState:
        native = native_from_raw(raw)
        native.device = device
        return normalize_host(native)

    def plan(self, intent: DeviceIntent, raw: HostRaw) -> ChangePlan[HostOperation]:
        native = native_from_raw(raw)
        native.device = intent.name
        return plan_host(intent, native)

    def apply(
        self, runner: CommandRunner, intent: DeviceIntent, plan: ChangePlan[HostOperation], opts: ApplyOptions
    ) -> ApplyOutcome:
        return apply_host(shell_for(runner), intent, plan, opts, self.settings, snapshot_store(runner))

    def confirm(self, runner: CommandRunner) -> str | None:
        """Confirm the apply pending on this host, if any (its snapshot is kept); returns its txid."""
        store = snapshot_store(runner)
        txid = store.pending()
        if txid is not None:
            store.confirm(txid)
        return txid

    def rollback(self, runner: CommandRunner) -> str | None:
        """Restore the pending apply's before-snapshot (or the newest kept one); returns its txid.

        Restored and proven by re-reading (mlx5 PFC flaps waited out); raises DeviceError if the host
        cannot be proven back. The snapshot is kept, so a repeated rollback restores the same state."""
        store = snapshot_store(runner)
        pending = store.pending()
        kept = store.index() if pending is None else []
        txid = pending if pending is not None else (kept[-1] if kept else None)
        if txid is None:
            return None
        outcome = restore_snapshot(shell_for(runner), store.load(txid), self.settings)
        if outcome.status is not ApplyStatus.rolled_back:
            raise DeviceError(runner.device, f"rollback to {txid}", outcome.detail)
        if pending is not None:
            store.confirm(txid)  # no longer pending; the newest kept snapshot, so a rollback again is a no-op
        gaps = [v for v in outcome.verification if v.startswith(INEXACT)]
        return f"{txid} ({'; '.join(gaps)})" if gaps else txid  # what was restored, and what not exactly


def snapshot_store(runner: CommandRunner) -> SnapshotStore:
    """Per host; a local run inside a network namespace gets its own directory (namespaces share /var/tmp)."""
    netns = runner.netns if isinstance(runner, NamespaceScoped) else None
    return SnapshotStore(runner, f"{STATE_DIR}/netns-{netns}" if netns else STATE_DIR)


ADAPTER: PlatformAdapter[HostRaw, HostOperation] = HostAdapter()
