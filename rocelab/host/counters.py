"""Deterministic traffic model behind `ethtool -S`, `dcb -s pfc` and `rdma statistic`.

One command run by the twin is one tick of the logical clock. Counters are advanced lazily (when read or
before the configuration changes) by `advance`, using the configuration in force: RoCE lands on the
priority its DSCP maps to, pause frames only exist on PFC-enabled priorities, a priority without PFC
drops under incast, and ECN/CNP counters only move where the NP/RP is enabled. Counters never decrease.
"""

from __future__ import annotations

from typing import Final

from rocelab.host.nic import BNXT, MLX5, Nic

PATTERNS: Final = ("idle", "steady", "incast", "storm")

RDMA_COUNTERS: Final = (
    "rx_write_requests",
    "rx_read_requests",
    "rx_atomic_requests",
    "rx_dct_connect",
    "out_of_buffer",
    "out_of_sequence",
    "duplicate_request",
    "rnr_nak_retry_err",
    "packet_seq_err",
    "implied_nak_seq_err",
    "local_ack_timeout_err",
    "resp_local_length_error",
    "resp_cqe_error",
    "req_cqe_error",
    "req_remote_invalid_request",
    "req_remote_access_errors",
    "resp_remote_access_errors",
    "resp_cqe_flush_error",
    "req_cqe_flush_error",
    "req_transport_retries_exceeded",
    "req_rnr_retries_exceeded",
    "roce_adp_retrans",
    "roce_adp_retrans_to",
    "roce_slow_restart",
    "roce_slow_restart_cnps",
    "roce_slow_restart_trans",
    "rp_cnp_ignored",
    "rp_cnp_handled",
    "np_ecn_marked_roce_packets",
    "np_cnp_sent",
    "rx_icrc_encapsulated",
)

_MLX5_HEAD: Final = (
    "rx_packets",
    "rx_bytes",
    "tx_packets",
    "tx_bytes",
    "rx_ecn_mark",
    "rx_out_of_buffer",
    "rx_packets_phy",
    "rx_bytes_phy",
    "tx_packets_phy",
    "tx_bytes_phy",
    "rx_crc_errors_phy",
    "rx_out_of_range_len_phy",
    "rx_oversize_pkts_phy",
    "rx_symbol_err_phy",
    "rx_discards_phy",
    "rx_corrected_bits_phy",
    "rx_pcs_symbol_err_phy",
    "link_down_events_phy",
    "rx_pause_ctrl_phy",
    "tx_pause_ctrl_phy",
    "rx_buffer_passed_thres_phy",
    "outbound_pci_buffer_overflow",
    "outbound_pci_stalled_rd",
    "outbound_pci_stalled_wr",
    "outbound_pci_stalled_rd_events",
    "outbound_pci_stalled_wr_events",
    "dev_out_of_buffer",
)
_MLX5_PRIO_TRAFFIC: Final = (
    "rx_prio{p}_bytes",
    "rx_prio{p}_packets",
    "rx_prio{p}_discards",
    "tx_prio{p}_bytes",
    "tx_prio{p}_packets",
    "rx_prio{p}_buf_discard",
    "rx_prio{p}_cong_discard",
    "rx_prio{p}_marked",
)
_MLX5_PRIO_PFC: Final = (
    "rx_prio{p}_pause",
    "rx_prio{p}_pause_duration",
    "tx_prio{p}_pause",
    "tx_prio{p}_pause_duration",
    "rx_prio{p}_pause_transition",
)
_MLX5_GLOBAL_PAUSE: Final = (
    "rx_global_pause",
    "rx_global_pause_duration",
    "tx_global_pause",
    "tx_global_pause_duration",
    "rx_global_pause_transition",
)
_MLX5_STORM: Final = ("tx_pause_storm_warning_events", "tx_pause_storm_error_events")
_BNXT_NAMES: Final = (
    "rx_ucast_packets",
    "rx_bytes",
    "tx_ucast_packets",
    "tx_bytes",
    "rx_discards",
    "rx_total_discard_pkts",
    "rx_pause_frames",
    "tx_pause_frames",
    *(f"rx_pfc_ena_frames_pri{p}" for p in range(8)),
    *(f"tx_pfc_ena_frames_pri{p}" for p in range(8)),
    *(f"rx_discard_packets_cos{p}" for p in range(8)),
    "link_down_events",
)
VETH_NAMES: Final = (
    "peer_ifindex",
    "rx_queue_0_xdp_packets",
    "rx_queue_0_xdp_bytes",
    "rx_queue_0_drops",
    "rx_queue_0_xdp_redirect",
    "rx_queue_0_xdp_drops",
    "rx_queue_0_xdp_tx",
    "rx_queue_0_xdp_tx_errors",
    "tx_queue_0_xdp_xmit",
    "tx_queue_0_xdp_xmit_errors",
)


