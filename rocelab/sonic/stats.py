"""queuestat, wredstat and watermarkstat as the twin prints them: read from COUNTERS_DB name maps.

Behaviour taken from sonic-utilities scripts/queuestat, scripts/wredstat and scripts/watermarkstat (read,
not copied): the queues of a port are every entry of COUNTERS_QUEUE_NAME_MAP whose COUNTERS_QUEUE_PORT_MAP
entry is that port's OID, natsorted by name, labelled with the COUNTERS_QUEUE_TYPE_MAP type (UC, MC, ALL,
VOQ) plus the COUNTERS_QUEUE_INDEX_MAP index; a counter missing from the queue's hash prints `N/A`.
Without a `sonic-clear` baseline numbers are plain (`str(int(v))`); against a baseline they are
differences with thousands separators (`ns_diff`), and each port's table is preceded by the time of the
baseline. Tables are python-tabulate `simple` with `stralign='right'` and tabulate's own number parsing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from tabulate import tabulate

from rocelab.sonic.db import HashDb
from rocelab.sonic.show import natsorted, natural_key

NA = "N/A"
QUEUE_TYPES = {
    "SAI_QUEUE_TYPE_UNICAST": "UC",
    "SAI_QUEUE_TYPE_MULTICAST": "MC",
    "SAI_QUEUE_TYPE_ALL": "ALL",
    "SAI_QUEUE_TYPE_UNICAST_VOQ": "VOQ",
}
QUEUE_FIELDS = {
    "totalpacket": "SAI_QUEUE_STAT_PACKETS",
    "totalbytes": "SAI_QUEUE_STAT_BYTES",
    "droppacket": "SAI_QUEUE_STAT_DROPPED_PACKETS",
    "dropbytes": "SAI_QUEUE_STAT_DROPPED_BYTES",
}
WRED_FIELDS = {
    "wreddroppacket": "SAI_QUEUE_STAT_WRED_DROPPED_PACKETS",
    "wreddropbytes": "SAI_QUEUE_STAT_WRED_DROPPED_BYTES",
    "ecnmarkedpacket": "SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS",
    "ecnmarkedbytes": "SAI_QUEUE_STAT_WRED_ECN_MARKED_BYTES",
}
QUEUE_HEADER = ["Port", "TxQ", "Counter/pkts", "Counter/bytes", "Drop/pkts", "Drop/bytes"]
WRED_HEADER = ["Port", "TxQ", "WredDrp/pkts", "WredDrp/bytes", "EcnMarked/pkts", "EcnMarked/bytes"]


class StatError(Exception):
    """What the real script prints before `sys.exit(1)` (on stdout, as those scripts do)."""


@dataclass(frozen=True)
class Baseline:
    """What `sonic-clear` saved: when, and each object's counters as they were read (`N/A` kept)."""

    time: str
    values: Mapping[str, Mapping[str, str]]  # oid -> SAI field -> value


@dataclass(frozen=True)
class QueueRef:
    name: str  # Ethernet0:3
    oid: str
    label: str  # UC3, MC10, ALL5


def port_queues(counters: HashDb) -> dict[str, list[QueueRef]]:
    """Port -> its queues in natsorted name order, typed from COUNTERS_QUEUE_TYPE_MAP."""
    ports = counters.hgetall("COUNTERS_PORT_NAME_MAP")
    if not ports:
        raise StatError("COUNTERS_PORT_NAME_MAP is empty!")
    names = counters.hgetall("COUNTERS_QUEUE_NAME_MAP")
    if not names:
        raise StatError("COUNTERS_QUEUE_NAME_MAP is empty!")
    by_oid = {oid: port for port, oid in ports.items()}
    port_map = counters.hgetall("COUNTERS_QUEUE_PORT_MAP")
    index_map = counters.hgetall("COUNTERS_QUEUE_INDEX_MAP")
    type_map = counters.hgetall("COUNTERS_QUEUE_TYPE_MAP")
    out: dict[str, list[QueueRef]] = {port: [] for port in ports}
    for name in natsorted(names):
        oid = names[name]
        port = by_oid.get(port_map.get(oid, ""))
        if port is None:
            raise StatError(f"Port is not available! {oid}")
        if oid not in index_map:
            raise StatError(f"Queue index is not available! {oid}")
        kind = QUEUE_TYPES.get(type_map.get(oid, ""))
        if kind is None:
            raise StatError(f"Queue Type is invalid: {oid} {type_map.get(oid)}")
        out[port].append(QueueRef(name, oid, kind + index_map[oid]))
    return out


