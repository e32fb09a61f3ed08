"""buffermgrd for the twin: lossless PG headroom from speed, cable length, MTU and `pfc_enable`.

Traditional model, as sonic-swss cfgmgr/buffermgr.cpp behaves (read, not copied): on a CABLE_LENGTH,
PORT (speed, admin_status) or PORT_QOS_MAP `pfc_enable` change, buffermgrd looks (speed, cable) up in the
SKU's pg_profile_lookup.ini and writes into CONFIG_DB:
* `BUFFER_PROFILE|pg_lossless_<speed>_<cable>_profile` (only when it does not exist yet) with fields in
  the daemon's order `pool, xon, [xon_offset], xoff, size, <mode>_th` (mode of ingress_lossless_pool);
* `BUFFER_PG|<port>|<run>` for each contiguous run of `pfc_enable` (`2,3,4,6` -> `2-4`, `6`).
Cable `0m`: no PG (NOTICE); no cable or no `pfc_enable` yet: nothing; an unknown (speed, cable) pair: ERR
"No PG profile configured" and no PG. On Mellanox and Barefoot an admin-down port loses the PGs that
use that profile. PGs are never removed when `pfc_enable` shrinks: like the real daemon, the old run stays.

Dynamic model (buffermgrdyn.cpp): CONFIG_DB keeps `"profile": "NULL"`; the calculated profile exists in
APPL_DB/STATE_DB only, named `pg_lossless_<speed>_<cable>[_mtu<mtu>][_8lane]_profile`, with headroom from
the lab's own implementation of the vendor plugin (rocelab.sonic.headroom).
"""

from __future__ import annotations

from collections.abc import Callable

from rocelab.sonic.db import ConfigDb, Row
from rocelab.sonic.headroom import ASIC_TABLES, TrafficPattern, headroom
from rocelab.sonic.sku import Sku

DEFAULT_MTU = "9100"
RECLAIMS_ADMIN_DOWN = frozenset({"mellanox", "barefoot"})


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
    """Per-twin buffermgrd state: the last port signature it reacted to."""

    def __init__(self, model: str, log: Callable[[str], None], sku: Sku) -> None:
        self.model = model
        self.sku = sku
        self._lookup = sku.lookup()
        self._seen: dict[str, tuple[str, str, str, str | None]] = {}
        self._log = log

    def reconcile(self, config: ConfigDb, ports: list[str]) -> None:
        """React to port events since the last call (only ports whose inputs changed)."""
        if config.hget("DEVICE_METADATA|localhost", "buffer_model") == "dynamic":
            return
        cables = config.hgetall("CABLE_LENGTH|AZURE")
        for port in ports:
            prow = config.hgetall(f"PORT|{port}")
            if not prow or "speed" not in prow:
                continue
            pfc = config.hget(f"PORT_QOS_MAP|{port}", "pfc_enable")
            sig = (prow["speed"], cables.get(port, ""), prow.get("admin_status", "down"), pfc)
            if self._seen.get(port) == sig:
                continue
            self._seen[port] = sig
            self._update_port(config, port, *sig)

    def _update_port(self, config: ConfigDb, port: str, speed: str, cable: str, admin: str, pfc: str | None) -> None:
        if not cable or pfc is None:
            return  # buffermgrd waits (INFO level) for the cable length and pfc_enable
        if cable == "0m":
            self._log(
                f"NOTICE swss#buffermgrd: :- doSpeedUpdateTask: Not creating/updating PG profile for port {port}. "
                "Cable length is set to 0m"
            )
            return
        profile = f"pg_lossless_{speed}_{cable}_profile"
        keys = pg_keys_for(pfc)
        if admin == "down" and self.sku.asic_type in RECLAIMS_ADMIN_DOWN:
            for key in keys:
                if config.hget(f"BUFFER_PG|{port}|{key}", "profile") == profile:
                    self._log(
                        f"NOTICE swss#buffermgrd: :- doSpeedUpdateTask: Removing PG {port}|{key} from port {port} "
                        "which is administrative down"
                    )
                    config.delete(f"BUFFER_PG|{port}|{key}")
            return
        row = self._lookup.get((speed, cable))
        if row is None:
            self._log(
                f"ERR swss#buffermgrd: :- doSpeedUpdateTask: Unable to create/update PG profile for port {port}. "
                f"No PG profile configured for speed {speed} and cable length {cable}"
            )
            return
        if not config.exists(f"BUFFER_PROFILE|{profile}"):
            mode = config.hget("BUFFER_POOL|ingress_lossless_pool", "mode")
            if not mode:
                return  # "PG lossless pool is not yet created": retried on the next event
            fields = {"pool": "ingress_lossless_pool", "xon": row.xon}
            if row.xon_offset:
                fields["xon_offset"] = row.xon_offset
            fields |= {"xoff": row.xoff, "size": row.size, f"{mode}_th": row.threshold}
            self._log(f"NOTICE swss#buffermgrd: :- doSpeedUpdateTask: Creating new profile '{profile}'")
            config.set_row(f"BUFFER_PROFILE|{profile}", fields)
        for key in keys:
            if config.hget(f"BUFFER_PG|{port}|{key}", "profile") != profile:
                config.set_row(f"BUFFER_PG|{port}|{key}", {"profile": profile})


def _model_number(platform: str) -> int:
    """buffermgrdyn: the four digits after `sn` in a Mellanox platform name (x86_64-nvidia_sn5600-r0 -> 5600)."""
    at = platform.find("sn")
    digits = platform[at + 2 : at + 6] if at >= 0 else ""
    return int(digits) if digits.isdigit() else 0


def dynamic_profile(config: ConfigDb, port: str, sku: Sku) -> tuple[str, Row] | None:
    """buffermgrd-dyn: the calculated APPL_DB profile for one lossless PG of a port, or None when it cannot exist."""
    prow = config.hgetall(f"PORT|{port}")
    speed, mtu = prow.get("speed", ""), prow.get("mtu", DEFAULT_MTU)
    cable = config.hget("CABLE_LENGTH|AZURE", port) or ""
    metres = cable_metres(cable)
    asic = ASIC_TABLES.get(sku.asic_table or "")
    if not metres or not speed.isdigit() or not mtu.isdigit() or asic is None:
        return None
    lanes = len(prow.get("lanes", "").split(","))
    traffic = config.hgetall("LOSSLESS_TRAFFIC_PATTERN|AZURE")
    params = config.hgetall("DEFAULT_LOSSLESS_BUFFER_PARAMETER|AZURE")
    shp = (config.hget("BUFFER_POOL|ingress_lossless_pool", "xoff") or "0") != "0"
    shp = shp or (params.get("over_subscribe_ratio") or "0") != "0"
    pattern = TrafficPattern(
        int(traffic.get("mtu", "1024")), int(traffic.get("small_packet_percentage", "50")), shared_headroom_pool=shp
    )
    result = headroom(asic, int(speed), metres, int(mtu), lanes=lanes, pattern=pattern)
    name = f"pg_lossless_{speed}_{cable}" + ("" if mtu == DEFAULT_MTU else f"_mtu{mtu}")
    series = _model_number(sku.platform) // 1000
    only_8lane = {4: "400000", 5: "800000"}  # speeds that exist only on 8 lanes in that series
    if sku.asic_type == "mellanox" and lanes == 8 and series in only_8lane and speed != only_8lane[series]:
        name += "_8lane"
    row = {"xon": str(result.xon), "xoff": str(result.xoff), "size": str(result.size)}
    row |= {"pool": "ingress_lossless_pool", "dynamic_th": params.get("default_dynamic_th", "0")}
    return name + "_profile", row
