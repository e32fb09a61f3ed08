"""SonicRaw -> the buffer side of DeviceState: PGs and their profiles, cable lengths, headroom inputs."""

from __future__ import annotations

from typing import Any

from agent.errors import ParseError
from agent.platforms.sonic.gather import CONFIG_DB_COMMAND, key_priorities
from agent.platforms.sonic.normalize_ctx import Ctx, to_int
from agent.platforms.sonic.tables import strip_reference
from agent.state import BufferProfileState, LosslessTraffic, PriorityGroupState


def profile_state(name: str, entry: dict[str, Any]) -> BufferProfileState:
    def num(field: str) -> int | None:
        value = entry.get(field)
        try:
            return int(str(value)) if value not in (None, "") else None
        except ValueError:
            return None

    return BufferProfileState(
        name=name,
        pool=strip_reference(str(entry["pool"])) if entry.get("pool") else None,
        size=num("size"),
        xon=num("xon"),
        xoff=num("xoff"),
        xon_offset=num("xon_offset"),
        dynamic_th=num("dynamic_th"),
        static_th=num("static_th"),
    )


def lossless_traffic(ctx: Ctx) -> LosslessTraffic | None:
    """What buffer_headroom_<vendor>.lua reads besides the port: the first LOSSLESS_TRAFFIC_PATTERN entry,
    and the shared headroom pool (on when over_subscribe_ratio or the lossless pool's xoff is not 0)."""
    patterns = list(ctx.table("LOSSLESS_TRAFFIC_PATTERN").items())
    defaults = list(ctx.table("DEFAULT_LOSSLESS_BUFFER_PARAMETER").values())
    if not patterns and not defaults:
        return None
    name, pattern = patterns[0] if patterns else ("AZURE", {})
    params = defaults[0] if defaults else {}
    pool_xoff = ctx.table("BUFFER_POOL").get("ingress_lossless_pool", {}).get("xoff")
    try:
        ratio = float(params.get("over_subscribe_ratio") or 0)
        small = float(pattern.get("small_packet_percentage", 50))
    except ValueError as exc:
        raise ParseError(ctx.device, CONFIG_DB_COMMAND, f"LOSSLESS_TRAFFIC_PATTERN|{name}: {exc}") from None
    return LosslessTraffic(
        lossless_mtu=to_int(ctx, f"LOSSLESS_TRAFFIC_PATTERN|{name}.mtu", pattern.get("mtu")) or 1024,
        small_packet_percentage=small,
        shared_headroom_pool=ratio != 0 or bool(to_int(ctx, "BUFFER_POOL|ingress_lossless_pool.xoff", pool_xoff)),
    )


def cable_m(ctx: Ctx, port: str) -> int | None:
    for entry in ctx.table("CABLE_LENGTH").values():
        if port in entry:
            text = str(entry[port]).strip()
            if not text.endswith("m") or not text[:-1].isdigit():
                raise ParseError(ctx.device, CONFIG_DB_COMMAND, f"CABLE_LENGTH {port}: {text!r} is not '<n>m'")
            return int(text[:-1])
    return None


def key_range(ctx: Ctx, key: str) -> list[int]:
    """PG / queue range key "3-4" -> [3, 4]; anything else is a ParseError."""
    values = key_priorities(key)
    if not values:
        raise ParseError(ctx.device, CONFIG_DB_COMMAND, f"priority-group/queue key {key!r} is not N or N-M")
    return sorted(values)


def priority_groups(ctx: Ctx, port: str) -> list[PriorityGroupState]:
    pgs = ctx.port_pgs(port)
    configured, programmed_keys = pgs.configured, pgs.programmed
    groups: list[PriorityGroupState] = []
    for key in sorted(set(configured) | programmed_keys):
        profile = configured.get(key, {}).get("profile")
        appl = ctx.appl_pgs.get(f"{port}:{key}") or {}
        programmed: BufferProfileState | None = None
        if appl.get("profile"):
            name = strip_reference(appl["profile"])
            programmed = profile_state(name, ctx.appl_profiles.get(name, {}))
        elif key in programmed_keys:
            # listed in APPL_DB but not read (not a lossless PG of interest): buffermgrd copies CONFIG_DB
            name = strip_reference(str(profile)) if profile else "unknown"
            programmed = profile_state(name, ctx.table("BUFFER_PROFILE").get(name, {}))
        groups.append(
            PriorityGroupState(
                key=key,
                priorities=key_range(ctx, key),
                configured_profile=strip_reference(str(profile)) if profile else None,
                programmed=programmed,
            )
        )
    return groups
