"""YANG-like validation of a whole CONFIG_DB, the way GCU validates the simulated target config.

Rules read from sonic-buildimage src/sonic-yang-models/yang-models (master @086b03bd, release branches
202211 @1a8b0411 .. 202505 @ff3c0c9f): sonic-port-qos-map, sonic-queue, sonic-scheduler, sonic-wred-profile,
sonic-pfcwd, sonic-port, sonic-flex_counter, the *-map models and sonic-types (tc_type 0..15), plus GCU's
supplemental validate_lanes (gu_common.py). Per release: `pfc_enable`/`pfcwd_sw_enable` are
`[0-7](,[0-7])*` (no empty string) up to 202411 and `([0-7](,[0-7])*)?` from 202505; FLEX_COUNTER_TABLE has
no WRED_ECN_QUEUE/WRED_ECN_PORT container before 202305. Unknown leaves are refused in the tables modelled
leaf by leaf (PORT_QOS_MAP, QUEUE, SCHEDULER, WRED_PROFILE, PFC_WD); other known tables pass. A table GCU has
no YANG model for is refused by gcu.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from rocelab.sonic.buffermgr import plain_ref
from rocelab.sonic.switch_hash import HashYangError, check_switch_hash

Config = Mapping[str, Mapping[str, Mapping[str, str]]]

KNOWN_TABLES = frozenset(
    {
        "BUFFER_PG", "BUFFER_POOL", "BUFFER_PORT_EGRESS_PROFILE_LIST", "BUFFER_PORT_INGRESS_PROFILE_LIST",
        "BUFFER_PROFILE", "BUFFER_QUEUE", "CABLE_LENGTH", "DEFAULT_LOSSLESS_BUFFER_PARAMETER", "DEVICE_METADATA",
        "DEVICE_NEIGHBOR", "DOT1P_TO_TC_MAP", "DSCP_TO_TC_MAP", "FLEX_COUNTER_TABLE", "LOSSLESS_TRAFFIC_PATTERN",
        "MAP_PFC_PRIORITY_TO_QUEUE", "PFC_PRIORITY_TO_PRIORITY_GROUP_MAP", "PFC_WD", "PORT", "PORT_QOS_MAP",
        "QUEUE", "SCHEDULER", "SWITCH_HASH", "TC_TO_DSCP_MAP", "TC_TO_PRIORITY_GROUP_MAP", "TC_TO_QUEUE_MAP",
        "WRED_PROFILE",
    }
)  # fmt: skip

PRIO_LIST = re.compile(r"([0-7](,[0-7])*)?")
PRIO_LIST_NONEMPTY = re.compile(r"[0-7](,[0-7])*")  # <= 202411
DSCP = re.compile(r"6[0-3]|[1-5][0-9]?|[0-9]?")
QINDEX = re.compile(r"[0-9]?")
PRIO = re.compile(r"[0-7]?")
FLEX_KEYS = frozenset(
    {
        "BUFFER_POOL_WATERMARK", "DEBUG_COUNTER", "ENI", "DASH_METER", "HA_SET", "ICMP_SESSION", "PFCWD",
        "PG_DROP", "PG_WATERMARK", "PORT", "PORT_RATES", "PORT_BUFFER_DROP", "PORT_PHY_ATTR", "QUEUE",
        "QUEUE_WATERMARK", "RIF", "RIF_RATES", "ACL", "FLOW_CNT_TRAP", "FLOW_CNT_ROUTE", "TUNNEL",
        "WRED_ECN_QUEUE", "WRED_ECN_PORT", "SWITCH",
    }
)  # fmt: skip
FLEX_KEYS_SINCE = {"WRED_ECN_QUEUE": "202305", "WRED_ECN_PORT": "202305"}
LEAVES = {
    "PORT_QOS_MAP": frozenset(
        {"dot1p_to_tc_map", "dscp_to_tc_map", "pfc_enable", "pfc_to_pg_map", "pfc_to_queue_map", "pfcwd_sw_enable"}
        | {"scheduler", "tc_to_dscp_map", "tc_to_pg_map", "tc_to_queue_map"}
    ),
    "QUEUE": frozenset({"scheduler", "wred_profile"}),
    "SCHEDULER": frozenset({"type", "weight", "priority", "meter_type", "cir", "pir", "cbs", "pbs"}),
    "WRED_PROFILE": frozenset(
        {f"{c}_{f}" for c in ("green", "yellow", "red") for f in ("min_threshold", "max_threshold", "drop_probability")}
        | {"ecn", "wred_green_enable", "wred_yellow_enable", "wred_red_enable"}
    ),
    "PFC_WD": frozenset({"action", "detection_time", "restoration_time", "pfc_stat_history", "POLL_INTERVAL"}),
}
DUP_LANES_PLATFORMS = frozenset(
    {"x86_64-arista_7050cx3_32c", "x86_64-arista_7050cx3_32s", "x86_64-dellemc_s5232f_c3538-r0"}
)
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
TC = "tc"  # stypes:tc_type, uint8 0..15
MAP_RULES: dict[str, tuple[re.Pattern[str] | str, re.Pattern[str] | str]] = {  # table: (key, value)
    "DSCP_TO_TC_MAP": (DSCP, TC),
    "DOT1P_TO_TC_MAP": (PRIO, TC),
    "TC_TO_PRIORITY_GROUP_MAP": (TC, PRIO),
    "TC_TO_QUEUE_MAP": (TC, QINDEX),
    "MAP_PFC_PRIORITY_TO_QUEUE": (PRIO, PRIO),
    "PFC_PRIORITY_TO_PRIORITY_GROUP_MAP": (PRIO, PRIO),
    "TC_TO_DSCP_MAP": (TC, DSCP),
}
MAP_RANGES = MAP_RULES  # the tables checked by check_map
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
U32 = (0, 2**32 - 1)
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


def _known_leaves(table: str, row: Mapping[str, str], where: str) -> None:
    unknown = sorted(set(row) - LEAVES[table])
    if unknown:
        raise YangError(f"{where}: unknown leaf '{unknown[0]}' (not in the {table} YANG model)")


def _multi_asic(cfg: Config) -> bool:
    meta = cfg.get("DEVICE_METADATA", {}).get("localhost", {})
    return "asic_name" in meta or meta.get("hwsku", "") in ("msft_four_asic_vs", "msft_multi_asic_vs")


def check_port(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    if "lanes" not in row and not _multi_asic(cfg):
        raise YangError(f"{where}: mandatory leaf 'lanes' is missing")
    if "speed" not in row:
        raise YangError(f"{where}: mandatory leaf 'speed' is missing")
    _int_in(row["speed"], 1, 1_600_000, f"{where}/speed")
    _optional_leaves(row, where, _PORT_LEAVES)


def check_lanes(cfg: Config) -> None:
    """GCU's supplemental validate_lanes: numeric, non-empty, and no lane on two ports."""
    platform = cfg.get("DEVICE_METADATA", {}).get("localhost", {}).get("platform")
    owner: dict[str, str] = {}
    for port, row in cfg.get("PORT", {}).items():
        for lane in (x.strip() for x in row.get("lanes", "").split(",")) if "lanes" in row else ():
            if not lane.isdigit():
                raise YangError(f"PORT '{port}' has an {'empty' if not lane else 'invalid'} lane '{lane}'")
            if lane in owner and platform not in DUP_LANES_PLATFORMS:
                raise YangError(f"'{lane}' lane is used multiple times in PORT: {{'{owner[lane]}', '{port}'}}")
            owner.setdefault(lane, port)


