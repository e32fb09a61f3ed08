"""DeviceState: the vendor-neutral, observed state of one device — the spine of the design.

Every platform adapter (SONiC, RDMA host, later EOS/Cumulus) normalizes its native state into these
models, and every check is written once against them. Fields are Optional where a platform cannot
report them; `None` means "not readable on this device", never "zero" or "disabled".

Vocabulary: a *priority* is the 802.1p / internal traffic class a packet is assigned (switch: TC from
DSCP_TO_TC_MAP; host: priority from the `dcb app` DSCP table). A *queue* is the egress queue (switch:
TC_TO_QUEUE_MAP; host: ETS traffic class from `prio-tc`).
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceKind(str, Enum):
    switch = "switch"
    host = "host"


class TrustMode(str, Enum):
    dscp = "dscp"
    pcp = "pcp"
    none = "none"


class EcnState(Model):
    """ECN/WRED marking on one egress queue, thresholds in bytes."""

    profile: str | None = None
    enabled: bool = False  # ECN marking really on (switch: ecn != ecn_none and wred_green_enable true)
    min_threshold: int | None = None
    max_threshold: int | None = None
    probability: int | None = None
    mode: str | None = None  # SONiC `ecn` field, e.g. ecn_all


class SchedulerState(Model):
    name: str | None = None
    type: Literal["strict", "dwrr", "wrr", "ets", "vendor"] | None = None
    weight: int | None = None  # DWRR weight or ETS bandwidth percent


class QueueState(Model):
    index: int
    scheduler: SchedulerState | None = None
    ecn: EcnState | None = None
    watchdog_status: Literal["operational", "stormed"] | None = None


class BufferProfileState(Model):
    name: str
    pool: str | None = None
    size: int | None = None
    xon: int | None = None
    xoff: int | None = None
    xon_offset: int | None = None
    dynamic_th: int | None = None
    static_th: int | None = None


class PriorityGroupState(Model):
    """One ingress PG range as configured (CONFIG_DB) and as programmed (APPL_DB / driver)."""

    key: str  # e.g. "3-4" or "3"
    priorities: list[int]
    configured_profile: str | None = None  # "NULL" on the dynamic model
    programmed: BufferProfileState | None = None  # what the data plane really uses; None if absent


class WatchdogState(Model):
    """PFC watchdog on one port (switch) — timers in ms."""

    present: bool = False
    action: str | None = None
    detection_time: int | None = None
    restoration_time: int | None = None
    poll_interval: int | None = None
    priorities: list[int] = Field(default_factory=list)  # pfcwd_sw_enable


class PortCounters(Model):
    """Monotonic counters read at one instant; checks compare two reads (deltas)."""

    pfc_rx: dict[int, int] = Field(default_factory=dict)  # priority -> PFC frames received
    pfc_tx: dict[int, int] = Field(default_factory=dict)  # priority -> PFC frames sent
    queue_drops: dict[int, int] = Field(default_factory=dict)
    queue_packets: dict[int, int] = Field(default_factory=dict)
    ecn_marked: dict[int, int] = Field(default_factory=dict)
    pg_drops: dict[int, int] = Field(default_factory=dict)
    pg_headroom_watermark: dict[int, int] = Field(default_factory=dict)
    watchdog_storms: dict[int, int] = Field(default_factory=dict)  # queue -> storms detected
    extra: dict[str, int] = Field(default_factory=dict)  # platform counters, e.g. mlx5 rx_prio3_discards


class GidState(Model):
    """One populated entry of an RDMA port's GID table (sysfs gids/N, gid_attrs/types/N, ndevs/N)."""

    index: int
    type: str  # "RoCE v2" | "IB/RoCE v1"
    gid: str  # as sysfs prints it: 8 groups of 4 hex digits
    ndev: str | None = None

    @property
    def ipv4_mapped(self) -> bool:
        return self.gid.startswith("0000:0000:0000:0000:0000:ffff:")

    @property
    def link_local(self) -> bool:
        return self.gid.startswith("fe80:0000:0000:0000:")

    @property
    def family(self) -> Literal["ipv4", "ipv6"]:
        return "ipv4" if self.ipv4_mapped else "ipv6"


class NcclConfState(Model):
    """/etc/nccl.conf as NCCL reads it (first line of a key wins; see agent.policy.nccl)."""

    path: str = "/etc/nccl.conf"
    present: bool
    settings: dict[str, str] = Field(default_factory=dict)  # the effective value per key
    shadowed: dict[str, list[str]] = Field(default_factory=dict)  # later values of a key NCCL ignores
    malformed: list[str] = Field(default_factory=list)  # lines NCCL reads under another name ("KEY = v")


class NicState(Model):
    """Host-NIC-only facts (mlx5 and friends)."""

    driver: str | None = None
    firmware: str | None = None
    dcb_supported: bool = True
    dcbx_owner: Literal["host", "firmware", "unknown"] | None = None
    pfc_delay: int | None = None  # raw `dcb pfc` delay (mlx5: cable metres)
    pfc_cap: int | None = None
    buffer_size: dict[int, int] = Field(default_factory=dict)  # buffer index -> bytes
    prio_buffer: dict[int, int] = Field(default_factory=dict)  # priority -> buffer index
    ecn_np: dict[int, bool] = Field(default_factory=dict)  # priority -> notification point enabled
    ecn_rp: dict[int, bool] = Field(default_factory=dict)  # priority -> reaction point enabled
    cnp_dscp: int | None = None
    cnp_priority: int | None = None
    dcqcn: dict[str, int] = Field(default_factory=dict)  # "rp/rpg_time_reset" -> value (ecn/roce_rp|np files)
    roce_tos: int | None = None
    roce_mode: str | None = None
    rdma_device: str | None = None
    rdma_state: str | None = None  # ACTIVE, DOWN ...
    rdma_physical_state: str | None = None
    roce_mtu: int | None = None  # RoCE path MTU the port gets: largest IB MTU <= netdev MTU - 96 (ib_addr.h)
    global_pause_rx: bool | None = None
    global_pause_tx: bool | None = None
    tcp_ecn: int | None = None
    rdma_counters: dict[str, int] = Field(default_factory=dict)
    gids: list[GidState] | None = None  # populated GID table entries of the RDMA port; None = not read


