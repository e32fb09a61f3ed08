"""`roce-agent policy headroom` and the headroom rows of `policy show`: SONiC's headroom formula on the CLI.

Inputs are those of buffermgrd's plugin: `--platform` brings the platform's ASIC table and gearbox and
knows which speeds run on 8-lane ports; `--lanes`, `--gearbox-delay`, `--small-packet-percentage`,
`--lossless-mtu` and `--over-subscribe-ratio` set (or override) the rest.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from agent.errors import EXIT_CANNOT_RUN
from agent.policy.headroom import physical_headroom_bound, shared_headroom_pool_size
from agent.policy.headroom_policy import HeadroomSettings
from agent.policy.headroom_setup import HeadroomSetup, headroom_setup
from agent.policy.model import Policy
from agent.policy.platforms import EIGHT_LANES, platform_table
from agent.policy.units import parse_length_m, parse_speed_mbps


def _usage_error(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_CANNOT_RUN)


ASIC_OPT = typer.Option(None, "--asic", help="ASIC alias or ASIC_TABLE key (default: the platform's, else vs).")
PLATFORM_OPT = typer.Option(
    None,
    "--platform",
    help="SONiC platform, e.g. x86_64-nvidia_sn5600-r0: its ASIC, gearbox, 8-lane speeds.",
)


def physical_bound(speed: int, cable: int, mtu: int = 9216) -> int | None:
    try:
        return physical_headroom_bound(speed, cable, mtu)
    except ValueError:
        return None


def settings_with(policy: Policy, platform: str | None, asic: str | None) -> HeadroomSettings:
    """The policy's headroom section with the CLI's --platform / --asic on top."""
    update: dict[str, Any] = {}
    if platform is not None:
        platform_table().platform(platform)  # ValueError naming the known platforms
        update["platform"] = platform
    if asic is not None:
        platform_table().asic(asic)
        update["asic"] = asic
    return HeadroomSettings.model_validate({**policy.headroom.model_dump(exclude_unset=True), **update})


def _lane_options(setup: HeadroomSetup, speed: int, lanes: int | None) -> list[int | None]:
    """Lane counts to show a row for: the given/only one, or both kinds where the platform runs both.

    ValueError (the platform has no such port) propagates: `show` reports it instead of a silent gap."""
    spec = setup.platform
    if spec is not None and lanes is None and len(spec.lane_choices(speed)) == 2 and spec.speeds is not None:
        return [None, EIGHT_LANES]
    return [setup.lanes_for(speed, lanes)]


def headroom_rows(
    policy: Policy, speeds: list[int], settings: HeadroomSettings, notes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Headroom for every (speed, lane kind, cable length) the policy can produce, at the switch MTU.

    A speed the platform cannot run is left out and said in `notes`."""
    setup = settings.setup()
    rows = []
    for speed in speeds:
        try:
            options = _lane_options(setup, speed, settings.lanes)
        except ValueError as exc:
            if notes is not None:
                notes.append(str(exc))
            continue
        for lanes in options:
            for cable in policy.cable_lengths_in_use():
                hr = setup.headroom(speed, cable, policy.mtu.switch, lanes)
                rows.append(
                    {
                        **_inputs(setup, speed, cable, policy.mtu.switch, lanes),
                        "xon": hr.xon,
                        "xoff": hr.xoff,
                        "size": hr.size,
                        "physical_bound": physical_bound(speed, cable),
                        "per_port_bytes": hr.size * len(policy.lossless_priorities),
                    }
                )
    return rows


def _inputs(setup: HeadroomSetup, speed: int, cable: float, mtu: int, lanes: int | None) -> dict[str, Any]:
    return {
        "speed_mbps": speed,
        "cable_m": cable,
        "port_mtu": mtu,
        "asic": setup.asic.alias or setup.asic.key,
        "asic_table_key": setup.asic.key,
        "platform": setup.platform.name if setup.platform else None,
        "lanes": lanes,
        "gearbox_delay_ns": setup.gearbox_delay_ns,
        "lossless_mtu": setup.pattern.lossless_mtu,
        "small_packet_percentage": setup.pattern.small_packet_percentage,
        "shared_headroom_pool": setup.shared_headroom_pool,
    }


def headroom_command(
    speed: str = typer.Option(..., "--speed", help="Port speed: 100G, 400G or Mb/s."),
    cable: str = typer.Option(..., "--cable", help="Cable length in metres with unit, e.g. 40m."),
    mtu: int = typer.Option(9100, "--mtu", min=68, max=9216, help="Port MTU (SONiC default 9100)."),
    asic: str | None = ASIC_OPT,
    platform: str | None = PLATFORM_OPT,
    lanes: int | None = typer.Option(None, "--lanes", min=1, max=8, help="Lanes of the port (PORT.lanes count)."),
    gearbox: float | None = typer.Option(
        None, "--gearbox-delay", min=0, help="Gearbox delay, ns (default: platform's)."
    ),
    small: float = typer.Option(50, "--small-packet-percentage", min=0, max=100, help="Small packets, %."),
    lossless_mtu: int = typer.Option(1024, "--lossless-mtu", min=64, max=9216, help="LOSSLESS_TRAFFIC_PATTERN mtu."),
    ratio: float = typer.Option(0, "--over-subscribe-ratio", min=0, help="Shared headroom pool ratio (0 = pool off)."),
    ports: int = typer.Option(1, "--ports", min=0, help="Lossless ports sharing the pool (sizes it, with a ratio)."),
    pgs: int = typer.Option(2, "--lossless-pgs", min=0, help="Lossless PGs per port (e.g. 3-4 is 2)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable JSON on stdout."),
) -> None:
    """PFC headroom of one lossless PG as SONiC's dynamic buffer model computes it, plus the physical bound."""
    try:
        speed_mbps = parse_speed_mbps(speed)
        cable_m = parse_length_m(cable)
        setup = headroom_setup(
            platform=platform, asic=asic, gearbox_delay_ns=gearbox, small_packet_percentage=small,
            lossless_mtu=lossless_mtu, over_subscribe_ratio=ratio,
        )  # fmt: skip
        port_lanes = setup.lanes_for(speed_mbps, lanes)
    except ValueError as exc:
        raise _usage_error(str(exc)) from None
    hr = setup.headroom(speed_mbps, cable_m, mtu, port_lanes)
    bound = physical_bound(speed_mbps, cable_m)
    doc = {**_inputs(setup, speed_mbps, cable_m, mtu, port_lanes), "xon": hr.xon, "xoff": hr.xoff, "size": hr.size}
    doc["physical_bound"] = bound
    doc["shared_headroom_pool_size"] = shared_headroom_pool_size(hr, pgs * ports, ports, ratio) if ratio else None
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    where = setup.platform.name if setup.platform else doc["asic"]
    extra = f", {port_lanes} lanes" if port_lanes else ""
    extra += f", gearbox {setup.gearbox_delay_ns:g} ns" if setup.gearbox_delay_ns else ""
    pool = doc["shared_headroom_pool_size"]
    pool_text = f"; shared headroom pool {pool} B for {ports} port(s) x {pgs} PG(s)" if pool is not None else ""
    typer.echo(
        f"{speed_mbps // 1000}G {cable_m}m mtu {mtu} on {where}{extra}: xon {hr.xon} B, xoff {hr.xoff} B, "
        f"size {hr.size} B; physical lower bound {bound if bound is not None else 'n/a'} B{pool_text}"
    )
