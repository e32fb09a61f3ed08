"""The host's native state as parsed from one gather: what `dcb`, `rdma`, `ip`, `ethtool` and sysfs said.

Kept close to the tools' own vocabulary (prio_pfc, tc_tsa, prio_tc ...) so that plan and apply can diff
and restore it exactly; `normalize` turns it into the vendor-neutral DeviceState for checks.
`None` always means "could not be read", never "off".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.state import GidState


@dataclass(frozen=True)
class Problem:
    """A read that failed, classified so the operator knows what to do."""

    # no_dcb | fw_lldp | no_rdma | tool_missing | tool_too_old | permission | no_device | not_supported | other
    kind: str
    interface: str | None
    command: str
    message: str

    def __str__(self) -> str:
        where = f"{self.interface}: " if self.interface else ""
        return f"{where}{self.message}"


@dataclass(frozen=True)
class Pfc:
    cap: int | None
    enabled: tuple[int, ...]
    delay: int | None
    macsec_bypass: bool | None = None
    requests: tuple[int, ...] = ()  # PFC frames sent per priority
    indications: tuple[int, ...] = ()  # PFC frames received per priority


@dataclass(frozen=True)
class Ets:
    tsa: tuple[str, ...]
    bw: tuple[int, ...]
    prio_tc: tuple[int, ...]
    willing: bool | None = None
    ets_cap: int | None = None


@dataclass(frozen=True)
class App:
    dscp: frozenset[tuple[int, int]]  # (dscp, priority); the kernel may hold several priorities per DSCP
    default_prio: tuple[int, ...] = ()
    other: tuple[str, ...] = ()  # selectors present besides dscp (ethtype_prio, dgram_port_prio, ...)


@dataclass(frozen=True)
class Buffer:
    prio_buffer: tuple[int, ...]
    buffer_size: tuple[int, ...]
    total_size: int | None


@dataclass(frozen=True)
class Link:
    ifname: str
    ifindex: int | None
    mtu: int | None
    operstate: str | None
    admin_up: bool
    carrier: bool
    kind: str | None  # linkinfo info_kind: veth, vlan, bond ... None for a physical netdev
    parent: str | None  # lower device of a vlan/macvlan ("link")


@dataclass(frozen=True)
class RdmaLink:
    device: str
    port: int
    state: str | None
    physical_state: str | None
    netdev: str | None


@dataclass(frozen=True)
class RdmaDev:
    device: str
    node_type: str | None
    protocol: str | None
    firmware: str | None


@dataclass
class Nic:
    """One interface named by the intent (the RDMA netdev, ideally the PF)."""

    ifname: str
    link: Link | None = None
    pfc: Pfc | None = None
    ets: Ets | None = None
    app: App | None = None
    buffer: Buffer | None = None
    dcbx: frozenset[str] | None = None
    driver: str | None = None
    firmware: str | None = None
    bus_info: str | None = None
    pause_rx: bool | None = None
    pause_tx: bool | None = None
    ethtool_stats: dict[str, int] = field(default_factory=dict)
    carrier_changes: int | None = None
    ecn_np: dict[int, bool] | None = None
    ecn_rp: dict[int, bool] | None = None
    cnp_dscp: int | None = None
    cnp_prio: int | None = None
    cnp_dscp_path: str | None = None  # where they were read: MLNX_OFED sysfs or upstream debugfs
    cnp_prio_path: str | None = None
    dcqcn: dict[str, int] = field(default_factory=dict)  # "rp/rpg_time_reset" -> value (MLNX_OFED sysfs)
    rdma: RdmaLink | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def dcb_supported(self) -> bool:
        return not any(p.kind in ("no_dcb", "no_device") for p in self.problems)

    @property
    def is_mlx5(self) -> bool:
        if self.driver:
            return self.driver.startswith("mlx5")
        return bool(self.rdma and self.rdma.device.startswith("mlx5_"))


@dataclass
class HostNative:
    device: str
    kernel: str | None = None
    tool_versions: dict[str, str] = field(default_factory=dict)
    nics: dict[str, Nic] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    rdma_links: list[RdmaLink] = field(default_factory=list)
    rdma_devs: dict[str, RdmaDev] = field(default_factory=dict)
    rdma_stats: dict[str, dict[str, int]] = field(default_factory=dict)  # "mlx5_0/1" -> counters
    roce_tos: dict[str, int] = field(default_factory=dict)  # "mlx5_0/1" -> configfs default_roce_tos
    roce_mode: dict[str, str] = field(default_factory=dict)  # "mlx5_0/1" -> configfs default_roce_mode
    traffic_class: dict[str, int | None] = field(default_factory=dict)  # "mlx5_0/1" -> OFED Global tclass
    tcp_ecn: int | None = None
    lldpad_running: bool | None = None
    hostname: str | None = None  # `uname -n`: who answered (checked against the inventory before writes)
    problems: list[Problem] = field(default_factory=list)  # host-wide (tools, RDMA core)
    gathered_at: float | None = None
    nccl_conf: str | None = None  # /etc/nccl.conf as read; None = absent (if nccl_conf_read) or unknown
    nccl_conf_read: bool = False
    gids: dict[str, list[GidState]] | None = None  # "mlx5_0/1" -> populated GID entries; None = not read
