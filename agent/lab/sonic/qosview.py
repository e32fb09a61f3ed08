"""What the data plane of one port looks like from CONFIG_DB, as the traffic model needs it.

Reads accept both reference formats (`[TABLE|name]` and plain names).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.lab.sonic.buffermgr import parse_priorities, pg_range, plain_ref
from agent.lab.sonic.db import ConfigDb

TICK_MS = 100  # one shell command advances the twin's logical clock by this much


@dataclass(frozen=True)
class PortQos:
    pfc: frozenset[int]  # PORT_QOS_MAP.pfc_enable
    wd_prios: frozenset[int]  # PORT_QOS_MAP.pfcwd_sw_enable
    headroom_xoff: dict[int, int]  # lossless PG priority -> xoff bytes of its profile
    ecn_queues: dict[int, tuple[int, int]]  # queue -> (green_min, green_max) when ECN marking is on
    speed: int

    @property
    def roce_prios(self) -> list[int]:
        """Priorities carrying RoCE in the traffic model: the lossless ones, or 3 when none is set."""
        return sorted(self.pfc) or [3]


def port_qos(config: ConfigDb, port: str) -> PortQos:
    qos = config.hgetall(f"PORT_QOS_MAP|{port}")
    speed = config.hget(f"PORT|{port}", "speed") or "0"
    return PortQos(
        pfc=frozenset(parse_priorities(qos.get("pfc_enable", ""))),
        wd_prios=frozenset(parse_priorities(qos.get("pfcwd_sw_enable", ""))),
        headroom_xoff=_headroom(config, port),
        ecn_queues=_ecn_queues(config, port),
        speed=int(speed) if speed.isdigit() else 0,
    )


def _headroom(config: ConfigDb, port: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for key, row in config.table("BUFFER_PG").items():
        name, _, pgs = key.partition("|")
        if name != port or not pgs:
            continue
        profile = config.hgetall(f"BUFFER_PROFILE|{plain_ref(row.get('profile', ''))}")
        xoff = profile.get("xoff", "0")
        if xoff.isdigit() and int(xoff) > 0:
            try:
                for pg in pg_range(pgs):
                    out[pg] = int(xoff)
            except ValueError:
                continue
    return out


def _ecn_queues(config: ConfigDb, port: str) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for key, row in config.table("QUEUE").items():
        name, _, q = key.partition("|")
        if name != port or not q.isdigit() or "wred_profile" not in row:
            continue
        wred = config.hgetall(f"WRED_PROFILE|{plain_ref(row['wred_profile'])}")
        marks_green = wred.get("ecn", "ecn_none") in ("ecn_green", "ecn_green_yellow", "ecn_green_red", "ecn_all")
        if marks_green and wred.get("wred_green_enable") == "true":
            lo, hi = wred.get("green_min_threshold", "0"), wred.get("green_max_threshold", "0")
            out[int(q)] = (int(lo) if lo.isdigit() else 0, int(hi) if hi.isdigit() else 0)
    return out


def pfcwd_port(config: ConfigDb, port: str) -> dict[str, str]:
    return config.hgetall(f"PFC_WD|{port}")


def ms_to_ticks(ms: str | None, default: int) -> int:
    value = int(ms) if ms and ms.isdigit() else default
    return max(1, -(-value // TICK_MS))
