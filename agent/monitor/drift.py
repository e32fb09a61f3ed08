"""The full audit every N intervals, in the background, so polling keeps its cadence meanwhile.

It calls the audit use case (agent.app.audit) as `roce-agent audit` would (history recorded), then
hands the monitor two things: the error findings, which become `config_drift` events, and the xoff of
every programmed lossless PG, so the headroom watermark can be shown as a share of it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from agent.app.audit import AuditRequest, audit
from agent.app.inputs import InventoryRequest
from agent.checks.finding import Severity
from agent.failure import exception_reason
from agent.monitor.thresholds import Key
from agent.state import DeviceState


@dataclass
class DriftResult:
    findings: dict[Key, str] = field(default_factory=dict)  # (check, device, port, priority) -> title
    devices: set[str] = field(default_factory=set)  # devices the audit could read
    xoff: dict[str, dict[tuple[str, int], int]] = field(default_factory=dict)  # device -> (port, pg) -> bytes
    error: str | None = None


def xoff_of(state: DeviceState) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for port in state.ports.values():
        for pg in port.priority_groups:
            if pg.programmed is not None and pg.programmed.xoff:
                for prio in pg.priorities:
                    out[(port.name, prio)] = pg.programmed.xoff
    return out


def run_drift_audit(inputs: InventoryRequest) -> DriftResult:
    try:
        run = audit(AuditRequest(inputs=inputs, quiet=True))
    except Exception as exc:  # an audit that cannot run must not stop the monitor; it is reported
        return DriftResult(error=exception_reason(exc))
    out = DriftResult(devices=set(run.snapshot.states))
    for f in run.result.findings:
        if f.severity is Severity.error and f.device in out.devices:
            key: Key = (f.check_id, f.device, f.port or "", "" if f.priority is None else str(f.priority))
            out.findings[key] = f.title
    out.xoff = {name: xoff_of(state) for name, state in run.snapshot.states.items()}
    return out


class PeriodicAudit:
    """At most one audit at a time; `take()` returns a finished one once."""

    def __init__(self, inputs: InventoryRequest) -> None:
        self.inputs = inputs
        self._thread: threading.Thread | None = None
        self._done: DriftResult | None = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        if self._thread is not None and self._thread.is_alive():
            return False
        self._thread = threading.Thread(target=self._run, name="monitor-audit", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        result = run_drift_audit(self.inputs)
        with self._lock:
            self._done = result

    def take(self) -> DriftResult | None:
        with self._lock:
            done, self._done = self._done, None
        return done

    def wait(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
