"""HostNative -> DeviceState (kind=host): the vendor-neutral view every check reads.

Host vocabulary mapped onto PortState: trust from the presence of DSCP APP entries (mlx5, bnxt and ice
have no apptrust object: DSCP entries present <=> trust dscp), `dscp_to_priority` from `dcb app`,
`priority_to_queue` from ETS `prio_tc`, queue scheduling from `tc_tsa`/`tc_bw`, lossless priorities
from `prio_pfc`. Unreadable parts stay None and the reason goes to `raw_errors`.
"""

from __future__ import annotations

from typing import Literal

from agent.platforms.linux_rdma.native import HostNative, Nic
from agent.platforms.linux_rdma.nccl import parse_conf
from agent.state import (
    DeviceKind,
    DeviceState,
    EcnState,
    NicState,
    PortCounters,
    PortState,
    QueueState,
    SchedulerState,
    TrustMode,
)

PLATFORM = "linux-rdma"
_TSA_TYPES: dict[str, Literal["strict", "ets", "vendor"]] = {"strict": "strict", "ets": "ets", "vendor": "vendor"}


def normalize_host(host: HostNative) -> DeviceState:
    ports = {name: _port(host, nic) for name, nic in host.nics.items()}
    errors = [str(p) for p in host.problems]
    for nic in host.nics.values():
        errors += [str(p) for p in nic.problems]
    versions = dict(host.tool_versions)
    if host.kernel:
        versions["kernel"] = host.kernel
    return DeviceState(
        name=host.device,
        kind=DeviceKind.host,
        platform=PLATFORM,
        os_version=host.kernel,
        hostname=host.hostname,
        ports=ports,
        tool_versions=versions,
        gathered_at=host.gathered_at,
        raw_errors=errors,
        nccl=parse_conf(host.nccl_conf) if host.nccl_conf_read else None,
    )


def _port(host: HostNative, nic: Nic) -> PortState:
    link = nic.link
    port = PortState(
        name=nic.ifname,
        admin_up=link.admin_up if link else None,
        oper_up=(link.operstate == "UP") if link and link.operstate else None,
        mtu=link.mtu if link else None,
        cable_m=nic.pfc.delay if nic.pfc and nic.is_mlx5 else None,
        nic=_nic_state(host, nic),
        counters=_counters(nic),
    )
    if nic.app is not None:
        port.trust = TrustMode.dscp if nic.app.dscp else TrustMode.pcp
        port.dscp_to_priority = _dscp_map(nic)
    if nic.pfc is not None:
        port.lossless_priorities = list(nic.pfc.enabled)
    if nic.ets is not None:
        port.priority_to_queue = dict(enumerate(nic.ets.prio_tc))
        port.queues = _queues(host, nic)
    return port


def _dscp_map(nic: Nic) -> dict[int, int]:
    """One priority per DSCP; when the kernel holds several, the highest wins (what mlx5 programs last)."""
    table: dict[int, int] = {}
    assert nic.app is not None
    for dscp, prio in sorted(nic.app.dscp):
        table[dscp] = prio
    return table


def _queues(host: HostNative, nic: Nic) -> dict[int, QueueState]:
    assert nic.ets is not None
    queues: dict[int, QueueState] = {}
    for tc in range(8):
        tsa = nic.ets.tsa[tc]
        sched = SchedulerState(
            type=_TSA_TYPES.get(tsa),
            weight=nic.ets.bw[tc] if tsa == "ets" else None,
        )
        queues[tc] = QueueState(index=tc, scheduler=sched, ecn=_queue_ecn(nic, tc))
    return queues


def _queue_ecn(nic: Nic, tc: int) -> EcnState | None:
    """Host ECN is per priority (NP marking/CNP); attach it to the TC its priorities map to."""
    if nic.ecn_np is None or nic.ets is None:
        return None
    prios = [p for p in range(8) if nic.ets.prio_tc[p] == tc]
    if not prios:
        return None
    return EcnState(enabled=all(nic.ecn_np.get(p, False) for p in prios), mode="roce_np")


def _counters(nic: Nic) -> PortCounters | None:
    stats = nic.ethtool_stats
    pfc = nic.pfc
    if not stats and not (pfc and pfc.requests):
        return None
    counters = PortCounters(extra=dict(stats))
    for p in range(8):
        tx = stats.get(f"tx_prio{p}_pause")
        rx = stats.get(f"rx_prio{p}_pause")
        if tx is None and pfc and len(pfc.requests) == 8:
            tx = pfc.requests[p]
        if rx is None and pfc and len(pfc.indications) == 8:
            rx = pfc.indications[p]
        if tx is not None:
            counters.pfc_tx[p] = tx
        if rx is not None:
            counters.pfc_rx[p] = rx
        for name, target in (("discards", counters.queue_drops), ("packets", counters.queue_packets)):
            value = stats.get(f"rx_prio{p}_{name}")
            if value is not None:
                target[p] = value
        marked = stats.get(f"rx_prio{p}_marked")
        if marked is not None:
            counters.ecn_marked[p] = marked
    return counters


def _nic_state(host: HostNative, nic: Nic) -> NicState:
    rdma = nic.rdma
    key = f"{rdma.device}/{rdma.port}" if rdma else None
    dev = host.rdma_devs.get(rdma.device) if rdma else None
    tos = host.roce_tos.get(key) if key else None
    if tos is None and key:
        tos = host.traffic_class.get(key)
    return NicState(
        driver=nic.driver,
        firmware=nic.firmware or (dev.firmware if dev else None),
        dcb_supported=nic.dcb_supported,
        dcbx_owner=_dcbx_owner(nic),
        pfc_delay=nic.pfc.delay if nic.pfc else None,
        pfc_cap=nic.pfc.cap if nic.pfc else None,
        buffer_size=dict(enumerate(nic.buffer.buffer_size)) if nic.buffer else {},
        prio_buffer=dict(enumerate(nic.buffer.prio_buffer)) if nic.buffer else {},
        ecn_np=dict(nic.ecn_np or {}),
        ecn_rp=dict(nic.ecn_rp or {}),
        cnp_dscp=nic.cnp_dscp,
        cnp_priority=nic.cnp_prio,
        dcqcn=dict(nic.dcqcn),
        roce_tos=tos,
        roce_mode=host.roce_mode.get(key) if key else None,
        rdma_device=rdma.device if rdma else None,
        rdma_state=rdma.state if rdma else None,
        rdma_physical_state=rdma.physical_state if rdma else None,
        roce_mtu=roce_mtu(nic.link.mtu) if rdma and nic.link and nic.link.mtu else None,
        global_pause_rx=nic.pause_rx,
        global_pause_tx=nic.pause_tx,
        tcp_ecn=host.tcp_ecn,
        rdma_counters=dict(host.rdma_stats.get(key, {})) if key else {},
        gids=list(host.gids.get(key, [])) if key and host.gids is not None else None,
    )


def roce_mtu(netdev_mtu: int) -> int | None:
    """The kernel's rule (`iboe_get_mtu`): 96 B of RoCEv2 headers, then the largest IB MTU that fits."""
    usable = netdev_mtu - 96
    return next((m for m in (4096, 2048, 1024, 512, 256) if m <= usable), None)


def _dcbx_owner(nic: Nic) -> Literal["host", "firmware", "unknown"] | None:
    if nic.dcbx is None:
        return None
    if "lld_managed" in nic.dcbx:
        return "firmware"
    if "host" in nic.dcbx:
        return "host"
    return "firmware" if nic.dcbx else "unknown"
