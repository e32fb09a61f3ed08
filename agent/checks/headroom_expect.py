"""What SONiC itself computes for a port's headroom, from the gathered state: used by SW-BUF-004/005.

Both need the platform (DeviceState.hardware_platform, looked up in agent/policy/platforms.yaml) and
the port's lane count (PORT.lanes): an 8-lane port doubles the pipeline latency in the headroom formula
and in the per-port budget. Unknown platform -> None: the checks fall back to platform-neutral rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from agent.policy.headroom import Headroom, PortLink, TrafficPattern, lua_headroom
from agent.policy.platforms import EIGHT_LANES, PlatformSpec, platform_table
from agent.state import DeviceState, LosslessTraffic, PortState

#: buffer_check_headroom_mellanox.lua: 4096 B to absorb deviation, egress mirror 2 x 10 KiB (x2 on 8 lanes).
BUDGET_SLACK = 4096
EGRESS_MIRROR = 20 * 1024
KIB = 1024


def platform_of(state: DeviceState, declared: str | None = None) -> PlatformSpec | None:
    """The device's own platform (DEVICE_METADATA platform), else the one the policy declares for it."""
    name = state.hardware_platform or declared
    return platform_table().platforms.get(name) if name else None


@lru_cache(maxsize=512)
def _formula(spec: PlatformSpec, link: PortLink, pattern: TrafficPattern, shared_pool: bool) -> Headroom:
    """Cached: thousands of ports share a handful of (platform, speed, cable, MTU, lanes) inputs."""
    return lua_headroom(link, spec.asic, pattern, shared_headroom_pool=shared_pool)


def expected_dynamic_profile(
    state: DeviceState, port: PortState, cable_m: int, mtu: int, declared: str | None = None
) -> Headroom | None:
    """The profile buffermgrd's headroom plugin writes for this port (dynamic model, known platform)."""
    spec = platform_of(state, declared)
    if state.buffer_model != "dynamic" or spec is None or not port.speed_mbps or not cable_m:
        return None
    link = PortLink(port.speed_mbps, cable_m, mtu, spec.gearbox_delay_ns, port.lanes)
    traffic = state.lossless_traffic or LosslessTraffic()
    pattern = TrafficPattern(traffic.lossless_mtu, traffic.small_packet_percentage)
    return _formula(spec, link, pattern, traffic.shared_headroom_pool)


@dataclass(frozen=True)
class PortBudget:
    """The sums buffer_check_headroom_mellanox.lua compares with the port's limits."""

    accumulated: int  # bytes; must stay below max_headroom_size
    shared: int  # bytes of xoff in the shared headroom pool (SHP on)
    shared_limit: int | None  # (port_max_shp + port_reserved_shp) cells, in bytes; None = not known
    platform: str


def mellanox_budget(state: DeviceState, port: PortState, declared: str | None = None) -> PortBudget | None:
    """Per-port headroom as the Mellanox/sonic-vs check plugin counts it, or None if the platform is unknown."""
    spec = platform_of(state, declared)
    if spec is None:
        return None
    asic = spec.asic
    eight = port.lanes == EIGHT_LANES
    pipeline_kb = asic.pipeline_latency_kb * 2 - 1 if eight else asic.pipeline_latency_kb
    lossy_pg = int(pipeline_kb * KIB)
    total = BUDGET_SLACK + lossy_pg + EGRESS_MIRROR * (2 if eight else 1)
    shared = 0
    for pg in port.priority_groups:
        prog = pg.programmed
        if prog is None:
            continue
        count = len(pg.priorities)
        size = prog.size or lossy_pg
        total += size * count
        if prog.xon is not None and prog.xoff is not None and size < prog.xon + prog.xoff:
            shared += (prog.xon + prog.xoff - size) * count
    limit = None
    if asic.port_max_shp is not None and asic.port_reserved_shp is not None:
        limit = (asic.port_max_shp + asic.port_reserved_shp * (2 if eight else 1)) * asic.cell_size
    return PortBudget(total, shared, limit, spec.name)
