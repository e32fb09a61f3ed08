"""PFC headroom per lossless priority group: SONiC's dynamic-buffer calculation and a physical bound.

Why two numbers: the switch computes its own headroom (buffermgrd's vendor plugin in the dynamic
buffer model) and the agent must predict exactly what it will write to APPL_DB to verify it; the
vendor-neutral physical bound is the sanity floor no platform value should go under.

`lua_headroom` is the calculation of sonic-swss `cfgmgr/buffer_headroom_mellanox.lua` (docker-sonic-vs
runs the same script through a symlink), checked byte for byte against outputs of the unmodified
script (tests/unit/policy/test_headroom_lua.py). Its inputs are what buffermgrdyn.cpp passes: speed,
cable, port MTU, the platform's gearbox delay and the port's lane count (PORT.lanes), plus the ASIC
table, LOSSLESS_TRAFFIC_PATTERN and whether the shared headroom pool is on:

    worst_case_factor = ceil(cell / 64)                 if cell > 128
                      = ceil(2 * cell / (1 + cell))     otherwise
    small_by_byte     = 100 * 64 / ((small% * 64 + (100 - small%) * lossless_mtu) / 100)
    cell_occupancy    = (100 - small_by_byte + small_by_byte * worst_case_factor) / 100
    bytes_on_cable    = 2 * cable_m * speed_Mbps * 1e9 / 198e6 / 8000     (light in fibre: 198,000 km/s)
    bytes_on_gearbox  = speed_Mbps * gearbox_ns / 8192
    peer_response     = pause_quanta(speed) * 512 / 8   (or the ASIC's peer_response_time if speed unknown)
    propagation       = port_mtu + bytes_on_cable + 2 * gearbox + mac_phy_delay + peer_response [+ tile]
    xoff = ceil1024(lossless_mtu + propagation * cell_occupancy)   [+ 18 KiB on Spectrum-6] [+ 2 KiB]
    xon  = ceil1024(pipeline_latency)               (doubled on 8-lane ports)
    size = ceil1024(xoff + xon [+ port_mtu on 8-lane ports])   (shared headroom pool off)  |  xon  (on)

Spectrum-4/5 add the bytes "on tile" (speed_Gbps * 120 / 8). The +2 KiB: when the shared headroom pool
is off and small% < 100, xoff grows by 2 KiB if that stays below the worst-case xoff (the same formula
with a cell occupancy of worst_case_factor). Arithmetic is in doubles in the script's order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agent.policy.platforms import AsicParams, asic_params

#: IEEE 802.3 Annex 31B: pause_quanta a sender may still transmit before it stops, per speed (Mb/s).
PAUSE_QUANTA = {
    800_000: 905,
    400_000: 905,
    200_000: 453,
    100_000: 394,
    50_000: 147,
    40_000: 118,
    25_000: 80,
    10_000: 67,
    1_000: 2,
    100: 1,
}
#: IEEE 802.3 interface (PHY/MAC/FEC) delay upper bounds, both ends, in bit-times (lossless-engineering §1.1).
INTERFACE_DELAY_BITS = {10_000: 8192, 25_000: 6144, 40_000: 24576, 100_000: 122880}

SPEED_OF_LIGHT_IN_FIBRE = 198_000_000  # m/s, as SONiC's plugin uses
PHYSICAL_NS_PER_M = 5  # the round figure the physical bound uses
PFC_FRAME_ON_WIRE = 84  # 64 B frame + 8 B preamble/SFD + 12 B inter-frame gap
MIN_PACKET = 64
COMPENSATION = 2048
SPECTRUM6_COMPENSATION = 18 * 1024
EIGHT_LANES = 8
KIB = 1024


@dataclass(frozen=True)
class Headroom:
    """One lossless PG profile in bytes, as buffermgrd writes it (BUFFER_PROFILE xon / xoff / size)."""

    xon: int
    xoff: int
    size: int


@dataclass(frozen=True)
class TrafficPattern:
    """CONFIG_DB LOSSLESS_TRAFFIC_PATTERN (SONiC default AZURE: mtu 1024, small_packet_percentage 50)."""

    lossless_mtu: int = 1024
    small_packet_percentage: float = 50


@dataclass(frozen=True)
class PortLink:
    """The per-port inputs buffermgrd passes to the plugin (ARGV 1-5)."""

    speed_mbps: int
    cable_m: float
    port_mtu: int = 9100
    gearbox_delay_ns: float = 0
    lanes: int | None = None  # PORT.lanes count; only 8 changes the result


def _ceil_kib(value: float) -> int:
    return math.ceil(value / KIB) * KIB


def worst_case_factor(cell_size: int) -> int:
    """Cells a minimum-size packet can cost relative to its bytes (a 65 B packet takes a whole cell)."""
    if cell_size > 2 * MIN_PACKET:
        return math.ceil(cell_size / MIN_PACKET)
    return math.ceil((2 * cell_size) / (1 + cell_size))


def _cell_occupancy(cell_size: int, pattern: TrafficPattern) -> float:
    small = pattern.small_packet_percentage
    small_by_byte = 100 * MIN_PACKET / ((small * MIN_PACKET + (100 - small) * pattern.lossless_mtu) / 100)
    return (100 - small_by_byte + small_by_byte * worst_case_factor(cell_size)) / 100


def cable_round_trip_bytes(speed_mbps: int, cable_m: float) -> float:
    """Bytes in flight on the cable, both directions, as SONiC's plugin counts them (198,000 km/s)."""
    return 2 * float(cable_m) * speed_mbps * 1_000_000_000 / SPEED_OF_LIGHT_IN_FIBRE / (8 * 1000)


