"""SONiC's ECMP/LAG hash: CONFIG_DB SWITCH_HASH|GLOBAL, what the switch says it supports, and the seeds.

* SWITCH_HASH|GLOBAL (sonic-hash.yang, 202305+; algorithms 202311+): `ecmp_hash` / `lag_hash` are
  ordered leaf-lists (Redis `ecmp_hash@` = "A,B", cfggen and GCU: a JSON list), `ecmp_hash_algorithm` /
  `lag_hash_algorithm` leaves. Only the fields the policy names are rendered (and owned).
* STATE_DB SWITCH_CAPABILITY|switch (sonic-swss orchagent/switch/switch_capabilities.cpp):
  `HASH|NATIVE_HASH_FIELD_LIST` and `ECMP_HASH_ALGORITHM` / `LAG_HASH_ALGORITHM` are comma lists, or
  "N/A" when the SAI cannot say (switchorch then accepts any value); `*_CAPABLE` are "true"/"false".
  switchorch refuses a SWITCH_HASH value outside them after GCU has written it, so the agent refuses it
  before writing, naming the field and what the switch supports.
* APPL_DB SWITCH_TABLE:switch: the seeds and offsets swss starts with (switch.json.j2, from the device
  type); no CONFIG_DB path changes them, so they are read and audited, never written.
* Adaptive routing: the ARS HLD (SONiC doc/ARS) publishes STATE_DB ARS_CAPABILITY_TABLE; no release
  ships ArsOrch or ARS YANG, so where that table is empty adaptive routing is "not supported".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.policy.load_balancing import LoadBalancing

TABLE = "SWITCH_HASH"
KEY = "GLOBAL"
CAPABILITY_KEY = "SWITCH_CAPABILITY|switch"
SWITCH_TABLE_KEY = "SWITCH_TABLE:switch"
ARS_CAPABILITY_PATTERN = "ARS_CAPABILITY_TABLE|*"
NOT_AVAILABLE = "N/A"
#: Fields switchorch publishes once it knows SWITCH_HASH (a SWITCH_CAPABILITY row without them: older swss).
HASH_CAPABILITY_FIELDS = ("HASH|NATIVE_HASH_FIELD_LIST", "ECMP_HASH_CAPABLE", "LAG_HASH_CAPABLE")

Entry = dict[str, str | list[str]]


def render_switch_hash(lb: LoadBalancing | None) -> dict[str, Entry]:
    """SWITCH_HASH|GLOBAL with the fields the policy names ({} when it names none)."""
    if lb is None:
        return {}
    entry: Entry = {}
    if lb.ecmp_hash is not None:
        entry["ecmp_hash"] = list(lb.ecmp_hash)
    if lb.lag_hash is not None:
        entry["lag_hash"] = list(lb.lag_hash)
    if lb.ecmp_hash_algorithm is not None:
        entry["ecmp_hash_algorithm"] = lb.ecmp_hash_algorithm
    if lb.lag_hash_algorithm is not None:
        entry["lag_hash_algorithm"] = lb.lag_hash_algorithm
    return {KEY: entry} if entry else {}


@dataclass(frozen=True)
class HashCapability:
    """What STATE_DB SWITCH_CAPABILITY|switch says; a list None means "not published" (N/A or absent)."""

    published: bool  # the key exists (older releases and sonic-vs before 202305 have none)
    fields: tuple[str, ...] | None = None
    ecmp_capable: bool | None = None
    lag_capable: bool | None = None
    ecmp_algorithms: tuple[str, ...] | None = None
    lag_algorithms: tuple[str, ...] | None = None
    ecmp_algorithm_capable: bool | None = None
    lag_algorithm_capable: bool | None = None

    @classmethod
    def parse(cls, row: Mapping[str, str]) -> HashCapability:
        return cls(
            published=any(f in row for f in HASH_CAPABILITY_FIELDS),
            fields=_names(row.get("HASH|NATIVE_HASH_FIELD_LIST")),
            ecmp_capable=_flag(row.get("ECMP_HASH_CAPABLE")),
            lag_capable=_flag(row.get("LAG_HASH_CAPABLE")),
            ecmp_algorithms=_names(row.get("ECMP_HASH_ALGORITHM")),
            lag_algorithms=_names(row.get("LAG_HASH_ALGORITHM")),
            ecmp_algorithm_capable=_flag(row.get("ECMP_HASH_ALGORITHM_CAPABLE")),
            lag_algorithm_capable=_flag(row.get("LAG_HASH_ALGORITHM_CAPABLE")),
        )


def _names(value: str | None) -> tuple[str, ...] | None:
    if value is None or value.strip() in ("", NOT_AVAILABLE):
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() == "true"


def refusals(entry: Mapping[str, Any], cap: HashCapability) -> list[str]:
    """Why the switch would refuse SWITCH_HASH|GLOBAL `entry`: one line per field, naming what it supports."""
    if not entry:
        return []
    if not cap.published:
        return [
            "STATE_DB SWITCH_CAPABILITY|switch has no hash capability: this switch's swss does not know "
            "SWITCH_HASH (SONiC before 202305), so SWITCH_HASH is not written"
        ]
    out: list[str] = []
    for kind, capable, algorithms, algo_capable in (
        ("ecmp", cap.ecmp_capable, cap.ecmp_algorithms, cap.ecmp_algorithm_capable),
        ("lag", cap.lag_capable, cap.lag_algorithms, cap.lag_algorithm_capable),
    ):
        fields = entry.get(f"{kind}_hash")
        if isinstance(fields, list):
            if capable is False:
                out.append(f"SWITCH_HASH {kind}_hash: the switch says {kind.upper()}_HASH_CAPABLE false")
            elif cap.fields is not None:
                bad = [f for f in fields if f not in cap.fields]
                if bad:
                    out.append(
                        f"SWITCH_HASH {kind}_hash: {', '.join(bad)} not supported by this switch "
                        f"(HASH|NATIVE_HASH_FIELD_LIST: {', '.join(cap.fields) or 'none'})"
                    )
        algorithm = entry.get(f"{kind}_hash_algorithm")
        if isinstance(algorithm, str):
            if algo_capable is False:
                out.append(
                    f"SWITCH_HASH {kind}_hash_algorithm: the switch says {kind.upper()}_HASH_ALGORITHM_CAPABLE false"
                )
            elif algorithms is not None and algorithm not in algorithms:
                out.append(
                    f"SWITCH_HASH {kind}_hash_algorithm: {algorithm} not supported by this switch "
                    f"({kind.upper()}_HASH_ALGORITHM: {', '.join(algorithms) or 'none'})"
                )
    return out


def unverifiable(entry: Mapping[str, Any], cap: HashCapability) -> list[str]:
    """Values the switch cannot vouch for (its SAI answered N/A): written, with a warning."""
    if not entry or not cap.published:
        return []
    out = []
    if cap.fields is None and any(isinstance(entry.get(f"{k}_hash"), list) for k in ("ecmp", "lag")):
        out.append("HASH|NATIVE_HASH_FIELD_LIST is N/A: the hash fields cannot be checked before writing")
    for kind, algorithms in (("ecmp", cap.ecmp_algorithms), ("lag", cap.lag_algorithms)):
        if algorithms is None and isinstance(entry.get(f"{kind}_hash_algorithm"), str):
            out.append(f"{kind.upper()}_HASH_ALGORITHM is N/A: the algorithm cannot be checked before writing")
    return out
