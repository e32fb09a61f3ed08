"""`fabric entropy` as a library call: read the switches (or a snapshot), simulate, judge each tier.

Read-only. The entropy settings are the policy's `load_balancing: entropy:` (defaults without one),
with the request's overrides; the model is the default CRC32 estimate (agent.loadbalancing.audit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.app.audit import read_once
from agent.app.inputs import InventoryRequest, load_inventory
from agent.errors import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK
from agent.loadbalancing.audit import EntropyAuditResult, entropy_audit
from agent.policy.load_balancing import EntropyAudit


@dataclass(frozen=True)
class EntropyRequest:
    inputs: InventoryRequest
    from_snapshot: Path | None = None
    qps: int | None = None  # overrides the policy's queue pairs per connection
    max_over_mean: float | None = None  # overrides the policy's threshold
    quiet: bool = False


@dataclass
class EntropyRun:
    result: EntropyAuditResult
    errors: dict[str, str] = field(default_factory=dict)  # devices that could not be read

    @property
    def exit_code(self) -> int:
        if self.result.report.flows == 0:
            return EXIT_CANNOT_RUN
        return EXIT_FINDINGS if self.result.over_threshold else EXIT_OK


def entropy(request: EntropyRequest) -> EntropyRun:
    """Raises InputError (exit 2) on bad input before any device is contacted."""
    loaded = load_inventory(request.inputs)
    declared = next(
        (lb.entropy for i in loaded.intents.values() if (lb := i.policy.load_balancing) and lb.entropy),
        None,
    )
    settings = declared or EntropyAudit()
    update: dict[str, object] = {}
    if request.qps is not None:
        update["qps"] = request.qps
    if request.max_over_mean is not None:
        update["max_over_mean"] = request.max_over_mean
    settings = EntropyAudit.model_validate(settings.model_dump() | update)
    snap = read_once(loaded, request.from_snapshot, request.quiet)
    roles = {n: i.role or "switch" for n, i in loaded.intents.items()}
    result = entropy_audit(loaded.topology, snap.states, roles, settings)
    return EntropyRun(result, dict(snap.errors))
