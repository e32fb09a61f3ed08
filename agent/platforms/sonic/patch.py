"""Diff desired vs live CONFIG_DB into an RFC 6902 JSON Patch restricted to owned cells.

Operations are built per table / entry / field rather than with ``jsonpatch.make_patch`` on the whole
database: make_patch may emit ``move``/``copy`` operations between unrelated entries with equal values,
which are unreviewable in a plan and which GCU's patch sorter handles poorly. The result is still a
standard patch: ``jsonpatch.JsonPatch`` applies it (to predict the after state) and GCU consumes it.
Entries left without fields and tables left without entries are removed, because GCU rejects both.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any, TypedDict

import jsonpatch
from pydantic import JsonValue

from agent.platforms.sonic.tables import DAEMON_OWNED_TABLES, ConfigDb, owned_fields


class _PatchPath(TypedDict):
    op: str  # "add" | "remove" | "replace" (the planner emits no move/copy/test)
    path: str  # JSON Pointer into CONFIG_DB


class Operation(_PatchPath, total=False):
    """One RFC 6902 operation: already plain JSON, so plans and trails hold it as it is."""

    value: JsonValue


def pointer(*parts: str) -> str:
    """JSON Pointer for CONFIG_DB parts; only `~` and `/` need escaping (`|` does not)."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def path_parts(path: str) -> list[str]:
    """Inverse of `pointer`: "/QUEUE/Ethernet0|3" -> ["QUEUE", "Ethernet0|3"]."""
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def target_config(live: Mapping[str, Any], desired: ConfigDb) -> dict[str, Any]:
    """Live CONFIG_DB with every owned cell set to its desired value (and un-rendered owned fields gone)."""
    target: dict[str, Any] = copy.deepcopy(dict(live))
    for table, entries in desired.items():
        table_now: dict[str, dict[str, Any]] = target.setdefault(table, {})
        for key, desired_entry in entries.items():
            fields = owned_fields(table, key, desired_entry)
            current = table_now.get(key, {})
            kept = {} if fields is None else {f: v for f, v in current.items() if f not in fields}
            new_entry = {**kept, **desired_entry}
            if new_entry:
                table_now[key] = new_entry
            else:
                table_now.pop(key, None)
        if not table_now:
            target.pop(table)
    return target


def merge_fragment(live: Mapping[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    """NAPALM merge semantics: every field of the fragment is set; nothing else changes or goes."""
    target: dict[str, Any] = copy.deepcopy(dict(live))
    for table, entries in fragment.items():
        for key, fields in entries.items():
            target.setdefault(table, {}).setdefault(key, {}).update({f: str(v) for f, v in fields.items()})
    return target


def diff_ops(live: Mapping[str, Any], target: Mapping[str, Any]) -> list[Operation]:
    """Field-level add/replace/remove ops turning `live` into `target` (only where they differ)."""
    ops: list[Operation] = []
    for table in sorted(set(live) | set(target)):
        before, after = live.get(table), target.get(table)
        if before == after:
            continue
        if before is None:
            ops.append({"op": "add", "path": pointer(table), "value": after})
        elif after is None:
            ops.append({"op": "remove", "path": pointer(table)})
        else:
            ops.extend(_entry_ops(table, before, after))
    return ops


# GCU's patch sorter handles field removal badly on these tables ("QUEUE / BUFFER_PG / BUFFER_QUEUE
# need entry-level (not field-level) removal", sonic.md 2.3): an entry losing a field is replaced whole.
ENTRY_LEVEL_TABLES = frozenset({"QUEUE", "BUFFER_PG", "BUFFER_QUEUE"})


def _entry_ops(table: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Operation]:
    ops: list[Operation] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None:
            ops.append({"op": "add", "path": pointer(table, key), "value": new})
        elif new is None:
            ops.append({"op": "remove", "path": pointer(table, key)})
        elif table in ENTRY_LEVEL_TABLES and set(old) - set(new):
            ops.append({"op": "replace", "path": pointer(table, key), "value": new})
        else:
            ops.extend(_field_ops(table, key, old, new))
    return ops


def _field_ops(table: str, key: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Operation]:
    ops: list[Operation] = []
    for fld in sorted(set(old) | set(new)):
        if fld not in new:
            ops.append({"op": "remove", "path": pointer(table, key, fld)})
        elif fld not in old:
            ops.append({"op": "add", "path": pointer(table, key, fld), "value": new[fld]})
        elif old[fld] != new[fld]:
            ops.append({"op": "replace", "path": pointer(table, key, fld), "value": new[fld]})
    return ops


def plan_ops(live: Mapping[str, Any], desired: ConfigDb) -> list[Operation]:
    """The JSON Patch the plan shows and the transaction pushes. Empty when converged."""
    ops = diff_ops(live, target_config(live, desired))
    _assert_writable(ops)
    return ops


def apply_ops(config: Mapping[str, Any], ops: list[Operation]) -> dict[str, Any]:
    """Predict the after state (what verification expects to re-read)."""
    result: dict[str, Any] = jsonpatch.JsonPatch(ops).apply(copy.deepcopy(dict(config)))
    return result


def tables_of(ops: list[Operation]) -> list[str]:
    return sorted({path_parts(op["path"])[0] for op in ops})


def _assert_writable(ops: list[Operation]) -> None:
    bad = [t for t in tables_of(ops) if t in DAEMON_OWNED_TABLES]
    if bad:
        raise ValueError(f"refusing to write daemon-owned tables {bad}")


def fingerprint(config: Mapping[str, Any]) -> str:
    """Stable hash of a CONFIG_DB dump: detects a change made between `plan` and `apply`."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def describe(ops: list[Operation], live: Mapping[str, Any]) -> list[str]:
    """Human-readable diff lines: `~ PORT_QOS_MAP|Ethernet0 pfc_enable: '3,4' -> '3'`."""
    lines: list[str] = []
    for op in ops:
        parts = path_parts(op["path"])
        where = "|".join(parts[:2]) if len(parts) >= 2 else parts[0]
        fld = parts[2] if len(parts) > 2 else None
        old = _lookup(live, parts)
        if op["op"] == "remove":
            lines.append(f"- {where}" + (f" {fld} (was {old!r})" if fld else ""))
        elif op["op"] == "add" and fld is None:
            lines.append(f"+ {where} {_fields(op['value'])}")
        elif fld is None:
            lines.append(f"~ {where} {_fields(old) if old else '(empty)'} -> {_fields(op['value'])}")
        elif op["op"] == "add":
            lines.append(f"+ {where} {fld}: {op['value']!r}")
        else:
            lines.append(f"~ {where} {fld}: {old!r} -> {op['value']!r}")
    return lines


def _fields(value: Any) -> str:
    """`{"26": "3", "3": "0"}` -> `3=0 26=3` (numeric keys in numeric order), nested tables as JSON."""
    if not isinstance(value, Mapping) or any(isinstance(v, Mapping) for v in value.values()):
        return json.dumps(value, sort_keys=True)
    keys = sorted(value, key=lambda k: (0, int(k), "") if str(k).isdigit() else (1, 0, str(k)))
    return " ".join(f"{k}={value[k]}" for k in keys)


def _lookup(config: Mapping[str, Any], parts: list[str]) -> Any:
    node: Any = config
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
