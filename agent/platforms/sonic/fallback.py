"""Fallback writer: `sonic-db-cli CONFIG_DB hset|hdel|del` for tables GCU refuses (explicit opt-in only).

GCU's per-ASIC allow-lists refuse some tables outright (reference sonic.md 2.3). `config rollback`
cannot undo writes made outside GCU for the same reason, so this writer restores from the agent's own
pre-change snapshot of the touched keys instead. Every key, field and value is shell-quoted.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from agent.platforms.sonic.patch import Operation, apply_ops, path_parts

Key = tuple[str, str]


def touched_keys(ops: list[Operation], before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Key]:
    keys: set[Key] = set()
    for op in ops:
        parts = path_parts(op["path"])
        table = parts[0]
        if len(parts) == 1:
            names = set(before.get(table) or {}) | set(after.get(table) or {})
            keys.update((table, n) for n in names)
        else:
            keys.add((table, parts[1]))
    return sorted(keys)


def _db_key(table: str, key: str) -> str:
    return shlex.quote(f"{table}|{key}")


def redis_fields(entry: Mapping[str, Any]) -> dict[str, str]:
    """A typed CONFIG_DB entry (cfggen's shape) as Redis stores it, like swss-common typed_to_raw:
    a list becomes `field@` = "a,b", and an entry without fields keeps the `"NULL": "NULL"` placeholder
    (a Redis hash cannot be empty, and the entry must still exist)."""
    if not entry:
        return {"NULL": "NULL"}
    raw: dict[str, str] = {}
    for fld, value in entry.items():
        if isinstance(value, list):
            raw[f"{fld}@"] = ",".join(str(v) for v in value)
        else:
            raw[str(fld)] = str(value)
    return raw


def _hset(table: str, key: str, fields: Mapping[str, str]) -> str:
    pairs = " ".join(f"{shlex.quote(f)} {shlex.quote(v)}" for f, v in sorted(fields.items()))
    return f"sonic-db-cli CONFIG_DB hset {_db_key(table, key)} {pairs}"


def write_commands(target: Mapping[str, Any], current: Mapping[str, Any], keys: list[Key]) -> list[str]:
    """Commands that make `keys` of CONFIG_DB equal `target`, given they are `current` now."""
    cmds: list[str] = []
    for table, key in keys:
        want = (target.get(table) or {}).get(key)
        have = (current.get(table) or {}).get(key)
        if want == have:
            continue
        if want is None:
            cmds.append(f"sonic-db-cli CONFIG_DB del {_db_key(table, key)}")
            continue
        want_raw = redis_fields(want)
        stale = sorted(set(redis_fields(have)) - set(want_raw)) if have is not None else []
        if stale:
            cmds.append(f"sonic-db-cli CONFIG_DB hdel {_db_key(table, key)} " + " ".join(shlex.quote(f) for f in stale))
        cmds.append(_hset(table, key, want_raw))
    return cmds


def plan_writes(ops: list[Operation], before: Mapping[str, Any]) -> tuple[list[Key], list[str], list[str]]:
    """(touched keys, forward commands, restore-from-snapshot commands)."""
    after = apply_ops(before, ops)
    keys = touched_keys(ops, before, after)
    return keys, write_commands(after, before, keys), restore_commands(before, keys)


def restore_commands(snapshot: Mapping[str, Any], keys: list[Key]) -> list[str]:
    """Unconditional `del` + `hset` per key: correct whatever partial state a failed write left."""
    cmds: list[str] = []
    for table, key in keys:
        cmds.append(f"sonic-db-cli CONFIG_DB del {_db_key(table, key)}")
        entry = (snapshot.get(table) or {}).get(key)
        if entry is not None:
            cmds.append(_hset(table, key, redis_fields(entry)))
    return cmds
