"""FAB-NCCL-001: switch <-> NIC <-> NCCL, end to end: the ToS NCCL really sends lands in a protected queue.

Per host-to-switch cable on the back-end: the NCCL_IB_TC in the host's /etc/nccl.conf (as NCCL reads it)
gives the DSCP; the NIC classifies it with its trust mode and DSCP table (`dcb app`), the switch port with
its DSCP_TO_TC_MAP and TC_TO_QUEUE_MAP. Both must land on the same priority, and that priority must be
protected by the host's profile: PFC on both ends (lossless) or, in a lossy profile, the NIC's ECN
reaction point and the switch queue's ECN marking. The per-device checks (HOST-NCCL-001, HOST-QOS-002,
SW-QOS-002, SW-PFC-001, SW-ECN-001) each see one piece; this one follows the bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from agent.checks.context import FabricCtx, finding
from agent.checks.finding import Finding
from agent.checks.registry import check
from agent.policy.nccl import KEY_TC, nccl_int
from agent.state import NcclConfState, PortState, TrustMode
from agent.topology.model import Endpoint


@dataclass(frozen=True)
class _Leg:
    priority: int | None
    protected: bool
    text: str


def _nic_leg(port: PortState, dscp: int, lossy: bool) -> _Leg:
    if port.trust is not TrustMode.dscp:
        return _Leg(None, False, f"NIC trusts {port.trust.value if port.trust else 'nothing readable'}, not DSCP")
    prio = port.dscp_to_priority.get(dscp)
    source = ""
    if prio is None and port.nic is not None and port.nic.driver == "mlx5_core":
        prio, source = dscp >> 3, ", mlx5 firmware default map: no dcb app entry"  # mlx5 trust dscp: DSCP / 8
    if prio is None:
        return _Leg(None, False, f"NIC has no DSCP {dscp} entry (dcb app)")
    if not lossy:
        on = prio in port.lossless_priorities
        return _Leg(prio, on, f"NIC prio {prio} (PFC {'on' if on else 'off'}{source})")
    rp = port.nic.ecn_rp if port.nic is not None else {}
    if not rp:
        return _Leg(prio, True, f"NIC prio {prio} (ECN reaction point not exposed{source})")
    on = bool(rp.get(prio))
    return _Leg(prio, on, f"NIC prio {prio} (ECN reaction point {'on' if on else 'off'}{source})")


def _switch_leg(port: PortState, dscp: int, lossy: bool, where: Endpoint) -> _Leg:
    tc = port.dscp_to_priority.get(dscp)
    if tc is None:
        return _Leg(None, False, f"{where} has no DSCP {dscp} in its DSCP_TO_TC_MAP")
    queue = port.priority_to_queue.get(tc, tc)
    if not lossy:
        on = tc in port.lossless_priorities
        return _Leg(tc, on, f"{where} TC {tc} queue {queue} (PFC {'on' if on else 'off'})")
    q = port.queues.get(queue)
    on = bool(q is not None and q.ecn is not None and q.ecn.enabled)
    return _Leg(tc, on, f"{where} TC {tc} queue {queue} (ECN {'on' if on else 'off'})")


def _nccl_dscp(conf: NcclConfState) -> tuple[int, str]:
    raw = conf.settings.get(KEY_TC)
    value = nccl_int(raw)
    tc = 0 if value is None or value < 0 else value
    shown = f"{KEY_TC}={raw}" if raw is not None else f"{KEY_TC} unset (0)"
    return tc >> 2, f"{shown} -> DSCP {tc >> 2}"


@check(
    "FAB-NCCL-001",
    "NCCL's traffic class reaches a protected queue on the NIC and on its switch port",
    scope="fabric",
    tags=("nccl", "dscp", "pfc", "ecn"),
    explanation="""Follows the ToS NCCL sends (NCCL_IB_TC in /etc/nccl.conf, as NCCL reads it) through the
    host NIC's DSCP trust and `dcb app` table and the cabled switch port's DSCP_TO_TC_MAP and
    TC_TO_QUEUE_MAP: both must put it on the same priority, and that priority must be protected on both
    ends: PFC in a lossless profile, the NIC's ECN reaction point and the switch queue's ECN marking in
    a lossy one. A wrong NCCL_IB_TC, a NIC that trusts PCP, a DSCP map that differs between the NIC and
    the switch, or PFC/ECN off on that priority each break it; the finding shows the whole chain.
    Runs for hosts whose profile has an `nccl:` section and whose nccl.conf was read.""",
)
def nccl_end_to_end(ctx: FabricCtx) -> Iterator[Finding]:
    for link, tx, rx, ptx, prx in ctx.hops:
        if link.network != "backend" or ctx.kinds.get(tx.device) != "host" or ctx.kinds.get(rx.device) != "switch":
            continue
        intent, state = ctx.intents.get(tx.device), ctx.states.get(tx.device)
        if intent is None or state is None or intent.policy.nccl is None or state.nccl is None:
            continue
        lossy = intent.policy.lossy
        dscp, nccl_text = _nccl_dscp(state.nccl)
        nic, switch = _nic_leg(ptx, dscp, lossy), _switch_leg(prx, dscp, lossy, rx)
        same = nic.priority is not None and nic.priority == switch.priority
        if nic.protected and switch.protected and same:
            continue
        roce = intent.policy.roce_class
        want = "ECN-marked" if lossy else "lossless"
        mismatch = "" if same or nic.priority is None or switch.priority is None else "; NIC and switch disagree"
        yield finding(
            "FAB-NCCL-001",
            tx.device,
            port=tx.port,
            priority=roce.priority if roce is not None else None,
            expected=f"NCCL DSCP on one {want} priority on {tx} and {rx}"
            + (f" (the RoCE class: DSCP {roce.dscp[0]}, priority {roce.priority})" if roce and roce.dscp else ""),
            actual=f"{nccl_text}; {nic.text}; {switch.text}{mismatch}",
            remediation="fix the first broken link of the chain: HOST-NCCL-001 (NCCL_IB_TC), HOST-QOS-001/002 "
            "(NIC trust, DSCP map), SW-QOS-002 / SW-PFC-001 / SW-ECN-001 (switch port); roce-agent apply",
        )
