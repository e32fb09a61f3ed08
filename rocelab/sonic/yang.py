"""YANG-like validation of a whole CONFIG_DB, the way GCU validates the simulated target config.

Rules come from the sonic-yang-models tables in reference sonic.md §1.3 (ranges, patterns, leafrefs,
mandatory leaves) and §1.2 (one port per key). Only the tables the lossless agent touches are modelled
in detail; other known tables pass. A table GCU has no YANG model for is refused by gcu.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from rocelab.sonic.buffermgr import plain_ref

Config = Mapping[str, Mapping[str, Mapping[str, str]]]

KNOWN_TABLES = frozenset(
    {
        "BUFFER_PG", "BUFFER_POOL", "BUFFER_PORT_EGRESS_PROFILE_LIST", "BUFFER_PORT_INGRESS_PROFILE_LIST",
        "BUFFER_PROFILE", "BUFFER_QUEUE", "CABLE_LENGTH", "DEFAULT_LOSSLESS_BUFFER_PARAMETER", "DEVICE_METADATA",
        "DEVICE_NEIGHBOR", "DOT1P_TO_TC_MAP", "DSCP_TO_TC_MAP", "FLEX_COUNTER_TABLE", "LOSSLESS_TRAFFIC_PATTERN",
        "MAP_PFC_PRIORITY_TO_QUEUE", "PFC_PRIORITY_TO_PRIORITY_GROUP_MAP", "PFC_WD", "PORT", "PORT_QOS_MAP",
        "QUEUE", "SCHEDULER", "TC_TO_DSCP_MAP", "TC_TO_PRIORITY_GROUP_MAP", "TC_TO_QUEUE_MAP", "WRED_PROFILE",
    }
)  # fmt: skip

PRIO_LIST = re.compile(r"([0-7](,[0-7])*)?")
PG_KEY = re.compile(r"[0-7](-[0-7])?")
QUEUE_KEY = re.compile(r"(1[0-5]|[0-9])(-(1[0-5]|[0-9]))?")
CABLE = re.compile(r"[0-9]+m")
MAP_NAME = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9_]{0,31}")
QOS_MAP_FIELDS = {
    "dscp_to_tc_map": "DSCP_TO_TC_MAP",
    "dot1p_to_tc_map": "DOT1P_TO_TC_MAP",
    "tc_to_pg_map": "TC_TO_PRIORITY_GROUP_MAP",
    "tc_to_queue_map": "TC_TO_QUEUE_MAP",
    "pfc_to_queue_map": "MAP_PFC_PRIORITY_TO_QUEUE",
    "pfc_to_pg_map": "PFC_PRIORITY_TO_PRIORITY_GROUP_MAP",
    "tc_to_dscp_map": "TC_TO_DSCP_MAP",
    "scheduler": "SCHEDULER",
}
MAP_RANGES = {  # table: (key range, value range)
    "DSCP_TO_TC_MAP": (63, 15),
    "DOT1P_TO_TC_MAP": (7, 15),
    "TC_TO_PRIORITY_GROUP_MAP": (15, 7),
    "TC_TO_QUEUE_MAP": (15, 15),
    "MAP_PFC_PRIORITY_TO_QUEUE": (7, 7),
    "PFC_PRIORITY_TO_PRIORITY_GROUP_MAP": (7, 7),
    "TC_TO_DSCP_MAP": (15, 63),
}
ECN_MODES = {"ecn_none", "ecn_green", "ecn_yellow", "ecn_red", "ecn_green_yellow", "ecn_green_red"}
ECN_MODES |= {"ecn_yellow_red", "ecn_all"}


class YangError(ValueError):
    """One violation; the message names the table, key and leaf."""


def _int_in(value: str, lo: int, hi: int, where: str) -> int:
    if not re.fullmatch(r"-?[0-9]+", value):
        raise YangError(f"{where}: '{value}' is not an integer")
    number = int(value)
    if not lo <= number <= hi:
        raise YangError(f"{where}: value {number} is out of range {lo}..{hi}")
    return number


def _enum(value: str, allowed: set[str] | frozenset[str], where: str) -> None:
    if value not in allowed:
        raise YangError(f"{where}: '{value}' is not one of {', '.join(sorted(allowed))}")


U64 = (0, 2**64 - 1)
LeafRule = tuple[int, int] | set[str]  # an integer range (inclusive), or the enum's values


def _optional_leaves(row: Mapping[str, str], where: str, rules: tuple[tuple[str, LeafRule], ...]) -> None:
    """Optional leaves checked in the order given, so the first violation reported is the model's first."""
    for leaf, rule in rules:
        if leaf not in row:
            continue
        if isinstance(rule, tuple):
            _int_in(row[leaf], rule[0], rule[1], f"{where}/{leaf}")
        else:
            _enum(row[leaf], rule, f"{where}/{leaf}")


