"""Targets: what one NIC should look like, from the policy (plan) or from a snapshot (rollback).

A `NicTarget` leaves a field at None when it does not care (not readable on this NIC, or not touched by
the change being undone), so the same diff drives both planning and restoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.errors import DeviceError
from agent.intent import PortIntent
from agent.platforms.linux_rdma.commands import dcqcn_path
from agent.platforms.linux_rdma.native import HostNative, Nic
from agent.policy.model import Policy, SchedulingType

MLX5_MAX_CABLE_M = 999  # mlx5 accepts 0 < delay < 1000 (metres)


@dataclass(frozen=True)
class FileTarget:
    path: str
    write: str  # what to write
    expect: str  # what reading it back must show (normalized)
    mkdir: str | None = None  # configfs directory to create first


@dataclass
class NicTarget:
    ifname: str
    mtu: int | None = None
    ets: tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]] | None = None  # tsa, bw, prio_tc
    dscp_required: frozenset[tuple[int, int]] | None = None
    dscp_allowed: frozenset[tuple[int, int]] | None = None
    prio_buffer: tuple[int, ...] | None = None
    buffer_exact: bool = False  # restore: exactly this map; policy: lossless priorities isolated is enough
    dcbx_host: bool | None = None  # OS-controlled DCBX (`dcb dcbx set dev IF host ieee`)
    pause: tuple[bool, bool] | None = None
    pfc_enabled: tuple[int, ...] | None = None
    pfc_delay: int | None = None
    files: list[FileTarget] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def ecn_path(ifname: str, point: str, prio: int) -> str:
    return f"/sys/class/net/{ifname}/ecn/roce_{point}/enable/{prio}"


def configfs_dir(dev: str) -> str:
    return f"/sys/kernel/config/rdma_cm/{dev}"


# ---- from the policy ------------------------------------------------------------------------------


def target_from_policy(policy: Policy, port: PortIntent, host: HostNative, nic: Nic) -> NicTarget:
    t = NicTarget(ifname=nic.ifname, mtu=port.mtu, dcbx_host=True if nic.dcbx is not None else None)
    lossless = tuple(sorted(port.lossless_priorities))
    t.ets = ets_from_policy(policy)
    _dscp(policy, t)
    if nic.buffer is not None:
        t.prio_buffer = tuple(lossless.index(p) + 1 if p in lossless else 0 for p in range(8))
    else:
        t.warnings.append(f"{nic.ifname}: per-priority buffers not supported by the driver; left to the NIC")
    if nic.pause_rx is not None:
        t.pause = (False, False)
    t.pfc_enabled = lossless
    if nic.is_mlx5:
        cable = policy.host.pfc_cable_length or port.cable_m
        if not 0 < cable <= MLX5_MAX_CABLE_M:
            detail = f"{nic.ifname}: mlx5 pfc delay (cable) must be 1..{MLX5_MAX_CABLE_M} m, got {cable}"
            raise DeviceError(host.device, "plan", detail)
        t.pfc_delay = cable
    _ecn_files(policy, lossless, nic, t)
    _roce_files(policy, host, nic, t)
    if policy.host.tcp_ecn is not None and host.tcp_ecn is not None:
        t.files.append(FileTarget("/proc/sys/net/ipv4/tcp_ecn", str(policy.host.tcp_ecn), str(policy.host.tcp_ecn)))
    return t


def ets_from_policy(policy: Policy) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """Priority p -> TC p for every class priority, the rest -> the default class's TC; CNP strict.

    ETS weights are the classes' DWRR weights scaled to 100 % (largest remainder); unused TCs get 0 %.
    """
    by_prio: dict[int, tuple[str, int]] = {}
    for cls in policy.classes:
        if cls.priority in by_prio:
            continue
        strict = cls.cnp or cls.scheduling.type is SchedulingType.strict
        by_prio[cls.priority] = ("strict", 0) if strict else ("ets", cls.scheduling.weight or 1)
    default_tc = policy.default_class.priority
    prio_tc = tuple(p if p in by_prio else default_tc for p in range(8))
    weights = {tc: w for tc, (tsa, w) in by_prio.items() if tsa == "ets"}
    bw = _percentages(weights)
    unused = "ets" if weights else "strict"
    tsa = tuple(by_prio[tc][0] if tc in by_prio else unused for tc in range(8))
    return tsa, tuple(bw.get(tc, 0) for tc in range(8)), prio_tc


def _percentages(weights: dict[int, int]) -> dict[int, int]:
    if not weights:
        return {}
    total = sum(weights.values())
    exact = {tc: 100 * w / total for tc, w in weights.items()}
    out = {tc: int(v) for tc, v in exact.items()}
    for tc in sorted(exact, key=lambda k: (out[k] - exact[k], k))[: 100 - sum(out.values())]:
        out[tc] += 1
    return out


def _dscp(policy: Policy, t: NicTarget) -> None:
    if policy.trust.value != "dscp":
        t.dscp_required, t.dscp_allowed = frozenset(), frozenset()
        return
    table = policy.dscp_to_priority()
    t.dscp_allowed = frozenset(table.items())
    if policy.host.dscp_map == "full":
        t.dscp_required = t.dscp_allowed
    else:
        t.dscp_required = frozenset((d, table[d]) for cls in policy.classes for d in cls.dscp)


def _ecn_files(policy: Policy, lossless: tuple[int, ...], nic: Nic, t: NicTarget) -> None:
    # Default: the lossless priorities; in a lossy profile the RoCE class's (ECN is all it has there).
    protected = policy.congestion_priorities if policy.lossy else lossless
    wanted = {
        "np": set(policy.host.ecn.notification_point if policy.host.ecn.notification_point is not None else protected),
        "rp": set(policy.host.ecn.reaction_point if policy.host.ecn.reaction_point is not None else protected),
    }
    for point, current in (("np", nic.ecn_np), ("rp", nic.ecn_rp)):
        if current is None:
            t.warnings.append(
                f"{nic.ifname}: per-priority ECN (ecn/roce_{point}) not exposed by this driver "
                "(upstream mlx5: firmware ROCE_CC_PRIO_MASK_P1 via mlxconfig); not configured"
            )
            continue
        for p in range(8):
            value = "1" if p in wanted[point] else "0"
            t.files.append(FileTarget(ecn_path(nic.ifname, point, p), value, value))
    _dcqcn_files(policy, nic, t)
    cnp = policy.cnp_class
    if cnp is None:
        return
    if cnp.dscp and nic.cnp_dscp_path is not None:
        t.files.append(FileTarget(nic.cnp_dscp_path, str(cnp.dscp[0]), str(cnp.dscp[0])))
    if nic.cnp_prio_path is not None:
        t.files.append(FileTarget(nic.cnp_prio_path, str(cnp.priority), str(cnp.priority)))
    if nic.cnp_dscp_path is None and nic.cnp_prio_path is None:
        t.warnings.append(
            f"{nic.ifname}: CNP DSCP/priority not readable (MLNX_OFED ecn/roce_np, or upstream debugfs "
            "cc_params which needs passwordless sudo); not configured"
        )


def _dcqcn_files(policy: Policy, nic: Nic, t: NicTarget) -> None:
    """The DCQCN parameters the policy declares, where this NIC exposes them (MLNX_OFED sysfs)."""
    for point, values in policy.host.dcqcn.files().items():
        for name, value in values.items():
            if f"{point}/{name}" not in nic.dcqcn:
                t.warnings.append(f"{nic.ifname}: DCQCN ecn/roce_{point}/{name} not exposed by this driver; not set")
                continue
            t.files.append(FileTarget(dcqcn_path(nic.ifname, point, name), str(value), str(value)))


def _roce_files(policy: Policy, host: HostNative, nic: Nic, t: NicTarget) -> None:
    tos = policy.roce_tos()
    if nic.rdma is None:
        t.warnings.append(f"{nic.ifname}: no RDMA device on this netdev; RoCE ToS/mode not configured")
        return
    dev, port = nic.rdma.device, nic.rdma.port
    key = f"{dev}/{port}"
    base = f"{configfs_dir(dev)}/ports/{port}"
    mkdir = None if key in host.roce_tos or key in host.roce_mode else configfs_dir(dev)
    if tos is not None:
        t.files.append(FileTarget(f"{base}/default_roce_tos", str(tos), str(tos), mkdir))
        if key in host.traffic_class:
            t.files.append(FileTarget(f"/sys/class/infiniband/{dev}/tc/{port}/traffic_class", str(tos), str(tos)))
    t.files.append(FileTarget(f"{base}/default_roce_mode", "RoCE v2", "RoCE v2", mkdir))


# ---- from a snapshot ------------------------------------------------------------------------------


def current_files(host: HostNative, nic: Nic) -> dict[str, str]:
    """Every knob file this NIC exposes, with its normalized value (what FileTarget.expect compares to)."""
    out: dict[str, str] = {}
    for point, flags in (("np", nic.ecn_np), ("rp", nic.ecn_rp)):
        for p, on in (flags or {}).items():
            out[ecn_path(nic.ifname, point, p)] = "1" if on else "0"
    for key, value in nic.dcqcn.items():
        point, _, name = key.partition("/")
        out[dcqcn_path(nic.ifname, point, name)] = str(value)
    if nic.cnp_dscp is not None and nic.cnp_dscp_path:
        out[nic.cnp_dscp_path] = str(nic.cnp_dscp)
    if nic.cnp_prio is not None and nic.cnp_prio_path:
        out[nic.cnp_prio_path] = str(nic.cnp_prio)
    if host.tcp_ecn is not None:
        out["/proc/sys/net/ipv4/tcp_ecn"] = str(host.tcp_ecn)
    if nic.rdma is not None:
        dev, port = nic.rdma.device, nic.rdma.port
        key = f"{dev}/{port}"
        if key in host.roce_tos:
            out[f"{configfs_dir(dev)}/ports/{port}/default_roce_tos"] = str(host.roce_tos[key])
        if key in host.roce_mode:
            out[f"{configfs_dir(dev)}/ports/{port}/default_roce_mode"] = host.roce_mode[key]
        if key in host.traffic_class:
            tclass = host.traffic_class[key]
            out[f"/sys/class/infiniband/{dev}/tc/{port}/traffic_class"] = "" if tclass is None else str(tclass)
    return out


def target_from_snapshot(host: HostNative, nic: Nic, touched: set[str]) -> NicTarget:
    """The before state of the parts a failed apply touched (`touched` = op kinds and file paths)."""
    t = NicTarget(ifname=nic.ifname)
    if "mtu" in touched and nic.link is not None:
        t.mtu = nic.link.mtu
    if "ets" in touched and nic.ets is not None:
        # `dcb` wants 0 % on non-ETS TCs (it validates the sum); mlx5 reads 100 % back for them anyway.
        bw = tuple(b if tsa == "ets" else 0 for b, tsa in zip(nic.ets.bw, nic.ets.tsa, strict=True))
        t.ets = (nic.ets.tsa, bw, nic.ets.prio_tc)
    if touched & {"app_replace", "app_del"} and nic.app is not None:
        t.dscp_required = t.dscp_allowed = nic.app.dscp
    if "buffer" in touched and nic.buffer is not None:
        t.prio_buffer, t.buffer_exact = nic.buffer.prio_buffer, True
    if "pause" in touched and nic.pause_rx is not None and nic.pause_tx is not None:
        t.pause = (nic.pause_rx, nic.pause_tx)
    if "pfc" in touched and nic.pfc is not None:
        t.pfc_enabled, t.pfc_delay = nic.pfc.enabled, nic.pfc.delay
    for path, value in current_files(host, nic).items():
        if path in touched:
            write = "tclass=-1" if path.endswith("traffic_class") and value == "" else value
            t.files.append(FileTarget(path, write, value))
    return t
