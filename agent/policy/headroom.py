"""PFC headroom per lossless priority group: SONiC's dynamic-buffer calculation and a physical bound.

Why two numbers: the switch computes its own headroom (buffermgrd's vendor plugin in the dynamic
buffer model) and the agent must predict exactly what it will write to APPL_DB to verify it; the
vendor-neutral physical bound is the sanity floor no platform value should go under.

`dynamic_headroom` follows the formula of SONiC's Mellanox headroom plugin (the one docker-sonic-vs
also runs), re-derived from the HLD and reference (lossless-engineering.md §1.2):

    worst_case_factor = ceil(cell / 64)                 if cell > 128
                      = ceil(2 * cell / (1 + cell))     otherwise
    small_by_byte     = 100 * 64 / ((small% * 64 + (100 - small%) * lossless_mtu) / 100)
    cell_occupancy    = (100 - small_by_byte + small_by_byte * worst_case_factor) / 100
    bytes_on_cable    = 2 * cable_m * speed_Mbps * 1e9 / 198e6 / 8000     (light in fibre: 198,000 km/s)
    peer_response     = pause_quanta(speed) * 512 / 8   (or the ASIC's peer_response_time if speed unknown)
    propagation       = port_mtu + bytes_on_cable + 2 * gearbox + mac_phy_delay + peer_response [+ tile]
    xoff = ceil1024(lossless_mtu + propagation * cell_occupancy)      (+2 KiB, see below)
    xon  = ceil1024(pipeline_latency)
    size = ceil1024(xoff + xon)   (shared headroom pool off)  |  xon  (pool on)

Spectrum-4/5 add the bytes "on tile" (speed_Gbps * 120 / 8). Since sonic-swss PR #4757 (2026-07), when
the shared headroom pool is off and small% < 100, 2 KiB are added to xoff if xoff + 2 KiB is still
below the worst-case xoff (the same formula with small% = 100). Floating-point order follows the
plugin so that results match the switch to the byte.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
KIB = 1024


@dataclass(frozen=True)
class AsicParams:
    """STATE_DB ASIC_TABLE values buffermgrd reads (KB fields are multiplied by 1024 by the plugin)."""

    cell_size: int
    pipeline_latency_kb: float
    mac_phy_delay_kb: float
    peer_response_time_kb: float
    bytes_on_tile: bool = False  # Spectrum-4/5


def _spectrum(cell_size: int, bytes_on_tile: bool = False) -> AsicParams:
    """Spectrum-1..5 share pipeline 19 KB, MAC/PHY 0.8 KB and peer response 3.8 KB; cells differ."""
    return AsicParams(cell_size, 19, 0.8, 3.8, bytes_on_tile)


#: sonic-buildimage platform/mellanox/asic_table.j2 and platform/vs/docker-sonic-vs/asic_table.json.
ASIC_PARAMS: dict[str, AsicParams] = {
    "spectrum1": _spectrum(96),
    "spectrum2": _spectrum(144),
    "spectrum3": _spectrum(144),
    "spectrum4": _spectrum(192, bytes_on_tile=True),
    "spectrum5": _spectrum(192, bytes_on_tile=True),
    "vs": AsicParams(cell_size=128, pipeline_latency_kb=18, mac_phy_delay_kb=0.8, peer_response_time_kb=3.8),
}


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
    small_packet_percentage: int = 50


def _ceil_kib(value: float) -> int:
    return math.ceil(value / KIB) * KIB


def _worst_case_factor(cell_size: int) -> int:
    """Cells a minimum-size packet can cost relative to its bytes (a 65 B packet takes a whole cell)."""
    if cell_size > 2 * MIN_PACKET:
        return math.ceil(cell_size / MIN_PACKET)
    return math.ceil((2 * cell_size) / (1 + cell_size))


def _cell_occupancy(cell_size: int, pattern: TrafficPattern) -> float:
    small = pattern.small_packet_percentage
    small_by_byte = 100 * MIN_PACKET / ((small * MIN_PACKET + (100 - small) * pattern.lossless_mtu) / 100)
    factor = _worst_case_factor(cell_size)
    return (100 - small_by_byte + small_by_byte * factor) / 100


def cable_round_trip_bytes(speed_mbps: int, cable_m: int) -> float:
    """Bytes in flight on the cable, both directions, as SONiC's plugin counts them (198,000 km/s)."""
    return 2 * cable_m * speed_mbps * 1_000_000_000 / SPEED_OF_LIGHT_IN_FIBRE / (8 * 1000)


def peer_response_bytes(speed_mbps: int, asic: AsicParams) -> float:
    """What the peer may still send after our pause arrives: IEEE pause quanta, else the ASIC default."""
    quanta = PAUSE_QUANTA.get(speed_mbps)
    return quanta * 512 / 8 if quanta is not None else asic.peer_response_time_kb * KIB


def _propagation_bytes(speed_mbps: int, cable_m: int, port_mtu: int, asic: AsicParams, gearbox_ns: int) -> float:
    """Bytes that keep arriving after XOFF: port MTU, cable both ways, PHY/MAC, gearbox, peer response."""
    peer = peer_response_bytes(speed_mbps, asic)
    on_gearbox = speed_mbps * gearbox_ns / (8 * 1024) if gearbox_ns else 0
    on_cable = cable_round_trip_bytes(speed_mbps, cable_m)
    on_tile = speed_mbps / 1000 * 120 / 8 if asic.bytes_on_tile else 0
    return port_mtu + on_cable + 2 * on_gearbox + asic.mac_phy_delay_kb * KIB + peer + on_tile


def asic_params(asic: str) -> AsicParams:
    try:
        return ASIC_PARAMS[asic]
    except KeyError:
        raise ValueError(f"unknown ASIC {asic!r}; known: {', '.join(ASIC_PARAMS)}") from None


def dynamic_headroom(
    speed_mbps: int,
    cable_m: int,
    port_mtu: int = 9100,
    asic: str = "vs",
    *,
    pattern: TrafficPattern | None = None,
    shared_headroom_pool: bool = False,
    gearbox_delay_ns: int = 0,
) -> Headroom:
    """The lossless PG profile SONiC's dynamic buffer manager computes for this port (bytes)."""
    if speed_mbps <= 0 or cable_m < 0 or port_mtu <= 0:
        raise ValueError("speed and MTU must be positive and cable length not negative")
    params = asic_params(asic)
    pattern = pattern or TrafficPattern()
    propagation = _propagation_bytes(speed_mbps, cable_m, port_mtu, params, gearbox_delay_ns)
    xoff = _ceil_kib(pattern.lossless_mtu + propagation * _cell_occupancy(params.cell_size, pattern))
    if not shared_headroom_pool and pattern.small_packet_percentage != 100:
        worst = _ceil_kib(pattern.lossless_mtu + propagation * _worst_case_factor(params.cell_size))
        if xoff + COMPENSATION < worst:
            xoff += COMPENSATION
    xon = _ceil_kib(params.pipeline_latency_kb * KIB)
    size = _ceil_kib(xon if shared_headroom_pool else xoff + xon)
    return Headroom(xon=xon, xoff=xoff, size=size)


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