def _leafref(cfg: Config, table: str, value: str, where: str) -> None:
    if plain_ref(value) not in cfg.get(table, {}):
        raise YangError(f"{where}: leafref '{value}' does not exist in {table}")


def _port_key(cfg: Config, port: str, where: str, extra: tuple[str, ...] = ()) -> None:
    if "," in port:
        raise YangError(f"{where}: key must name one port, not a list '{port}'")
    if port not in cfg.get("PORT", {}) and port not in extra:
        raise YangError(f"{where}: port '{port}' does not exist in PORT")


_PORT_LEAVES: tuple[tuple[str, LeafRule], ...] = (
    ("mtu", (68, 9216)),
    ("admin_status", {"up", "down"}),
    ("pfc_asym", {"on", "off"}),
    ("fec", {"rs", "fc", "none", "auto"}),
)
_SCHEDULER_LEAVES: tuple[tuple[str, LeafRule], ...] = (
    ("type", {"DWRR", "WRR", "STRICT"}),
    ("weight", (1, 100)),
    ("priority", (0, 9)),
    ("meter_type", {"packets", "bytes"}),
)
_PFC_WD_GLOBAL_LEAVES: tuple[tuple[str, LeafRule], ...] = (
    ("POLL_INTERVAL", (100, 1000)),
    ("BIG_RED_SWITCH", {"enable", "disable"}),
)
_PFC_WD_PORT_LEAVES: tuple[tuple[str, LeafRule], ...] = (
    ("action", {"drop", "forward", "alert"}),
    ("detection_time", (100, 5000)),
    ("restoration_time", (100, 60000)),
    ("pfc_stat_history", {"enable", "disable"}),
)
_DEVICE_METADATA_LEAVES: tuple[tuple[str, LeafRule], ...] = (
    ("buffer_model", {"dynamic", "traditional"}),
    ("default_pfcwd_status", {"enable", "disable"}),
)


