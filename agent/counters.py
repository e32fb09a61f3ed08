"""One counters-only read of one device: what `roce-agent monitor` polls every interval.

Platform neutral, so the monitor turns any platform's read into rates and metrics the same way. Every
value is a monotonic counter except the watermarks (gauges: peaks since the last clear). A counter the
device did not report is absent, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PerPriority = dict[int, int]


@dataclass
class PortSample:
    """The counters of one port (switch) or NIC (host) at one instant."""

    pfc_rx: PerPriority = field(default_factory=dict)  # PFC pause frames received, by priority
    pfc_tx: PerPriority = field(default_factory=dict)  # PFC pause frames sent
    pause_rx_us: PerPriority = field(default_factory=dict)  # time paused by the peer (mlx5 *_pause_duration)
    ecn_marked: PerPriority = field(default_factory=dict)  # packets ECN-marked (switch: per egress queue)
    drops: PerPriority = field(default_factory=dict)  # packets dropped (switch: per queue; host: per priority)
    packets: PerPriority = field(default_factory=dict)  # packets carried, by priority/queue
    headroom_wm_bytes: PerPriority = field(default_factory=dict)  # gauge: PG headroom watermark
    wd_storms: PerPriority = field(default_factory=dict)  # PFC watchdog storms detected, by queue
    wd_restores: PerPriority = field(default_factory=dict)  # ... and restored
    wd_stormed: set[int] = field(default_factory=set)  # queues the watchdog holds in storm right now
    rdma: dict[str, int] = field(default_factory=dict)  # host: RDMA counters (retransmits, CNPs, ...)
    nic: dict[str, int] = field(default_factory=dict)  # host: ethtool pause / discard totals


@dataclass
class CounterSample:
    """All ports of one device read in one round trip; `taken_at` is the controller's monotonic clock."""

    device: str
    taken_at: float
    ports: dict[str, PortSample] = field(default_factory=dict)
    round_trips: int = 1
    notes: list[str] = field(default_factory=list)  # reads this device's release does not offer
    read_path: Literal["redis", "show", "host"] = "show"  # SONiC: COUNTERS_DB by one EVAL, or the CLIs