def ethtool_names(nic: Nic) -> list[str]:
    """Counter names `ethtool -S` lists now; mlx5 shows pause counters only for enabled PFC/pause."""
    if nic.driver == BNXT:
        return list(_BNXT_NAMES)
    if nic.driver != MLX5:
        return list(VETH_NAMES)
    names = list(_MLX5_HEAD)
    for p in range(8):
        names.extend(n.format(p=p) for n in _MLX5_PRIO_TRAFFIC)
    if nic.pause_rx or nic.pause_tx:
        names.extend(_MLX5_GLOBAL_PAUSE)
    for p in range(8):
        if nic.pfc_en & (1 << p):
            names.extend(n.format(p=p) for n in _MLX5_PRIO_PFC)
    if nic.pfc_en or nic.pause_rx or nic.pause_tx:
        names.extend(_MLX5_STORM)
    return names


def value(nic: Nic, name: str) -> int:
    return nic.counters.get(name, 0) if nic.counters else 0


def pfc_requests(nic: Nic) -> list[int]:
    """PFC frames sent per priority (= tx_prio{p}_pause), as dcbnl reports them."""
    return [value(nic, f"tx_prio{p}_pause") for p in range(8)]


def pfc_indications(nic: Nic) -> list[int]:
    return [value(nic, f"rx_prio{p}_pause") for p in range(8)]


def _jitter(seed: int, tick: int, salt: int, span: int) -> int:
    """Small deterministic noise so counters do not look synthetic; same inputs, same value."""
    return ((seed * 2654435761 + tick * 40503 + salt * 97) >> 3) % span


