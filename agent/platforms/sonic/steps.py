"""One large SONiC change as a sequence of small GCU patches, one per group of ports.

Why: GCU's sorter takes every port whose QUEUE / QoS-map / buffer rows change admin down and up, one at
a time, and its search grows with the square of those ports (about 50 s for 4 ports, 778 s for 16 on a
real switch, gcu_cost.py). Sixteen ports in four patches of four sort in about 4 x 50 s, and each step
says which ports it flaps, so an operator (and the rollout's gates) know what is down when.

How the patch is cut: every CONFIG_DB cell (table, key, field) of the before and after state belongs to
a port or to the device. A port's cells are its rows of the port tables (PORT_QOS_MAP|p, QUEUE|p|*,
BUFFER_PG|p|*, BUFFER_QUEUE|p|*, the per-port buffer profile lists, PORT|p) and its field of CABLE_LENGTH.
Step 1 holds the device-wide additions and changes (maps, schedulers, WRED profiles, counters, PFC_WD:
what port rows will reference, and timers whose YANG `must` ties ports to the poll interval), each port
group's step its ports' cells, and the last group's step also the removal of device-wide entries (a map
or profile may be dropped only after no port references it). The steps' patches are diffs between
these successive states, so applied in order they give exactly the planned after state.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agent.platforms.base import ChangePlan
from agent.platforms.sonic.patch import Operation, apply_ops, diff_ops

PORTS_PER_STEP = 4  # GCU sorts 4 flapped ports in about 50 s (gcu_cost: 5 + 3.1 x 4^2)
PORT_ROW_TABLES = frozenset(
    {"BUFFER_PORT_EGRESS_PROFILE_LIST", "BUFFER_PORT_INGRESS_PROFILE_LIST", "PORT_QOS_MAP", "PORT"}
)
PORT_PREFIX_TABLES = frozenset({"BUFFER_PG", "BUFFER_QUEUE", "QUEUE"})
PORT_FIELD_TABLES = frozenset({"CABLE_LENGTH"})  # CABLE_LENGTH|AZURE <port>: <length>
LATE_REMOVALS = frozenset(
    {
        "DSCP_TO_TC_MAP", "DOT1P_TO_TC_MAP", "TC_TO_PRIORITY_GROUP_MAP", "TC_TO_QUEUE_MAP",
        "MAP_PFC_PRIORITY_TO_QUEUE", "PFC_PRIORITY_TO_PRIORITY_GROUP_MAP", "TC_TO_DSCP_MAP", "SCHEDULER",
        "WRED_PROFILE", "BUFFER_POOL", "BUFFER_PROFILE",
    }
)  # fmt: skip

Cell = tuple[str, str, str]  # (table, key, field)
DEVICE = ""  # owner of a device-wide cell


@dataclass(frozen=True)
class PortGroup:
    """The ports one step changes, and why they are together (`host ports`, `fabric ports 2/3`)."""

    label: str
    ports: tuple[str, ...]


def natural(name: str) -> tuple[str, int]:
    stem = name.rstrip("0123456789")
    return stem, int(name[len(stem) :] or 0)


def port_groups(roles: Mapping[str, str], ports: Sequence[str], per_step: int = PORTS_PER_STEP) -> list[PortGroup]:
    """Ports by link role (host ports before fabric ports: a host port flapping stops one server, a fabric
    port a share of every flow), then at most `per_step` per group, in port order."""
    by_role: dict[str, list[str]] = {}
    for port in sorted(set(ports), key=natural):
        by_role.setdefault(roles.get(port, ""), []).append(port)
    order = sorted(by_role, key=lambda r: ({"host": 0, "fabric": 1}.get(r, 2), r))
    groups: list[PortGroup] = []
    for role in order:
        members = by_role[role]
        chunks = [members[i : i + per_step] for i in range(0, len(members), max(1, per_step))]
        for n, chunk in enumerate(chunks, 1):
            label = f"{role} ports".strip() + (f" {n}/{len(chunks)}" if len(chunks) > 1 else "")
            groups.append(PortGroup(label, tuple(chunk)))
    return groups


def owner(cell: Cell) -> str:
    """The port a cell belongs to, or DEVICE."""
    table, key, fld = cell
    if table in PORT_ROW_TABLES:
        return DEVICE if key == "global" else key
    if table in PORT_PREFIX_TABLES:
        return key.partition("|")[0]
    if table in PORT_FIELD_TABLES:
        return fld
    return DEVICE


def cells(config: Mapping[str, Any]) -> dict[Cell, Any]:
    out: dict[Cell, Any] = {}
    for table, entries in config.items():
        for key, row in (entries or {}).items() if isinstance(entries, Mapping) else ():
            for fld, value in (row or {}).items() if isinstance(row, Mapping) else ():
                out[(str(table), str(key), str(fld))] = value
    return out


def _config(flat: Mapping[Cell, Any], shape: Mapping[str, Any]) -> dict[str, Any]:
    """Cells back into tables; an entry the shape has without fields (`NULL` placeholder) is kept."""
    out: dict[str, Any] = {}
    for (table, key, fld), value in flat.items():
        out.setdefault(table, {}).setdefault(key, {})[fld] = copy.deepcopy(value)
    for table, entries in shape.items():
        for key, row in (entries or {}).items() if isinstance(entries, Mapping) else ():
            if isinstance(row, Mapping) and not row:
                out.setdefault(table, {}).setdefault(key, {})
    return out


def split(
    ops: list[Operation], before: Mapping[str, Any], groups: Sequence[PortGroup]
) -> list[tuple[PortGroup | None, list[Operation]]]:
    """The patch as (group, operations) steps; (None, ops) is the device-wide first step. A patch that
    touches at most one group stays one step (nothing to gain), and empty steps are left out."""
    after = apply_ops(before, ops)
    old, new = cells(before), cells(after)
    changed = {c for c in old.keys() | new.keys() if old.get(c, _GONE) != new.get(c, _GONE)}
    gone_entries = {(t, k) for (t, k, _f) in changed if t in LATE_REMOVALS and (t, k) not in _entries(new)}
    step_of: dict[Cell, int] = {}
    index = {port: n for n, g in enumerate(groups, 1) for port in g.ports}
    for cell in changed:
        port = owner(cell)
        if port != DEVICE:
            step_of[cell] = index.get(port, len(groups) + 1)  # a port of no group: after the groups
        elif (cell[0], cell[1]) in gone_entries:
            step_of[cell] = len(groups) + 1
        else:
            step_of[cell] = 0
    used = sorted(set(step_of.values()))
    if len([s for s in used if 0 < s <= len(groups)]) <= 1:
        return [(None, list(ops))]
    steps: list[tuple[PortGroup | None, list[Operation]]] = []
    state = dict(old)
    current = copy.deepcopy(dict(before))
    for step in used:
        for cell in (c for c, s in step_of.items() if s == step):
            if cell in new:
                state[cell] = new[cell]
            else:
                state.pop(cell, None)
        target = _config(state, after)
        step_ops = diff_ops(current, target)
        if step_ops:
            group = groups[step - 1] if 0 < step <= len(groups) else None
            if step > len(groups) and steps:  # late removals ride with the last port step
                steps[-1] = (steps[-1][0], steps[-1][1] + step_ops)
            else:
                steps.append((group, step_ops))
        current = target
    return steps


_GONE = object()


def _entries(flat: Mapping[Cell, Any]) -> set[tuple[str, str]]:
    return {(t, k) for (t, k, _f) in flat}


def touched_ports(ops: list[Operation], before: Mapping[str, Any]) -> list[str]:
    """Ports owning a cell the patch changes."""
    old, new = cells(before), cells(apply_ops(before, ops))
    owners = {owner(c) for c in old.keys() | new.keys() if old.get(c, _GONE) != new.get(c, _GONE)}
    return sorted(owners - {DEVICE}, key=natural)


DEVICE_LABEL = "device-wide"


def labelled(
    ops: list[Operation], before: Mapping[str, Any], groups: Sequence[PortGroup]
) -> list[tuple[PortGroup, list[Operation]]]:
    """`split`, with the device-wide step named and a single step named after what it touches."""
    parts = split(ops, before, groups)
    if len(parts) == 1:
        ports = tuple(touched_ports(ops, before))
        return [(PortGroup("all ports" if ports else DEVICE_LABEL, ports), parts[0][1])]
    return [(group or PortGroup(DEVICE_LABEL, ()), step_ops) for group, step_ops in parts]


@dataclass(frozen=True)
class Patch:
    """One GCU call of the change: `config apply-patch FILE` (or `replace`) of one step."""

    label: str
    file: str
    payload: Any
    flaps: list[str]
    verb: str = "apply-patch"

    @property
    def size(self) -> int:
        return len(self.payload) if isinstance(self.payload, list) else 0

    @property
    def change(self) -> str:
        return f"{self.verb} {self.file}"


def patches_of(plan: ChangePlan[Operation], before: dict[str, Any], txid: str) -> list[Patch]:
    """The plan's GCU operations as the port-group steps it planned (one file each), else one patch."""
    from agent.platforms.sonic.preflight import flapping_ports, gcu_operations  # preflight reads this module's peers

    ops = gcu_operations(plan.operations, before)
    if len(plan.steps) < 2:
        return [Patch("all", f"/tmp/{txid}.json-patch", ops, list(plan.disruptive))]
    groups = [PortGroup(s.label, tuple(s.interfaces)) for s in plan.steps if s.interfaces]
    return [
        Patch(group.label, f"/tmp/{txid}.step{k}.json-patch", step_ops, flapping_ports(step_ops, before))
        for k, (group, step_ops) in enumerate(labelled(ops, before, groups), 1)
    ]
