"""ASIC_DB (redis db 1) as orchagent/syncd would program it in a virtual switch, for "proof of programming".

Reference sonic.md §2.4 and §5.2: in sonic-vs every SAI object orchagent creates is stored in ASIC_DB, so
validators compare it with CONFIG_DB. The twin renders the objects the lossless checks read:
* `SAI_OBJECT_TYPE_PORT`: `SAI_PORT_ATTR_PRIORITY_FLOW_CONTROL` = pfc_enable bitmask (`3,4` -> `24`),
  without the priorities of queues a watchdog with action drop/forward holds in storm (sonic-swss
  tests/test_pfcwd.py); `SAI_PORT_ATTR_MTU` = port MTU + 22 (Ethernet header, VLAN tag, FCS); speed;
* `SAI_OBJECT_TYPE_WRED` per WRED_PROFILE and `SAI_QUEUE_ATTR_WRED_PROFILE_ID` on the queues using it;
* `SAI_OBJECT_TYPE_BUFFER_PROFILE` per APPL_DB profile and the ingress PGs pointing at it.
OIDs of named objects are derived from the name, so they are stable while the object exists.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping

from rocelab.sonic.buffermgr import parse_priorities, pg_range, plain_ref
from rocelab.sonic.counters import pg_oid, port_oid, queue_oid
from rocelab.sonic.db import ConfigDb, Row
from rocelab.sonic.defaults import DEFAULT_MTU
from rocelab.sonic.watchdog import Watchdog

ECN_MODES = {
    "ecn_none": "SAI_ECN_MARK_MODE_NONE",
    "ecn_green": "SAI_ECN_MARK_MODE_GREEN",
    "ecn_yellow": "SAI_ECN_MARK_MODE_YELLOW",
    "ecn_red": "SAI_ECN_MARK_MODE_RED",
    "ecn_green_yellow": "SAI_ECN_MARK_MODE_GREEN_YELLOW",
    "ecn_green_red": "SAI_ECN_MARK_MODE_GREEN_RED",
    "ecn_yellow_red": "SAI_ECN_MARK_MODE_YELLOW_RED",
    "ecn_all": "SAI_ECN_MARK_MODE_ALL",
}
_WRED_BASE, _PROFILE_BASE = 0x13000000000000, 0x19000000000000
PREFIX = "ASIC_STATE:SAI_OBJECT_TYPE_"


def named_oid(base: int, name: str) -> str:
    return f"oid:0x{base + (zlib.crc32(name.encode()) & 0xFFFFFF):x}"


def render_asic_db(
    config: ConfigDb, appl: Callable[[str], dict[str, dict[str, str]]], watchdog: Watchdog, now: int
) -> dict[str, Row]:
    """`appl(table)` returns APPL_DB rows of one table keyed by the part after `TABLE:`."""
    out: dict[str, Row] = {}
    ports = list(config.table("PORT"))
    for name, row in config.table("WRED_PROFILE").items():
        out[f"{PREFIX}WRED:{named_oid(_WRED_BASE, name)}"] = _wred(row)
    for name, row in appl("BUFFER_PROFILE_TABLE").items():
        out[f"{PREFIX}BUFFER_PROFILE:{named_oid(_PROFILE_BASE, name)}"] = _profile(config, row)
    pgs = appl("BUFFER_PG_TABLE")
    for index, port in enumerate(ports):
        out[f"{PREFIX}PORT:{port_oid(index)}"] = _port(config, port, watchdog, now)
        _queues(config, out, port, index)
        for key, row in pgs.items():
            name, _, pg_key = key.partition(":")
            if name == port and "profile" in row:
                for pg in pg_range(pg_key):
                    attr = named_oid(_PROFILE_BASE, plain_ref(row["profile"]))
                    out[f"{PREFIX}INGRESS_PRIORITY_GROUP:{pg_oid(index, pg)}"] = {
                        "SAI_INGRESS_PRIORITY_GROUP_ATTR_BUFFER_PROFILE": attr
                    }
    return out


def _port(config: ConfigDb, port: str, watchdog: Watchdog, now: int) -> Row:
    row = config.hgetall(f"PORT|{port}")
    prios = set(parse_priorities(config.hget(f"PORT_QOS_MAP|{port}", "pfc_enable") or ""))
    for prio in list(prios):
        wd = watchdog.watched(config, port, prio)
        if wd and wd.get("action", "drop") != "alert" and watchdog.evaluate(wd, port, prio, now).status == "stormed":
            prios.discard(prio)
    mtu = row.get("mtu", DEFAULT_MTU)
    return {
        "SAI_PORT_ATTR_ADMIN_STATE": "true" if row.get("admin_status") == "up" else "false",
        "SAI_PORT_ATTR_MTU": str(int(mtu) + 22) if mtu.isdigit() else mtu,
        "SAI_PORT_ATTR_PRIORITY_FLOW_CONTROL": str(sum(1 << p for p in prios)),
        "SAI_PORT_ATTR_SPEED": row.get("speed", "0"),
    }


def _queues(config: ConfigDb, out: dict[str, Row], port: str, index: int) -> None:
    for key, row in config.table("QUEUE").items():
        name, _, q = key.partition("|")
        if name == port and q.isdigit() and "wred_profile" in row:
            wred = named_oid(_WRED_BASE, plain_ref(row["wred_profile"]))
            out[f"{PREFIX}QUEUE:{queue_oid(index, int(q))}"] = {"SAI_QUEUE_ATTR_WRED_PROFILE_ID": wred}


def _wred(row: Mapping[str, str]) -> Row:
    out = {"SAI_WRED_ATTR_ECN_MARK_MODE": ECN_MODES.get(row.get("ecn", "ecn_none"), "SAI_ECN_MARK_MODE_NONE")}
    for color in ("green", "yellow", "red"):
        upper = color.upper()
        out[f"SAI_WRED_ATTR_{upper}_ENABLE"] = row.get(f"wred_{color}_enable", "false")
        for field, attr in (("min_threshold", "MIN_THRESHOLD"), ("max_threshold", "MAX_THRESHOLD")):
            if f"{color}_{field}" in row:
                out[f"SAI_WRED_ATTR_{upper}_{attr}"] = row[f"{color}_{field}"]
        out[f"SAI_WRED_ATTR_{upper}_DROP_PROBABILITY"] = row.get(f"{color}_drop_probability", "100")
    return out


def _profile(config: ConfigDb, row: Mapping[str, str]) -> Row:
    pool = plain_ref(row.get("pool", ""))
    out = {
        "SAI_BUFFER_PROFILE_ATTR_POOL_ID": named_oid(0x18000000000000, pool),
        "SAI_BUFFER_PROFILE_ATTR_RESERVED_BUFFER_SIZE": row.get("size", "0"),
    }
    if "dynamic_th" in row:
        out["SAI_BUFFER_PROFILE_ATTR_THRESHOLD_MODE"] = "SAI_BUFFER_PROFILE_THRESHOLD_MODE_DYNAMIC"
        out["SAI_BUFFER_PROFILE_ATTR_SHARED_DYNAMIC_TH"] = row["dynamic_th"]
    elif "static_th" in row:
        out["SAI_BUFFER_PROFILE_ATTR_THRESHOLD_MODE"] = "SAI_BUFFER_PROFILE_THRESHOLD_MODE_STATIC"
        out["SAI_BUFFER_PROFILE_ATTR_SHARED_STATIC_TH"] = row["static_th"]
    for field, attr in (("xoff", "XOFF_TH"), ("xon", "XON_TH"), ("xon_offset", "XON_OFFSET_TH")):
        if field in row:
            out[f"SAI_BUFFER_PROFILE_ATTR_{attr}"] = row[field]
    return out