def check_port_qos_map(cfg: Config, key: str, row: Mapping[str, str], where: str, release: str = "master") -> None:
    if key != "global":
        _port_key(cfg, key, where)
    _known_leaves("PORT_QOS_MAP", row, where)
    pattern = PRIO_LIST if release == "master" or release >= "202505" else PRIO_LIST_NONEMPTY
    for leaf in ("pfc_enable", "pfcwd_sw_enable"):
        if leaf in row and not pattern.fullmatch(row[leaf]):
            raise YangError(f"{where}/{leaf}: '{row[leaf]}' does not match pattern {pattern.pattern}")
    for leaf, table in QOS_MAP_FIELDS.items():
        if leaf in row:
            _leafref(cfg, table, row[leaf], f"{where}/{leaf}")


def _map_leaf(rule: re.Pattern[str] | str, value: str, where: str) -> None:
    if isinstance(rule, str):
        _int_in(value, 0, 15, where)
    elif not rule.fullmatch(value) or value == "":
        raise YangError(f"{where}: '{value}' does not match pattern {rule.pattern}")


def check_map(cfg: Config, table: str, key: str, row: Mapping[str, str], where: str) -> None:
    if not MAP_NAME.fullmatch(key):
        raise YangError(f"{where}: map name '{key}' does not match [a-zA-Z0-9][-a-zA-Z0-9_]{{0,31}}")
    key_rule, value_rule = MAP_RULES[table]
    for k, v in row.items():
        _map_leaf(key_rule, k, f"{where}/{k}")
        _map_leaf(value_rule, v, f"{where}/{k}")