def peer_response_bytes(speed_mbps: int, asic: AsicParams) -> float:
    """What the peer may still send after our pause arrives: IEEE pause quanta, else the ASIC default."""
    quanta = PAUSE_QUANTA.get(speed_mbps)
    return quanta * 512 / 8 if quanta is not None else asic.peer_response_time_kb * KIB


def _propagation_bytes(link: PortLink, asic: AsicParams) -> float:
    """Bytes that keep arriving after XOFF: port MTU, cable both ways, PHY/MAC, gearbox, peer response."""
    speed = link.speed_mbps
    on_gearbox = speed * link.gearbox_delay_ns / (8 * 1024) if link.gearbox_delay_ns else 0
    on_tile = speed / 1000 * 120 / 8 if asic.generation in (4, 5) else 0
    on_cable = cable_round_trip_bytes(speed, link.cable_m)
    mac_phy = asic.mac_phy_delay_kb * KIB
    return link.port_mtu + on_cable + 2 * on_gearbox + mac_phy + peer_response_bytes(speed, asic) + on_tile


def lua_headroom(
    link: PortLink, asic: AsicParams, pattern: TrafficPattern | None = None, *, shared_headroom_pool: bool = False
) -> Headroom:
    """The lossless PG profile buffer_headroom_mellanox.lua returns for this port (bytes)."""
    if link.speed_mbps <= 0 or link.cable_m < 0 or link.port_mtu <= 0 or link.gearbox_delay_ns < 0:
        raise ValueError("speed and MTU must be positive, cable length and gearbox delay not negative")
    pattern = pattern or TrafficPattern()
    if not 0 <= pattern.small_packet_percentage <= 100 or pattern.lossless_mtu <= 0:
        raise ValueError("small_packet_percentage must be 0-100 and the lossless MTU positive")
    pipeline = asic.pipeline_latency_kb * KIB
    eight_lanes = link.lanes == EIGHT_LANES
    if eight_lanes:
        pipeline = pipeline * 2
    propagation = _propagation_bytes(link, asic)
    xoff = _ceil_kib(pattern.lossless_mtu + propagation * _cell_occupancy(asic.cell_size, pattern))
    if asic.generation == 6:
        xoff += SPECTRUM6_COMPENSATION
    if not shared_headroom_pool and pattern.small_packet_percentage != 100:
        worst = _ceil_kib(pattern.lossless_mtu + propagation * worst_case_factor(asic.cell_size))
        if xoff + COMPENSATION < worst:
            xoff += COMPENSATION
    xon = _ceil_kib(pipeline)
    size = _ceil_kib(xon if shared_headroom_pool else xoff + xon + (link.port_mtu if eight_lanes else 0))
    return Headroom(xon=xon, xoff=xoff, size=size)


