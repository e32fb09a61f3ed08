"""What the rollout runner needs from the devices, behind one small interface.

`Fabric` is the seam between the staged runner (gates, locks, trail) and the platform adapters
(gather/plan/apply). The production implementation, `AdapterFabric`, resolves each device's adapter
from `agent.platforms.registry` by its intent's platform and talks to it through a CommandRunner; tests
use the same class with an in-memory adapter registered in the registry, so the runner's logic is
exercised exactly as in production.

Commit-confirm and rollback are part of the PlatformAdapter contract: `confirm(runner)` (confirm what
is pending on the device) and `rollback(runner)` (undo the pending change, or return to the newest
agent checkpoint), as the SONiC adapter (device checkpoints) and the RDMA host adapter (before-snapshots
kept on the host) do; a platform whose apply is final raises RollbackUnsupported. A rollback is only
believed when re-planning shows the device back on the exact state planned against (same
`ChangePlan.base_fingerprint`), so the proof does not depend on each adapter's own verification.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from agent.checks.finding import Finding, Severity
from agent.errors import DeviceError
from agent.identity import verify_identity
from agent.intent import DeviceIntent
from agent.platforms.base import (
    AnyAdapter,
    ApplyOptions,
    ApplyOutcome,
    ApplyStatus,
    ChangePlan,
    CommandRunner,
    RollbackUnsupported,
)
from agent.platforms.registry import adapter_for
from agent.policy.model import Policy
from agent.rollout.gates import WatchedPriorities
from agent.rollout.mode_order import Move, mode_move
from agent.state import DeviceKind, DeviceState
from agent.topology.model import Topology

__all__ = ["AdapterFabric", "Fabric", "RollbackUnsupported"]


class Fabric(Protocol):
    def kind_of(self, device: str) -> DeviceKind: ...

    def command_runner(self, device: str) -> CommandRunner: ...

    def plan(self, device: str) -> ChangePlan: ...

    def plan_with_move(self, device: str) -> tuple[ChangePlan, Move]: ...

    def apply(self, device: str, plan: ChangePlan, opts: ApplyOptions) -> ApplyOutcome: ...

    def confirm(self, device: str) -> None: ...

    def rollback(self, device: str, before_fingerprint: str | None) -> ApplyOutcome: ...

    def observe(self, device: str) -> DeviceState: ...

    def findings(self, states: dict[str, DeviceState], check_ids: list[str]) -> list[Finding]: ...

    def lossless_priorities(self, device: str) -> WatchedPriorities: ...

    def roce_priorities(self, device: str) -> WatchedPriorities: ...


def _roce(policy: Policy) -> tuple[int, ...]:
    return tuple(sorted(set(policy.lossless_priorities) | set(policy.congestion_priorities)))


RunnerFactory = Callable[[str], CommandRunner]
# (intents, states, topology, selection terms) -> findings of the selected checks
ChecksFn = Callable[[dict[str, DeviceIntent], dict[str, DeviceState], Topology, list[str]], list[Finding]]


class AdapterFabric:
    """Devices reached through registered platform adapters and one CommandRunner per device."""

    def __init__(
        self,
        intents: dict[str, DeviceIntent],
        topology: Topology,
        runner_factory: RunnerFactory,
        checks: ChecksFn | None = None,
        identities: dict[str, str] | None = None,
    ) -> None:
        self.intents = intents
        self.identities = dict(identities or {})  # device -> the hostname it must report (inventory `identity`)
        self.topology = topology
        self._factory = runner_factory
        self._checks = checks
        self._runners: dict[str, CommandRunner] = {}
        self._lock = threading.Lock()

    def _intent(self, device: str) -> DeviceIntent:
        try:
            return self.intents[device]
        except KeyError:
            raise DeviceError(device, "plan", "no intent for this device (not in the inventory?)") from None

    def _adapter(self, device: str) -> AnyAdapter:
        return adapter_for(self._intent(device).platform)

    def kind_of(self, device: str) -> DeviceKind:
        return self._intent(device).kind

    def lossless_priorities(self, device: str) -> WatchedPriorities:
        """Each port's own lossless priorities (() on a port whose link or network is lossy), the
        device's for a port its intent does not list: what the soak counts as lossless drops."""
        intent = self._intent(device)
        ports = {name: port.lossless_priorities for name, port in intent.ports.items()}
        return WatchedPriorities(intent.policy.lossless_priorities, ports)

    def roce_priorities(self, device: str) -> WatchedPriorities:
        """The priorities RoCE rides in either mode (lossless ones; in lossy mode the RoCE class's), per
        port from the profile it runs: what a lossless <-> lossy transition watches for drops, whichever
        side of the change the device is on."""
        intent = self._intent(device)
        ports = {name: _roce(intent.policy_of(port)) for name, port in intent.ports.items()}
        return WatchedPriorities(_roce(intent.policy), ports)

    def command_runner(self, device: str) -> CommandRunner:
        with self._lock:
            if device not in self._runners:
                self._runners[device] = self._factory(device)
            return self._runners[device]

    def _read(self, device: str) -> tuple[object, DeviceState]:
        """The device's raw state (opaque here, handed back only to the adapter that read it) and its
        normalized form, once its reported hostname proved it is the device planned for."""
        adapter = self._adapter(device)
        raw = adapter.gather(self.command_runner(device), self._intent(device))
        state = adapter.normalize(device, raw)
        verify_identity(device, state.hostname, self.identities.get(device))
        return raw, state

    def gather(self, device: str) -> object:
        return self._read(device)[0]

    def plan(self, device: str) -> ChangePlan:
        return self._adapter(device).plan(self._intent(device), self.gather(device))

    def plan_with_move(self, device: str) -> tuple[ChangePlan, Move]:
        """The plan, and how it moves the device (and its ports) between lossless and lossy, if it does."""
        raw, state = self._read(device)
        intent = self._intent(device)
        return self._adapter(device).plan(intent, raw), mode_move(intent, state)

    def apply(self, device: str, plan: ChangePlan, opts: ApplyOptions) -> ApplyOutcome:
        return self._adapter(device).apply(self.command_runner(device), self._intent(device), plan, opts)

    def confirm(self, device: str) -> None:
        self._adapter(device).confirm(self.command_runner(device))

    def rollback(self, device: str, before_fingerprint: str | None) -> ApplyOutcome:
        """Undo this rollout's change and prove it: the re-read state must be the one planned against."""
        checkpoint = self._adapter(device).rollback(self.command_runner(device))
        after = self.plan(device)
        if before_fingerprint is not None and after.base_fingerprint != before_fingerprint:
            detail = f"after rollback to {checkpoint} the device is not in its before state (fingerprint differs)"
            return ApplyOutcome(device, ApplyStatus.failed, detail, checkpoint=checkpoint, plan=after)
        return ApplyOutcome(device, ApplyStatus.rolled_back, f"back to checkpoint {checkpoint}", checkpoint=checkpoint)

    def observe(self, device: str) -> DeviceState:
        return self._adapter(device).normalize(device, self.gather(device))

    def findings(self, states: dict[str, DeviceState], terms: list[str]) -> list[Finding]:
        """Errors of the selected checks on the devices observed (a gate passes when there are none)."""
        if self._checks is None:
            raise RuntimeError("gates name checks but no checks engine is available")
        intents = {d: self.intents[d] for d in states if d in self.intents}
        found = self._checks(intents, states, self.topology, terms)
        return [f for f in found if f.severity is Severity.error and f.device in states]
