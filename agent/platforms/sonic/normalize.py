"""SonicRaw (CONFIG_DB + batched state) -> DeviceState.

Reads both reference formats (`[TABLE|name]` and plain names). A value that is present but malformed
is a ParseError; a value the device cannot report (an older release without the command) becomes
`None` plus a note in `raw_errors`, never a made-up default.
"""

from __future__ import annotations

import json
from typing import Any

from agent.platforms.sonic.gather import (
    SonicRaw,
    field_text,
    parse_priorities,
    typed_config_db,
)
from agent.platforms.sonic.normalize_buffers import cable_m, key_range, lossless_traffic, priority_groups, profile_state
from agent.platforms.sonic.normalize_ctx import Ctx, to_int
from agent.platforms.sonic.normalize_lb import load_balancing
from agent.platforms.sonic.normalize_vrf import port_vrfs
from agent.platforms.sonic.tables import QOS_GLOBAL, strip_reference
from agent.policy.platforms import lane_count
from agent.state import (
    DeviceKind,
    DeviceState,
    EcnState,
    PortCounters,
    PortState,
    QueueState,
    SchedulerState,
    TrustMode,
    WatchdogState,
)


def normalize(raw: SonicRaw) -> DeviceState:
    ctx = Ctx(raw)
    meta = ctx.table("DEVICE_METADATA").get("localhost", {})
    wd_global = ctx.table("PFC_WD").get("GLOBAL", {})
    state = DeviceState(
        name=raw.device,
        kind=DeviceKind.switch,
        platform="sonic",
        hostname=meta.get("hostname"),
        os_version=ctx.version.get("SONiC Software Version"),
        buffer_model=_buffer_model(meta.get("buffer_model")),
        hardware_platform=meta.get("platform") or ctx.version.get("Platform"),
        lossless_traffic=lossless_traffic(ctx),
        buffer_profiles={n: profile_state(n, e) for n, e in ctx.table("BUFFER_PROFILE").items()},
        buffer_pool_sizes={
            n: to_int(ctx, f"BUFFER_POOL|{n}.size", e["size"]) or 0
            for n, e in ctx.table("BUFFER_POOL").items()
            if e.get("size") not in (None, "")
        },
        watchdog_poll_interval=to_int(ctx, "PFC_WD|GLOBAL.POLL_INTERVAL", wd_global.get("POLL_INTERVAL")),
        default_pfcwd_status=meta.get("default_pfcwd_status"),
        config_saved=_config_saved(ctx),
        vrfs=sorted(ctx.table("VRF")),
        gathered_at=raw.gathered_at,
        load_balancing=load_balancing(ctx),
        read_path=raw.read_path,
    )
    for port in sorted(ctx.table("PORT"), key=port_sort_key):
        state.ports[port] = _port(ctx, port)
    state.raw_errors.extend(ctx.errors)
    return state


def port_sort_key(name: str) -> tuple[str, int]:
    """Ethernet4 before Ethernet12 (numeric, not lexical)."""
    digits = "".join(ch for ch in name if ch.isdigit())
    return (name.rstrip("0123456789"), int(digits) if digits else -1)


def _buffer_model(value: str | None) -> Any:
    if value in ("traditional", "dynamic"):
        return value
    return "traditional" if value is None else None


def _config_saved(ctx: Ctx) -> bool | None:
    sec = ctx.raw.sections.get("saved_config")
    if sec is None:
        return None
    try:
        saved = json.loads(sec.output)
    except json.JSONDecodeError:
        ctx.errors.append(f"{sec.command}: saved config unreadable ({sec.output.strip()[:80]!r})")
        return None
    return bool(isinstance(saved, dict) and typed_config_db(saved) == ctx.cfg)


