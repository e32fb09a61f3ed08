"""COUNTERS_DB for the twin: name maps, OIDs and a small deterministic traffic model.

Counters are computed on read from per-port rates and the logical clock (one tick per command), so a
twin that nobody drives costs no memory and tests are deterministic. Rates depend on the configuration
(which priorities are lossless, whether a lossless PG with headroom exists, whether the queue's WRED
profile marks ECN); when the configuration or the traffic pattern changes, accumulated values are settled
first, so counters only ever increase. Watermarks keep their maximum.

Patterns: idle, steady (RoCE on the lossless priorities), incast (egress congestion: ECN marks, PFC
out on pfc-enabled priorities with headroom, drops without headroom or on lossy priorities), storm (the
peer floods PFC: PFC RX, paused queues, watchdog).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rocelab.sonic.db import ConfigDb, HashDb, Row
from rocelab.sonic.qosview import PortQos, port_qos, ports_qos
from rocelab.sonic.watchdog import Watchdog

PATTERNS = ("idle", "steady", "incast", "storm")
UC_QUEUES = 10  # vslib SwitchBCM56850: 20 queues per port, unicast below the half (sonic.md §5.2)
QUEUES = 20
PGS = 8
_PORT_OID, _QUEUE_OID, _PG_OID = 0x1000000000000, 0x15000000000000, 0x1A000000000000

Obj = tuple[str, int]  # ("port", 0) | ("queue", q) | ("pg", pg)


def port_oid(index: int) -> str:
    return f"oid:0x{_PORT_OID + 2 + index:x}"


def queue_oid(index: int, q: int) -> str:
    return f"oid:0x{_QUEUE_OID + (index << 8) + q:x}"


def pg_oid(index: int, pg: int) -> str:
    return f"oid:0x{_PG_OID + (index << 8) + pg:x}"


def decode_oid(oid: str) -> tuple[str, int, int] | None:
    """`oid:0x15...` -> ("queue", port index, queue index); None for foreign OIDs."""
    try:
        value = int(oid.removeprefix("oid:0x"), 16)
    except ValueError:
        return None
    for kind, base in (("queue", _QUEUE_OID), ("pg", _PG_OID)):
        if base <= value < base + 0x1000000:
            return kind, (value - base) >> 8, (value - base) & 0xFF
    if _PORT_OID + 2 <= value < _PORT_OID + 0x100000:
        return "port", value - _PORT_OID - 2, 0
    return None


def rates_for(pattern: str, qos: PortQos) -> dict[Obj, dict[str, int]]:
    """Per-tick counter increments of one port for one traffic pattern."""
    rates: dict[Obj, dict[str, int]] = {}
    if pattern == "idle":
        return rates

    def add(obj: Obj, name: str, value: int) -> None:
        rates.setdefault(obj, {})[name] = rates.get(obj, {}).get(name, 0) + value

    if pattern in ("steady", "incast"):
        add(("queue", 1), "SAI_QUEUE_STAT_PACKETS", 400)
        add(("queue", 1), "SAI_QUEUE_STAT_BYTES", 400 * 256)
    for p in qos.roce_prios:
        if pattern == "steady":
            add(("queue", p), "SAI_QUEUE_STAT_PACKETS", 8000)
            add(("queue", p), "SAI_QUEUE_STAT_BYTES", 8000 * 1024)
            add(("pg", p), "SAI_INGRESS_PRIORITY_GROUP_STAT_PACKETS", 8000)
        elif pattern == "incast":
            _incast(add, qos, p)
        elif pattern == "storm":
            add(("port", 0), f"SAI_PORT_STAT_PFC_{p}_RX_PKTS", 5000)
    return rates


def _incast(add: Callable[[Obj, str, int], None], qos: PortQos, p: int) -> None:
    add(("queue", p), "SAI_QUEUE_STAT_PACKETS", 20000)
    add(("queue", p), "SAI_QUEUE_STAT_BYTES", 20000 * 1024)
    add(("pg", p), "SAI_INGRESS_PRIORITY_GROUP_STAT_PACKETS", 20000)
    if p in qos.ecn_queues:
        add(("queue", p), "SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS", 1500)
        add(("queue", p), "SAI_QUEUE_STAT_WRED_ECN_MARKED_BYTES", 1500 * 1024)
    if p in qos.pfc and p in qos.headroom_xoff:
        add(("port", 0), f"SAI_PORT_STAT_PFC_{p}_TX_PKTS", 400)
    else:  # lossy priority, or lossless without headroom: the queue overflows
        add(("queue", p), "SAI_QUEUE_STAT_DROPPED_PACKETS", 1200)
        add(("queue", p), "SAI_QUEUE_STAT_DROPPED_BYTES", 1200 * 1024)
        add(("pg", p), "SAI_INGRESS_PRIORITY_GROUP_STAT_DROPPED_PACKETS", 1200)


def watermarks_for(pattern: str, qos: PortQos) -> dict[Obj, dict[str, int]]:
    """Occupancy peaks a pattern produces, consistent with the configured thresholds."""
    marks: dict[Obj, dict[str, int]] = {}
    if pattern != "incast":
        return marks
    for p in qos.roce_prios:
        lo, hi = qos.ecn_queues.get(p, (0, 0))
        shared = lo + (hi - lo) // 2 if hi else 1_500_000
        marks[("queue", p)] = {"SAI_QUEUE_STAT_SHARED_WATERMARK_BYTES": shared}
        pg = {"SAI_INGRESS_PRIORITY_GROUP_STAT_SHARED_WATERMARK_BYTES": shared}
        if p in qos.pfc and p in qos.headroom_xoff:
            pg["SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES"] = qos.headroom_xoff[p] * 3 // 4
        marks[("pg", p)] = pg
    return marks


@dataclass
class PortFlow:
    pattern: str = "idle"
    since: int = 0
    rates: dict[Obj, dict[str, int]] = field(default_factory=dict)
    acc: dict[Obj, dict[str, int]] = field(default_factory=dict)
    peaks: dict[Obj, dict[str, int]] = field(default_factory=dict)  # PERSISTENT_WATERMARKS: since boot
    user_peaks: dict[Obj, dict[str, int]] = field(default_factory=dict)  # USER_WATERMARKS: since the last clear

    def settle(self, now: int) -> None:
        span = now - self.since
        if span > 0:
            for obj, fields in self.rates.items():
                acc = self.acc.setdefault(obj, {})
                for name, rate in fields.items():
                    acc[name] = acc.get(name, 0) + rate * span
        self.since = now

    def value(self, obj: Obj, now: int) -> dict[str, int]:
        out = dict(self.acc.get(obj, {}))
        span = now - self.since
        for name, rate in self.rates.get(obj, {}).items():
            out[name] = out.get(name, 0) + rate * span
        out.update(self.peaks.get(obj, {}))
        return out

    def watermarks(self, obj: Obj, *, persistent: bool) -> dict[str, int]:
        return (self.peaks if persistent else self.user_peaks).get(obj, {})


PORT_FIELDS = tuple(f"SAI_PORT_STAT_PFC_{p}_{d}_PKTS" for p in range(8) for d in ("RX", "TX"))
QUEUE_FIELDS = (
    "SAI_QUEUE_STAT_PACKETS",
    "SAI_QUEUE_STAT_BYTES",
    "SAI_QUEUE_STAT_DROPPED_PACKETS",
    "SAI_QUEUE_STAT_DROPPED_BYTES",
    "SAI_QUEUE_STAT_SHARED_WATERMARK_BYTES",
    "SAI_QUEUE_STAT_WRED_DROPPED_PACKETS",
    "SAI_QUEUE_STAT_WRED_DROPPED_BYTES",
    "SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS",
    "SAI_QUEUE_STAT_WRED_ECN_MARKED_BYTES",
)
PG_FIELDS = (
    "SAI_INGRESS_PRIORITY_GROUP_STAT_PACKETS",
    "SAI_INGRESS_PRIORITY_GROUP_STAT_DROPPED_PACKETS",
    "SAI_INGRESS_PRIORITY_GROUP_STAT_SHARED_WATERMARK_BYTES",
    "SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES",
)


WATERMARK_TABLES = ("USER_WATERMARKS", "PERSISTENT_WATERMARKS")  # what flex counters' watermark Lua keeps
WATERMARK_FIELDS = {
    "queue": ("SAI_QUEUE_STAT_SHARED_WATERMARK_BYTES",),
    "pg": (
        "SAI_INGRESS_PRIORITY_GROUP_STAT_SHARED_WATERMARK_BYTES",
        "SAI_INGRESS_PRIORITY_GROUP_STAT_XOFF_ROOM_WATERMARK_BYTES",
    ),
}


class TrafficModel:
    """Per-twin traffic state; only ports that ever carried traffic hold any memory."""

    def __init__(self, config: ConfigDb, clock: Callable[[], int]) -> None:
        self.config = config
        self.clock = clock
        self.flows: dict[str, PortFlow] = {}
        self.watchdog = Watchdog()
        self._config_version = config.version

    def set_pattern(self, port: str, pattern: str) -> None:
        now = self.clock()
        self.refresh()
        flow = self.flows.setdefault(port, PortFlow(since=now))
        flow.settle(now)
        qos = port_qos(self.config, port)
        if flow.pattern == "storm" and pattern != "storm":
            for p in qos.roce_prios:
                self.watchdog.stop_storm(port, p, now)
        if pattern == "storm":
            for p in qos.roce_prios:
                self.watchdog.start_storm(port, p, now)
        flow.pattern = pattern
        self._rerate(port, flow, qos)

    def refresh(self) -> None:
        """Settle every active port when CONFIG_DB changed since the rates were computed."""
        if self.config.version == self._config_version:
            return
        self._config_version = self.config.version
        now = self.clock()
        qos_of = ports_qos(self.config, self.flows)
        for port, flow in self.flows.items():
            flow.settle(now)
            self._rerate(port, flow, qos_of[port])

    def _rerate(self, port: str, flow: PortFlow, qos: PortQos) -> None:
        flow.rates = rates_for(flow.pattern, qos)
        for obj, marks in watermarks_for(flow.pattern, qos).items():
            for peaks in (flow.peaks, flow.user_peaks):
                peak = peaks.setdefault(obj, {})
                for name, value in marks.items():
                    peak[name] = max(peak.get(name, 0), value)

    def clear_watermark(self, sai_field: str, *, persistent: bool) -> None:
        """watermarkorch on a clear request: the field restarts from the occupancy traffic causes now."""
        self.refresh()
        for port, flow in self.flows.items():
            peaks = flow.peaks if persistent else flow.user_peaks
            for marks in peaks.values():
                marks.pop(sai_field, None)
            current = watermarks_for(flow.pattern, port_qos(self.config, port))
            for obj, marks in current.items():
                if sai_field in marks:
                    peaks.setdefault(obj, {})[sai_field] = marks[sai_field]

    def counters(self, port: str, obj: Obj) -> dict[str, int]:
        flow = self.flows.get(port)
        return flow.value(obj, self.clock()) if flow else {}


class CountersDb(HashDb):
    """COUNTERS_DB (redis db 2, `:` separator) rendered from the port list and the traffic model."""

    def __init__(self, ports: list[str], traffic: TrafficModel) -> None:
        super().__init__("COUNTERS_DB", 2, ":")
        self.ports = ports
        self.traffic = traffic
        self._index = {p: i for i, p in enumerate(ports)}
        self._maps: tuple[tuple[str, ...], dict[str, Row]] = ((), {})

    def name_maps(self) -> dict[str, Row]:
        """The name/type maps, built once per port list: every key listing and map read asked for them
        (read-only to callers), and rebuilding ~1,000 oids each time was a visible share of the lab's CPU."""
        ports = tuple(self.ports)
        if ports != self._maps[0]:
            self._maps = (ports, self._build_maps())
        return self._maps[1]

    def _build_maps(self) -> dict[str, Row]:
        ports = self.ports
        if not ports:  # a twin loaded from a dump: its maps are the dump's
            return {}
        qmap = {f"{p}:{q}": queue_oid(i, q) for i, p in enumerate(ports) for q in range(QUEUES)}
        pgmap = {f"{p}:{g}": pg_oid(i, g) for i, p in enumerate(ports) for g in range(PGS)}
        pmap = {p: port_oid(i) for i, p in enumerate(ports)}
        qtype = {
            queue_oid(i, q): "SAI_QUEUE_TYPE_UNICAST" if q < UC_QUEUES else "SAI_QUEUE_TYPE_MULTICAST"
            for i in range(len(ports))
            for q in range(QUEUES)
        }
        return {
            "COUNTERS_PORT_NAME_MAP": pmap,
            "COUNTERS_QUEUE_NAME_MAP": qmap,
            "COUNTERS_QUEUE_TYPE_MAP": qtype,
            "COUNTERS_QUEUE_INDEX_MAP": {oid: name.rsplit(":", 1)[1] for name, oid in qmap.items()},
            "COUNTERS_QUEUE_PORT_MAP": {oid: pmap[name.rsplit(":", 1)[0]] for name, oid in qmap.items()},
            "COUNTERS_PG_NAME_MAP": pgmap,
            "COUNTERS_PG_INDEX_MAP": {oid: name.rsplit(":", 1)[1] for name, oid in pgmap.items()},
            "COUNTERS_PG_PORT_MAP": {oid: pmap[name.rsplit(":", 1)[0]] for name, oid in pgmap.items()},
        }

    def _base_keys(self) -> Iterable[str]:
        yield from self.name_maps()
        for i in range(len(self.ports)):
            yield f"COUNTERS:{port_oid(i)}"
            for table in ("COUNTERS", *WATERMARK_TABLES):
                for q in range(QUEUES):
                    yield f"{table}:{queue_oid(i, q)}"
                for g in range(PGS):
                    yield f"{table}:{pg_oid(i, g)}"

    def _base_row(self, key: str) -> Row | None:
        if key.startswith("COUNTERS_") and key.endswith("_MAP"):
            return self.name_maps().get(key)
        table, _, oid = key.partition(":")
        decoded = decode_oid(oid) if table in ("COUNTERS", *WATERMARK_TABLES) else None
        if decoded is None or decoded[1] >= len(self.ports):
            return None
        kind, index, sub = decoded
        port = self.ports[index]
        self.traffic.refresh()
        if table != "COUNTERS":
            return self._watermark_row(port, kind, sub, persistent=table == "PERSISTENT_WATERMARKS")
        names = {"port": PORT_FIELDS, "queue": QUEUE_FIELDS, "pg": PG_FIELDS}[kind]
        values = self.traffic.counters(port, (kind, sub))
        row = {n: str(values.get(n, 0)) for n in names}
        if kind == "queue":
            row.update(self._wd_fields(port, sub))
        return row

    def _watermark_row(self, port: str, kind: str, sub: int, *, persistent: bool) -> Row | None:
        if kind == "port":
            return None
        flow = self.traffic.flows.get(port)
        marks = flow.watermarks((kind, sub), persistent=persistent) if flow else {}
        names = WATERMARK_FIELDS[kind]
        return {n: str(marks.get(n, 0)) for n in names}

    def _wd_fields(self, port: str, queue: int) -> dict[str, str]:
        wd = self.traffic.watchdog.watched(self.traffic.config, port, queue)
        if wd is None:
            return {}
        return self.traffic.watchdog.fields(wd, port, queue, self.traffic.clock())

    def hset(self, key: str, mapping: Mapping[str, str]) -> int:
        """`DEBUG_STORM enabled|disabled` on a queue starts/stops a fake storm, as vslib does."""
        decoded = decode_oid(key.removeprefix("COUNTERS:")) if key.startswith("COUNTERS:") else None
        if decoded and decoded[0] == "queue" and "DEBUG_STORM" in mapping and decoded[1] < len(self.ports):
            port, now = self.ports[decoded[1]], self.traffic.clock()
            if mapping["DEBUG_STORM"] == "enabled":
                self.traffic.watchdog.start_storm(port, decoded[2], now)
            else:
                self.traffic.watchdog.stop_storm(port, decoded[2], now)
        return super().hset(key, mapping)

    def port_index(self, port: str) -> int | None:
        return self._index.get(port)
