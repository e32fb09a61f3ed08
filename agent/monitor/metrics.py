"""The series the monitor serves and how two counter reads become them (delta-based rates).

Every metric is declared once in `METRICS` (name, help, labels, type); the exporter, the dashboard
test and the threshold rules all read that table. Rates are `(now - before) / seconds between the
reads`; a counter that went down (cleared, device rebooted) gives no rate for that interval rather
than a negative or a huge one.

Per-priority series are always served for the policy's lossless and RoCE priorities, and for the
other priorities only while they are not zero (a pause, drop or mark where none belongs): at 512
devices that keeps a scrape at a few thousand series instead of ~80,000 zeros, and a fault still
shows. Queue packet rates feed the "RoCE on a non-RoCE priority" series and are not served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agent.counters import CounterSample, PerPriority, PortSample

DPP = ("device", "port", "priority")
DP = ("device", "port")


@dataclass(frozen=True)
class Metric:
    name: str
    help: str
    labels: tuple[str, ...] = DPP
    kind: Literal["gauge", "counter"] = "gauge"


PFC_RX = Metric("roce_agent_pfc_rx_pause_frames_per_second", "PFC pause frames received per second.")
PFC_TX = Metric("roce_agent_pfc_tx_pause_frames_per_second", "PFC pause frames sent per second.")
PAUSED = Metric(
    "roce_agent_pfc_rx_paused_seconds_per_second", "Seconds per second the peer held the priority paused (mlx5)."
)
ECN = Metric("roce_agent_ecn_marked_packets_per_second", "ECN-marked packets per second (switch: egress queue).")
DROPS = Metric(
    "roce_agent_queue_drops_per_second",
    "Packets dropped per second by queue/priority; lossless=true on lossless and RoCE priorities.",
    (*DPP, "lossless"),
)
OFF_PRIORITY = Metric(
    "roce_agent_non_roce_priority_packets_per_second",
    "Host NICs: packets per second sent on a priority that is neither RoCE nor CNP while RDMA requests flow.",
)
HEADROOM = Metric("roce_agent_pg_headroom_watermark_bytes", "PG headroom watermark (peak since last clear).")
HEADROOM_PCT = Metric(
    "roce_agent_pg_headroom_watermark_percent_of_xoff", "PG headroom watermark as a percentage of the PG's xoff."
)
WD_STORMS = Metric("roce_agent_pfcwd_storms_detected", "PFC watchdog storms detected.", kind="counter")
WD_RESTORES = Metric("roce_agent_pfcwd_storms_restored", "PFC watchdog storms restored.", kind="counter")
WD_STORM = Metric(
    "roce_agent_pfcwd_storm", "1 while the watchdog holds the queue in storm or detected a new storm this interval."
)
RDMA_RETRANS = Metric("roce_agent_rdma_retransmits_per_second", "RoCE retransmissions per second.", DP)
RDMA_OOS = Metric("roce_agent_rdma_out_of_sequence_per_second", "Out-of-sequence packets received per second.", DP)
RDMA_CNP_SENT = Metric("roce_agent_rdma_cnp_sent_per_second", "CNPs sent per second (notification point).", DP)
RDMA_CNP_HANDLED = Metric("roce_agent_rdma_cnp_handled_per_second", "CNPs handled per second (reaction point).", DP)
NIC_PAUSE = Metric(
    "roce_agent_nic_pause_frames_per_second", "Link-level pause frames per second (ethtool).", (*DP, "direction")
)
NIC_DISCARDS = Metric("roce_agent_nic_discards_per_second", "Packets discarded per second by the NIC (ethtool).", DP)
DEVICE_UP = Metric("roce_agent_device_up", "1 when the device answered its last counters read.", ("device",))
LAST_SAMPLE = Metric(
    "roce_agent_last_sample_timestamp_seconds", "Unix time of the device's last counters read.", ("device",)
)
POLL_ERRORS = Metric("roce_agent_poll_errors", "Counters reads that failed.", ("device",), "counter")
CYCLE = Metric("roce_agent_monitor_cycle_seconds", "Wall seconds the last poll cycle took.", ())
CYCLES = Metric("roce_agent_monitor_cycles", "Poll cycles run.", (), "counter")
ACTIVE = Metric("roce_agent_monitor_active_events", "Threshold events raised and not yet cleared.", ("severity",))

METRICS: tuple[Metric, ...] = (
    PFC_RX, PFC_TX, PAUSED, ECN, DROPS, OFF_PRIORITY, HEADROOM, HEADROOM_PCT, WD_STORMS, WD_RESTORES,
    WD_STORM, RDMA_RETRANS, RDMA_OOS, RDMA_CNP_SENT, RDMA_CNP_HANDLED, NIC_PAUSE, NIC_DISCARDS, DEVICE_UP,
    LAST_SAMPLE, POLL_ERRORS, CYCLE, CYCLES, ACTIVE,
)  # fmt: skip

#: host RDMA counters summed into each RDMA metric (mlx5 names, `rdma statistic`)
RDMA_SOURCES: dict[Metric, tuple[str, ...]] = {
    RDMA_RETRANS: ("roce_adp_retrans", "roce_adp_retrans_to"),
    RDMA_OOS: ("out_of_sequence",),
    RDMA_CNP_SENT: ("np_cnp_sent",),
    RDMA_CNP_HANDLED: ("rp_cnp_handled",),
}
RDMA_REQUESTS = ("rx_write_requests", "rx_read_requests", "rx_atomic_requests")
NIC_PAUSE_SOURCES = {"rx": ("rx_pause_ctrl_phy", "rx_pause_frames"), "tx": ("tx_pause_ctrl_phy", "tx_pause_frames")}
NIC_DISCARD_SOURCES = ("rx_discards_phy", "rx_discards")


@dataclass(frozen=True)
class Point:
    metric: Metric
    labels: tuple[str, ...]  # values, in the order of metric.labels
    value: float

    def label(self, name: str) -> str:
        return self.labels[self.metric.labels.index(name)]


@dataclass
class DeviceContext:
    """What the rates need to know beyond the counters: the policy's priorities, and xoff per PG once a
    full read (the periodic audit) told us the programmed buffer profiles."""

    device: str
    host: bool
    lossless: frozenset[int]
    roce: frozenset[int]
    cnp: int | None
    xoff: dict[tuple[str, int], int] = field(default_factory=dict)  # (port, pg) -> bytes

    @property
    def watched(self) -> frozenset[int]:
        """Priorities whose series are served even at zero."""
        return self.lossless | self.roce


def rates(before: CounterSample | None, now: CounterSample, ctx: DeviceContext) -> list[Point]:
    """The device's series for one interval; without a previous read only the gauges are known."""
    out: list[Point] = []
    dt = now.taken_at - before.taken_at if before is not None else 0.0
    for port, cur in sorted(now.ports.items()):
        out += _gauges(ctx, port, cur)
        prev = before.ports.get(port) if before is not None else None
        if prev is not None and dt > 0:
            out += _port_rates(ctx, port, prev, cur, dt)
    return out


