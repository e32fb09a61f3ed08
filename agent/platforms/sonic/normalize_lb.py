"""SONiC load-balancing state: SWITCH_HASH, the seeds swss runs with, hash and ARS capability.

The rows come from the redis read (fastread: SWITCH_TABLE:*, SWITCH_CAPABILITY|*, ARS_CAPABILITY_TABLE|*)
or from the show read's sections (`gather.load_balancing_commands`); a snapshot taken before either
existed has none of them, and then only CONFIG_DB's SWITCH_HASH is known (seeds and capability stay None
/ unsupported).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.platforms.sonic import parsers as p
from agent.platforms.sonic import switch_hash
from agent.platforms.sonic.fastread import DbRead
from agent.platforms.sonic.gather import Section
from agent.platforms.sonic.normalize_ctx import Ctx
from agent.state import LoadBalancingState


@dataclass(frozen=True)
class LbReads:
    switch_table: dict[str, str]  # APPL_DB SWITCH_TABLE:switch
    capability: dict[str, str]  # STATE_DB SWITCH_CAPABILITY|switch
    ars_keys: list[str]  # STATE_DB ARS_CAPABILITY_TABLE|* keys


def lb_reads(device: str, sections: Mapping[str, Section], db: DbRead | None) -> LbReads:
    """The three reads, from whichever path gathered the switch."""
    if db is not None:
        state = db.db("STATE_DB")
        return LbReads(
            dict(db.db("APPL_DB").get(switch_hash.SWITCH_TABLE_KEY) or {}),
            dict(state.get(switch_hash.CAPABILITY_KEY) or {}),
            sorted(k for k in state if k.startswith("ARS_CAPABILITY_TABLE|")),
        )

    def hgetall(name: str) -> dict[str, str]:
        sec = sections.get(name)
        return {} if sec is None else p.parse_hgetall(device, sec.command, sec.output)

    ars = sections.get("ars_capability")
    return LbReads(hgetall("switch_table"), hgetall("switch_capability"), p.parse_db_keys(ars.output) if ars else [])


def load_balancing(ctx: Ctx) -> LoadBalancingState:
    entry = ctx.table(switch_hash.TABLE).get(switch_hash.KEY) or {}
    meta = ctx.table("DEVICE_METADATA").get("localhost") or {}
    reads = lb_reads(ctx.device, ctx.raw.sections, ctx.raw.db)
    seeds = reads.switch_table
    cap = switch_hash.HashCapability.parse(reads.capability)
    return LoadBalancingState(
        ecmp_hash=_list(entry.get("ecmp_hash")),
        lag_hash=_list(entry.get("lag_hash")),
        ecmp_hash_algorithm=entry.get("ecmp_hash_algorithm"),
        lag_hash_algorithm=entry.get("lag_hash_algorithm"),
        ecmp_hash_seed=_int(seeds.get("ecmp_hash_seed")),
        lag_hash_seed=_int(seeds.get("lag_hash_seed")),
        ecmp_hash_offset=_int(seeds.get("ecmp_hash_offset")),
        device_type=meta.get("type"),
        supported_fields=None if cap.fields is None else list(cap.fields),
        supported_ecmp_algorithms=None if cap.ecmp_algorithms is None else list(cap.ecmp_algorithms),
        adaptive_routing_supported=bool(reads.ars_keys),
        adaptive_routing_ports=_ars_ports(ctx),
    )


def _list(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(v).strip() for v in items if str(v).strip()]


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _ars_ports(ctx: Ctx) -> list[str]:
    """ARS HLD: interface mode lists ports in ARS_INTERFACES; global mode (a default_ars_object) covers all."""
    profiles = ctx.table("ARS_PROFILE").values()
    if any(pr.get("ars_nhg_path_selector_mode") == "global" and pr.get("default_ars_object") for pr in profiles):
        return sorted(ctx.table("PORT"))
    return sorted(ctx.table("ARS_INTERFACES"))
