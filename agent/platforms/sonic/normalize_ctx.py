"""The parsed pieces of one SONiC gather, shared by the normalize modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.errors import ParseError
from agent.platforms.sonic import dbviews as v
from agent.platforms.sonic import parsers as p
from agent.platforms.sonic.fastread import DbRead
from agent.platforms.sonic.gather import CONFIG_DB_COMMAND, SonicRaw

Table = dict[str, dict[str, Any]]


@dataclass
class PortPgs:
    """One port's priority groups as CONFIG_DB configures them and APPL_DB lists them."""

    configured: dict[str, dict[str, Any]] = field(default_factory=dict)  # BUFFER_PG `port|key` -> entry
    programmed: set[str] = field(default_factory=set)  # keys APPL_DB BUFFER_PG_TABLE has (listed, or read)


class Ctx:
    """The parsed pieces of one gather, shared by the per-port builders."""

    def __init__(self, raw: SonicRaw) -> None:
        self.raw = raw
        self.device = raw.device
        self.cfg = raw.config_db
        self.errors: list[str] = []
        self.appl_pgs: dict[str, dict[str, str]] = {}
        self.appl_profiles: dict[str, dict[str, str]] = {}
        self.max_params: dict[str, dict[str, str]] = {}
        # per-port views of switch-wide tables, built once instead of scanning the table for every port
        self.maps: dict[tuple[str, str], dict[int, int] | None] = {}
        self._queue_entries: dict[str, list[tuple[str, dict[str, Any]]]] | None = None
        self._pgs: dict[str, PortPgs] | None = None
        self._vlans: dict[str, list[int]] | None = None
        if raw.db is not None:
            self._from_db(raw.db)
        else:
            self._from_sections(raw)

    def _from_db(self, read: DbRead) -> None:
        """The redis read: what the CLIs would print, computed from the same tables (dbviews)."""
        counters, appl = read.db("COUNTERS_DB"), read.db("APPL_DB")
        yml = self.raw.sections.get("version_yml")
        meta = self.table("DEVICE_METADATA").get("localhost", {})
        self.version = v.version_from_yml(yml.output if yml is not None else "", meta)
        self.status = v.interfaces_status(appl, self.table("PORT"))
        self.pfc = v.pfc_counters(counters)
        queues = v.data_queues(counters)
        self.queues = v.queue_counters(counters, queues)
        self.ecn_marked = v.wred_counters(counters, queues)
        self.wd = v.pfcwd_stats(counters)
        self.pg_wm = v.pg_headroom_watermark(counters)
        self.appl_pg_keys = {k for k in appl if k.startswith("BUFFER_PG_TABLE:")}
        self.appl_pgs = {k.partition(":")[2]: dict(f) for k, f in appl.items() if k.startswith("BUFFER_PG_TABLE:")}
        self.appl_profiles = {
            k.partition(":")[2]: dict(f) for k, f in appl.items() if k.startswith("BUFFER_PROFILE_TABLE:")
        }
        self.max_params = {
            k.partition("|")[2]: dict(f)
            for k, f in read.db("STATE_DB").items()
            if k.startswith("BUFFER_MAX_PARAM_TABLE|")
        }

    def _from_sections(self, raw: SonicRaw) -> None:
        """The show read: every section parsed from the CLI text."""
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
        for name, sec in raw.sections.items():
            kind, _, key = name.partition(" ")
            if kind == "appl_pg":
                self.appl_pgs[key] = p.parse_hgetall(self.device, sec.command, sec.output)
            elif kind == "appl_profile":
                self.appl_profiles[key] = p.parse_hgetall(self.device, sec.command, sec.output)
            elif kind == "state_max_param":
                self.max_params[key] = p.parse_hgetall(self.device, sec.command, sec.output)

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

    def port_pgs(self, port: str) -> PortPgs:
        """`port`'s BUFFER_PG entries by PG key, and the PG keys APPL_DB programs for it.

        Indexed by port on first use: scanning the three tables for every port was quadratic in the
        ports (a 64-port switch has ~200 PG entries in each)."""
        if self._pgs is None:
            self._pgs = _index_pgs(self)
        return self._pgs.get(port) or PortPgs()

    def vlans_of(self, port: str) -> list[int]:
        """The VLANs `port` is a member of (VLAN_MEMBER keys `Vlan1000|Ethernet0`), sorted; [] = routed."""
        if self._vlans is None:
            self._vlans = {}
            for key in self.table("VLAN_MEMBER"):
                vlan, _, member = key.partition("|")
                if vlan.startswith("Vlan") and vlan[4:].isdigit():
                    self._vlans.setdefault(member, []).append(int(vlan[4:]))
        return sorted(self._vlans.get(port, []))

    def table(self, name: str) -> Table:
        value = self.cfg.get(name) or {}
        if not isinstance(value, dict):
            raise ParseError(self.device, CONFIG_DB_COMMAND, f"table {name} is not an object")
        return value


def to_int(ctx: Ctx, what: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ParseError(ctx.device, CONFIG_DB_COMMAND, f"{what}: {value!r} is not an integer") from None


def _index_pgs(ctx: Ctx) -> dict[str, PortPgs]:
    """Every port's PortPgs in one pass over BUFFER_PG, APPL_DB's PG keys and the PG entries read.

    A key without its PG part (`Ethernet0` in BUFFER_PG) naming a port is a ParseError, as it failed the
    switch's read before (an IndexError); one naming no port is ignored, as before."""
    out: dict[str, PortPgs] = {}
    ports = ctx.table("PORT")
    for key, entry in ctx.table("BUFFER_PG").items():
        port, sep, pg = key.partition("|")
        _require_pg(ctx, sep, port, ports, f"BUFFER_PG key {key!r}")
        if sep:
            out.setdefault(port, PortPgs()).configured[pg] = entry
    for key in ctx.appl_pg_keys:  # BUFFER_PG_TABLE:<port>:<pg>
        parts = key.split(":", 2)
        if len(parts) >= 2:
            _require_pg(ctx, "x" if len(parts) == 3 else "", parts[1], ports, f"APPL_DB key {key!r}")
            if len(parts) == 3:
                out.setdefault(parts[1], PortPgs()).programmed.add(parts[2])
    for key, fields in ctx.appl_pgs.items():  # <port>:<pg> of the entries read
        port, sep, pg = key.partition(":")
        if fields:
            _require_pg(ctx, sep, port, ports, f"APPL_DB key BUFFER_PG_TABLE:{key}")
            if sep:
                out.setdefault(port, PortPgs()).programmed.add(pg)
    return out


def _require_pg(ctx: Ctx, sep: str, port: str, ports: Table, what: str) -> None:
    if not sep and port in ports:
        raise ParseError(ctx.device, CONFIG_DB_COMMAND, f"{what} has no priority-group part")
