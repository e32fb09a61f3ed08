"""Which CONFIG_DB tables, keys and fields the agent owns, and how references are written.

"Own what you render": the diff, the patch and the verification only ever look at owned cells. A cell
is owned either because the agent names the whole entry (its own maps, WRED and scheduler profiles)
or because the field is listed here for a key the agent renders (per-port QoS bindings, PFC_WD timers,
PORT.mtu ...). Daemon-owned state — buffermgrd's lossless BUFFER_PG rows and pg_lossless profiles in
the traditional model — is deliberately absent, so it is read and checked but never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: A rendered field: text, or a YANG leaf-list (SWITCH_HASH ecmp_hash) as cfggen and GCU write it.
Cell = str | list[str]
ConfigDb = dict[str, Mapping[str, Mapping[str, Cell]]]

# Names of the objects the agent creates. Plain-name references (SONiC >= 202111).
MAP_NAME = "ROCE"
CABLE_LENGTH_KEY = "AZURE"  # the key every SONiC template uses; buffermgrd reads any key
PFC_WD_GLOBAL = "GLOBAL"
QOS_GLOBAL = "global"

# Tables whose entries the agent creates and owns entirely (every field), by entry name.
WHOLE_ENTRY_TABLES = frozenset(
    {"DSCP_TO_TC_MAP", "DOT1P_TO_TC_MAP", "TC_TO_PRIORITY_GROUP_MAP", "TC_TO_QUEUE_MAP", "MAP_PFC_PRIORITY_TO_QUEUE"}
    | {"WRED_PROFILE", "SCHEDULER"}
)

# Tables where the agent owns only some fields of the keys it renders. A listed field that the render
# leaves out is removed from the device (e.g. a stale wred_profile on a lossy queue).
OWNED_FIELDS: dict[str, frozenset[str]] = {
    "PORT_QOS_MAP": frozenset(
        {
            "dscp_to_tc_map",
            "dot1p_to_tc_map",
            "tc_to_pg_map",
            "tc_to_queue_map",
            "pfc_to_queue_map",
            "pfc_enable",
            "pfcwd_sw_enable",
        }
    ),
    "QUEUE": frozenset({"scheduler", "wred_profile"}),
    "PFC_WD": frozenset({"action", "detection_time", "restoration_time", "POLL_INTERVAL"}),
    "PORT": frozenset({"mtu"}),
    "FLEX_COUNTER_TABLE": frozenset({"FLEX_COUNTER_STATUS"}),
    "DEVICE_METADATA": frozenset({"default_pfcwd_status"}),
}

# CABLE_LENGTH is keyed by a profile name whose *fields* are port names: the agent owns the fields for
# the ports it renders and nothing else (other ports' lengths are not its business).
PER_PORT_FIELD_TABLES = frozenset({"CABLE_LENGTH"})

# Never written, whatever a plan or a merge candidate says (buffermgrd / operator territory).
DAEMON_OWNED_TABLES = frozenset({"BUFFER_PG", "BUFFER_PROFILE", "BUFFER_POOL"})

# Flex counter groups the checks need: PFC counters (PORT), queue drops (QUEUE), watchdog (PFCWD),
# headroom watermarks (PG_WATERMARK), PG drops (PG_DROP), ECN-marked packets (WRED_ECN_QUEUE).
FLEX_COUNTER_GROUPS = ("PORT", "QUEUE", "PFCWD", "PG_WATERMARK", "PG_DROP", "WRED_ECN_QUEUE")


def strip_reference(value: str) -> str:
    """`[DSCP_TO_TC_MAP|AZURE]` (<= 202106) -> `AZURE`; plain names pass through unchanged."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]") and "|" in text:
        return text[1:-1].split("|", 1)[1]
    return text


def agent_named(key: str) -> bool:
    """Objects the agent creates are named ROCE / ROCE_*; anything else is the device's own."""
    return key == MAP_NAME or key.startswith(MAP_NAME + "_")


def owned_fields(table: str, key: str, desired_entry: Mapping[str, Any]) -> frozenset[str] | None:
    """Fields the agent owns in `table|key`; None means the whole entry is owned. A device object the
    agent tunes (e.g. the green thresholds of WRED_PROFILE|AZURE_LOSSLESS) is owned field by field."""
    if table in WHOLE_ENTRY_TABLES:
        return None if agent_named(key) else frozenset(desired_entry)
    if table == "PFC_WD" and key != PFC_WD_GLOBAL and not desired_entry:
        return None  # no watchdog wanted: the row goes whole (a 202511 `pfcwd start` adds pfc_stat_history)
    if table in PER_PORT_FIELD_TABLES:
        return frozenset(desired_entry)
    return OWNED_FIELDS.get(table, frozenset()) | frozenset(desired_entry)
