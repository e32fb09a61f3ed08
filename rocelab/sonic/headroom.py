"""The dynamic buffer model's headroom, computed the way SONiC's Mellanox/vs headroom plugin computes it.

This is the lab's own implementation (the agent has its own, in agent/policy/headroom.py: two independent
implementations on purpose, each checked against SONiC's real outputs). The arithmetic follows what
sonic-swss cfgmgr/buffer_headroom_mellanox.lua does when buffermgrdyn calls it (read, not copied), in double
precision like Lua numbers, rounding up to 1 KiB where the plugin does:

* peer response time: from the pause quanta of the speed (IEEE 802.3 31B.3.7), else ASIC_TABLE's value;
* 8-lane ports: the pipeline latency doubles and the port MTU is added to the size (`speed_overhead`);
* Spectrum-4/-5 add `speed/1000 * 120 / 8` bytes on tile; Spectrum-6 adds 18 KiB to xoff;
* gearbox delay (ns) adds twice the bytes in flight through the gearbox;
* cell occupancy from the small-packet share of LOSSLESS_TRAFFIC_PATTERN (mtu 1024, 50 % by default);
* without a shared headroom pool, xoff gains 2 KiB when that still stays below the all-small-packets xoff,
  and size is xoff + xon (+ overhead); with one, size is xon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PAUSE_QUANTA = {800000: 905, 400000: 905, 200000: 453, 100000: 394, 50000: 147, 40000: 118, 25000: 80, 10000: 67}
PAUSE_QUANTA |= {1000: 2, 100: 1}
SPEED_OF_LIGHT = 198_000_000  # m/s in fibre
MIN_PACKET = 64
KIB = 1024


@dataclass(frozen=True)
class AsicTable:
    """STATE_DB ASIC_TABLE|<key> as SONiC renders it per ASIC (platform/mellanox/asic_table.j2)."""

    key: str  # MELLANOX-SPECTRUM-4, VS-ASIC, ...
    cell_size: int  # bytes
    pipeline_latency: float  # KB
    mac_phy_delay: float  # KB
    peer_response_time: float  # KB

    @property
    def generation(self) -> str:
        """The last character of the key, which is how the plugin tells Spectrum-4/5/6 apart."""
        return self.key[-1]


# Values of sonic-buildimage platform/mellanox/asic_table.j2 (and docker-sonic-vs) at 086b03bd70f9.
ASIC_TABLES = {
    table.key: table
    for table in (
        AsicTable("MELLANOX-SPECTRUM", 96, 19, 0.8, 3.8),
        AsicTable("MELLANOX-SPECTRUM-2", 144, 19, 0.8, 3.8),
        AsicTable("MELLANOX-SPECTRUM-3", 144, 19, 0.8, 3.8),
        AsicTable("MELLANOX-SPECTRUM-4", 192, 19, 0.8, 3.8),
        AsicTable("MELLANOX-SPECTRUM-5", 192, 19, 0.8, 3.8),
        AsicTable("MELLANOX-SPECTRUM-6", 256, 42, 0.8, 3.8),
        AsicTable("VS-ASIC", 128, 18, 0.8, 3.8),
    )
}


@dataclass(frozen=True)
class TrafficPattern:
    """CONFIG_DB LOSSLESS_TRAFFIC_PATTERN|AZURE and the shared-headroom-pool switches."""

    mtu: int = 1024
    small_packet_percentage: int = 50
    shared_headroom_pool: bool = False  # BUFFER_POOL ingress_lossless_pool xoff or over_subscribe_ratio set


@dataclass(frozen=True)
class Headroom:
    xon: int
    xoff: int
    size: int


def _ceil_kib(value: float) -> int:
    return math.ceil(value / KIB) * KIB


def headroom(
    asic: AsicTable,
    speed: int,
    cable_m: float,
    port_mtu: int,
    *,
    gearbox_ns: float = 0,
    lanes: int = 4,
    pattern: TrafficPattern = TrafficPattern(),
) -> Headroom:
    """xon/xoff/size in bytes for one lossless PG of a port (speed in Mb/s)."""
    pipeline = asic.pipeline_latency * KIB
    overhead = 0
    if lanes == 8:
        pipeline *= 2
        overhead = port_mtu
    quanta = PAUSE_QUANTA.get(speed)
    peer = quanta * 512 / 8 if quanta is not None else asic.peer_response_time * KIB
    on_tile = speed / 1000 * 120 / 8 if asic.generation in "45" else 0
    cell = asic.cell_size
    factor = math.ceil(cell / MIN_PACKET if cell > 2 * MIN_PACKET else (2 * cell) / (1 + cell))
    share = pattern.small_packet_percentage
    by_byte = 100 * MIN_PACKET / ((share * MIN_PACKET + (100 - share) * pattern.mtu) / 100)
    occupancy = (100 - by_byte + by_byte * factor) / 100
    gearbox = speed * gearbox_ns / (8 * 1024) if gearbox_ns else 0
    cable = 2 * cable_m * speed * 1_000_000_000 / SPEED_OF_LIGHT / (8 * 1000)
    delay = port_mtu + cable + 2 * gearbox + asic.mac_phy_delay * KIB + peer + on_tile
    xoff = _ceil_kib(pattern.mtu + delay * occupancy)
    if asic.generation == "6":
        xoff += 18 * KIB
    if not pattern.shared_headroom_pool and share != 100:
        worst = _ceil_kib(pattern.mtu + delay * factor)
        if xoff + 2 * KIB < worst:
            xoff += 2 * KIB
    xon = _ceil_kib(pipeline)
    size = _ceil_kib(xon if pattern.shared_headroom_pool else xoff + xon + overhead)
    return Headroom(xon, xoff, size)
