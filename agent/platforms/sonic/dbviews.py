"""What the SONiC CLIs would print, computed from the databases they read (the one-round-trip read).

`show pfc counters` (pfcstat), `show queue counters` (queuestat), `show queue wredcounters` (wredstat),
`pfcwd show stats -e`, `show priority-group watermark headroom` (watermarkstat) and `show interfaces
status` (intfutil) are Python CLIs that each cost the switch about a second to start; all they do is
read COUNTERS_DB / APPL_DB through the name maps. These functions do the same lookups on a DB read and
return exactly the shapes the parsers in `parsers.py` return for the CLI text, so normalize does not
care which path read the switch (tests compare both on sonic-utilities' own mock DB and CLI output).

Differences from the CLIs, on purpose: counters are absolute (the CLIs subtract the snapshot a user's
`sonic-clear ...` saved in /tmp for that user), and `N/A` fields are simply absent.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.platforms.sonic.parsers import DATA_QUEUE_TYPES

Hashes = Mapping[str, Mapping[str, str]]  # redis key -> hash

_QUEUE_TYPES = {"SAI_QUEUE_TYPE_UNICAST": "UC", "SAI_QUEUE_TYPE_MULTICAST": "MC", "SAI_QUEUE_TYPE_ALL": "ALL",
                "SAI_QUEUE_TYPE_UNICAST_VOQ": "VOQ"}  # fmt: skip
_QUEUE_FIELDS = {
    "totalpacket": "SAI_QUEUE_STAT_PACKETS",
    "totalbytes": "SAI_QUEUE_STAT_BYTES",
    "droppacket": "SAI_QUEUE_STAT_DROPPED_PACKETS",
    "dropbytes": "SAI_QUEUE_STAT_DROPPED_BYTES",
}
ECN_MARKED = "SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS"
PG_HEADROOM = "SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES"
COUNTER_MAPS = ("COUNTERS_PORT_NAME_MAP", "COUNTERS_QUEUE_NAME_MAP", "COUNTERS_QUEUE_TYPE_MAP",
                "COUNTERS_QUEUE_INDEX_MAP", "COUNTERS_PG_NAME_MAP", "COUNTERS_PG_INDEX_MAP")  # fmt: skip


def _int(text: str | None) -> int | None:
    if text is not None and text.isdecimal():  # nearly every counter: skip the strip and the sign
        return int(text)
    value = (text or "").strip()
    return int(value) if value.lstrip("-").isdecimal() else None


def _stats(counters: Hashes, oid: str, table: str = "COUNTERS") -> Mapping[str, str]:
    return counters.get(f"{table}:{oid}") or {}


_PFC_FIELDS = {d: [(p, f"SAI_PORT_STAT_PFC_{p}_{d.upper()}_PKTS") for p in range(8)] for d in ("rx", "tx")}


def pfc_counters(counters: Hashes) -> dict[str, dict[str, dict[int, int]]]:
    """pfcstat: SAI_PORT_STAT_PFC_<p>_RX|TX_PKTS of every port in COUNTERS_PORT_NAME_MAP."""
    out: dict[str, dict[str, dict[int, int]]] = {"rx": {}, "tx": {}}
    for port, oid in (counters.get("COUNTERS_PORT_NAME_MAP") or {}).items():
        stats = _stats(counters, oid)
        for direction, fields in _PFC_FIELDS.items():
            values = {p: _int(stats.get(field)) for p, field in fields}
            out[direction][port] = {p: v for p, v in values.items() if v is not None}
    return out


DataQueues = list[tuple[str, int, str]]  # (port, queue index, oid)


def data_queues(counters: Hashes) -> DataQueues:
    """(port, queue index, oid) of the UC/ALL queues: the name map's port, the type and index maps' name.

    The queue is what `parsers.data_queue_index` accepts of queuestat's name (type + index: UC3, ALL3);
    the name is not built here, the type and the index are tested directly (the same answer, ~3x less CPU
    on a 64-port switch's 1,000+ queues). Computed once per read: queue and WRED counters both walk it."""
    types = counters.get("COUNTERS_QUEUE_TYPE_MAP") or {}
    indexes = counters.get("COUNTERS_QUEUE_INDEX_MAP") or {}
    out: DataQueues = []
    for name, oid in (counters.get("COUNTERS_QUEUE_NAME_MAP") or {}).items():
        port, _, default_index = name.rpartition(":")
        index = indexes.get(oid, default_index)
        if port and _QUEUE_TYPES.get(types.get(oid, "")) in DATA_QUEUE_TYPES and index.isdecimal():
            out.append((port, int(index), oid))
    return out


def queue_counters(counters: Hashes, queues: DataQueues | None = None) -> dict[str, dict[int, dict[str, int]]]:
    """queuestat --json, data queues: {port: {queue: {totalpacket, totalbytes, droppacket, dropbytes}}}."""
    out: dict[str, dict[int, dict[str, int]]] = {}
    for port, index, oid in data_queues(counters) if queues is None else queues:
        stats = _stats(counters, oid)
        values = {name: _int(stats.get(field)) for name, field in _QUEUE_FIELDS.items()}
        out.setdefault(port, {})[index] = {k: v for k, v in values.items() if v is not None}
    return out


def wred_counters(counters: Hashes, queues: DataQueues | None = None) -> dict[str, dict[int, int]] | None:
    """wredstat's EcnMarked/pkts per data queue; None when no queue has the counter (not polled here)."""
    out: dict[str, dict[int, int]] = {}
    for port, index, oid in data_queues(counters) if queues is None else queues:
        value = _int(_stats(counters, oid).get(ECN_MARKED))
        if value is not None:
            out.setdefault(port, {})[index] = value
    return out or None


def pfcwd_stats(counters: Hashes) -> dict[str, dict[int, tuple[str, int | None]]]:
    """`pfcwd show stats`: (PFC_WD_STATUS, storms detected) of the queues the watchdog watches.

    pfcwdorch writes PFC_WD_STATUS into the COUNTERS entry of every queue it watches; `-e` would add every
    other queue as N/A with 0/0, which says nothing, so those are left out."""
    out: dict[str, dict[int, tuple[str, int | None]]] = {}
    for name, oid in (counters.get("COUNTERS_QUEUE_NAME_MAP") or {}).items():
        port, _, queue = name.rpartition(":")
        stats = counters.get(f"COUNTERS:{oid}")
        if stats is None or "PFC_WD_STATUS" not in stats or not port or not queue.isdigit():
            continue
        detected = _int(stats.get("PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED", "0"))
        out.setdefault(port, {})[int(queue)] = (stats.get("PFC_WD_STATUS", "N/A"), detected)
    return out


def pg_headroom_watermark(counters: Hashes) -> dict[str, dict[int, int]]:
    """watermarkstat -t pg_headroom: USER_WATERMARKS XOFF_ROOM per PG (index from COUNTERS_PG_INDEX_MAP)."""
    indexes = counters.get("COUNTERS_PG_INDEX_MAP") or {}
    out: dict[str, dict[int, int]] = {}
    for name, oid in (counters.get("COUNTERS_PG_NAME_MAP") or {}).items():
        port, _, pg = name.rpartition(":")
        index = indexes.get(oid, pg)
        value = _int(_stats(counters, oid, "USER_WATERMARKS").get(PG_HEADROOM))
        if port and index.isdigit() and value is not None:
            out.setdefault(port, {})[int(index)] = value
    return out


def interfaces_status(appl: Hashes, config_ports: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, str]]:
    """intfutil status columns the checks read (Oper, Admin, MTU) from APPL_DB PORT_TABLE, per CONFIG_DB port."""
    out: dict[str, dict[str, str]] = {}
    for port, cfg in config_ports.items():
        row = appl.get(f"PORT_TABLE:{port}") or {}
        out[port] = {
            "Interface": port,
            "Oper": row.get("oper_status", "N/A"),
            "Admin": row.get("admin_status", str(cfg.get("admin_status", "N/A"))),
            "MTU": row.get("mtu", str(cfg.get("mtu", "N/A"))),
        }
    return out


def version_from_yml(text: str, metadata: Mapping[str, object]) -> dict[str, str]:
    """`show version`'s keys from /etc/sonic/sonic_version.yml (what show version reads) and DEVICE_METADATA."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and not key.startswith((" ", "#", "-")):
            fields[key.strip()] = value.strip().strip("'\"")
    out = {"Platform": str(metadata.get("platform", "")), "HwSKU": str(metadata.get("hwsku", ""))}
    if "build_version" in fields:
        out["SONiC Software Version"] = f"SONiC.{fields['build_version']}"
    if "asic_type" in fields:
        out["ASIC"] = fields["asic_type"]
    return out
