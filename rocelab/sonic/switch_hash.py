"""The twin's ECMP/LAG hash: SWITCH_HASH's YANG, STATE_DB SWITCH_CAPABILITY per SKU, APPL_DB seeds.

* YANG (sonic-buildimage sonic-hash.yang): SWITCH_HASH|GLOBAL only; `ecmp_hash` / `lag_hash` are
  leaf-lists (ordered-by user, so no value twice) of the hash-field enum; `ecmp_hash_algorithm` /
  `lag_hash_algorithm` are sonic-types hash-algorithm. Per release branch: no model in 202211, the
  leaf-lists from 202305, the algorithms from 202311, IPV6_FLOW_LABEL from 202505.
* GCU works on ConfigDBConnector's typed view (`ecmp_hash@` = "A,B" in Redis is `ecmp_hash: [A, B]`)
  and writes the Redis shape back: `typed_view` / `redis_row`.
* STATE_DB SWITCH_CAPABILITY|switch as switchorch publishes it (sonic-swss
  orchagent/switch/switch_capabilities.cpp): comma lists, "N/A" when the SAI cannot enumerate, flags
  "true"/"false". Which SKU supports what is the twin's own table below (ASIC vendors do not publish
  it): the default answers like sonic-utilities' mock STATE_DB (everything), one SKU answers without
  L4_SRC_PORT so the agent's pre-flight refusal can be exercised (a twin-only name, not a real SKU).
* APPL_DB SWITCH_TABLE:switch: what swss's start-up template (dockers/docker-orchagent/switch.json.j2)
  writes from DEVICE_METADATA|localhost type and namespace_id. Like swss, the twin computes it when it
  starts and on `config reload`, not on every CONFIG_DB write.

The twin keeps its own copy of these rules (it imports nothing from the agent); tests compare both with
values worked out from the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rocelab.sonic.db import Row

HASH_FIELDS = (
    "IN_PORT", "DST_MAC", "SRC_MAC", "ETHERTYPE", "VLAN_ID", "IP_PROTOCOL", "DST_IP", "SRC_IP", "L4_DST_PORT",
    "L4_SRC_PORT", "INNER_DST_MAC", "INNER_SRC_MAC", "INNER_ETHERTYPE", "INNER_IP_PROTOCOL", "INNER_DST_IP",
    "INNER_SRC_IP", "INNER_L4_DST_PORT", "INNER_L4_SRC_PORT", "IPV6_FLOW_LABEL",
)  # fmt: skip
HASH_ALGORITHMS = ("CRC", "XOR", "RANDOM", "CRC_32LO", "CRC_32HI", "CRC_CCITT", "CRC_XOR")
LEAF_LISTS = ("ecmp_hash", "lag_hash")
LEAVES = ("ecmp_hash_algorithm", "lag_hash_algorithm")

#: The twin's assumption per HwSKU: (native hash fields, ECMP algorithms, LAG algorithms); None = "N/A".
CAPABILITIES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None, tuple[str, ...] | None]] = {
    "default": (HASH_FIELDS, HASH_ALGORITHMS, HASH_ALGORITHMS),
    "twin-no-l4-src-port": (
        ("IN_PORT", "DST_MAC", "SRC_MAC", "ETHERTYPE", "VLAN_ID", "IP_PROTOCOL", "DST_IP", "SRC_IP", "L4_DST_PORT"),
        ("CRC", "XOR"),
        None,
    ),
}

#: switch.json.j2's substring tests in its order (first match wins): (needle, seed, ecmp/lag offset).
SEED_RULES = (
    ("ToRRouter", 0, 0),
    ("LeafRouter", 10, 10),
    ("SpineRouter", 25, 0),
    ("FabricSpineRouter", 40, 0),
    ("UpperSpineRouter", 50, 0),
    ("LowerRegionalHub", 60, 0),
    ("FabricRegionalHub", 70, 0),
    ("UpperRegionalHub", 80, 0),
)


def capability_row(hwsku: str) -> Row:
    fields, ecmp, lag = CAPABILITIES.get(hwsku, CAPABILITIES["default"])
    return {
        "ECMP_HASH_CAPABLE": "true",
        "LAG_HASH_CAPABLE": "true",
        "ECMP_HASH_ALGORITHM_CAPABLE": "true" if ecmp is not None else "false",
        "LAG_HASH_ALGORITHM_CAPABLE": "true" if lag is not None else "false",
        "HASH|NATIVE_HASH_FIELD_LIST": ",".join(fields),
        "ECMP_HASH_ALGORITHM": ",".join(ecmp) if ecmp is not None else "N/A",
        "LAG_HASH_ALGORITHM": ",".join(lag) if lag is not None else "N/A",
    }


def switch_table_row(meta: Mapping[str, str]) -> Row:
    """APPL_DB SWITCH_TABLE:switch for a DEVICE_METADATA|localhost row, as switch.json.j2 renders it."""
    device_type = meta.get("type", "")
    seed, offset = 0, 0
    if device_type and device_type not in ("EPMS", "MgmtTsToR"):
        for needle, rule_seed, rule_offset in SEED_RULES:
            if needle in device_type:
                seed, offset = rule_seed, rule_offset
                break
    namespace = meta.get("namespace_id", "")
    seed += int(namespace) if namespace.isdigit() else 0
    switch_type = meta.get("switch_type", "")
    if switch_type == "dpu":
        return {}
    row = {"ecmp_hash_seed": str(seed), "lag_hash_seed": str(seed), "fdb_aging_time": "600"}
    if switch_type != "chassis-packet":
        row.update({"ecmp_hash_offset": str(offset), "lag_hash_offset": str(offset)})
    row["ordered_ecmp"] = "true" if "LeafRouter" in device_type else "false"
    return row


def typed_view(doc: dict[str, dict[str, dict[str, str]]]) -> dict[str, Any]:
    """ConfigDBConnector.raw_to_typed for the twin's JSON view: `field@` = "a,b" -> `field` = ["a", "b"]."""
    out: dict[str, Any] = {}
    for table, rows in doc.items():
        out[table] = {
            key: {(f[:-1] if f.endswith("@") else f): (v.split(",") if f.endswith("@") else v) for f, v in row.items()}
            for key, row in rows.items()
        }
    return out


