"""Generic Config Updater: `config apply-patch|checkpoint|rollback|replace|list-checkpoints|delete-checkpoint`.

Semantics (sonic-utilities generic_config_updater, read for facts): the RFC 6902 patch is simulated on the
CONFIG_DB JSON, checked by the field-operation validators of the switch's release and ASIC
(gcu_validators.py: they see make_patch(current, target), so creating the PFC_WD table is refused), refused
when it leaves empty tables or touches tables without YANG, YANG-validated for that release, sorted
(gcu_sort.py: ports flapped admin down/up around their QUEUE, QoS-map and buffer rows) and only then applied
change by change, each charged `change_cost_s`. The apply is not atomic: a failure after k changes leaves
k changes written. Afterwards CONFIG_DB is compared with the simulated target, ignoring the tables daemons
write (change_applier.py backend_tables); replace/rollback compare the whole config, so a buffermgrd write
during a rollback fails it, as on a switch. Rollback is replace(checkpoint).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonpatch
import jsonpointer

from rocelab.sonic import gcu_validators
from rocelab.sonic.checkpoints import CheckpointStore
from rocelab.sonic.db import ConfigDb
from rocelab.sonic.gcu_port_validator import StateField
from rocelab.sonic.gcu_sort import sort_changes
from rocelab.sonic.switch_hash import redis_row, typed_view
from rocelab.sonic.yang import KNOWN_TABLES, YangError, validate

VALIDATOR = gcu_validators.RDMA
DEFAULT_CHANGE_COST_S = 0.02  # real GCU: ~150 s for 33 changes incl. sorting; small so the lab stays quick


class GcuError(Exception):
    """A refusal; str() is the text after `... due to: `."""


@dataclass
class ApplyResult:
    applied: int = 0
    interrupted: bool = False
    cost_s: float = 0.0  # time the apply took on the switch (changes x change_cost_s)
    flapped: list[str] = field(default_factory=list)  # ports taken admin down and up again


HOST = "localhost"  # GCU's scope name on a single-ASIC switch
APPLIER, REPLACER, ROLLBACKER = "Patch Applier", "Config Replacer", "Config Rollbacker"


@dataclass
class Gcu:
    """GCU over one CONFIG_DB. `console` collects what GCU's loggers print (NOTICE level, `Title: msg`)."""

    config: ConfigDb
    on_change: Callable[[], None]  # daemons react after every single change (buffermgrd)
    state_dir: Path | None = None
    refused_tables: set[str] = field(default_factory=set)
    console: list[str] = field(default_factory=list)
    identity: Callable[[], tuple[str, str]] = lambda: ("SONiC.202511.0", "vs")  # (build_version, asic_type)
    log: Callable[[str], None] = lambda text: None  # syslog of the switch (link flap events)
    change_cost_s: float = DEFAULT_CHANGE_COST_S
    port_state: StateField = lambda port, field: None  # STATE_DB PORT_TABLE (speed/FEC validator)

    def __post_init__(self) -> None:
        self.store = CheckpointStore(self.state_dir)

    def _say(self, title: str, message: str) -> None:
        self.console.append(f"{title}: {message}")

    # -- patch ---------------------------------------------------------------------------------------
    def apply_patch(self, text: str, *, dry_run: bool, max_changes: int | None = None) -> ApplyResult:
        self.console = []
        try:
            ops = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GcuError(f"Expecting a JSON patch: {exc}") from exc
        if not isinstance(ops, list) or not all(isinstance(o, dict) and "op" in o and "path" in o for o in ops):
            raise GcuError("A JSON patch must be a list of operations with 'op' and 'path'")
        return self._patch_applier(ops, dry_run, max_changes)

    def _patch_applier(self, ops: list[dict[str, Any]], dry_run: bool, max_changes: int | None) -> ApplyResult:
        """GCU's PatchApplier.apply: simulate, field validators, empty tables, YANG (sorter), apply, verify."""
        self._say(APPLIER, f"{HOST}: Patch application starting.")
        self._say(APPLIER, f"{HOST}: Patch: {json.dumps(ops)}")
        self._say(APPLIER, f"{HOST} getting current config db.")
        current = typed_view(self.config.to_json())
        self._say(APPLIER, f"{HOST}: simulating the target full config after applying the patch.")
        target = self._simulate(current, ops)
        self._say(APPLIER, f"{HOST}: validating all JsonPatch operations are permitted on the specified fields")
        self._check_field_operations(ops, current, target)
        self._say(
            APPLIER,
            f"{HOST}: validating target config does not have empty tables,\n"
            "                            since they do not show up in ConfigDb.",
        )
        self._check_empty_tables(target)
        self._say(APPLIER, f"{HOST}: sorting patch updates.")
        self._check_yang(ops, target)
        ordered, flapped = sort_changes(ops, current)
        n, s = len(ordered), "s" if len(ordered) != 1 else ""
        self._say(APPLIER, f"The {HOST} patch was converted into {n} change{s}{':' if n else '.'}")
        self._say(APPLIER, f"{HOST}: applying {n} change{s} in order{':' if n else '.'}")
        if dry_run:
            for op in ordered:
                self._say(APPLIER, f"  * {json.dumps([op])}")
            result = ApplyResult()
        else:
            result = self._apply(ordered, max_changes)
            result.flapped = flapped
            if result.interrupted:
                return result
        self._say(APPLIER, f"{HOST}: verifying patch updates are reflected on ConfigDB.")
        if not dry_run and _without_backend(typed_view(self.config.to_json())) != _without_backend(target):
            raise GcuError(f"{HOST}: after applying patch to config, there are still some parts not updated")
        self._say(APPLIER, f"{HOST} patch application completed.")
        return result

    def replace(self, target: dict[str, Any], *, dry_run: bool, max_changes: int | None = None) -> ApplyResult:
        if not self.console or not self.console[-1].startswith(ROLLBACKER):
            self.console = []
        self._say(REPLACER, "Config replacement starting.")
        self._say(REPLACER, f"Target config length: {len(json.dumps(target))}.")
        self._say(REPLACER, "Getting current config db.")
        current = typed_view(self.config.to_json())
        self._say(REPLACER, "Generating patch between target config and current config db.")
        ops = jsonpatch.make_patch(current, target).patch
        self._say(REPLACER, "Applying patch using 'Patch Applier'.")
        result = self._patch_applier(ops, dry_run, max_changes)
        if not result.interrupted:
            self._say(REPLACER, "Verifying config replacement is reflected on ConfigDB.")
            if not dry_run and typed_view(self.config.to_json()) != target:  # no backend-table exemption here, like GCU
                raise GcuError("After replacing config, there is still some parts not updated")
            self._say(REPLACER, "Config replacement completed.")
        return result

    def rollback(self, name: str, *, dry_run: bool, max_changes: int | None = None) -> ApplyResult:
        self.console = []
        self._say(ROLLBACKER, "Config rollbacking starting.")
        self._say(ROLLBACKER, f"Checkpoint name: {name}.")
        self._say(ROLLBACKER, f"Verifying '{name}' exists.")
        target = self.load_checkpoint(name)
        self._say(ROLLBACKER, "Loading checkpoint into memory.")
        self._say(ROLLBACKER, "Replacing config using 'Config Replacer'.")
        result = self.replace(target, dry_run=dry_run, max_changes=max_changes)
        if not result.interrupted:
            self._say(ROLLBACKER, "Config rollbacking completed.")
        return result

    def release(self) -> str:
        return gcu_validators.release_of(self.identity()[0])

    def _check_field_operations(
        self, ops: list[dict[str, Any]], current: dict[str, Any], target: dict[str, Any]
    ) -> None:
        """The release's gcu_field_operation_validators for this HwSKU, plus the refuse-table fault."""
        for op in ops:
            parts = _pointer(op["path"])
            table = parts[0] if parts else ""
            if table in self.refused_tables:
                raise GcuError(_illegal(table))
        build, asic_type = self.identity()
        hwsku = str(current.get("DEVICE_METADATA", {}).get("localhost", {}).get("hwsku", ""))
        who = gcu_validators.Identity(build, asic_type, hwsku, self.port_state)
        refusal = gcu_validators.check(current, target, who)
        if refusal is not None:
            raise GcuError(refusal)

    def _check_empty_tables(self, target: dict[str, Any]) -> None:
        empty = sorted(t for t in target if isinstance(target[t], dict) and not target[t])
        if empty:
            raise GcuError(
                "Given patch is not valid because it will result in empty tables which is not allowed in "
                f"ConfigDb. Table{'s' if len(empty) != 1 else ''}: {', '.join(empty)}"
            )

    def _check_yang(self, ops: list[dict[str, Any]], target: dict[str, Any]) -> None:
        """The strict patch sorter: no tables without YANG models, and a YANG-valid target."""
        tables = sorted({t for op in ops if (t := _table_of(op["path"]))} - KNOWN_TABLES)
        if tables:
            raise GcuError(f"Given patch is not valid because it has changes to tables without YANG models: {tables}")
        try:
            validate(target, {t for t in set(target) if t in KNOWN_TABLES}, release=self.release())
        except YangError as exc:
            raise GcuError(f"Given patch will produce invalid config. Error: {exc}") from exc

    def _simulate(self, current: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = jsonpatch.JsonPatch(ops).apply(current, in_place=False)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise GcuError(str(exc)) from exc
        return result

    def _apply(self, ops: list[dict[str, Any]], max_changes: int | None) -> ApplyResult:
        """ChangeApplier: apply each change to GCU's own view of the config and write the rows it changed.

        Like GCU, the view is the config read at the start, so rows a daemon writes meanwhile are neither
        seen nor overwritten unless a later change touches the same row.
        """
        result = ApplyResult()
        doc: Any = typed_view(self.config.to_json())
        for op in ops:
            if max_changes is not None and result.applied >= max_changes:
                result.interrupted = True
                return result
            tables = {t for t in (_table_of(op.get("from")), _table_of(op["path"])) if t is not None}
            touched = set(doc) if "" in tables else tables
            before = {t: {k: dict(v) for k, v in doc.get(t, {}).items()} for t in touched}
            try:
                doc = jsonpatch.JsonPatch([op]).apply(doc, in_place=True)
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
                raise GcuError(f"change {result.applied + 1} of {len(ops)} failed after earlier ones: {exc}") from exc
            self._say(APPLIER, f"  * {json.dumps([op])}")
            self._write(before, {t: doc.get(t, {}) for t in touched | (set(doc) if "" in tables else set())})
            result.applied += 1
            result.cost_s += self.change_cost_s
            self._log_flap(op)
            self.on_change()
        return result

    def _log_flap(self, op: dict[str, Any]) -> None:
        parts = _pointer(op["path"])
        if len(parts) == 3 and parts[0] == "PORT" and parts[2] == "admin_status":
            self.log(f"NOTICE swss#orchagent: :- doPortTask: Set port {parts[1]} admin status to {op['value']}")

    def _write(self, before: dict[str, dict[str, dict[str, str]]], doc: dict[str, Any]) -> None:
        for table in before.keys() | doc.keys():
            old_rows, new_rows = before.get(table, {}), doc.get(table, {})
            for key in old_rows.keys() - new_rows.keys():
                self.config.delete(f"{table}|{key}")
            for key, row in new_rows.items():
                if old_rows.get(key) != row:
                    self.config.set_row(f"{table}|{key}", redis_row(row))

    # -- checkpoints ---------------------------------------------------------------------------------
    def checkpoint(self, name: str) -> None:
        self.console = []
        self._say(ROLLBACKER, "Config checkpoint starting.")
        self._say(ROLLBACKER, f"Checkpoint name: {name}.")
        self._say(ROLLBACKER, "Getting current config db.")
        text = json.dumps(typed_view(self.config.to_json()))
        self._say(ROLLBACKER, "Getting checkpoint full-path.")
        self._say(ROLLBACKER, "Ensuring checkpoint directory exist.")
        self._say(ROLLBACKER, f"Saving config db content to /etc/sonic/checkpoints/{name}.cp.json.")
        self.store.save(name, text)
        self._say(ROLLBACKER, "Config checkpoint completed.")

    def load_checkpoint(self, name: str) -> dict[str, Any]:
        text = self.store.read(name)
        if text is None:
            raise GcuError(f"Checkpoint '{name}' does not exist")
        loaded: dict[str, Any] = json.loads(text)
        return loaded

    def checkpoint_text(self, name: str) -> str | None:
        return self.store.read(name)

    def list_checkpoints(self) -> list[str]:
        return self.store.names()

    def delete_checkpoint(self, name: str) -> None:
        self.console = []
        self._say(ROLLBACKER, "Deleting checkpoint starting.")
        self._say(ROLLBACKER, f"Checkpoint name: {name}.")
        self._say(ROLLBACKER, "Checking checkpoint exists.")
        if not self.store.delete(name):
            raise GcuError(f"Checkpoint '{name}' does not exist")
        self._say(ROLLBACKER, "Deleting checkpoint.")
        self._say(ROLLBACKER, "Deleting checkpoint completed.")


BACKEND_TABLES = ("BUFFER_PG", "BUFFER_PROFILE", "FLEX_COUNTER_TABLE")  # daemons write them (ChangeApplier)


def _without_backend(config: dict[str, Any]) -> dict[str, Any]:
    """PatchApplier's final check ignores tables daemons write themselves (buffermgrd: BUFFER_PG/PROFILE)."""
    return {t: rows for t, rows in config.items() if t not in BACKEND_TABLES}


def _illegal(table: str) -> str:
    return f"Modification of {table} table is illegal- validating function {VALIDATOR} returned False"


def _pointer(path: str) -> list[str]:
    if not path:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _table_of(path: str | None) -> str | None:
    if path is None:
        return None
    parts = _pointer(path)
    return parts[0] if parts else ""
