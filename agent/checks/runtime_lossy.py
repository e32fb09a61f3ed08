"""Runtime health of ports that run a lossy profile (NVUE `roce mode lossy`: ECN/DCQCN only, no PFC).

Without PFC a congested RoCE queue drops, and the transport recovers by resending: drops are expected
in small numbers, so they are a warning shown with how hard ECN was marking at the same time (marking
and no drops is DCQCN working; drops and little marking is thresholds set too high). What says whether
the fabric is healthy is how often the RDMA requesters had to resend, against the policy's limit
(`monitoring.thresholds.rdma_retransmit_percent`). Any PFC frame on such a port is RT-PFC-001's.

Which counters: the RoCE queue's drops, ECN marks and packets (SONiC SAI queue stats), mlx5
rx_prio<p>_discards / rx_prio<p>_buf_discard and np_ecn_marked_roce_packets on hosts; resends are the
requester-side mlx5 hw counters that each make the sender go back (packet_seq_err: a NAK sequence
error received; implied_nak_seq_err; local_ack_timeout_err: the ACK timer expired), over the RoCE
priority's transmitted packets (ethtool tx_prio<p>_packets).
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import RuntimeCtx, finding
from agent.checks.finding import Finding, Severity
from agent.checks.registry import check
from agent.checks.runtime import _delta
from agent.state import PortCounters, PortState

RESENDS = ("packet_seq_err", "implied_nak_seq_err", "local_ack_timeout_err")


def _roce_priority(ctx: RuntimeCtx, port: str) -> int | None:
    """The RoCE class's priority when the port runs a lossy profile on the back-end, else None."""
    pi = ctx.intent.ports.get(port)
    policy = ctx.policy_at(port)
    if not policy.lossy or (pi is not None and pi.network != "backend") or policy.roce_class is None:
        return None
    return policy.roce_class.priority


def _seconds(ctx: RuntimeCtx) -> float | None:
    t0, t1 = ctx.before.gathered_at, ctx.after.gathered_at
    return t1 - t0 if t0 is not None and t1 is not None and t1 > t0 else None


def _marking(ctx: RuntimeCtx, port: PortState, c0: PortCounters, c1: PortCounters, prio: int) -> str:
    """How hard ECN marked the RoCE traffic over the interval: share of the queue's packets, and per second."""
    then = ctx.before.ports.get(port.name)
    if port.nic is not None and then is not None and then.nic is not None:  # a host: CE marks its NP received
        marked = _delta(then.nic.rdma_counters, port.nic.rdma_counters, "np_ecn_marked_roce_packets")
        packets = _delta(c0.extra, c1.extra, f"rx_prio{prio}_packets") if c1.extra else 0
    else:
        queue = port.priority_to_queue.get(prio, prio)
        marked = _delta(c0.ecn_marked, c1.ecn_marked, queue)
        packets = _delta(c0.queue_packets, c1.queue_packets, queue)
    share = f" of +{packets} packets ({100 * marked / packets:.2f} %)" if packets > 0 else ""
    seconds = _seconds(ctx)
    rate = f", {marked / seconds:.0f}/s" if seconds else ""
    return f"ECN marked +{marked}{share}{rate}"


@check(
    "RT-DROP-002",
    "Drops on the RoCE queue of a lossy port, with the ECN mark rate beside them",
    scope="runtime",
    severity=Severity.warning,
    tags=("ecn", "buffer"),
    explanation="""In a lossy profile nothing pauses, so a congested RoCE queue drops and the transport
    resends. A few drops are the price of the mode (a warning, not an error); the ECN mark rate beside
    them says why: drops while ECN marks heavily are incast beyond what DCQCN absorbs in time, drops
    with little or no marking mean the ECN thresholds sit above where the queue overflows (lower
    them: inference-low-latency marks from 50 KB). Whether it hurts is RT-RDMA-002's resend rate.""",
)
def lossy_roce_drops(ctx: RuntimeCtx) -> Iterator[Finding]:
    for port, c0, c1 in ctx.pairs:
        prio = _roce_priority(ctx, port.name)
        if prio is None:
            continue
        queue = port.priority_to_queue.get(prio, prio)
        seen = {
            f"queue {queue}": _delta(c0.queue_drops, c1.queue_drops, queue),
            f"rx_prio{prio}_discards": _delta(c0.extra, c1.extra, f"rx_prio{prio}_discards") if c1.extra else 0,
            f"rx_prio{prio}_buf_discard": _delta(c0.extra, c1.extra, f"rx_prio{prio}_buf_discard") if c1.extra else 0,
        }
        drops = {k: v for k, v in seen.items() if v > 0}
        if not drops:
            continue
        yield finding(
            "RT-DROP-002",
            ctx.name,
            port=port.name,
            priority=prio,
            expected="few drops, ECN marking first",
            actual=", ".join(f"{k} +{v}" for k, v in drops.items()) + "; " + _marking(ctx, port, c0, c1, prio),
            remediation="little marking: lower the RoCE class's ECN thresholds (SW-ECN-002); heavy marking: "
            "check DCQCN on the senders (HOST-DCQCN-001) and the resend rate (RT-RDMA-002)",
        )


@check(
    "RT-RDMA-002",
    "RDMA resend rate within the policy's limit (lossy profiles)",
    scope="runtime",
    tags=("rdma", "ecn"),
    explanation="""The health signal of lossy RoCE: how many times the RDMA requesters had to go back and
    resend (mlx5 packet_seq_err, implied_nak_seq_err, local_ack_timeout_err) per 100 RoCE packets sent on
    the RoCE priority (tx_prio<p>_packets), over the interval. Above the policy's
    monitoring.thresholds.rdma_retransmit_percent the loss costs real throughput and tail latency:
    congestion outruns DCQCN (ECN thresholds, DCQCN rates) or a link is losing packets.""",
)
def lossy_resend_rate(ctx: RuntimeCtx) -> Iterator[Finding]:
    for name, after in ctx.after.ports.items():
        before = ctx.before.ports.get(name)
        prio = _roce_priority(ctx, name)
        if prio is None or after.nic is None or before is None or before.nic is None:
            continue
        limit = ctx.policy_at(name).monitoring.thresholds.rdma_retransmit_percent
        if limit is None:
            continue
        r0, r1 = before.nic.rdma_counters, after.nic.rdma_counters
        resends = sum(_delta(r0, r1, k) for k in RESENDS if k in r1)
        if resends <= 0:
            continue
        c0, c1 = before.counters, after.counters
        sent = _delta(c0.extra, c1.extra, f"tx_prio{prio}_packets") if c0 is not None and c1 is not None else 0
        percent = 100 * resends / sent if sent > 0 else None
        if percent is not None and percent <= limit.limit:
            continue
        rate = f"{percent:.2f} % of +{sent} RoCE packets sent" if percent is not None else "no RoCE packet counted"
        yield finding(
            "RT-RDMA-002",
            ctx.name,
            port=name,
            priority=prio,
            expected=f"resends <= {limit.limit} % of RoCE packets",
            actual=f"+{resends} resends ({rate})",
            remediation="see RT-DROP-002 on the path's switches (ECN mark rate beside the drops); lower ECN "
            "thresholds or tune DCQCN (host.dcqcn); `rdma statistic show` on the host",
        )