def redis_row(row: Mapping[str, Any]) -> Row:
    """typed_to_raw for one entry: a list goes back to `field@` = "a,b"."""
    return {
        (f"{f}@" if isinstance(v, list) else str(f)): (",".join(str(i) for i in v) if isinstance(v, list) else str(v))
        for f, v in row.items()
    }


class HashYangError(ValueError):
    pass


def _since(release: str, branch: str) -> bool:
    return release == "master" or release >= branch


def check_switch_hash(key: str, row: object, where: str, release: str = "master") -> None:
    """sonic-hash.yang of `release`: key GLOBAL, enum leaf-lists without repeats, enum algorithms."""
    if not _since(release, "202305"):
        raise HashYangError(f"{where}: release {release} has no YANG model for SWITCH_HASH")
    if key != "GLOBAL":
        raise HashYangError(f"{where}: SWITCH_HASH has only the GLOBAL entry")
    if not isinstance(row, Mapping):
        raise HashYangError(f"{where}: must be an object of leaves")
    fields = HASH_FIELDS if _since(release, "202505") else HASH_FIELDS[:-1]  # IPV6_FLOW_LABEL: 202505
    leaves = LEAVES if _since(release, "202311") else ()
    for name, value in row.items():
        if name in LEAF_LISTS:
            if not isinstance(value, list):
                raise HashYangError(f"{where}: {name} is a leaf-list (a JSON list), got {value!r}")
            bad = [i for i in value if i not in fields]
            if bad:
                raise HashYangError(f"{where}: {name}: {bad[0]!r} is not a hash-field ({', '.join(fields)})")
            if len(set(value)) != len(value):
                raise HashYangError(f"{where}: {name}: a leaf-list holds each value once")
        elif name in leaves:
            if value not in HASH_ALGORITHMS:
                raise HashYangError(
                    f"{where}: {name}: {value!r} is not a hash-algorithm ({', '.join(HASH_ALGORITHMS)})"
                )
        else:
            raise HashYangError(f"{where}: unknown leaf {name!r}")
