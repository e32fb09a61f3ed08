"""The RDMA host counters-only read (`CountersRead`): `ethtool -S` per NIC and `rdma statistic`, one batch.

`rdma -j link show` rides along (it is cheap) to tie each RDMA device to its netdev, so the RDMA
counters land on the NIC the intent names. Driver counter names: mlx5 (`rx_prio3_pause`,
`rx_prio3_pause_duration` in microseconds, `rx_prio3_marked`, `rx_prio3_discards`) and bnxt_en
(`rx_pfc_ena_frames_pri3`, `rx_discard_packets_cos3`); a NIC with neither reports what it has in `nic`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from agent.counters import CounterSample, PortSample
from agent.errors import ParseError
from agent.platforms.base import CommandRunner
from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma import parse as P
from agent.platforms.linux_rdma.batch import Section, shell_for
from agent.platforms.linux_rdma.gather import discover_interfaces

# per priority p: (PortSample field, mlx5 name, bnxt_en name or None)
PRIORITY_COUNTERS: tuple[tuple[str, str, str | None], ...] = (
    ("pfc_rx", "rx_prio{p}_pause", "rx_pfc_ena_frames_pri{p}"),
    ("pfc_tx", "tx_prio{p}_pause", "tx_pfc_ena_frames_pri{p}"),
    ("pause_rx_us", "rx_prio{p}_pause_duration", None),
    ("ecn_marked", "rx_prio{p}_marked", None),
    ("drops", "rx_prio{p}_discards", "rx_discard_packets_cos{p}"),
    ("packets", "tx_prio{p}_packets", None),
)
#: NIC-wide ethtool totals the monitor exports (link pause and discards), mlx5 then bnxt_en names
NIC_COUNTERS = (
    "rx_pause_ctrl_phy",
    "tx_pause_ctrl_phy",
    "rx_discards_phy",
    "rx_out_of_buffer",
    "tx_pause_storm_warning_events",
    "tx_pause_storm_error_events",
    "rx_pause_frames",
    "tx_pause_frames",
    "rx_discards",
)


def read_counters(runner: CommandRunner, ports: Sequence[str] = ()) -> CounterSample:
    """One round trip (one more to discover the RDMA netdevs when no port is named)."""
    shell = shell_for(runner)
    before = shell.round_trips
    names = [C.check_ifname(i) for i in ports] or discover_interfaces(shell)
    batch = [(f"{i}:ethtool:stats", C.ethtool("-S", i)) for i in names]
    batch += [("rdma:link", C.rdma_show("link")), ("rdma:statistic", C.rdma_show("statistic"))]
    sections = shell.batch(batch, timeout=60.0)
    sample = parse_counters(shell.device, names, sections, time.monotonic())
    sample.round_trips = shell.round_trips - before
    return sample


def parse_counters(device: str, interfaces: Sequence[str], sections: dict[str, Section], at: float) -> CounterSample:
    sample = CounterSample(device, at, read_path="host")
    for ifname in interfaces:
        sec = sections[f"{ifname}:ethtool:stats"]
        if not sec.ok:
            raise ParseError(device, f"ethtool -S {ifname}", str(P.classify(sec.output, sec.rc, command="ethtool")))
        sample.ports[ifname] = port_sample(P.parse_ethtool_stats(sec.output))
    netdev_of = _rdma_netdevs(device, sections["rdma:link"])
    stats = sections["rdma:statistic"]
    if not stats.ok:
        sample.notes.append("rdma statistic: " + str(P.classify(stats.output, stats.rc, command="rdma")))
        return sample
    command = "rdma -j statistic show"
    for key, counters in P.parse_rdma_stats(P.load_json(device, command, stats.output), device, command).items():
        netdev = netdev_of.get(key)
        if netdev in sample.ports:
            sample.ports[netdev].rdma.update(counters)
    return sample


def port_sample(stats: dict[str, int]) -> PortSample:
    """One NIC's `ethtool -S` counters in the platform-neutral shape."""
    ps = PortSample(nic={n: stats[n] for n in NIC_COUNTERS if n in stats})
    targets = {"pfc_rx": ps.pfc_rx, "pfc_tx": ps.pfc_tx, "pause_rx_us": ps.pause_rx_us,
               "ecn_marked": ps.ecn_marked, "drops": ps.drops, "packets": ps.packets}  # fmt: skip
    for fieldname, mlx5, bnxt in PRIORITY_COUNTERS:
        target = targets[fieldname]
        for prio in range(8):
            value = stats.get(mlx5.format(p=prio))
            if value is None and bnxt is not None:
                value = stats.get(bnxt.format(p=prio))
            if value is not None:
                target[prio] = value
    return ps


def _rdma_netdevs(device: str, sec: Section) -> dict[str, str]:
    """ "mlx5_0/1" -> "eth1" from `rdma -j link show` (empty when the tool failed: no RDMA counters then)."""
    if not sec.ok:
        return {}
    command = "rdma -j link show"
    links = P.parse_rdma_links(P.load_json(device, command, sec.output), device, command)
    return {f"{lk.device}/{lk.port}": lk.netdev for lk in links if lk.netdev}
