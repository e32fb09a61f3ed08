"""SonicRaw (CONFIG_DB + batched state) -> DeviceState.

Reads both reference formats (`[TABLE|name]` and plain names). A value that is present but malformed
is a ParseError; a value the device cannot report (an older release without the command) becomes
`None` plus a note in `raw_errors`, never a made-up default.
"""

from __future__ import annotations

import json
from typing import Any

from agent.errors import ParseError
from agent.platforms.sonic import parsers as p
from agent.platforms.sonic.gather import CONFIG_DB_COMMAND, SonicRaw, key_priorities, parse_priorities
from agent.platforms.sonic.tables import QOS_GLOBAL, strip_reference
from agent.state import (
    BufferProfileState,
    DeviceKind,
    DeviceState,
    EcnState,
    PortCounters,
    PortState,
    PriorityGroupState,
    QueueState,
    SchedulerState,
    TrustMode,
    WatchdogState,
)

Table = dict[str, dict[str, Any]]


class _Ctx:
    """The parsed pieces of one gather, shared by the per-port builders."""

    def __init__(self, raw: SonicRaw) -> None:
        self.raw = raw
        self.device = raw.device
        self.cfg = raw.config_db
        self.errors: list[str] = []
        self.version = self._section("version", p.parse_show_version, {})
        self.status = self._section("interfaces", p.parse_interfaces_status, {})
        self.pfc = self._section("pfc_counters", p.parse_pfc_counters, {"rx": {}, "tx": {}})
        self.queues = self._section("queue_counters", p.parse_queue_counters_json, {})
        self.ecn_marked = self._section("wred_counters", p.parse_wred_counters, None)
        self.wd = self._section("pfcwd_stats", p.parse_pfcwd_stats, {})
        self.pg_wm = self._section("pg_headroom_wm", p.parse_pg_watermark, {})
        self.appl_pg_keys = (
            set(p.parse_db_keys(raw.sections["appl_pg_keys"].output)) if "appl_pg_keys" in raw.sections else set()
        )
        self.appl_pgs: dict[str, dict[str, str]] = {}
        self.appl_profiles: dict[str, dict[str, str]] = {}
        self.max_params: dict[str, dict[str, str]] = {}
        for name, sec in raw.sections.items():
            kind, _, key = name.partition(" ")
            if kind == "appl_pg":
                self.appl_pgs[key] = p.parse_hgetall(self.device, sec.command, sec.output)
            elif kind == "appl_profile":
                self.appl_profiles[key] = p.parse_hgetall(self.device, sec.command, sec.output)
            elif kind == "state_max_param":
                self.max_params[key] = p.parse_hgetall(self.device, sec.command, sec.output)
        # per-port views of switch-wide tables, built once instead of scanning the table for every port
        self.maps: dict[tuple[str, str], dict[int, int] | None] = {}
        self._queue_entries: dict[str, list[tuple[str, dict[str, Any]]]] | None = None

    def _section(self, name: str, parser: Any, missing: Any) -> Any:
        sec = self.raw.sections.get(name)
        if sec is None:
            return missing
        try:
            return parser(self.device, sec.command, sec.output)
        except p.Unavailable as exc:
            self.errors.append(f"{sec.command}: not available on this release ({exc})")
            return missing

    def queue_entries(self, port: str) -> list[tuple[str, dict[str, Any]]]:
        """(queue key, QUEUE entry) of `port`, in table order; the table is indexed by port on first use."""
        if self._queue_entries is None:
            self._queue_entries = {}
            for key, entry in self.table("QUEUE").items():
                q_port, _, q_key = key.rpartition("|")
                self._queue_entries.setdefault(q_port, []).append((q_key, entry))
        return self._queue_entries.get(port, [])

    def table(self, name: str) -> Table:
        value = self.cfg.get(name) or {}
        if not isinstance(value, dict):
            raise ParseError(self.device, CONFIG_DB_COMMAND, f"table {name} is not an object")
        return value


def normalize(raw: SonicRaw) -> DeviceState:
    ctx = _Ctx(raw)
    meta = ctx.table("DEVICE_METADATA").get("localhost", {})
    wd_global = ctx.table("PFC_WD").get("GLOBAL", {})
    state = DeviceState(
        name=raw.device,
        kind=DeviceKind.switch,
        platform="sonic",
        hostname=meta.get("hostname"),
        os_version=ctx.version.get("SONiC Software Version"),
        buffer_model=_buffer_model(meta.get("buffer_model")),
        buffer_profiles={n: _profile(n, e) for n, e in ctx.table("BUFFER_PROFILE").items()},
        buffer_pool_sizes={
            n: _int(ctx, f"BUFFER_POOL|{n}.size", e["size"]) or 0
            for n, e in ctx.table("BUFFER_POOL").items()
            if e.get("size") not in (None, "")
        },
        watchdog_poll_interval=_int(ctx, "PFC_WD|GLOBAL.POLL_INTERVAL", wd_global.get("POLL_INTERVAL")),
        default_pfcwd_status=meta.get("default_pfcwd_status"),
        config_saved=_config_saved(ctx),
        gathered_at=raw.gathered_at,
    )
    for port in sorted(ctx.table("PORT"), key=port_sort_key):
        state.ports[port] = _port(ctx, port)
    state.raw_errors.extend(ctx.errors)
    return state