def _map(ctx: Ctx, table: str, name: str | None) -> dict[int, int]:
    """The map `name` of `table` as {int: int}; converted once per gather (every port shares the same few
    maps), a missing one is reported for every port that references it, as before."""
    if not name:
        return {}
    key = (table, name)
    if key not in ctx.maps:
        ctx.maps[key] = _convert_map(ctx, table, name)
    converted = ctx.maps[key]
    if converted is None:
        ctx.errors.append(f"{table}|{strip_reference(name)} is referenced but does not exist")
        return {}
    return dict(converted)


def _convert_map(ctx: Ctx, table: str, name: str) -> dict[int, int] | None:
    entry = ctx.table(table).get(strip_reference(name))
    if entry is None:
        return None
    out: dict[int, int] = {}
    for k, v in entry.items():
        key, value = to_int(ctx, f"{table}|{name}", k), to_int(ctx, f"{table}|{name}.{k}", v)
        if key is not None and value is not None:
            out[key] = value
    return dict(sorted(out.items()))


def _port(ctx: Ctx, port: str) -> PortState:
    cfg_port = ctx.table("PORT").get(port, {})
    qos = ctx.table("PORT_QOS_MAP").get(port, {})
    glob = ctx.table("PORT_QOS_MAP").get(QOS_GLOBAL, {})
    dscp_map = qos.get("dscp_to_tc_map") or glob.get("dscp_to_tc_map")
    dot1p_map = qos.get("dot1p_to_tc_map")
    trust = TrustMode.dscp if dscp_map else TrustMode.pcp if dot1p_map else TrustMode.none
    status = ctx.status.get(port, {})
    vlans = ctx.vlans_of(port)
    return PortState(
        name=port,
        admin_up=_admin_up(cfg_port, status),
        oper_up=(status["Oper"] == "up") if status.get("Oper") else None,
        speed_mbps=to_int(ctx, f"PORT|{port}.speed", cfg_port.get("speed")),
        mtu=to_int(ctx, f"PORT|{port}.mtu", cfg_port.get("mtu") or status.get("MTU")),
        cable_m=cable_m(ctx, port),
        trust=trust,
        dscp_to_priority=_map(ctx, "DSCP_TO_TC_MAP", dscp_map),
        pcp_to_priority=_map(ctx, "DOT1P_TO_TC_MAP", dot1p_map),
        priority_to_pg=_map(ctx, "TC_TO_PRIORITY_GROUP_MAP", qos.get("tc_to_pg_map")),
        priority_to_queue=_map(ctx, "TC_TO_QUEUE_MAP", qos.get("tc_to_queue_map")),
        pfc_priority_to_queue=_map(ctx, "MAP_PFC_PRIORITY_TO_QUEUE", qos.get("pfc_to_queue_map")),
        lossless_priorities=parse_priorities(field_text(qos.get("pfc_enable"))),
        pfc_asym=cfg_port.get("pfc_asym") == "on" if "pfc_asym" in cfg_port else None,
        priority_groups=priority_groups(ctx, port),
        queues=_queues(ctx, port),
        watchdog=_watchdog(ctx, port, qos),
        counters=_counters(ctx, port),
        max_headroom_size=to_int(
            ctx, f"BUFFER_MAX_PARAM_TABLE|{port}", ctx.max_params.get(port, {}).get("max_headroom_size")
        ),
        vlans=vlans,
        vrfs=port_vrfs(ctx.table("INTERFACE"), ctx.table("VLAN_INTERFACE"), port, vlans),
        lanes=lane_count(cfg_port.get("lanes")),
    )


def _admin_up(cfg_port: dict[str, Any], status: dict[str, str]) -> bool:
    """The applied admin state: `show interfaces status` Admin (APPL_DB PORT_TABLE, what portmgrd set),
    else CONFIG_DB admin_status; absent everywhere means down (portmgrd's DEFAULT_ADMIN_STATUS_STR)."""
    admin = status.get("Admin")
    if admin in ("up", "down"):
        return admin == "up"
    return bool(cfg_port.get("admin_status", "down") == "up")