class _Delta:
    """Accumulates increments for one advance and applies them in one go."""

    def __init__(self, nic: Nic, ticks: int, seed: int, tick: int) -> None:
        self.nic, self.ticks, self.seed, self.tick = nic, ticks, seed, tick
        self.add: dict[str, int] = {}

    def bump(self, name: str, per_tick: int) -> None:
        if per_tick <= 0:
            return
        amount = per_tick * self.ticks + _jitter(self.seed, self.tick, len(name) + len(self.add), 1 + per_tick // 10)
        self.add[name] = self.add.get(name, 0) + amount

    def apply(self) -> None:
        if not self.add:
            return
        if self.nic.counters is None:
            self.nic.counters = {}
        for name, amount in self.add.items():
            self.nic.counters[name] = self.nic.counters.get(name, 0) + amount


def advance(nic: Nic, to_tick: int, seed: int, link_up: bool) -> None:
    """Move the counters of one NIC forward to `to_tick` under its current traffic and configuration."""
    ticks = to_tick - nic.counted_tick
    nic.counted_tick = to_tick
    if ticks <= 0 or nic.traffic == "idle" or not link_up:
        return
    if nic.driver == BNXT:
        _advance_bnxt(nic, ticks, seed, to_tick)
        return
    if nic.driver != MLX5:
        return  # veth: no RoCE, no PFC
    d = _Delta(nic, ticks, seed, to_tick)
    prio = nic.roce_priority()
    pkts = max(1, nic.speed_mbps // 40)  # packets per tick at a steady half-line-rate load
    size = min(nic.mtu, 4096) + 58
    _traffic(d, prio, pkts, size)
    if nic.traffic == "incast":
        _incast(d, nic, prio, pkts)
    elif nic.traffic == "storm":
        _storm(d, nic, prio, pkts)
    d.apply()


def _traffic(d: _Delta, prio: int, pkts: int, size: int) -> None:
    for direction in ("rx", "tx"):
        d.bump(f"{direction}_prio{prio}_packets", pkts)
        d.bump(f"{direction}_prio{prio}_bytes", pkts * size)
        d.bump(f"{direction}_packets_phy", pkts)
        d.bump(f"{direction}_bytes_phy", pkts * size)
    d.bump("rx_write_requests", pkts // 2)
    d.bump("rx_read_requests", pkts // 50)


def _incast(d: _Delta, nic: Nic, prio: int, pkts: int) -> None:
    """Many senders into this host: CE marks arrive, the switch or the NIC must pause or drop."""
    marked = pkts // 20
    bit = 1 << prio
    d.bump(f"rx_prio{prio}_marked", marked)
    if nic.ecn_np & bit:
        d.bump("np_ecn_marked_roce_packets", marked)
        cnps = marked // 2
        d.bump("np_cnp_sent", cnps)
        d.bump(f"tx_prio{nic.cnp_priority()}_packets", cnps)
    if nic.ecn_rp & bit:
        d.bump("rp_cnp_handled", marked // 3)
        d.bump(f"rx_prio{nic.cnp_priority()}_packets", marked // 3)
    if nic.pfc_en & bit:
        d.bump(f"rx_prio{prio}_pause", pkts // 100)
        d.bump(f"rx_prio{prio}_pause_duration", pkts // 10)
        d.bump(f"rx_prio{prio}_pause_transition", pkts // 200)
        d.bump(f"tx_prio{prio}_pause", pkts // 1000)
        d.bump(f"tx_prio{prio}_pause_duration", pkts // 5000)
        d.bump("rx_buffer_passed_thres_phy", 1)
        return
    drops = pkts // 50
    d.bump("rx_discards_phy", drops)
    d.bump(f"rx_prio{prio}_discards", drops)
    d.bump(f"rx_prio{prio}_buf_discard", drops)
    d.bump("out_of_sequence", drops // 4)
    d.bump("packet_seq_err", drops // 8)
    d.bump("local_ack_timeout_err", max(1, drops // 1000))
    d.bump("roce_adp_retrans", drops // 8)


def _storm(d: _Delta, nic: Nic, prio: int, pkts: int) -> None:
    """This NIC cannot drain its receive buffer: it pauses the link non-stop (or drops without PFC)."""
    d.bump("rx_buffer_passed_thres_phy", 5)
    d.bump("outbound_pci_stalled_wr_events", 3)
    if nic.pfc_en & (1 << prio):
        d.bump(f"tx_prio{prio}_pause", pkts // 2)
        d.bump(f"tx_prio{prio}_pause_duration", 1_000_000)
        d.bump("tx_pause_storm_warning_events", 1)
        # The watchdog escalates to an error once the storm outlasts a few warnings.
        if value(nic, "tx_pause_storm_warning_events") + d.ticks > 2:
            d.bump("tx_pause_storm_error_events", 1)
        return
    d.bump("rx_discards_phy", pkts // 5)
    d.bump(f"rx_prio{prio}_discards", pkts // 5)
    d.bump("out_of_buffer", pkts // 10)


def _advance_bnxt(nic: Nic, ticks: int, seed: int, tick: int) -> None:
    d = _Delta(nic, ticks, seed, tick)
    pkts = max(1, nic.speed_mbps // 40)
    d.bump("rx_ucast_packets", pkts)
    d.bump("tx_ucast_packets", pkts)
    d.bump("rx_bytes", pkts * 4154)
    d.bump("tx_bytes", pkts * 4154)
    if nic.traffic in ("incast", "storm"):
        d.bump("rx_discards", pkts // 50)
    d.apply()


def ethtool_value(nic: Nic, name: str) -> int:
    if name == "link_down_events_phy" or name == "link_down_events":
        return nic.link_down_events
    if name == "peer_ifindex":
        return 0
    return value(nic, name)