def read_fields(counters: HashDb, oid: str, fields: Mapping[str, str]) -> dict[str, str]:
    """One object's counters as the scripts read them: `str(int(v))`, `N/A` when the field is absent."""
    row = counters.hgetall(f"COUNTERS:{oid}")
    return {sai: str(int(row[sai])) if row.get(sai, "").isdigit() else NA for sai in fields.values()}


def snapshot(counters: HashDb, oids: list[str], fields: Mapping[str, str], time: str) -> Baseline:
    return Baseline(time, {oid: read_fields(counters, oid, fields) for oid in oids})


def ns_diff(new: str, old: str) -> str:
    """The difference since the baseline, never negative, with thousands separators; `N/A` stays."""
    if new == NA:
        return NA
    return f"{max(0, int(new) - int(old if old != NA else '0')):,}"


def _table(rows: list[list[str]], header: list[str]) -> str:
    return str(tabulate(rows, header, tablefmt="simple", stralign="right")) + "\n"


@dataclass(frozen=True)
class QueueReport:
    """One queuestat/wredstat run: which counters, and how the real script frames a port."""

    fields: Mapping[str, str]  # JSON key -> SAI field, in column order
    header: list[str]
    namespace_line: bool  # queuestat prints `For namespace :` before each plain table; wredstat does not
    keep_unbaselined: bool  # wredstat prints queues missing from the baseline raw; queuestat drops them
    missing_port: str  # the message for an unknown `-p PORT`


QUEUESTAT = QueueReport(QUEUE_FIELDS, QUEUE_HEADER, True, False, "Port doesn't exist!")
WREDSTAT = QueueReport(WRED_FIELDS, WRED_HEADER, False, True, "Port does not exist!")


def _rows(
    report: QueueReport, counters: HashDb, port: str, queues: list[QueueRef], baseline: Baseline | None
) -> list[list[str]]:
    rows = []
    for queue in queues:
        now = read_fields(counters, queue.oid, report.fields)
        old = None if baseline is None else baseline.values.get(queue.oid)
        if baseline is not None and old is None and not report.keep_unbaselined:
            continue
        values = [now[sai] if old is None else ns_diff(now[sai], old.get(sai, NA)) for sai in report.fields.values()]
        rows.append([port, queue.label, *values])
    return rows


def queue_report(
    report: QueueReport,
    counters: HashDb,
    *,
    port: str | None,
    as_json: bool,
    baseline: Baseline | None,
    now: str,
) -> str:
    """The whole output of `queuestat|wredstat [-p PORT] [-j]` (raises StatError like the script exits)."""
    queues = port_queues(counters)
    if port is not None and port not in queues:
        raise StatError(f"{report.missing_port} {port}")
    selected = [port] if port is not None else natsorted(queues)
    if as_json:
        doc: dict[str, dict[str, object]] = {}
        for name in selected:
            rows = _rows(report, counters, name, queues[name], baseline)
            entry: dict[str, object] = {"time": now}
            if baseline is not None:
                entry["cached_time"] = baseline.time
            entry.update({row[1]: dict(zip(report.fields, row[2:], strict=True)) for row in rows})
            doc[name] = entry
        return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    out = ""
    if baseline is not None and port is not None:
        out += f"Last cached time was {baseline.time}\n"
    for name in selected:
        rows = _rows(report, counters, name, queues[name], baseline)
        if not rows:
            continue
        if baseline is not None and port is None:
            out += f"{name} Last cached time was {baseline.time}\n"
        elif baseline is None and report.namespace_line:
            out += "For namespace :\n"
        out += _table(rows, report.header) + "\n"
    return out


