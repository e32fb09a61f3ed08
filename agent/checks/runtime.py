"""Runtime health from counter deltas between two reads of the same device (`audit --interval`).

Counters are monotonic; a value lower in the second read means the counter was cleared in between, and
the second value is then the increase since the clear.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.checks.context import RuntimeCtx, finding
from agent.checks.finding import Finding
from agent.checks.registry import check
from agent.state import PortCounters, PortState

SUSTAINED_PAUSE_FRAMES = 100  # PFC frames sent in one interval that count as "sustained" back-pressure
RDMA_TRANSPORT_ERRORS = (
    "local_ack_timeout_err",
    "req_transport_retries_exceeded",
    "packet_seq_err",
    "out_of_sequence",
    "rnr_nak_retry_err",
    "implied_nak_seq_err",
)
# Lossy profiles resend by design (RT-RDMA-002 judges the rate): only a connection that gave up is an error.
RDMA_FATAL = ("req_transport_retries_exceeded", "rnr_nak_retry_err")


def _delta(before: dict[int, int] | dict[str, int], after: dict[int, int] | dict[str, int], key: object) -> int:
    now = after.get(key, 0)  # type: ignore[call-overload]
    then = before.get(key, 0)  # type: ignore[call-overload]
    return int(now - then if now >= then else now)


def _port_pairs(ctx: RuntimeCtx) -> list[tuple[PortState, PortCounters, PortCounters]]:
    return ctx.pairs


@check(
    "RT-DROP-001",
    "No drops on a lossless queue or PG",
    scope="runtime",
    tags=("pfc", "buffer"),
    explanation="""A lossless class must not drop. Queue drops (SAI_QUEUE_STAT_DROPPED_PACKETS), PG drops
    (SAI_INGRESS_PRIORITY_GROUP_STAT_DROPPED_PACKETS) or NIC per-priority discards (mlx5
    rx_prio<p>_discards / rx_prio<p>_buf_discard) rising between two reads mean headroom is short, PFC is
    not honoured by the peer, or the watchdog is dropping a stormed queue.""",
)
def lossless_drops(ctx: RuntimeCtx) -> Iterator[Finding]:
    for port, c0, c1 in _port_pairs(ctx):
        for prio in sorted(ctx.lossless_at(port.name)):  # the port's profile: a lossy port's drops are RT-DROP-002
            queue = port.priority_to_queue.get(prio, prio)
            pg = port.priority_to_pg.get(prio, prio)
            dq = _delta(c0.queue_drops, c1.queue_drops, queue)
            dpg = _delta(c0.pg_drops, c1.pg_drops, pg)
            dnic = _delta(c0.extra, c1.extra, f"rx_prio{prio}_discards") if c1.extra else 0
            dbuf = _delta(c0.extra, c1.extra, f"rx_prio{prio}_buf_discard") if c1.extra else 0
            if dq <= 0 and dpg <= 0 and dnic <= 0 and dbuf <= 0:
                continue
            parts = {
                f"queue {queue}": dq,
                f"PG {pg}": dpg,
                f"rx_prio{prio}_discards": dnic,
                f"rx_prio{prio}_buf_discard": dbuf,
            }
            seen = {k: v for k, v in parts.items() if v > 0}
            if seen:
                yield finding(
                    "RT-DROP-001",
                    ctx.name,
                    port=port.name,
                    priority=prio,
                    expected="0 drops",
                    actual=", ".join(f"{k} +{v}" for k, v in seen.items()),
                    remediation="check headroom (SW-BUF-*), the peer's PFC (LINK-PFC-001) and "
                    f"`show pfcwd stats` for {port.name}",
                )


@check(
    "RT-WD-001",
    "No PFC watchdog storm",
    scope="runtime",
    tags=("watchdog", "pfc"),
    explanation="""A stormed queue (PFC_WD_STATUS stormed) or a rising storm counter means a device kept
    a lossless queue paused for longer than the detection time — usually a stuck NIC or a deadlock; with
    action drop the watchdog is now discarding that lossless traffic.""",
)
def watchdog_storms(ctx: RuntimeCtx) -> Iterator[Finding]:
    for port, c0, c1 in _port_pairs(ctx):
        queues = {q for q, st in port.queues.items() if st.watchdog_status == "stormed"}
        if c1.watchdog_storms:
            queues.update(c1.watchdog_storms)
        for queue in sorted(queues):
            storms = _delta(c0.watchdog_storms, c1.watchdog_storms, queue)
            qs = port.queues.get(queue)
            stormed = qs is not None and qs.watchdog_status == "stormed"
            if storms <= 0 and not stormed:
                continue
            yield finding(
                "RT-WD-001",
                ctx.name,
                port=port.name,
                priority=queue,
                expected="operational, no new storms",
                actual=("stormed" if stormed else "operational") + f", storms +{storms}",
                remediation=f"find the device pausing {port.name} (show pfc counters on the peer); "
                "check its NIC and `pfcwd show stats`",
            )


@check(
    "RT-PFC-001",
    "No PFC frames on lossy priorities",
    scope="runtime",
    tags=("pfc",),
    explanation="""PFC frames received or sent on a priority outside the lossless set mean an end runs a
    different PFC mask (often a NIC with firmware DCBX or a default prio-pfc), pausing traffic that was
    meant to be lossy.""",
)
def pfc_on_lossy(ctx: RuntimeCtx) -> Iterator[Finding]:
    for port, c0, c1 in _port_pairs(ctx):
        lossless = ctx.lossless_at(port.name)  # empty on a lossy port: any PFC frame there is a finding
        for prio in sorted((set(c1.pfc_rx) | set(c1.pfc_tx)) - lossless):
            rx = _delta(c0.pfc_rx, c1.pfc_rx, prio)
            tx = _delta(c0.pfc_tx, c1.pfc_tx, prio)
            if rx <= 0 and tx <= 0:
                continue
            yield finding(
                "RT-PFC-001",
                ctx.name,
                port=port.name,
                priority=prio,
                expected="no PFC frames on a lossy priority",
                actual=f"rx +{rx}, tx +{tx}",
                remediation=f"align the PFC mask on {port.name} and its peer with the policy (LINK-PFC-001)",
            )


@check(
    "RT-ECN-001",
    "ECN engages before sustained pause",
    scope="runtime",
    tags=("ecn", "pfc"),
    explanation=f"""If the device sent at least {SUSTAINED_PAUSE_FRAMES} PFC frames on a lossless priority
    in the interval while none of its queues for that priority marked ECN, DCQCN is not engaging: PFC
    does all the work and spreads congestion. Causes: ECN thresholds above the PFC trigger, WRED/ECN off
    on the queue, or ECN counters not enabled (flex counter group WRED_ECN_QUEUE).""",
)
def pause_without_ecn(ctx: RuntimeCtx) -> Iterator[Finding]:
    pairs = _port_pairs(ctx)
    for prio in ctx.expect.lossless_sorted:
        paused = sum(_delta(c0.pfc_tx, c1.pfc_tx, prio) for p, c0, c1 in pairs if prio in ctx.lossless_at(p.name))
        if paused < SUSTAINED_PAUSE_FRAMES:
            continue
        marked = sum(
            _delta(c0.ecn_marked, c1.ecn_marked, port.priority_to_queue.get(prio, prio)) for port, c0, c1 in pairs
        )
        if marked > 0:
            continue
        yield finding(
            "RT-ECN-001",
            ctx.name,
            priority=prio,
            expected="ECN marks while pausing",
            actual=f"PFC tx +{paused}, ECN marked +0",
            remediation="lower ECN thresholds below the PFC trigger (SW-ECN-003) and enable flex counters: "
            "counterpoll wred-queue enable",
        )


@check(
    "RT-RDMA-001",
    "No RDMA transport retries or timeouts",
    scope="runtime",
    tags=("rdma",),
    explanation="""On a lossless fabric RDMA transport errors (local_ack_timeout_err,
    req_transport_retries_exceeded, packet_seq_err, out_of_sequence, rnr_nak_retry_err, implied_nak_seq_err)
    stay flat; rising values mean packets were lost on the path, typically an MTU or PFC mismatch. On a
    port that runs a lossy profile resends are expected (their rate is RT-RDMA-002's); there only a
    requester that gave up (req_transport_retries_exceeded, rnr_nak_retry_err) is a finding.""",
)
def rdma_errors(ctx: RuntimeCtx) -> Iterator[Finding]:
    for name in ctx.after.ports:
        after, before = ctx.after.ports[name], ctx.before.ports.get(name)
        if after.nic is None or before is None or before.nic is None:
            continue
        c0, c1 = before.nic.rdma_counters, after.nic.rdma_counters
        watched = RDMA_FATAL if ctx.policy_at(name).lossy else RDMA_TRANSPORT_ERRORS
        rising = {k: _delta(c0, c1, k) for k in watched if k in c1}
        rising = {k: v for k, v in rising.items() if v > 0}
        if rising:
            yield finding(
                "RT-RDMA-001",
                ctx.name,
                port=name,
                expected="flat transport error counters",
                actual=", ".join(f"{k} +{v}" for k, v in rising.items()),
                remediation="check MTU (HOST-MTU-001, LINK-MTU-001) and PFC on the path; `rdma statistic show`",
            )
