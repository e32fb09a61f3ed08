"""What the data plane of one port looks like from CONFIG_DB, as the traffic model needs it.

Reads accept both reference formats (`[TABLE|name]` and plain names).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rocelab.sonic.buffermgr import parse_priorities, pg_range, plain_ref
from rocelab.sonic.db import ConfigDb

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


Rows = dict[str, dict[str, str]]


def port_qos(config: ConfigDb, port: str) -> PortQos:
    return ports_qos(config, [port])[port]


def ports_qos(config: ConfigDb, ports: Iterable[str]) -> dict[str, PortQos]:
    """PortQos of several ports; BUFFER_PG and QUEUE (keyed `<port>|...`) are scanned once for all of
    them rather than once per port, since a CONFIG_DB change re-rates every port carrying traffic."""
    pgs, queues = _by_port(config.table("BUFFER_PG")), _by_port(config.table("QUEUE"))
    return {port: _port_qos(config, port, pgs.get(port, {}), queues.get(port, {})) for port in ports}


def _by_port(table: Rows) -> dict[str, Rows]:
    out: dict[str, Rows] = {}
    for key, row in table.items():
        port, _, rest = key.partition("|")
        out.setdefault(port, {})[rest] = row
    return out


def _port_qos(config: ConfigDb, port: str, pg_rows: Rows, queue_rows: Rows) -> PortQos:
    qos = config.hgetall(f"PORT_QOS_MAP|{port}")
    speed = config.hget(f"PORT|{port}", "speed") or "0"
    return PortQos(
        pfc=frozenset(parse_priorities(qos.get("pfc_enable", ""))),
        wd_prios=frozenset(parse_priorities(qos.get("pfcwd_sw_enable", ""))),
        headroom_xoff=_headroom(config, pg_rows),
        ecn_queues=_ecn_queues(config, queue_rows),
        speed=int(speed) if speed.isdigit() else 0,
    )


def _headroom(config: ConfigDb, pg_rows: Rows) -> dict[int, int]:
    """Lossless PG -> xoff of its profile, from one port's BUFFER_PG rows (keyed by the PG range)."""
    out: dict[int, int] = {}
    for pgs, row in pg_rows.items():
        if not pgs:
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


def _ecn_queues(config: ConfigDb, queue_rows: Rows) -> dict[int, tuple[int, int]]:
    """Queue -> green (Kmin, Kmax) where ECN marks, from one port's QUEUE rows (keyed by queue)."""
    out: dict[int, tuple[int, int]] = {}
    for q, row in queue_rows.items():
        if not q.isdigit() or "wred_profile" not in row:
            continue
        wred = config.hgetall(f"WRED_PROFILE|{plain_ref(row['wred_profile'])}")
        marks_green = wred.get("ecn", "ecn_none") in ("ecn_green", "ecn_green_yellow", "ecn_green_red", "ecn_all")
        if marks_green and wred.get("wred_green_enable") == "true":
            lo, hi = wred.get("green_min_threshold", "0"), wred.get("green_max_threshold", "0")
            out[int(q)] = (int(lo) if lo.isdigit() else 0, int(hi) if hi.isdigit() else 0)
    return out


def ms_to_ticks(ms: str | None, default: int) -> int:
    value = int(ms) if ms and ms.isdigit() else default
    return max(1, -(-value // TICK_MS))