def port_sort_key(name: str) -> tuple[str, int]:
    """Ethernet4 before Ethernet12 (numeric, not lexical)."""
    digits = "".join(ch for ch in name if ch.isdigit())
    return (name.rstrip("0123456789"), int(digits) if digits else -1)


def _int(ctx: _Ctx, what: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ParseError(ctx.device, CONFIG_DB_COMMAND, f"{what}: {value!r} is not an integer") from None


def _buffer_model(value: str | None) -> Any:
    if value in ("traditional", "dynamic"):
        return value
    return "traditional" if value is None else None


def _profile(name: str, entry: dict[str, Any]) -> BufferProfileState:
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


def _config_saved(ctx: _Ctx) -> bool | None:
    sec = ctx.raw.sections.get("saved_config")
    if sec is None:
        return None
    try:
        saved = json.loads(sec.output)
    except json.JSONDecodeError:
        ctx.errors.append(f"{sec.command}: saved config unreadable ({sec.output.strip()[:80]!r})")
        return None
    return bool(saved == ctx.cfg)


def _map(ctx: _Ctx, table: str, name: str | None) -> dict[int, int]:
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


def _convert_map(ctx: _Ctx, table: str, name: str) -> dict[int, int] | None:
    entry = ctx.table(table).get(strip_reference(name))
    if entry is None:
        return None
    out: dict[int, int] = {}
    for k, v in entry.items():
        key, value = _int(ctx, f"{table}|{name}", k), _int(ctx, f"{table}|{name}.{k}", v)
        if key is not None and value is not None:
            out[key] = value
    return dict(sorted(out.items()))


def _port(ctx: _Ctx, port: str) -> PortState:
    cfg_port = ctx.table("PORT").get(port, {})
    qos = ctx.table("PORT_QOS_MAP").get(port, {})
    glob = ctx.table("PORT_QOS_MAP").get(QOS_GLOBAL, {})
    dscp_map = qos.get("dscp_to_tc_map") or glob.get("dscp_to_tc_map")
    dot1p_map = qos.get("dot1p_to_tc_map")
    trust = TrustMode.dscp if dscp_map else TrustMode.pcp if dot1p_map else TrustMode.none
    status = ctx.status.get(port, {})
    return PortState(
        name=port,
        admin_up=cfg_port.get("admin_status", "down") == "up",
        oper_up=(status["Oper"] == "up") if status.get("Oper") else None,
        speed_mbps=_int(ctx, f"PORT|{port}.speed", cfg_port.get("speed")),
        mtu=_int(ctx, f"PORT|{port}.mtu", cfg_port.get("mtu") or status.get("MTU")),
        cable_m=_cable(ctx, port),
        trust=trust,
        dscp_to_priority=_map(ctx, "DSCP_TO_TC_MAP", dscp_map),
        pcp_to_priority=_map(ctx, "DOT1P_TO_TC_MAP", dot1p_map),
        priority_to_pg=_map(ctx, "TC_TO_PRIORITY_GROUP_MAP", qos.get("tc_to_pg_map")),
        priority_to_queue=_map(ctx, "TC_TO_QUEUE_MAP", qos.get("tc_to_queue_map")),
        pfc_priority_to_queue=_map(ctx, "MAP_PFC_PRIORITY_TO_QUEUE", qos.get("pfc_to_queue_map")),
        lossless_priorities=parse_priorities(str(qos.get("pfc_enable", ""))),
        pfc_asym=cfg_port.get("pfc_asym") == "on" if "pfc_asym" in cfg_port else None,
        priority_groups=_priority_groups(ctx, port),
        queues=_queues(ctx, port),
        watchdog=_watchdog(ctx, port, qos),
        counters=_counters(ctx, port),
        max_headroom_size=_int(
            ctx, f"BUFFER_MAX_PARAM_TABLE|{port}", ctx.max_params.get(port, {}).get("max_headroom_size")
        ),
        vlans=_vlans(ctx, port),
    )


def _vlans(ctx: _Ctx, port: str) -> list[int]:
    """VLAN_MEMBER keys are `Vlan1000|Ethernet0`; [] means a routed port."""
    out: list[int] = []
    for key in ctx.table("VLAN_MEMBER"):
        vlan, _, member = key.partition("|")
        if member == port and vlan.startswith("Vlan") and vlan[4:].isdigit():
            out.append(int(vlan[4:]))
    return sorted(out)


def _cable(ctx: _Ctx, port: str) -> int | None:
    for entry in ctx.table("CABLE_LENGTH").values():
        if port in entry:
            text = str(entry[port]).strip()
            if not text.endswith("m") or not text[:-1].isdigit():
                raise ParseError(ctx.device, CONFIG_DB_COMMAND, f"CABLE_LENGTH {port}: {text!r} is not '<n>m'")
            return int(text[:-1])
    return None


def _range(ctx: _Ctx, key: str) -> list[int]:
    """PG / queue range key "3-4" -> [3, 4]; anything else is a ParseError."""
    values = key_priorities(key)
    if not values:
        raise ParseError(ctx.device, CONFIG_DB_COMMAND, f"priority-group/queue key {key!r} is not N or N-M")
    return sorted(values)


def _priority_groups(ctx: _Ctx, port: str) -> list[PriorityGroupState]:
    configured = {k.split("|", 1)[1]: e for k, e in ctx.table("BUFFER_PG").items() if k.split("|", 1)[0] == port}
    programmed_keys = {k.split(":", 2)[2] for k in ctx.appl_pg_keys if k.split(":")[1:2] == [port]}
    programmed_keys |= {k.split(":", 1)[1] for k, v in ctx.appl_pgs.items() if k.split(":")[0] == port and v}
    groups: list[PriorityGroupState] = []
    for key in sorted(set(configured) | programmed_keys):
        profile = configured.get(key, {}).get("profile")
        appl = ctx.appl_pgs.get(f"{port}:{key}") or {}
        programmed: BufferProfileState | None = None
        if appl.get("profile"):
            name = strip_reference(appl["profile"])
            programmed = _profile(name, ctx.appl_profiles.get(name, {}))
        elif key in programmed_keys:
            # listed in APPL_DB but not read (not a lossless PG of interest): buffermgrd copies CONFIG_DB
            name = strip_reference(str(profile)) if profile else "unknown"
            programmed = _profile(name, ctx.table("BUFFER_PROFILE").get(name, {}))
        groups.append(
            PriorityGroupState(
                key=key,
                priorities=_range(ctx, key),
                configured_profile=strip_reference(str(profile)) if profile else None,
                programmed=programmed,
            )
        )
    return groups


def _queues(ctx: _Ctx, port: str) -> dict[int, QueueState]:
    out: dict[int, QueueState] = {}
    wd = ctx.wd.get(port, {})
    for q_key, entry in ctx.queue_entries(port):
        for q in _range(ctx, q_key):
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


def _scheduler(ctx: _Ctx, ref: str | None) -> SchedulerState | None:
    if not ref:
        return None
    name = strip_reference(ref)
    entry = ctx.table("SCHEDULER").get(name, {})
    kind = str(entry.get("type", "WRR")).lower()
    return SchedulerState(
        name=name,
        type=kind if kind in ("strict", "dwrr", "wrr") else "vendor",  # type: ignore[arg-type]
        weight=_int(ctx, f"SCHEDULER|{name}.weight", entry.get("weight")),
    )


def _ecn(ctx: _Ctx, ref: str | None) -> EcnState | None:
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
        min_threshold=_int(ctx, f"WRED_PROFILE|{name}", entry.get("green_min_threshold")),
        max_threshold=_int(ctx, f"WRED_PROFILE|{name}", entry.get("green_max_threshold")),
        probability=_int(ctx, f"WRED_PROFILE|{name}", entry.get("green_drop_probability", "100")),
        mode=mode,
    )


def _watchdog(ctx: _Ctx, port: str, qos: dict[str, Any]) -> WatchdogState:
    entry = ctx.table("PFC_WD").get(port)
    poll = ctx.table("PFC_WD").get("GLOBAL", {}).get("POLL_INTERVAL")
    if entry is None:
        return WatchdogState(present=False, priorities=parse_priorities(str(qos.get("pfcwd_sw_enable", ""))))
    return WatchdogState(
        present=True,
        action=entry.get("action", "drop"),
        detection_time=_int(ctx, f"PFC_WD|{port}.detection_time", entry.get("detection_time")),
        restoration_time=_int(ctx, f"PFC_WD|{port}.restoration_time", entry.get("restoration_time")),
        poll_interval=_int(ctx, "PFC_WD|GLOBAL.POLL_INTERVAL", poll),
        priorities=parse_priorities(str(qos.get("pfcwd_sw_enable", ""))),
    )


def _counters(ctx: _Ctx, port: str) -> PortCounters:
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
