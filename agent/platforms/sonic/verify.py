"""Post-change verification: re-read the switch and compare with what the change promised.

CONFIG_DB alone is not proof (GCU verifies only CONFIG_DB; buffermgrd or SAI can still refuse the
headroom), so every lossless priority must also have a programmed lossless PG in APPL_DB with a
non-zero xoff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from agent.platforms.sonic.fallback import touched_keys
from agent.platforms.sonic.gather import SonicRaw
from agent.platforms.sonic.normalize import normalize
from agent.platforms.sonic.patch import Operation, apply_ops, describe, path_parts, plan_ops
from agent.platforms.sonic.tables import ConfigDb
from agent.platforms.sonic.transaction import Verifier
from agent.state import DeviceState


def lossless_problems(state: DeviceState, ports: Iterable[str]) -> list[str]:
    """Every pfc_enable priority of `ports` needs an APPL_DB PG with a profile whose xoff > 0."""
    problems: list[str] = []
    for name in ports:
        port = state.ports.get(name)
        if port is None:
            problems.append(f"{name}: port missing from CONFIG_DB PORT")
            continue
        for prio in port.lossless_priorities:
            pg = next((g for g in port.priority_groups if prio in g.priorities and g.programmed), None)
            if pg is None or pg.programmed is None:
                problems.append(f"{name}: priority {prio} has no lossless PG in APPL_DB BUFFER_PG_TABLE")
            elif not pg.programmed.xoff:
                problems.append(f"{name}: PG {pg.key} profile {pg.programmed.name} has xoff {pg.programmed.xoff}")
    return problems


def intent_verifier(desired: ConfigDb | Callable[[SonicRaw], ConfigDb], ports: list[str]) -> Verifier:
    """Owned cells equal the render (of the re-read device, when given a render function), and lossless
    PGs are programmed on the intent's ports."""

    def check(raw: SonicRaw) -> list[str]:
        left = plan_ops(raw.config_db, desired(raw) if callable(desired) else desired)
        problems = [f"CONFIG_DB still differs: {line}" for line in describe(left, raw.config_db)]
        return problems + lossless_problems(normalize(raw), ports)

    return Verifier(list(ports), check)


HEADROOM_FIELDS = {"PORT_QOS_MAP": "pfc_enable", "PORT": "speed"}


def _ports_affected(ops: list[Operation], expected: Mapping[str, Any]) -> set[str]:
    """Ports whose lossless headroom the patch changes: pfc_enable, speed or cable length cells.

    Other ports are not judged, so a pre-existing gap elsewhere cannot fail an unrelated change.
    """
    ports: set[str] = set()
    for op in ops:
        parts = path_parts(op["path"])
        table = parts[0]
        if table in HEADROOM_FIELDS:
            keys = [parts[1]] if len(parts) > 1 else list(expected.get(table) or {})
            if len(parts) < 3 or parts[2] == HEADROOM_FIELDS[table]:
                ports.update(keys)
        elif table == "CABLE_LENGTH":
            for key, cells in (expected.get("CABLE_LENGTH") or {}).items():
                if len(parts) < 2 or parts[1] == key:
                    ports.update(cells if len(parts) < 3 else [parts[2]])
    ports.discard("global")
    return ports


def patch_verifier(before: Mapping[str, Any], ops: list[Operation]) -> Verifier:
    """For an arbitrary (NAPALM merge) patch: touched entries equal the predicted after state."""
    expected = apply_ops(before, ops)
    keys = touched_keys(ops, before, expected)
    qos_ports = sorted(_ports_affected(ops, expected))

    def check(raw: SonicRaw) -> list[str]:
        problems = []
        for table, key in keys:
            want = (expected.get(table) or {}).get(key)
            have = (raw.config_db.get(table) or {}).get(key)
            if want != have:
                problems.append(f"CONFIG_DB {table}|{key}: expected {want!r}, read {have!r}")
        return problems + lossless_problems(normalize(raw), qos_ports)

    return Verifier(qos_ports, check)
