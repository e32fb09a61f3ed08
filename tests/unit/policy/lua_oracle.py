"""Test-side oracle: buffer_headroom_mellanox.lua as read from sonic-swss (e6b0c5b5d2ab), step by step.

Written independently of agent.policy.headroom, from the script and with the ASIC figures of
real-sonic/asic/asic_table.csv, so that the product table and the product formula are both checked.
test_headroom_lua.py proves this oracle against the 1,232 outputs of the unmodified script before it is
used to generate the larger table.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

QUANTA = {
    800000: 905,
    400000: 905,
    200000: 453,
    100000: 394,
    50000: 147,
    40000: 118,
    25000: 80,
    10000: 67,
    1000: 2,
    100: 1,
}


@dataclass(frozen=True)
class CsvAsic:
    platform: str
    key: str
    cell_size: str
    pipeline_latency: str
    mac_phy_delay: str
    peer_response_time: str
    gearbox_delay: str
    speeds_on_8_lane_ports: str


def read_asic_csv(path: Path) -> dict[str, CsvAsic]:
    out: dict[str, CsvAsic] = {}
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            name = r["platform"].split(" ")[0]
            out[name] = CsvAsic(
                name, r["asic_table_key"], r["cell_size"], r["pipeline_latency"], r["mac_phy_delay"],
                r["peer_response_time"], r["gearbox_delay"], r["speeds_on_8_lane_ports"],
            )  # fmt: skip
    return out


def lua(asic: CsvAsic, speed: int, cable: int, port_mtu: int, gearbox: float, lanes: int,
        lossless_mtu: float = 1024, small: float = 50, shp: bool = False) -> tuple[int, int, int]:  # fmt: skip
    """(xon, xoff, size) exactly as the script computes them (Lua numbers are doubles)."""
    pause = QUANTA.get(speed)
    cell = float(asic.cell_size)
    pipeline = float(asic.pipeline_latency) * 1024
    mac_phy = float(asic.mac_phy_delay) * 1024
    peer = float(asic.peer_response_time) * 1024 if pause is None else pause * 512 / 8
    tile = speed / 1000 * 120 / 8 if asic.key[-1] in "45" else 0
    if lanes == 8:
        pipeline = pipeline * 2
        overhead = port_mtu
    else:
        overhead = 0
    wcf = math.ceil(cell / 64 if cell > 128 else (2 * cell) / (1 + cell))
    by_byte = 100 * 64 / ((small * 64 + (100 - small) * lossless_mtu) / 100)
    occupancy = (100 - by_byte + by_byte * wcf) / 100
    on_gearbox = 0 if gearbox == 0 else speed * gearbox / (8 * 1024)
    on_cable = 2 * float(cable) * speed * 1000000000 / 198000000 / (8 * 1000)
    prop = port_mtu + on_cable + 2 * on_gearbox + mac_phy + peer + tile
    xoff = math.ceil((lossless_mtu + prop * occupancy) / 1024) * 1024
    if asic.key[-1] == "6":
        xoff = xoff + 18 * 1024
    if not shp and small != 100:
        full = math.ceil((lossless_mtu + prop * wcf) / 1024) * 1024
        if xoff + 2 * 1024 < full:
            xoff = xoff + 2 * 1024
    xon = math.ceil(pipeline / 1024) * 1024
    size = xon if shp else xoff + xon + overhead
    return xon, xoff, math.ceil(size / 1024) * 1024
