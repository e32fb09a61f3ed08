"""Generic Config Updater: `config apply-patch|checkpoint|rollback|replace|list-checkpoints|delete-checkpoint`.

Semantics (reference lossless-engineering.md §3.2, sonic.md §2.1/§2.3): the RFC 6902 patch is simulated on
the CONFIG_DB JSON, checked by the field-operation validators (td2 allow-list of the vs SKU: BUFFER_POOL
refused, BUFFER_PROFILE field-level only `dynamic_th` replace), refused when it leaves empty tables or
touches tables without YANG, YANG-validated, and only then applied change by change. The apply is not
atomic: a failure after k changes leaves k changes written. Rollback is replace(checkpoint).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonpatch
import jsonpointer

from agent.lab.sonic.db import ConfigDb
from agent.lab.sonic.yang import KNOWN_TABLES, YangError, validate

VALIDATOR = "generic_config_updater.field_operation_validators.rdma_config_update_validator"
REFERENCED = frozenset(
    {
        "DSCP_TO_TC_MAP", "DOT1P_TO_TC_MAP", "TC_TO_PRIORITY_GROUP_MAP", "TC_TO_QUEUE_MAP",
        "MAP_PFC_PRIORITY_TO_QUEUE", "PFC_PRIORITY_TO_PRIORITY_GROUP_MAP", "TC_TO_DSCP_MAP", "SCHEDULER",
        "WRED_PROFILE", "BUFFER_POOL", "BUFFER_PROFILE", "PORT",
    }
)  # fmt: skip


PFC_WD_FIELDS = frozenset({"detection_time", "restoration_time", "action", "POLL_INTERVAL", "pfc_stat_history"})


class GcuError(Exception):
    """A refusal; str() is the text after `... due to: `."""


@dataclass
class ApplyResult:
    applied: int = 0
    interrupted: bool = False


@dataclass
class Gcu:
    config: ConfigDb
    on_change: Callable[[], None]  # daemons react after every single change (buffermgrd)
    state_dir: Path | None = None
    refused_tables: set[str] = field(default_factory=set)
    _memory: dict[str, str] = field(default_factory=dict)

    # -- patch ---------------------------------------------------------------------------------------
    def apply_patch(self, text: str, *, dry_run: bool, max_changes: int | None = None) -> ApplyResult:
        try:
            ops = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GcuError(f"Expecting a JSON patch: {exc}") from exc
        if not isinstance(ops, list) or not all(isinstance(o, dict) and "op" in o and "path" in o for o in ops):
            raise GcuError("A JSON patch must be a list of operations with 'op' and 'path'")
        current = self.config.to_json()
        self._check_operations(ops)
        target = self._simulate(current, ops)
        self._check_target(current, target, _touched(ops, current))
        if dry_run:
            return ApplyResult()
        return self._apply(_ordered(ops), max_changes)

    def replace(self, target: dict[str, Any], *, dry_run: bool, max_changes: int | None = None) -> ApplyResult:
        current = self.config.to_json()
        ops = jsonpatch.make_patch(current, target).patch
        self._check_operations(ops)
        self._check_target(current, target, set(current) | set(target))
        if dry_run:
            return ApplyResult()
        return self._apply(_ordered(ops), max_changes)

    def _check_operations(self, ops: list[dict[str, Any]]) -> None:
        for op in ops:
            parts = _pointer(op["path"])
            table = parts[0] if parts else ""
            if not table:
                continue
            if table not in KNOWN_TABLES:
                raise GcuError(
                    f"Given patch is not valid because it has changes to tables without YANG models: ['{table}']"
                )
            if table in self.refused_tables or table == "BUFFER_POOL":
                raise GcuError(_illegal(table))
            field_level = len(parts) >= 3
            if table == "BUFFER_PROFILE" and field_level and not (op["op"] == "replace" and parts[2] == "dynamic_th"):
                raise GcuError(_illegal(table))
            if table == "PFC_WD" and field_level and parts[2] not in PFC_WD_FIELDS:
                raise GcuError(_illegal(table))

    def _simulate(self, current: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = jsonpatch.JsonPatch(ops).apply(current, in_place=False)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise GcuError(str(exc)) from exc
        return result

    def _check_target(self, current: dict[str, Any], target: dict[str, Any], touched: set[str]) -> None:
        empty = sorted(t for t in target if isinstance(target[t], dict) and not target[t])
        if empty:
            raise GcuError(
                "Given patch is not valid because it will result in empty tables which is not allowed in "
                f"ConfigDb. Table{'s' if len(empty) != 1 else ''}: {', '.join(empty)}"
            )
        try:
            validate(target, {t for t in set(target) if t in KNOWN_TABLES})
        except YangError as exc:
            raise GcuError(f"Given patch will produce invalid config. Error: {exc}") from exc

    def _apply(self, ops: list[dict[str, Any]], max_changes: int | None) -> ApplyResult:
        """Write change by change; each change starts from live CONFIG_DB, where daemons may have written."""
        result = ApplyResult()
        for op in ops:
            if max_changes is not None and result.applied >= max_changes:
                result.interrupted = True
                return result
            tables = {t for t in (_table_of(op.get("from")), _table_of(op["path"])) if t is not None}
            if "" in tables:
                doc: Any = self.config.to_json()
            else:
                doc = {t: rows for t in tables if (rows := self.config.table_json(t))}
            before = {t: {k: dict(v) for k, v in rows.items()} for t, rows in doc.items()}
            try:
                doc = jsonpatch.JsonPatch([op]).apply(doc, in_place=True)
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
                raise GcuError(f"change {result.applied + 1} of {len(ops)} failed after earlier ones: {exc}") from exc
            self._write(before, doc if isinstance(doc, dict) else {})
            result.applied += 1
            self.on_change()
        return result

    def _write(self, before: dict[str, dict[str, dict[str, str]]], doc: dict[str, Any]) -> None:
        for table in before.keys() | doc.keys():
            old_rows, new_rows = before.get(table, {}), doc.get(table, {})
            for key in old_rows.keys() - new_rows.keys():
                self.config.delete(f"{table}|{key}")
            for key, row in new_rows.items():
                if old_rows.get(key) != row:
                    self.config.set_row(f"{table}|{key}", {str(f): str(v) for f, v in row.items()})

    # -- checkpoints ---------------------------------------------------------------------------------
    def _dir(self) -> Path | None:
        return None if self.state_dir is None else self.state_dir / "checkpoints"

    def checkpoint(self, name: str) -> None:
        text = json.dumps(self.config.to_json(), indent=4, sort_keys=True)
        folder = self._dir()
        if folder is None:
            self._memory.pop(name, None)
            self._memory[name] = text
            return
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.cp.json").write_text(text, encoding="utf-8")

    def load_checkpoint(self, name: str) -> dict[str, Any]:
        folder = self._dir()
        text = self._memory.get(name) if folder is None else _read(folder / f"{name}.cp.json")
        if text is None:
            raise GcuError(f"Checkpoint '{name}' does not exist")
        loaded: dict[str, Any] = json.loads(text)
        return loaded

    def list_checkpoints(self) -> list[str]:
        folder = self._dir()
        if folder is None:
            return list(reversed(self._memory))
        if not folder.is_dir():
            return []
        files = sorted(folder.glob("*.cp.json"), key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
        return [p.name.removesuffix(".cp.json") for p in files]

    def delete_checkpoint(self, name: str) -> None:
        folder = self._dir()
        if folder is None:
            if self._memory.pop(name, None) is None:
                raise GcuError(f"Checkpoint '{name}' does not exist")
            return
        path = folder / f"{name}.cp.json"
        if not path.is_file():
            raise GcuError(f"Checkpoint '{name}' does not exist")
        path.unlink()


def _illegal(table: str) -> str:
    return f"Modification of {table} table is illegal- validating function {VALIDATOR} returned False"


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _pointer(path: str) -> list[str]:
    if not path:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _table_of(path: str | None) -> str | None:
    if path is None:
        return None
    parts = _pointer(path)
    return parts[0] if parts else ""


def _touched(ops: list[dict[str, Any]], current: dict[str, Any]) -> set[str]:
    tables = {_table_of(op["path"]) for op in ops} | {_table_of(op.get("from")) for op in ops}
    return set(current) if "" in tables else {t for t in tables if t}


def _ordered(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order changes so no leafref dangles in between, as GCU's patch sorter does.

    Adds/replaces of referenced objects (maps, profiles, schedulers) first; removals of referenced objects
    last; everything else keeps its order.
    """

    def phase(op: dict[str, Any]) -> int:
        table = _table_of(op["path"])
        if table in REFERENCED:
            return 2 if op["op"] == "remove" else 0
        return 1

    return sorted(ops, key=phase)