class PortState(Model):
    name: str
    admin_up: bool | None = None
    oper_up: bool | None = None
    speed_mbps: int | None = None
    mtu: int | None = None
    cable_m: int | None = None  # None = not configured; 0 = SONiC's "0m" (no lossless headroom)
    trust: TrustMode | None = None
    dscp_to_priority: dict[int, int] = Field(default_factory=dict)  # switch: DSCP->TC; host: dcb app
    pcp_to_priority: dict[int, int] = Field(default_factory=dict)
    priority_to_pg: dict[int, int] = Field(default_factory=dict)  # switch TC->PG
    priority_to_queue: dict[int, int] = Field(default_factory=dict)  # switch TC->queue; host prio->TC
    pfc_priority_to_queue: dict[int, int] = Field(default_factory=dict)
    lossless_priorities: list[int] = Field(default_factory=list)  # pfc_enable / prio_pfc
    pfc_asym: bool | None = None
    priority_groups: list[PriorityGroupState] = Field(default_factory=list)
    queues: dict[int, QueueState] = Field(default_factory=dict)
    watchdog: WatchdogState | None = None
    counters: PortCounters | None = None
    nic: NicState | None = None  # hosts only
    max_headroom_size: int | None = None  # per-port headroom budget (SONiC STATE_DB BUFFER_MAX_PARAM_TABLE)
    lanes: int | None = None  # SerDes lanes of the port (SONiC PORT.lanes count): 8-lane ports need more headroom
    vlans: list[int] = Field(default_factory=list)  # L2 VLAN membership (SONiC VLAN_MEMBER); [] = routed port
    # VRFs the port's traffic is routed in: its own L3 interface (SONiC INTERFACE) and those of its VLANs
    # (VLAN_INTERFACE), "default" where no vrf_name is set; [] = no L3 interface
    vrfs: list[str] = Field(default_factory=list)


class LosslessTraffic(Model):
    """Switch-wide inputs of SONiC's dynamic headroom formula (CONFIG_DB LOSSLESS_TRAFFIC_PATTERN,
    DEFAULT_LOSSLESS_BUFFER_PARAMETER, BUFFER_POOL ingress_lossless_pool xoff)."""

    lossless_mtu: int = 1024
    small_packet_percentage: float = 50
    shared_headroom_pool: bool = False


class LoadBalancingState(Model):
    """A switch's ECMP/LAG hashing as configured and as the forwarding daemon runs it.

    Lists are None when not configured (the ASIC's default hash, which the agent cannot know) and
    `supported_*` None when the switch does not publish its capability."""

    ecmp_hash: list[str] | None = None
    lag_hash: list[str] | None = None
    ecmp_hash_algorithm: str | None = None
    lag_hash_algorithm: str | None = None
    ecmp_hash_seed: int | None = None  # SONiC APPL_DB SWITCH_TABLE:switch (set at swss start)
    lag_hash_seed: int | None = None
    ecmp_hash_offset: int | None = None
    device_type: str | None = None  # SONiC DEVICE_METADATA type: what the seeds derive from
    supported_fields: list[str] | None = None
    supported_ecmp_algorithms: list[str] | None = None
    adaptive_routing_supported: bool = False  # the platform publishes an adaptive routing capability
    adaptive_routing_ports: list[str] = Field(default_factory=list)  # ports with adaptive routing on


class DeviceState(Model):
    """Everything checks need about one device, read in one gather."""

    name: str
    kind: DeviceKind
    platform: str  # "sonic", "linux-rdma", ...
    os_version: str | None = None
    hostname: str | None = None
    ports: dict[str, PortState] = Field(default_factory=dict)
    buffer_model: Literal["traditional", "dynamic"] | None = None
    hardware_platform: str | None = None  # e.g. x86_64-nvidia_sn5600-r0 (SONiC DEVICE_METADATA platform)
    lossless_traffic: LosslessTraffic | None = None  # None: not declared on the device (traditional model)
    buffer_profiles: dict[str, BufferProfileState] = Field(default_factory=dict)  # as configured
    buffer_pool_sizes: dict[str, int] = Field(default_factory=dict)  # BUFFER_POOL name -> size in bytes
    watchdog_poll_interval: int | None = None  # SONiC PFC_WD|GLOBAL POLL_INTERVAL
    default_pfcwd_status: str | None = None
    vrfs: list[str] | None = None  # VRFs declared on the device (SONiC VRF table); None = not read
    config_saved: bool | None = None  # running == startup, where readable
    tool_versions: dict[str, str] = Field(default_factory=dict)  # e.g. {"iproute2": "6.1.0"}
    gathered_at: float | None = None  # unix time of the read
    read_path: str | None = None  # how the device was read, e.g. SONiC "redis" (one EVAL) or "show (why)"
    raw_errors: list[str] = Field(default_factory=list)  # partial-read problems, surfaced as findings
    load_balancing: LoadBalancingState | None = None  # None: not readable (hosts, older gathers)
    nccl: NcclConfState | None = None  # hosts: /etc/nccl.conf; None = not read
