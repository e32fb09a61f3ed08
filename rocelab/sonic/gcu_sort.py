"""The twin's patch sorter: the order GCU applies changes in, including the ports it flaps.

Since sonic-utilities #1998 (202205) the sorter's RequiredValueIdentifier (patch_sorter.py) requires
`PORT|<p>.admin_status == down` while it changes any of these rows of port p, then restores the port:

    BUFFER_PG|<p>|*, BUFFER_PORT_EGRESS_PROFILE_LIST|<p>, BUFFER_PORT_INGRESS_PROFILE_LIST|<p>,
    BUFFER_QUEUE|<p>|*, PORT_QOS_MAP|<p>, QUEUE|<p>|*

An absent admin_status counts as `down` (its default), so such a port is not touched; a port whose PORT row
does not exist is skipped. Everything else (the maps, WRED_PROFILE, SCHEDULER, PFC_WD, CABLE_LENGTH, PORT.mtu,
PORT_QOS_MAP|global, FLEX_COUNTER_TABLE, DEVICE_METADATA) changes without a flap.
"""

from __future__ import annotations

from typing import Any

REFERENCED = frozenset(
    {
        "DSCP_TO_TC_MAP", "DOT1P_TO_TC_MAP", "TC_TO_PRIORITY_GROUP_MAP", "TC_TO_QUEUE_MAP",
        "MAP_PFC_PRIORITY_TO_QUEUE", "PFC_PRIORITY_TO_PRIORITY_GROUP_MAP", "TC_TO_DSCP_MAP", "SCHEDULER",
        "WRED_PROFILE", "BUFFER_POOL", "BUFFER_PROFILE", "PORT",
    }
)  # fmt: skip
PORT_ROW_TABLES = frozenset({"BUFFER_PORT_EGRESS_PROFILE_LIST", "BUFFER_PORT_INGRESS_PROFILE_LIST", "PORT_QOS_MAP"})
PORT_PREFIX_TABLES = frozenset({"BUFFER_PG", "BUFFER_QUEUE", "QUEUE"})

Op = dict[str, Any]


def parts(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]] if path else []


def _key_port(table: str, key: str) -> str | None:
    if table in PORT_ROW_TABLES:
        return None if key == "global" else key
    if table in PORT_PREFIX_TABLES:
        return key.partition("|")[0]
    return None


def ports_requiring_down(op: Op) -> set[str]:
    """Ports whose port-critical rows `op` changes (a table-level op names every key of its value)."""
    p = parts(op["path"])
    if not p:
        return set()
    table = p[0]
    if table not in PORT_ROW_TABLES | PORT_PREFIX_TABLES:
        return set()
    if len(p) >= 2:
        port = _key_port(table, p[1])
        return {port} if port else set()
    value = op.get("value")
    keys = list(value) if isinstance(value, dict) else []
    return {port for k in keys if (port := _key_port(table, str(k)))}


def _phase(op: Op) -> int:
    """1. adds/replaces of referenced objects; 2. CABLE_LENGTH (the PG follows the new cable before
    pfc_enable moves it); 3. everything else in patch order; 4. removals of referenced objects."""
    p = parts(op["path"])
    table = p[0] if p else ""
    if table in REFERENCED:
        return 3 if op["op"] == "remove" else 0
    return 1 if table == "CABLE_LENGTH" else 2


def _grouped(ordered: list[Op]) -> list[Op]:
    """Phase-3 ops that need a port down come after the others, one port's changes together, so each
    port is down once and for as short a time as possible (one port at a time)."""
    middle = [op for op in ordered if _phase(op) == 2]
    critical = [op for op in middle if ports_requiring_down(op)]
    rest = [op for op in middle if not ports_requiring_down(op)]
    critical.sort(key=lambda op: min(_natural(p) for p in ports_requiring_down(op)))
    head = [op for op in ordered if _phase(op) < 2]
    tail = [op for op in ordered if _phase(op) > 2]
    return head + rest + critical + tail


def _natural(name: str) -> tuple[str, int]:
    digits = name.rstrip("0123456789")
    return digits, int(name[len(digits) :] or 0)


def _admin(port: str, value: str) -> Op:
    return {"op": "replace", "path": f"/PORT/{port.replace('~', '~0').replace('/', '~1')}/admin_status", "value": value}


def sort_changes(ops: list[Op], current: dict[str, Any]) -> tuple[list[Op], list[str]]:
    """(changes in apply order, ports flapped). Each port-critical op is bracketed by its ports' down/up."""
    ordered = _grouped(sorted(ops, key=_phase))
    own_admin = {p[1] for op in ops if len(p := parts(op["path"])) >= 3 and p[0] == "PORT" and p[2] == "admin_status"}
    ports_now = current.get("PORT", {})

    def flaps(op: Op) -> list[str]:
        wanted = ports_requiring_down(op) - own_admin
        return sorted(p for p in wanted if p in ports_now and ports_now[p].get("admin_status", "down") == "up")

    out: list[Op] = []
    flapped: list[str] = []
    pending: list[str] = []  # ports down right now, waiting for their last critical change
    remaining = [sorted(flaps(op), key=_natural) for op in ordered]
    for index, op in enumerate(ordered):
        for port in remaining[index]:
            if port not in pending:
                out.append(_admin(port, "down"))
                pending.append(port)
                if port not in flapped:
                    flapped.append(port)
        out.append(op)
        later = {p for r in remaining[index + 1 :] for p in r}
        for port in [p for p in pending if p not in later]:
            out.append(_admin(port, "up"))
            pending.remove(port)
    return out, flapped