def dynamic_headroom(
    speed_mbps: int,
    cable_m: float,
    port_mtu: int = 9100,
    asic: str = "vs",
    *,
    pattern: TrafficPattern | None = None,
    shared_headroom_pool: bool = False,
    gearbox_delay_ns: float = 0,
    lanes: int | None = None,
) -> Headroom:
    """`lua_headroom` with the ASIC named by alias (`spectrum4`, `vs`) or ASIC_TABLE key."""
    link = PortLink(speed_mbps, cable_m, port_mtu, gearbox_delay_ns, lanes)
    return lua_headroom(link, asic_params(asic), pattern, shared_headroom_pool=shared_headroom_pool)


#: buffer_pool_mellanox.lua: each lossless port keeps 10 KiB of private headroom out of the shared pool;
#: a pool that would come out 0 is sized 640 KiB.
PRIVATE_HEADROOM = 10 * 1024
MIN_SHARED_POOL = 655_360


def shared_headroom_pool_size(pg_headroom: Headroom, pgs: int, lossless_ports: int, over_subscribe_ratio: float) -> int:
    """The ingress_lossless_pool xoff buffer_pool_mellanox.lua sizes when only the ratio is configured.

    Every lossless PG parks xon + xoff - size bytes (xoff, since size = xon with the pool on) in the pool;
    the ports' private headroom is taken off and the rest divided by the over-subscribe ratio."""
    if over_subscribe_ratio <= 0 or pgs < 0 or lossless_ports < 0:
        raise ValueError("the over-subscribe ratio must be positive, PG and port counts not negative")
    parked = max(pg_headroom.xon + pg_headroom.xoff - pg_headroom.size, 0) * pgs
    accumulated = max(parked - lossless_ports * PRIVATE_HEADROOM, 0)
    return math.ceil(accumulated / over_subscribe_ratio) or MIN_SHARED_POOL


def physical_headroom_bound(speed_mbps: int, cable_m: int, mtu: int = 9216) -> int:
    """Vendor-neutral lower bound on xoff headroom in bytes (lossless-engineering.md §1.1).

    2 frames in progress (ours and the sender's) + the PFC frame + the cable both ways at 5 ns/m + the
    sender's IEEE response time + interface delays where IEEE gives them (not for 200G+: then this is an
    under-estimate). No cell inflation.

    Caution: at 100G this bound is *above* what SONiC's own formula programs for every cable length in
    the reference table (e.g. 100G/40m: bound 64,092 B vs xoff 53,248 on Spectrum-3 and 48,128 on
    docker-sonic-vs), because SONiC counts one port MTU plus a 1024 B lossless MTU and no IEEE
    interface delay. Used as a hard floor for a switch's xoff it flags healthy SONiC ports.
    """
    quanta = PAUSE_QUANTA.get(speed_mbps)
    if quanta is None:
        raise ValueError(f"no IEEE pause-quanta bound for {speed_mbps} Mb/s; known: {sorted(PAUSE_QUANTA)}")
    bits_per_ns = speed_mbps / 1000
    wire = 2 * cable_m * PHYSICAL_NS_PER_M * bits_per_ns / 8
    interface = INTERFACE_DELAY_BITS.get(speed_mbps, 0) / 8
    return math.ceil(2 * mtu + PFC_FRAME_ON_WIRE + wire + quanta * 64 + interface)


def minimum_xoff(speed_mbps: int, cable_m: int, port_mtu: int = 9100) -> int:
    """The floor no platform's programmed xoff may go below (bytes), used as a hard check.

    What must fit after XOFF whatever the ASIC: one port-MTU frame already in flight, the cable both
    ways (SONiC's 198,000 km/s) and the sender's IEEE response time (pause quanta). It leaves out the
    second frame, interface delays and cell inflation that `physical_headroom_bound` includes, because
    platforms account for those differently (SONiC assumes a 1024 B lossless MTU); every SONiC value in
    lossless-engineering.md §1.5 is above this floor, and a profile below it cannot stop the sender in time.
    """
    if speed_mbps <= 0 or cable_m < 0 or port_mtu <= 0:
        raise ValueError("speed and MTU must be positive and cable length not negative")
    quanta = PAUSE_QUANTA.get(speed_mbps)
    if quanta is None:
        raise ValueError(f"no IEEE pause-quanta bound for {speed_mbps} Mb/s; known: {sorted(PAUSE_QUANTA)}")
    return math.ceil(port_mtu + cable_round_trip_bytes(speed_mbps, cable_m) + quanta * 64)