def _queues(ctx: Ctx, port: str) -> dict[int, QueueState]:
    out: dict[int, QueueState] = {}
    wd = ctx.wd.get(port, {})
    for q_key, entry in ctx.queue_entries(port):
        for q in key_range(ctx, q_key):
            out[q] = QueueState(
                index=q,
                scheduler=_scheduler(ctx, entry.get("scheduler")),
                ecn=_ecn(ctx, entry.get("wred_profile")),
                watchdog_status=_wd_status(wd.get(q)),
            )
    for q, st in wd.items():
        out.setdefault(q, QueueState(index=q, watchdog_status=_wd_status(st)))
    return dict(sorted(out.items()))


def _wd_status(value: tuple[str, int | None] | None) -> Any:
    return value[0] if value and value[0] in ("operational", "stormed") else None


def _scheduler(ctx: Ctx, ref: str | None) -> SchedulerState | None:
    if not ref:
        return None
    name = strip_reference(ref)
    entry = ctx.table("SCHEDULER").get(name, {})
    kind = str(entry.get("type", "WRR")).lower()
    return SchedulerState(
        name=name,
        type=kind if kind in ("strict", "dwrr", "wrr") else "vendor",  # type: ignore[arg-type]
        weight=to_int(ctx, f"SCHEDULER|{name}.weight", entry.get("weight")),
    )


def _ecn(ctx: Ctx, ref: str | None) -> EcnState | None:
    if not ref:
        return None
    name = strip_reference(ref)
    entry = ctx.table("WRED_PROFILE").get(name)
    if entry is None:
        ctx.errors.append(f"WRED_PROFILE|{name} is referenced but does not exist")
        return EcnState(profile=name)
    mode = entry.get("ecn", "ecn_none")
    return EcnState(
        profile=name,
        enabled=mode != "ecn_none" and entry.get("wred_green_enable") == "true",
        min_threshold=to_int(ctx, f"WRED_PROFILE|{name}", entry.get("green_min_threshold")),
        max_threshold=to_int(ctx, f"WRED_PROFILE|{name}", entry.get("green_max_threshold")),
        probability=to_int(ctx, f"WRED_PROFILE|{name}", entry.get("green_drop_probability", "100")),
        mode=mode,
    )


def _watchdog(ctx: Ctx, port: str, qos: dict[str, Any]) -> WatchdogState:
    entry = ctx.table("PFC_WD").get(port)
    poll = ctx.table("PFC_WD").get("GLOBAL", {}).get("POLL_INTERVAL")
    if entry is None:
        return WatchdogState(present=False, priorities=parse_priorities(field_text(qos.get("pfcwd_sw_enable"))))
    return WatchdogState(
        present=True,
        action=entry.get("action", "drop"),
        detection_time=to_int(ctx, f"PFC_WD|{port}.detection_time", entry.get("detection_time")),
        restoration_time=to_int(ctx, f"PFC_WD|{port}.restoration_time", entry.get("restoration_time")),
        poll_interval=to_int(ctx, "PFC_WD|GLOBAL.POLL_INTERVAL", poll),
        priorities=parse_priorities(field_text(qos.get("pfcwd_sw_enable"))),
    )


def _counters(ctx: Ctx, port: str) -> PortCounters:
    queues = ctx.queues.get(port, {})
    return PortCounters(
        pfc_rx=ctx.pfc["rx"].get(port, {}),
        pfc_tx=ctx.pfc["tx"].get(port, {}),
        queue_drops={q: s["droppacket"] for q, s in queues.items() if "droppacket" in s},
        queue_packets={q: s["totalpacket"] for q, s in queues.items() if "totalpacket" in s},
        ecn_marked=(ctx.ecn_marked or {}).get(port, {}),
        pg_headroom_watermark=ctx.pg_wm.get(port, {}),
        watchdog_storms={q: st[1] for q, st in ctx.wd.get(port, {}).items() if st[1] is not None},
    )