PG_HEADROOM = "SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES"
PG_SHARED = "SAI_INGRESS_PRIORITY_GROUP_STAT_SHARED_WATERMARK_BYTES"
Q_SHARED = "SAI_QUEUE_STAT_SHARED_WATERMARK_BYTES"
WATERMARKS = {  # -t TYPE -> (title, object kind, queue type or "", SAI field, header prefix)
    "pg_headroom": ("Ingress headroom per PG:", "pg", "", PG_HEADROOM, "PG"),
    "pg_shared": ("Ingress shared pool occupancy per PG:", "pg", "", PG_SHARED, "PG"),
    "q_shared_uni": ("Egress shared pool occupancy per unicast queue:", "queue", "UC", Q_SHARED, "UC"),
    "q_shared_multi": ("Egress shared pool occupancy per multicast queue:", "queue", "MC", Q_SHARED, "MC"),
    "q_shared_all": ("Egress shared pool occupancy per all queues:", "queue", "ALL", Q_SHARED, "ALL"),
}
POOL_WATERMARKS = {
    "buffer_pool": ("Shared pool maximum occupancy:", "SAI_BUFFER_POOL_STAT_WATERMARK_BYTES"),
    "headroom_pool": ("Headroom pool maximum occupancy:", "SAI_BUFFER_POOL_STAT_XOFF_ROOM_WATERMARK_BYTES"),
}
WM_TABLE = {False: "USER_WATERMARKS:", True: "PERSISTENT_WATERMARKS:"}


def _objects(counters: HashDb, kind: str, queue_type: str) -> dict[str, dict[int, str]]:
    """Port -> {index: oid} of its PGs, or of its queues of one type."""
    ports = counters.hgetall("COUNTERS_PORT_NAME_MAP")
    by_oid = {oid: port for port, oid in ports.items()}
    out: dict[str, dict[int, str]] = {port: {} for port in ports}
    prefix = "COUNTERS_PG" if kind == "pg" else "COUNTERS_QUEUE"
    port_map, index_map = counters.hgetall(f"{prefix}_PORT_MAP"), counters.hgetall(f"{prefix}_INDEX_MAP")
    type_map = counters.hgetall("COUNTERS_QUEUE_TYPE_MAP")
    for name, oid in counters.hgetall(f"{prefix}_NAME_MAP").items():
        if kind == "queue" and QUEUE_TYPES.get(type_map.get(oid, "")) != queue_type:
            continue
        port = by_oid.get(port_map.get(oid, ""))
        index = index_map.get(oid)
        if port is None or index is None:
            raise StatError(f"Port is not available in table '{oid}'")
        out[port][int(name.rsplit(":", 1)[1])] = oid
    return out


def watermark_report(counters: HashDb, wm_type: str, *, persistent: bool) -> str:
    """`watermarkstat [-p] -t TYPE`: a port row with one column per index any port has."""
    table_prefix = WM_TABLE[persistent]
    if wm_type in POOL_WATERMARKS:
        title, field = POOL_WATERMARKS[wm_type]
        pools = counters.hgetall("COUNTERS_BUFFER_POOL_NAME_MAP")
        rows = [
            [pool, counters.hget(table_prefix + oid, field) or NA]
            for pool, oid in sorted(pools.items(), key=lambda item: natural_key(item[0]))
            if wm_type != "headroom_pool" or "ingress_lossless" in pool
        ]
        return f"{title}\n" + _table(rows, ["Pool", "Bytes"])
    title, kind, queue_type, field, prefix = WATERMARKS[wm_type]
    objects = _objects(counters, kind, queue_type)
    indexes = sorted({i for per_port in objects.values() for i in per_port})
    if not indexes:
        if wm_type == "q_shared_multi":
            raise StatError(
                "Object map from the COUNTERS_DB is empty because the multicast queues are not configured "
                "in the CONFIG_DB!"
            )
        raise StatError("Object map is empty!")
    rows = []
    for port in natsorted(objects):
        cells = ["0"] * len(indexes)
        for index, oid in objects[port].items():
            value = counters.hget(table_prefix + oid, field)
            cells[indexes.index(index)] = str(int(value)) if value and value.isdigit() else NA
        rows.append([port, *cells])
    return f"{title}\n" + _table(rows, ["Port", *(f"{prefix}{i}" for i in indexes)])


def watermark_oids(counters: HashDb, wm_type: str, *, persistent: bool) -> tuple[str, str, list[str]]:
    """(table prefix, SAI field, object OIDs) a `watermarkstat -c -t TYPE` clear applies to."""
    if wm_type in POOL_WATERMARKS:
        pools = counters.hgetall("COUNTERS_BUFFER_POOL_NAME_MAP")
        return WM_TABLE[persistent], POOL_WATERMARKS[wm_type][1], list(pools.values())
    _title, kind, queue_type, field, _prefix = WATERMARKS[wm_type]
    oids = [oid for per_port in _objects(counters, kind, queue_type).values() for oid in per_port.values()]
    return WM_TABLE[persistent], field, oids
