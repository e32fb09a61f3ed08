"""What a fresh SONiC image renders into CONFIG_DB, for the twin's ports.

Sources (reference /work/shared/reference/sonic.md): §1.4 the community "AZURE" QoS profile of
`qos_config.j2`; §1.5 and §5.2 the docker-sonic-vs SKU (Force10-S6000, TD2 BALANCED buffers,
`default_cable` 0m so no lossless PG exists until a cable length is set); §1.3 PORT defaults (MTU 9100).
Plain-name references (>= 202111).

Choices for the lab, documented because a real image could differ:
* QoS/buffer rows are rendered for every port (docker-sonic-vs renders before any DEVICE_NEIGHBOR exists);
  DEVICE_NEIGHBOR is then added for cabled ports, as the lab's startup config would.
* `default_pfcwd_status` is `enable` and PFC_WD rows exist for the DEVICE_NEIGHBOR ports, as
  `pfcwd start_default` writes them at boot (200 ms detection/restoration/poll, action drop).

Every row below is shared between keys and twins and never mutated (see db.HashDb).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rocelab.sonic.db import ConfigDb, Row, intern_key
from rocelab.twin import TwinPort

HWSKU = "Force10-S6000"
PLATFORM = "x86_64-kvm_x86_64-r0"
ASIC_TYPE = "vs"
SONIC_VERSION = "SONiC.202511.0-roce-twin"
DEFAULT_MTU = "9100"
LOSSLESS_PRIORITIES = "3,4"

# DSCP_TO_TC_MAP|AZURE: 3->3, 4->4, 5->2, 8->0, 46->5, 48->6, everything else -> 1 (sonic.md §1.4).
_DSCP_SPECIAL = {3: "3", 4: "4", 5: "2", 8: "0", 46: "5", 48: "6"}
DSCP_TO_TC_AZURE: Row = {str(d): _DSCP_SPECIAL.get(d, "1") for d in range(64)}
TC_TO_PG_AZURE: Row = {str(tc): str(tc) if tc in (3, 4, 7) else "0" for tc in range(8)}
IDENTITY_0_7: Row = {str(i): str(i) for i in range(8)}

# Field order is the redis hash order `ecnconfig -l` prints (SU tests/ecn_input/ecn_test_vectors.py).
WRED_AZURE_LOSSLESS: Row = {
    "red_max_threshold": "2097152",
    "wred_green_enable": "true",
    "ecn": "ecn_all",
    "green_min_threshold": "1048576",
    "red_min_threshold": "1048576",
    "wred_yellow_enable": "true",
    "yellow_min_threshold": "1048576",
    "green_max_threshold": "2097152",
    "green_drop_probability": "5",
    "yellow_max_threshold": "2097152",
    "wred_red_enable": "true",
    "yellow_drop_probability": "5",
    "red_drop_probability": "5",
}

PORT_QOS_ROW: Row = {
    "dscp_to_tc_map": "AZURE",
    "pfc_enable": LOSSLESS_PRIORITIES,
    "pfc_to_queue_map": "AZURE",
    "pfcwd_sw_enable": LOSSLESS_PRIORITIES,
    "tc_to_pg_map": "AZURE",
    "tc_to_queue_map": "AZURE",
}
QUEUE_LOSSY: Row = {"scheduler": "scheduler.0"}
QUEUE_LOSSLESS: Row = {"scheduler": "scheduler.1", "wred_profile": "AZURE_LOSSLESS"}
PG_LOSSY: Row = {"profile": "ingress_lossy_profile"}
PG_DYNAMIC_LOSSLESS: Row = {"profile": "NULL"}
BQ_LOSSY: Row = {"profile": "egress_lossy_profile"}
BQ_LOSSLESS: Row = {"profile": "egress_lossless_profile"}
PFCWD_PORT: Row = {"action": "drop", "detection_time": "200", "restoration_time": "200"}
FLEX_ENABLED: Row = {"FLEX_COUNTER_STATUS": "enable"}
FLEX_DISABLED: Row = {"FLEX_COUNTER_STATUS": "disable"}

# TD2 BALANCED t1 buffer defaults (sonic.md §1.5).
BUFFER_POOLS_TRADITIONAL: dict[str, Row] = {
    "egress_lossless_pool": {"mode": "static", "size": "12766208", "type": "egress"},
    "egress_lossy_pool": {"mode": "dynamic", "size": "7326924", "type": "egress"},
    "ingress_lossless_pool": {"mode": "dynamic", "size": "12766208", "type": "ingress"},
}
# Dynamic model: the ingress/egress-lossy pool sizes are computed by buffermgrd, so they are omitted.
BUFFER_POOLS_DYNAMIC: dict[str, Row] = {
    "egress_lossless_pool": {"mode": "static", "size": "12766208", "type": "egress"},
    "egress_lossy_pool": {"mode": "dynamic", "type": "egress"},
    "ingress_lossless_pool": {"mode": "dynamic", "type": "ingress"},
}
BUFFER_PROFILES: dict[str, Row] = {
    "egress_lossless_profile": {"pool": "egress_lossless_pool", "size": "0", "static_th": "12766208"},
    "egress_lossy_profile": {"dynamic_th": "3", "pool": "egress_lossy_pool", "size": "1518"},
    "ingress_lossy_profile": {"dynamic_th": "3", "pool": "ingress_lossless_pool", "size": "0"},
}
SCHEDULERS: dict[str, Row] = {
    "scheduler.0": {"type": "DWRR", "weight": "14"},
    "scheduler.1": {"type": "DWRR", "weight": "15"},
}
FLEX_GROUPS: dict[str, Row] = {
    "PFCWD": FLEX_ENABLED,
    "PG_DROP": FLEX_ENABLED,
    "PG_WATERMARK": FLEX_ENABLED,
    "PORT": FLEX_ENABLED,
    "QUEUE": FLEX_ENABLED,
    "QUEUE_WATERMARK": FLEX_ENABLED,
    "WRED_ECN_QUEUE": FLEX_DISABLED,
}


@dataclass(frozen=True)
class PgLookupRow:
    size: str
    xon: str
    xoff: str
    threshold: str
    xon_offset: str | None


@lru_cache(maxsize=1)
def pg_profile_lookup() -> dict[tuple[str, str], PgLookupRow]:
    """The shipped pg_profile_lookup.ini, parsed once per process and shared by all twins."""
    text = resources.files("rocelab.sonic").joinpath("pg_profile_lookup.ini").read_text(encoding="utf-8")
    table: dict[tuple[str, str], PgLookupRow] = {}
    for line in text.splitlines():
        cols = line.split()
        if not cols or cols[0].startswith("#"):
            continue
        speed, cable, size, xon, xoff, threshold, *rest = cols
        table[(speed, cable)] = PgLookupRow(size, xon, xoff, threshold, rest[0] if rest else None)
    return table


def port_mac(hostname: str, seed: int) -> str:
    digest = hashlib.sha256(f"{hostname}/{seed}".encode()).digest()
    return "52:54:00:" + ":".join(f"{b:02x}" for b in digest[:3])


def port_lanes(name: str) -> str:
    base = int(name.removeprefix("Ethernet")) if name.startswith("Ethernet") else 0
    return ",".join(str(base + k) for k in range(1, 5))


def seed_config(db: ConfigDb, hostname: str, ports: Sequence[TwinPort], buffer_model: str, seed: int) -> None:
    """Fill an empty CONFIG_DB the way a fresh docker-sonic-vs/sonic-vm image renders it."""
    rows: dict[str, Row] = {}
    rows["DEVICE_METADATA|localhost"] = {
        "buffer_model": buffer_model,
        "default_pfcwd_status": "enable",
        "hostname": hostname,
        "hwsku": HWSKU,
        "mac": port_mac(hostname, seed),
        "platform": PLATFORM,
        "type": "LeafRouter",
    }
    rows["DSCP_TO_TC_MAP|AZURE"] = DSCP_TO_TC_AZURE
    rows["TC_TO_PRIORITY_GROUP_MAP|AZURE"] = TC_TO_PG_AZURE
    rows["TC_TO_QUEUE_MAP|AZURE"] = IDENTITY_0_7
    rows["MAP_PFC_PRIORITY_TO_QUEUE|AZURE"] = IDENTITY_0_7
    rows["WRED_PROFILE|AZURE_LOSSLESS"] = WRED_AZURE_LOSSLESS
    rows["PORT_QOS_MAP|global"] = {"dscp_to_tc_map": "AZURE"}
    rows["PFC_WD|GLOBAL"] = {"POLL_INTERVAL": "200"}
    for name, row in SCHEDULERS.items():
        rows[f"SCHEDULER|{name}"] = row
    pools = BUFFER_POOLS_DYNAMIC if buffer_model == "dynamic" else BUFFER_POOLS_TRADITIONAL
    for name, row in pools.items():
        rows[f"BUFFER_POOL|{name}"] = row
    for name, row in BUFFER_PROFILES.items():
        rows[f"BUFFER_PROFILE|{name}"] = row
    for name, row in FLEX_GROUPS.items():
        rows[f"FLEX_COUNTER_TABLE|{name}"] = row
    if buffer_model == "dynamic":
        rows["DEFAULT_LOSSLESS_BUFFER_PARAMETER|AZURE"] = {"default_dynamic_th": "0"}
        rows["LOSSLESS_TRAFFIC_PATTERN|AZURE"] = {"mtu": "1024", "small_packet_percentage": "50"}
    rows["CABLE_LENGTH|AZURE"] = {p.name: "0m" for p in ports}
    for index, port in enumerate(ports):
        _seed_port(rows, port, index, buffer_model)
    for key, row in rows.items():
        db.rows[intern_key(key)] = row
    db.version += 1


def _seed_port(rows: dict[str, Row], port: TwinPort, index: int, buffer_model: str) -> None:
    name = port.name
    rows[f"PORT|{name}"] = {
        "admin_status": "up",
        "alias": f"etp{index + 1}",
        "index": str(index),
        "lanes": port_lanes(name),
        "mtu": DEFAULT_MTU,
        "speed": str(port.speed_mbps),
    }
    if port.neighbor:
        device, _, peer_port = port.neighbor.partition(":")
        rows[f"DEVICE_NEIGHBOR|{name}"] = {"name": device, "port": peer_port}
        rows[f"PFC_WD|{name}"] = PFCWD_PORT
    rows[f"PORT_QOS_MAP|{name}"] = PORT_QOS_ROW
    for q in range(7):
        rows[f"QUEUE|{name}|{q}"] = QUEUE_LOSSLESS if q in (3, 4) else QUEUE_LOSSY
    rows[f"BUFFER_PG|{name}|0"] = PG_LOSSY
    if buffer_model == "dynamic":
        rows[f"BUFFER_PG|{name}|3-4"] = PG_DYNAMIC_LOSSLESS
    rows[f"BUFFER_QUEUE|{name}|0-2"] = BQ_LOSSY
    rows[f"BUFFER_QUEUE|{name}|3-4"] = BQ_LOSSLESS
    rows[f"BUFFER_QUEUE|{name}|5-6"] = BQ_LOSSY
