"""The RDMA host platform adapter (`linux-rdma`): gather, normalize, plan, apply through a CommandRunner.

Works unchanged over SSH (NetmikoRunner, marker-batched command lines), against the in-process host
twin, and locally (LocalRunner: argument lists, pyroute2 for MTU and link events).
"""

from __future__ import annotations

from typing import Any

from agent.errors import ParseError
from agent.hosts.apply import ApplySettings, apply_host
from agent.hosts.batch import shell_for
from agent.hosts.gather import HostRaw, discover_interfaces, gather, native_from_raw
from agent.hosts.normalize import normalize_host
from agent.hosts.plan import plan_host
from agent.intent import DeviceIntent
from agent.platforms.base import ApplyOptions, ApplyOutcome, ChangePlan, CommandRunner
from agent.state import DeviceState


def as_raw(device: str, raw: Any) -> HostRaw:
    """A HostRaw from a gather result or its saved JSON form (`--from-snapshot`)."""
    if isinstance(raw, HostRaw):
        return raw
    if isinstance(raw, dict):
        try:
            return HostRaw.from_dict(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(device, "load host snapshot", f"not a host gather snapshot: {exc}") from None
    raise ParseError(device, "load host snapshot", f"expected a host gather, got {type(raw).__name__}")


class HostAdapter:
    name = "linux-rdma"

    def __init__(self, settings: ApplySettings | None = None) -> None:
        self.settings = settings or ApplySettings()

    def gather(self, runner: CommandRunner, intent: DeviceIntent | None) -> HostRaw:
        """One round trip when the intent names the interfaces; one more to discover them otherwise."""
        shell = shell_for(runner)
        interfaces = list(intent.ports) if intent is not None and intent.ports else discover_interfaces(shell)
        return gather(shell, interfaces)

    def normalize(self, device: str, raw: Any) -> DeviceState:
        native = native_from_raw(as_raw(device, raw))
        native.device = device
        return normalize_host(native)

    def plan(self, intent: DeviceIntent, raw: Any) -> ChangePlan:
        native = native_from_raw(as_raw(intent.name, raw))
        native.device = intent.name
        return plan_host(intent, native)

    def apply(self, runner: CommandRunner, intent: DeviceIntent, plan: ChangePlan, opts: ApplyOptions) -> ApplyOutcome:
        return apply_host(shell_for(runner), intent, plan, opts, self.settings)


ADAPTER = HostAdapter()