def _gauges(ctx: DeviceContext, port: str, cur: PortSample) -> list[Point]:
    d, watched = ctx.device, ctx.watched
    marks = {pg: v for pg, v in sorted(cur.headroom_wm_bytes.items()) if v or pg in watched}
    out = [Point(HEADROOM, (d, port, str(pg)), float(v)) for pg, v in marks.items()]
    for pg, value in marks.items():
        xoff = ctx.xoff.get((port, pg))
        if xoff:
            out.append(Point(HEADROOM_PCT, (d, port, str(pg)), 100.0 * value / xoff))
    out += [Point(WD_STORMS, (d, port, str(q)), float(v)) for q, v in sorted(cur.wd_storms.items())]
    out += [Point(WD_RESTORES, (d, port, str(q)), float(v)) for q, v in sorted(cur.wd_restores.items())]
    return out


def _per_priority(
    metric: Metric, ctx: DeviceContext, port: str, prev: PerPriority, cur: PerPriority, dt: float, scale: float = 1.0
) -> list[Point]:
    out: list[Point] = []
    watched = ctx.watched
    for prio, value in sorted(cur.items()):
        delta = value - prev.get(prio, value)
        if delta > 0 or (delta == 0 and prio in watched):
            out.append(Point(metric, (ctx.device, port, str(prio)), scale * delta / dt))
    return out


def _port_rates(ctx: DeviceContext, port: str, prev: PortSample, cur: PortSample, dt: float) -> list[Point]:
    out = _per_priority(PFC_RX, ctx, port, prev.pfc_rx, cur.pfc_rx, dt)
    out += _per_priority(PFC_TX, ctx, port, prev.pfc_tx, cur.pfc_tx, dt)
    out += _per_priority(PAUSED, ctx, port, prev.pause_rx_us, cur.pause_rx_us, dt, 1e-6)
    out += _per_priority(ECN, ctx, port, prev.ecn_marked, cur.ecn_marked, dt)
    for p in _per_priority(DROPS, ctx, port, prev.drops, cur.drops, dt):
        lossless = int(p.labels[2]) in ctx.lossless | ctx.roce
        out.append(Point(DROPS, (*p.labels, "true" if lossless else "false"), p.value))
    out += _storm(ctx, port, prev, cur)
    if ctx.host:
        out += _host_rates(ctx, port, prev, cur, dt)
    return out


def _storm(ctx: DeviceContext, port: str, prev: PortSample, cur: PortSample) -> list[Point]:
    queues = sorted(set(cur.wd_storms) | cur.wd_stormed)
    new = {q for q in queues if cur.wd_storms.get(q, 0) > prev.wd_storms.get(q, cur.wd_storms.get(q, 0))}
    return [Point(WD_STORM, (ctx.device, port, str(q)), 1.0 if q in cur.wd_stormed | new else 0.0) for q in queues]


def _sum_rate(prev: dict[str, int], cur: dict[str, int], names: tuple[str, ...], dt: float) -> float | None:
    present = [n for n in names if n in cur and n in prev]
    if not present:
        return None
    delta = sum(cur[n] - prev[n] for n in present)
    return delta / dt if delta >= 0 else None


def _host_rates(ctx: DeviceContext, port: str, prev: PortSample, cur: PortSample, dt: float) -> list[Point]:
    out: list[Point] = []
    d = ctx.device
    for metric, names in RDMA_SOURCES.items():
        value = _sum_rate(prev.rdma, cur.rdma, names, dt)
        if value is not None:
            out.append(Point(metric, (d, port), value))
    for direction, names in NIC_PAUSE_SOURCES.items():
        value = _sum_rate(prev.nic, cur.nic, names, dt)
        if value is not None:
            out.append(Point(NIC_PAUSE, (d, port, direction), value))
    discards = _sum_rate(prev.nic, cur.nic, NIC_DISCARD_SOURCES, dt)
    if discards is not None:
        out.append(Point(NIC_DISCARDS, (d, port), discards))
    if _sum_rate(prev.rdma, cur.rdma, RDMA_REQUESTS, dt):  # RDMA is running on this NIC
        expected = ctx.roce | ({ctx.cnp} if ctx.cnp is not None else set())
        for prio, value in sorted(cur.packets.items()):
            delta = value - prev.packets.get(prio, value)
            if prio not in expected and delta > 0:
                out.append(Point(OFF_PRIORITY, (d, port, str(prio)), delta / dt))
    return out