def check_port(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    if "speed" not in row:
        raise YangError(f"{where}: mandatory leaf 'speed' is missing")
    _int_in(row["speed"], 1, 1_600_000, f"{where}/speed")
    _optional_leaves(row, where, _PORT_LEAVES)


def check_port_qos_map(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    if key != "global":
        _port_key(cfg, key, where)
    for leaf in ("pfc_enable", "pfcwd_sw_enable"):
        if leaf in row and not PRIO_LIST.fullmatch(row[leaf]):
            raise YangError(f"{where}/{leaf}: '{row[leaf]}' does not match pattern ([0-7](,[0-7])*)?")
    for leaf, table in QOS_MAP_FIELDS.items():
        if leaf in row:
            _leafref(cfg, table, row[leaf], f"{where}/{leaf}")


def check_map(cfg: Config, table: str, key: str, row: Mapping[str, str], where: str) -> None:
    if not MAP_NAME.fullmatch(key):
        raise YangError(f"{where}: map name '{key}' does not match [a-zA-Z0-9][-a-zA-Z0-9_]{{0,31}}")
    key_max, value_max = MAP_RANGES[table]
    for k, v in row.items():
        _int_in(k, 0, key_max, f"{where}/{k}")
        _int_in(v, 0, value_max, f"{where}/{k}")


def check_wred(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    for color in ("green", "yellow", "red"):
        lo, hi = row.get(f"{color}_min_threshold"), row.get(f"{color}_max_threshold")
        _optional_leaves(row, where, ((f"{color}_min_threshold", U64), (f"{color}_max_threshold", U64)))
        if lo is not None and hi is not None and int(hi) < int(lo):
            raise YangError(f"{where}: {color}_max_threshold ({hi}) must be >= {color}_min_threshold ({lo})")
        probability, enable = f"{color}_drop_probability", f"wred_{color}_enable"
        _optional_leaves(row, where, ((probability, (0, 100)), (enable, {"true", "false"})))
    _optional_leaves(row, where, (("ecn", ECN_MODES),))


def check_queue(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    port, _, q = key.partition("|")
    _port_key(cfg, port, where, extra=("CPU",))
    if not q:
        raise YangError(f"{where}: key must be <port>|<queue>")
    if "scheduler" in row:
        _leafref(cfg, "SCHEDULER", row["scheduler"], f"{where}/scheduler")
    if "wred_profile" in row:
        _leafref(cfg, "WRED_PROFILE", row["wred_profile"], f"{where}/wred_profile")


def check_scheduler(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    _optional_leaves(row, where, _SCHEDULER_LEAVES)


def check_buffer_pool(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    for leaf, allowed in (("type", {"ingress", "egress", "both"}), ("mode", {"static", "dynamic"})):
        if leaf not in row:
            raise YangError(f"{where}: mandatory leaf '{leaf}' is missing")
        _enum(row[leaf], allowed, f"{where}/{leaf}")
    _optional_leaves(row, where, (("size", U64), ("xoff", U64)))


_BUFFER_PROFILE_LEAVES: tuple[tuple[str, LeafRule], ...] = (
    ("dynamic_th", (-8, 7)),
    *((leaf, U64) for leaf in ("size", "static_th", "xon", "xoff", "xon_offset")),
)


def check_buffer_profile(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    for leaf in ("pool", "size"):
        if leaf not in row:
            raise YangError(f"{where}: mandatory leaf '{leaf}' is missing")
    _leafref(cfg, "BUFFER_POOL", row["pool"], f"{where}/pool")
    _optional_leaves(row, where, _BUFFER_PROFILE_LEAVES)


def check_buffer_pg(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    port, _, pg = key.partition("|")
    _port_key(cfg, port, where)
    if not PG_KEY.fullmatch(pg):
        raise YangError(f"{where}: priority group '{pg}' does not match [0-7]((-)[0-7])?")
    if row.get("profile", "NULL") != "NULL":
        _leafref(cfg, "BUFFER_PROFILE", row["profile"], f"{where}/profile")


def check_buffer_queue(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    port, _, q = key.partition("|")
    _port_key(cfg, port, where)
    if not QUEUE_KEY.fullmatch(q):
        raise YangError(f"{where}: queue '{q}' does not match (1[0-5]|[0-9])((-)(1[0-5]|[0-9]))?")
    if "profile" in row:
        _leafref(cfg, "BUFFER_PROFILE", row["profile"], f"{where}/profile")


def check_cable_length(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    for port, length in row.items():
        _port_key(cfg, port, f"{where}/{port}")
        if not CABLE.fullmatch(length):
            raise YangError(f"{where}/{port}: '{length}' does not match pattern [0-9]+m")


def check_pfc_wd(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    if key == "GLOBAL":
        _optional_leaves(row, where, _PFC_WD_GLOBAL_LEAVES)
        return
    _port_key(cfg, key, where)
    _optional_leaves(row, where, _PFC_WD_PORT_LEAVES)


def check_device_metadata(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    _optional_leaves(row, where, _DEVICE_METADATA_LEAVES)


Checker = Callable[[Config, str, Mapping[str, str], str], None]
CHECKS: dict[str, Checker] = {
    "PORT": check_port,
    "PORT_QOS_MAP": check_port_qos_map,
    "WRED_PROFILE": check_wred,
    "QUEUE": check_queue,
    "SCHEDULER": check_scheduler,
    "BUFFER_POOL": check_buffer_pool,
    "BUFFER_PROFILE": check_buffer_profile,
    "BUFFER_PG": check_buffer_pg,
    "BUFFER_QUEUE": check_buffer_queue,
    "CABLE_LENGTH": check_cable_length,
    "PFC_WD": check_pfc_wd,
    "DEVICE_METADATA": check_device_metadata,
}


def validate(cfg: Config, tables: set[str] | None = None) -> None:
    """Raise YangError for the first violation in `tables` (default: every table)."""
    for table in sorted(tables if tables is not None else cfg.keys()):
        rows = cfg.get(table)
        if rows is None:
            continue
        if not isinstance(rows, Mapping):
            raise YangError(f"{table}: must be an object of entries")
        for key, row in rows.items():
            where = f"{table}|{key}"
            if not isinstance(row, Mapping) or not all(isinstance(v, str) for v in row.values()):
                raise YangError(f"{where}: entries must be objects of string leaves")
            if table in MAP_RANGES:
                check_map(cfg, table, key, row, where)
            elif table in CHECKS:
                CHECKS[table](cfg, key, row, where)
