"""APPL_DB and STATE_DB views that SONiC daemons maintain from CONFIG_DB.

* buffermgrd copies CONFIG_DB BUFFER_* rows into APPL_DB `BUFFER_*_TABLE`, turning `|` into `:`
  (sonic.md §1.2); in the dynamic model a `NULL` PG becomes the calculated profile (buffermgr.dynamic_profile).
* portmgrd/portsyncd publish PORT_TABLE with oper status (a cabled, admin-up port is up).
* pfcwdorch mirrors queues in storm to `PFC_WD_TABLE_INSTORM:<port>` (sonic.md §1.6).
"""

from __future__ import annotations

from collections.abc import Callable

from rocelab.sonic.buffermgr import dynamic_profile, pg_range
from rocelab.sonic.db import ConfigDb, Row
from rocelab.sonic.defaults import DEFAULT_MTU
from rocelab.sonic.sku import Sku
from rocelab.sonic.switch_hash import capability_row
from rocelab.sonic.watchdog import Watchdog

_BUFFER_TABLES = ("BUFFER_POOL", "BUFFER_PROFILE", "BUFFER_QUEUE", "BUFFER_PORT_INGRESS_PROFILE_LIST")


def render_appl_db(
    config: ConfigDb,
    cabled: frozenset[str],
    watchdog: Watchdog,
    now: Callable[[], int],
    sku: Sku,
    switch: Row | None = None,
) -> dict[str, Row]:
    out: dict[str, Row] = {"SWITCH_TABLE:switch": dict(switch)} if switch else {}
    dynamic = config.hget("DEVICE_METADATA|localhost", "buffer_model") == "dynamic"
    for key, row in config.rows.items():
        table, _, rest = key.partition("|")
        if table in _BUFFER_TABLES:
            out[f"{table}_TABLE:{rest.replace('|', ':')}"] = row
        elif table == "BUFFER_PG":
            _buffer_pg(config, out, rest, row, sku if dynamic else None)
        elif table == "PORT":
            oper = "up" if row.get("admin_status") == "up" and rest in cabled else "down"
            out[f"PORT_TABLE:{rest}"] = {**row, "oper_status": oper}
    if dynamic:
        _size_pools(out, sku)
    for (port, queue), _runs in watchdog.storms.items():
        wd = watchdog.watched(config, port, queue)
        if wd and watchdog.evaluate(wd, port, queue, now()).status == "stormed":
            key = f"PFC_WD_TABLE_INSTORM:{port}"
            out[key] = {**out.get(key, {}), str(queue): "storm"}
    return out


def _mmu_bytes(sku: Sku) -> int:
    """The traditional model's ingress_lossless_pool size of the SKU: what the dynamic model shares out."""
    size = sku.tables["traditional"].get("BUFFER_POOL", {}).get("ingress_lossless_pool", {}).get("size", "0")
    return int(size) if size.isdigit() else 0


def _size_pools(out: dict[str, Row], sku: Sku) -> None:
    """buffermgrd-dyn gives every pool without a configured size what headroom leaves of the MMU
    (lossless-engineering.md §1.2, simplified: no management/mirror/SHP terms)."""
    headroom = 0
    for key, row in out.items():
        if key.startswith("BUFFER_PG_TABLE:"):
            profile = out.get(f"BUFFER_PROFILE_TABLE:{row.get('profile', '')}", {})
            size = profile.get("size", "0")
            if "xoff" in profile and size.isdigit():
                headroom += int(size) * len(pg_range(key.rsplit(":", 1)[1]))
    for key in [k for k in out if k.startswith("BUFFER_POOL_TABLE:")]:
        if "size" not in out[key]:
            out[key] = {**out[key], "size": str(_mmu_bytes(sku) - headroom)}


def _buffer_pg(config: ConfigDb, out: dict[str, Row], rest: str, row: Row, dynamic: Sku | None) -> None:
    port, _, pgs = rest.partition("|")
    if dynamic is None or row.get("profile") != "NULL":
        out[f"BUFFER_PG_TABLE:{port}:{pgs}"] = row
        return
    made = dynamic_profile(config, port, dynamic)
    if made is None:
        return
    name, profile = made
    out[f"BUFFER_PROFILE_TABLE:{name}"] = profile
    out[f"BUFFER_PG_TABLE:{port}:{pgs}"] = {"profile": name}


def render_state_db(config: ConfigDb, cabled: frozenset[str]) -> dict[str, Row]:
    hwsku = config.hget("DEVICE_METADATA|localhost", "hwsku") or ""
    out: dict[str, Row] = {"SWITCH_CAPABILITY|switch": capability_row(hwsku)}
    dynamic = config.hget("DEVICE_METADATA|localhost", "buffer_model") == "dynamic"
    for key, row in config.rows.items():
        table, _, port = key.partition("|")
        if table != "PORT":
            continue
        up = row.get("admin_status") == "up" and port in cabled
        out[f"PORT_TABLE|{port}"] = {
            "admin_status": row.get("admin_status", "down"),
            "mtu": row.get("mtu", DEFAULT_MTU),
            "netdev_oper_status": "up" if up else "down",
            "speed": row.get("speed", ""),
            "state": "ok",
        }
        if dynamic:
            out[f"BUFFER_MAX_PARAM_TABLE|{port}"] = {"max_headroom_size": "1048576"}
    return out
