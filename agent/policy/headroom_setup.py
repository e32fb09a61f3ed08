"""Which headroom inputs apply to a port: the platform's ASIC and gearbox, the lane count, the traffic pattern.

Shared by `policy headroom`, `policy show` and the switch checks, so that the CLI, the policy and an audit
of a live switch ask the same question of `lua_headroom` and get the switch's own answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.policy.headroom import Headroom, PortLink, TrafficPattern, lua_headroom
from agent.policy.platforms import EIGHT_LANES, AsicParams, PlatformSpec, asic_params, platform_spec

DEFAULT_ASIC = "vs"


@dataclass(frozen=True)
class HeadroomSetup:
    """Everything but the port's own speed/cable/MTU/lanes: per platform (or per policy/override)."""

    asic: AsicParams
    platform: PlatformSpec | None = None
    gearbox_delay_ns: float = 0
    pattern: TrafficPattern = field(default_factory=TrafficPattern)
    shared_headroom_pool: bool = False  # DEFAULT_LOSSLESS_BUFFER_PARAMETER over_subscribe_ratio or pool xoff != 0

    def headroom(self, speed_mbps: int, cable_m: float, port_mtu: int, lanes: int | None) -> Headroom:
        link = PortLink(speed_mbps, cable_m, port_mtu, self.gearbox_delay_ns, lanes)
        return lua_headroom(link, self.asic, self.pattern, shared_headroom_pool=self.shared_headroom_pool)

    def lanes_for(self, speed_mbps: int, lanes: int | None) -> int | None:
        """The lane count to compute with: given, or the only one the platform runs this speed on.

        Raises ValueError when the platform cannot run the speed on such a port, or runs it on both 8-lane
        and narrower ports and no lane count was given (the answers differ: say which port it is)."""
        spec = self.platform
        if spec is None:
            return lanes
        choices = spec.lane_choices(speed_mbps)
        if not choices:
            raise ValueError(
                f"{spec.name} has no port at {speed_mbps} Mb/s; speeds: {', '.join(map(str, spec.all_speeds()))}"
            )
        if lanes is None:
            if choices == (True,):
                return EIGHT_LANES
            if choices == (False,) or spec.speeds is None:
                return None
            raise ValueError(
                f"{spec.name} runs {speed_mbps} Mb/s on 8-lane and on narrower ports, and the headroom differs: "
                "give the port's lane count (CONFIG_DB PORT|<port> lanes), e.g. 8 or 4"
            )
        if (lanes == EIGHT_LANES) not in choices:
            where = "only on 8-lane ports" if choices == (True,) else "only on ports with fewer than 8 lanes"
            raise ValueError(f"{spec.name} runs {speed_mbps} Mb/s {where}, not with {lanes} lanes")
        return lanes


def headroom_setup(
    *,
    platform: str | None = None,
    asic: str | None = None,
    gearbox_delay_ns: float | None = None,
    small_packet_percentage: float = 50,
    lossless_mtu: int = 1024,
    over_subscribe_ratio: float = 0,
    shp_size: int = 0,
) -> HeadroomSetup:
    """Inputs from names: the platform brings its ASIC and gearbox; explicit values win. ValueError if unknown."""
    spec = platform_spec(platform) if platform else None
    params = asic_params(asic) if asic else spec.asic if spec is not None else asic_params(DEFAULT_ASIC)
    gearbox = gearbox_delay_ns if gearbox_delay_ns is not None else spec.gearbox_delay_ns if spec else 0
    if not 0 <= small_packet_percentage <= 100:
        raise ValueError(f"small packet percentage {small_packet_percentage} is not within 0-100")
    if lossless_mtu <= 0 or gearbox < 0 or over_subscribe_ratio < 0 or shp_size < 0:
        raise ValueError("lossless MTU must be positive; gearbox delay, over-subscribe ratio and SHP size not negative")
    return HeadroomSetup(
        asic=params,
        platform=spec,
        gearbox_delay_ns=gearbox,
        pattern=TrafficPattern(lossless_mtu, small_packet_percentage),
        shared_headroom_pool=over_subscribe_ratio != 0 or shp_size != 0,
    )