def check_wred(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    _known_leaves("WRED_PROFILE", row, where)
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
    _known_leaves("QUEUE", row, where)
    if "scheduler" in row:
        _leafref(cfg, "SCHEDULER", row["scheduler"], f"{where}/scheduler")
    if "wred_profile" in row:
        _leafref(cfg, "WRED_PROFILE", row["wred_profile"], f"{where}/wred_profile")


def check_scheduler(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    _known_leaves("SCHEDULER", row, where)
    _optional_leaves(row, where, (*_SCHEDULER_LEAVES, ("cir", U64), ("pir", U64), ("cbs", U32), ("pbs", U32)))
    rate = {leaf: int(row[leaf]) for leaf in ("cir", "pir", "cbs", "pbs") if leaf in row}
    for leaf, needs in (("pir", "cir"), ("cbs", "cir"), ("pbs", "pir")):
        if leaf in rate and rate.get(needs, 0) <= 0:
            raise YangError(f"{where}/{leaf}: {leaf} can't be configured without {needs}.")
    if "pir" in rate and rate["pir"] < rate["cir"]:
        raise YangError(f"{where}/pir: pir must be greater than or equal to cir")
    if "pbs" in rate and "cbs" in rate and rate["pbs"] < rate["cbs"]:
        raise YangError(f"{where}/pbs: pbs must be greater than or equal to cbs")


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
    _known_leaves("PFC_WD", {k: v for k, v in row.items() if k != "BIG_RED_SWITCH"}, where)
    if key == "GLOBAL":
        _optional_leaves(row, where, _PFC_WD_GLOBAL_LEAVES)
        misplaced = sorted(set(row) & {"action", "detection_time", "restoration_time", "pfc_stat_history"})
        if misplaced:
            raise YangError(f"{where}/{misplaced[0]}: must \"../ifname != 'GLOBAL'\" is not satisfied")
        return
    _port_key(cfg, key, where)
    if "POLL_INTERVAL" in row:
        raise YangError(f"{where}/POLL_INTERVAL: must \"../ifname = 'GLOBAL'\" is not satisfied")
    _optional_leaves(row, where, _PFC_WD_PORT_LEAVES)
    poll = cfg.get("PFC_WD", {}).get("GLOBAL", {}).get("POLL_INTERVAL")
    for leaf in ("detection_time", "restoration_time"):
        if poll is not None and poll.isdigit() and leaf in row and int(row[leaf]) < int(poll):
            raise YangError(f"{where}/{leaf}: {leaf} must be greater than or equal to POLL_INTERVAL")


def check_flex_counter(cfg: Config, key: str, row: Mapping[str, str], where: str, release: str = "master") -> None:
    since = FLEX_KEYS_SINCE.get(key)
    if key not in FLEX_KEYS or (since is not None and release != "master" and release < since):
        raise YangError(f"{where}: no FLEX_COUNTER_TABLE container '{key}' in the YANG model of this release")
    _optional_leaves(row, where, (("FLEX_COUNTER_STATUS", {"enable", "disable"}),))


def check_device_metadata(cfg: Config, key: str, row: Mapping[str, str], where: str) -> None:
    _optional_leaves(row, where, _DEVICE_METADATA_LEAVES)


Checker = Callable[[Config, str, Mapping[str, str], str], None]
CHECKS: dict[str, Checker] = {
    "PORT": check_port,
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


RELEASE_CHECKS = {"PORT_QOS_MAP": check_port_qos_map, "FLEX_COUNTER_TABLE": check_flex_counter}


def _switch_hash(key: str, row: object, where: str, release: str) -> None:
    try:
        check_switch_hash(key, row, where, release)
    except HashYangError as exc:
        raise YangError(str(exc)) from None


def validate(cfg: Config, tables: set[str] | None = None, *, release: str = "master") -> None:
    """Raise YangError for the first violation in `tables` (default: every table), as `release`'s YANG."""
    chosen = tables if tables is not None else set(cfg.keys())
    if "PORT" in chosen:
        check_lanes(cfg)
    for table in sorted(chosen):
        rows = cfg.get(table)
        if rows is None:
            continue
        if not isinstance(rows, Mapping):
            raise YangError(f"{table}: must be an object of entries")
        for key, row in rows.items():
            where = f"{table}|{key}"
            if table == "SWITCH_HASH":  # leaf-lists: the only table modelled here whose values are lists
                _switch_hash(key, row, where, release)
                continue
            if not isinstance(row, Mapping) or not all(isinstance(v, str) for v in row.values()):
                raise YangError(f"{where}: entries must be objects of string leaves")
            if table in MAP_RULES:
                check_map(cfg, table, key, row, where)
            elif table in RELEASE_CHECKS:
                RELEASE_CHECKS[table](cfg, key, row, where, release)
            elif table in CHECKS:
                CHECKS[table](cfg, key, row, where)
