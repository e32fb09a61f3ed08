"""The policy's `monitoring:` section: NetQ-like thresholds `roce-agent monitor` raises events on.

Every threshold is a limit on a rate or a share the monitor computes from two counter reads; a value
above the limit raises an event of the threshold's severity, and the event clears when the value is
back at or below it. A threshold set to `null` is off. A bare number is a limit with the default
severity (`drops_per_s: 5`), the long form names the severity too (`{limit: 5, severity: critical}`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

Severity = Literal["info", "warning", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(_Strict):
    limit: Annotated[float, Field(ge=0)]
    severity: Severity = "warning"


def _bare_limit(value: Any) -> Any:
    """`5` -> {limit: 5}: the short form of a threshold (checked here, so an error names the key itself)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"a limit is a number >= 0, got {value}")
        return {"limit": value}
    return value


Limit = Annotated[Threshold | None, BeforeValidator(_bare_limit)]


class Thresholds(_Strict):
    # PFC pause frames per second received or sent, per port and priority
    pause_frames_per_s: Limit = Threshold(limit=1000)
    # packets dropped per second on a lossless or RoCE priority (a lossless queue should drop nothing)
    drops_per_s: Limit = Threshold(limit=0, severity="critical")
    # ECN-marked packets per second per queue (congestion the senders are told to back off from)
    ecn_marks_per_s: Limit = Threshold(limit=100_000)
    # PG headroom watermark as % of the PG's xoff: near 100 the headroom is about to overflow
    headroom_percent: Limit = Threshold(limit=80)
    # milliseconds per second a priority was paused by the peer (1000 = paused all the time)
    pause_duration_ms_per_s: Limit = Threshold(limit=500)
    # host NICs: packets per second sent on a priority that is neither RoCE nor CNP while RDMA runs
    roce_on_non_roce_priority_per_s: Limit = Threshold(limit=100)
    # a PFC watchdog storm detected (or a queue held in storm) on a port
    watchdog_storm: Limit = Threshold(limit=0, severity="critical")
    # lossy profiles: RDMA resends per 100 RoCE packets sent (audit --interval, RT-RDMA-002; the
    # project's choice: no vendor publishes one figure)
    rdma_retransmit_percent: Limit = Threshold(limit=0.1)


class Monitoring(_Strict):
    thresholds: Thresholds = Field(default_factory=Thresholds)
    audit_every: Annotated[int, Field(ge=0, description="run a full audit every N intervals; 0: never")] = 30
    history_retention_days: Annotated[float, Field(gt=0)] = 7
    history_every: Annotated[int, Field(ge=1, description="store a counter sample every N intervals")] = 1
