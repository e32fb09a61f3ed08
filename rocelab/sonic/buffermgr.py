"""buffermgrd for the twin: lossless PG headroom from speed, cable length, MTU and `pfc_enable`.

Traditional model (sonic-swss cfgmgr/buffermgr.cpp `doSpeedUpdateTask`, reference sonic.md §1.5,
lossless-engineering.md §1.3): on a port event buffermgrd looks the (speed, cable) pair up in
pg_profile_lookup.ini, creates `BUFFER_PROFILE|pg_lossless_<speed>_<cable>_profile` and writes
`BUFFER_PG|<port>|<pgs>` into CONFIG_DB. Cable `0m` or an unknown pair -> no lossless PG at all.

Dynamic model (buffermgrdyn.cpp, lossless-engineering.md §1.2): CONFIG_DB keeps `"profile": "NULL"` and the
calculated profile only exists in APPL_DB; the headroom maths lives in `agent.policy.headroom`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rocelab.sonic.db import ConfigDb, Row
from rocelab.sonic.defaults import DEFAULT_MTU, pg_profile_lookup


def plain_ref(value: str) -> str:
    """Accept both reference formats: `[BUFFER_PROFILE|x]` (<= 202106) and `x` (>= 202111)."""
    if value.startswith("[") and value.endswith("]") and "|" in value:
        return value[1:-1].split("|", 1)[1]
    return value


def parse_priorities(value: str) -> list[int]:
    return sorted({int(p) for p in value.split(",") if p.strip().isdigit()})


def pg_keys_for(pfc_enable: str) -> list[str]:
    """`3,4` -> [`3-4`], `3` -> [`3`], `2,3,4,6` -> [`2-4`, `6`]: contiguous runs, one BUFFER_PG key each."""
    prios = parse_priorities(pfc_enable)
    runs: list[list[int]] = []
    for p in prios:
        if runs and runs[-1][-1] == p - 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return [f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]


def pg_range(key: str) -> range:
    """BUFFER_PG key part `3-4` -> range(3, 5)."""
    lo, _, hi = key.partition("-")
    return range(int(lo), int(hi or lo) + 1)


def cable_metres(cable: str) -> int | None:
    return int(cable[:-1]) if cable.endswith("m") and cable[:-1].isdigit() else None


class BufferManager:
    """Per-twin buffermgrd state: the last port signature it reacted to and the PG keys it wrote."""

    def __init__(self, model: str, log: Callable[[str], None]) -> None:
        self.model = model
        self._seen: dict[str, tuple[str, ...]] = {}
        self._written: dict[str, tuple[str, ...]] = {}
        self._log = log

    def reconcile(self, config: ConfigDb, ports: list[str]) -> None:
        """React to port events since the last call (only ports whose inputs changed)."""
        if config.hget("DEVICE_METADATA|localhost", "buffer_model") == "dynamic":
            return
        cables = config.hgetall("CABLE_LENGTH|AZURE")
        for port in ports:
            prow = config.hgetall(f"PORT|{port}")
            if not prow:
                continue
            pfc = config.hget(f"PORT_QOS_MAP|{port}", "pfc_enable") or ""
            sig = (prow.get("speed", ""), cables.get(port, ""), prow.get("mtu", DEFAULT_MTU), pfc)
            if self._seen.get(port) == sig:
                continue
            self._seen[port] = sig
            self._update_port(config, port, *sig)

    def _update_port(self, config: ConfigDb, port: str, speed: str, cable: str, mtu: str, pfc: str) -> None:
        if not cable:
            self._log(f"NOTICE swss#buffermgrd: :- doSpeedUpdateTask: Cable length is not set for {port}")
            return
        if cable == "0m":
            self._log(
                f"NOTICE swss#buffermgrd: :- doSpeedUpdateTask: Not creating/updating PG profile for port {port}. "
                "Cable length is set to 0m"
            )
            return
        row = pg_profile_lookup().get((speed, cable))
        if row is None:
            self._log(
                f"ERR swss#buffermgrd: :- doSpeedUpdateTask: No PG profile configured for speed {speed} "
                f"and cable length {cable}"
            )
            return
        profile = f"pg_lossless_{speed}_{cable}_profile"
        if not config.exists(f"BUFFER_PROFILE|{profile}"):
            mode = config.hget("BUFFER_POOL|ingress_lossless_pool", "mode") or "dynamic"
            fields = {"pool": "ingress_lossless_pool", "size": row.size, "xon": row.xon, "xoff": row.xoff}
            if row.xon_offset:
                fields["xon_offset"] = row.xon_offset
            fields[f"{mode}_th"] = row.threshold
            config.set_row(f"BUFFER_PROFILE|{profile}", dict(sorted(fields.items())))
        keys = tuple(pg_keys_for(pfc))
        for old in self._written.get(port, ()):
            if old not in keys:
                config.delete(f"BUFFER_PG|{port}|{old}")
        for key in keys:
            if config.hget(f"BUFFER_PG|{port}|{key}", "profile") != profile:
                config.set_row(f"BUFFER_PG|{port}|{key}", {"profile": profile})
        self._written[port] = keys


def dynamic_profile(speed: str, cable: str, mtu: str) -> tuple[str, Row] | None:
    """buffermgrd-dyn: the calculated APPL_DB profile for one lossless PG, or None when it cannot exist."""
    metres = cable_metres(cable)
    if not metres or not speed.isdigit():
        return None
    from agent.policy.headroom import dynamic_headroom  # lazy: the policy package is optional for the lab

    result: Any = dynamic_headroom(int(speed), metres, int(mtu or DEFAULT_MTU), asic="vs")
    values = {k: _field(result, k) for k in ("xon", "xoff", "size")}
    name = f"pg_lossless_{speed}_{cable}" + ("" if (mtu or DEFAULT_MTU) == DEFAULT_MTU else f"_mtu{mtu}") + "_profile"
    row = {"dynamic_th": "0", "pool": "ingress_lossless_pool", **{k: str(v) for k, v in values.items()}}
    return name, row


def _field(result: Any, name: str) -> int:
    value = result[name] if isinstance(result, dict) else getattr(result, name)
    return int(value)
