"""Per-NIC state of the host twin: link, DCB (pfc/ets/app/buffer/dcbx), ECN knobs, RoCE ToS, counters.

Hundreds of host twins share one process, so everything that is the same on every fresh NIC (ETS
defaults, the firmware DSCP map, DCQCN parameters) is an immutable module-level value that NICs point
at until they are changed (copy on write). Counters are allocated only once traffic flows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from rocelab.twin import TwinNic

MLX5: Final = "mlx5_core"
VETH: Final = "veth"
BNXT: Final = "bnxt_en"
DRIVERS: Final = (MLX5, VETH, BNXT)

# DCBX capability bits (<linux/dcbnl.h> DCB_CAP_DCBX_*).
DCBX_HOST: Final = 0x01
DCBX_LLD_MANAGED: Final = 0x02
DCBX_CEE: Final = 0x04
DCBX_IEEE: Final = 0x08
DCBX_STATIC: Final = 0x10

# TSA codes of struct ieee_ets.
TSA_STRICT: Final = 0
TSA_CBS: Final = 1
TSA_ETS: Final = 2
TSA_VENDOR: Final = 255

# APP selectors.
SEL_ETHERTYPE: Final = 1
SEL_STREAM: Final = 2
SEL_DGRAM: Final = 3
SEL_ANY: Final = 4
SEL_DSCP: Final = 5
SEL_PCP: Final = 255

MLX5_DEFAULT_CABLE_M: Final = 7  # MLX5E_DEFAULT_CABLE_LEN
MLX5_MAX_CABLE_M: Final = 1000  # MLX5E_MAX_CABLE_LENGTH (exclusive)
MLX5_MAX_MTU: Final = 9978
MIN_MTU: Final = 68
BUFFER_CELL: Final = 128  # mlx5 port buffer granularity (bytes)
PORT_BUFFER_TOTAL: Final = 1048576  # reported total_size (reference §1.6 example)

App = tuple[int, int, int]  # (selector, protocol, priority)


@dataclass(frozen=True, slots=True)
class Ets:
    """struct ieee_ets as the driver reports it."""

    willing: int = 0
    ets_cap: int = 8
    cbs: int = 0
    tc_bw: tuple[int, ...] = (100,) * 8
    pg_bw: tuple[int, ...] = (0,) * 8
    tc_tsa: tuple[int, ...] = (TSA_VENDOR,) * 8
    prio_tc: tuple[int, ...] = (1, 0, 2, 3, 4, 5, 6, 7)
    reco_tc_bw: tuple[int, ...] = (0,) * 8
    reco_tc_tsa: tuple[int, ...] = (TSA_STRICT,) * 8
    reco_prio_tc: tuple[int, ...] = (0,) * 8


MLX5_DEFAULT_ETS: Final = Ets()  # mlx5e_ets_init: vendor TSA, 100 %, prio0->tc1, prio1->tc0
BNXT_DEFAULT_ETS: Final = Ets(
    willing=0,
    ets_cap=3,
    tc_bw=(100,) + (0,) * 7,
    tc_tsa=(TSA_ETS,) + (TSA_STRICT,) * 7,
    prio_tc=(0,) * 8,
)
FW_DSCP2PRIO: Final = tuple(d >> 3 for d in range(64))  # firmware default map prio = dscp >> 3

# MLNX_OFED /sys/class/net/IF/ecn/roce_rp parameters with the firmware defaults (reference §3.3).
RP_PARAM_DEFAULTS: Final = {
    "clamp_tgt_rate": 0,
    "clamp_tgt_rate_after_time_inc": 1,
    "rpg_time_reset": 300,
    "rpg_byte_reset": 32767,
    "rpg_threshold": 1,
    "rpg_max_rate": 0,
    "rpg_ai_rate": 5,
    "rpg_hai_rate": 50,
    "rpg_gd": 11,
    "rpg_min_dec_fac": 50,
    "rpg_min_rate": 1,
    "rate_to_set_on_first_cnp": 0,
    "dce_tcp_g": 1019,
    "dce_tcp_rtt": 1,
    "rate_reduce_monitor_period": 4,
    "initial_alpha_value": 1023,
}
NP_PARAM_DEFAULTS: Final = {"min_time_between_cnps": 4, "cnp_dscp": 48, "cnp_802p_prio": 6}


@dataclass(slots=True)
class Nic:
    """Mutable state of one NIC; arrays are tuples replaced on write so defaults stay shared."""

    netdev: str
    rdma_device: str | None
    speed_mbps: int
    driver: str
    ifindex: int
    rdma_index: int
    mac: str
    pci: str
    ipv4: str | None = None  # the netdev's address: ib_core adds RoCE v1/v2 GIDs for it (rocelab.host.gids)
    mtu: int = 1500
    admin_up: bool = True
    flap_until: float = 0.0  # clock value until which the carrier is down (PFC change toggles the link)
    flap_commands_left: int = 0  # logical-clock flap: commands until the carrier returns
    link_down_events: int = 0
    # DCB
    pfc_en: int = 0
    pfc_delay: int = MLX5_DEFAULT_CABLE_M
    ets: Ets = MLX5_DEFAULT_ETS
    apps: tuple[App, ...] = ()
    dscp2prio: tuple[int, ...] = FW_DSCP2PRIO
    trust_dscp: bool = False
    manual_buffer: bool = False
    prio_buffer: tuple[int, ...] = (0,) * 8
    buffer_size: tuple[int, ...] = (0,) * 8
    maxrate: tuple[int, ...] = (0,) * 8
    dcbx: int = DCBX_CEE | DCBX_IEEE
    # ECN (MLNX_OFED sysfs layout), bitmask per priority
    ecn_np: int = 0xFF
    ecn_rp: int = 0xFF
    np_params: dict[str, int] = field(default_factory=lambda: NP_PARAM_DEFAULTS)  # copied on first write
    rp_params: dict[str, int] = field(default_factory=lambda: RP_PARAM_DEFAULTS)  # copied on first write
    # RoCE ToS
    traffic_class: int | None = None  # /sys/class/infiniband/DEV/tc/1/traffic_class (None = unset)
    roce_tos: int = 0  # configfs rdma_cm default_roce_tos
    roce_mode: str = "RoCE v2"
    cm_dir: bool = False  # /sys/kernel/config/rdma_cm/DEV created
    pause_rx: bool = True
    pause_tx: bool = True
    # counter model
    traffic: str = "idle"
    counters: dict[str, int] | None = None
    counted_tick: int = 0

    @property
    def has_dcb(self) -> bool:
        return self.driver != VETH

    @property
    def has_rdma(self) -> bool:
        return self.driver != VETH and self.rdma_device is not None

    @property
    def fw_lldp(self) -> bool:
        """bnxt: the firmware LLDP/DCBX agent owns the port, host writes are refused."""
        return self.driver == BNXT and bool(self.dcbx & DCBX_LLD_MANAGED)

    def app_dscp_entries(self) -> list[App]:
        return [a for a in self.apps if a[0] == SEL_DSCP]

    def set_np_param(self, name: str, value: int) -> None:
        if self.np_params is NP_PARAM_DEFAULTS:
            self.np_params = dict(NP_PARAM_DEFAULTS)
        self.np_params[name] = value

    def set_rp_param(self, name: str, value: int) -> None:
        if self.rp_params is RP_PARAM_DEFAULTS:
            self.rp_params = dict(RP_PARAM_DEFAULTS)
        self.rp_params[name] = value

    def roce_dscp(self) -> int:
        """DSCP of RoCE traffic: the global traffic_class override wins over the RDMA-CM default ToS."""
        tos = self.traffic_class if self.traffic_class is not None else self.roce_tos
        return tos >> 2

    def roce_priority(self) -> int:
        """Priority RoCE packets land on: DSCP map under DSCP trust, else PCP 0 (untagged)."""
        return self.dscp2prio[self.roce_dscp()] if self.trust_dscp else 0

    def cnp_priority(self) -> int:
        return self.np_params["cnp_802p_prio"]

    def current_buffer(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """prio2buffer and buffer sizes; in auto mode derived from PFC, cable length and MTU like mlx5."""
        if self.manual_buffer:
            return self.prio_buffer, self.buffer_size
        lossless = [p for p in range(8) if self.pfc_en & (1 << p)]
        prio_buffer = tuple(1 if p in lossless else 0 for p in range(8))
        sizes = [0] * 8
        sizes[0] = 130944
        if lossless:
            sizes[1] = _headroom_bytes(self.speed_mbps, self.pfc_delay, self.mtu)
        return prio_buffer, tuple(sizes)


def _headroom_bytes(speed_mbps: int, cable_m: int, mtu: int) -> int:
    """Rough lossless buffer: base plus round-trip cable bytes and two MTUs, in 128-byte cells."""
    cable_bytes = 2 * cable_m * 5 * speed_mbps // 8000  # 5 ns/m, Mb/s -> bytes
    size = 130944 - 2 * 1500 - 2 * 7 * 5 * 400_000 // 8000 + cable_bytes + 2 * mtu
    return max(BUFFER_CELL, size // BUFFER_CELL * BUFFER_CELL)


def lab_ipv4(index: int, host_seed: int) -> str:
    """The address of a host's NIC `index` (10.200+index.x.y, unique per host): its RoCE GIDs embed it."""
    return f"10.{200 + index}.{((host_seed + 1) >> 8) & 0xFF}.{(host_seed + 1) & 0xFF}"


def new_nic(spec: TwinNic, index: int, host_seed: int) -> Nic:
    """A NIC in its power-on state for its driver."""
    if spec.driver not in DRIVERS:
        raise ValueError(f"unknown NIC driver {spec.driver!r}; allowed: {', '.join(DRIVERS)}")
    tag = (host_seed * 131 + index * 17) & 0xFFFF
    nic = Nic(
        netdev=spec.netdev,
        rdma_device=spec.rdma_device if spec.driver != VETH else None,
        speed_mbps=spec.speed_mbps,
        driver=spec.driver,
        ifindex=index + 2,  # 1 is lo
        rdma_index=index,
        mac=f"b8:ce:f6:{tag >> 8:02x}:{tag & 0xFF:02x}:{index * 2:02x}",
        pci=f"0000:{0x3B + index:02x}:00.0",
        ipv4=lab_ipv4(index, host_seed),
    )
    if spec.driver == BNXT:
        nic.ets = BNXT_DEFAULT_ETS
        nic.dcbx = DCBX_LLD_MANAGED | DCBX_IEEE
        nic.pfc_delay = 0
    elif spec.driver == VETH:
        nic.pause_rx = nic.pause_tx = False
    return nic
