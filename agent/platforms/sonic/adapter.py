"""The SONiC PlatformAdapter: gather (1 round trip; 3 on the show fallback), normalize, plan, apply.

Capabilities beyond the base contract: NapalmBacked (switches ride on the rocesonic NAPALM driver),
DeviceSideRevert (the dead-man rollback timer on the switch), PatchExport (plans are JSON Patches).
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from agent.counters import CounterSample
from agent.errors import DeviceError, ParseError, PreflightRefused
from agent.intent import DeviceIntent
from agent.platforms.base import (
    ApplyOptions,
    ApplyOutcome,
    ApplyStatus,
    ChangePlan,
    ChangeStep,
    CommandRunner,
    LineLockLike,
    PlatformAdapter,
    reconnect_of,
)
from agent.platforms.sonic import deadman, gcu_cost, preflight, steps
from agent.platforms.sonic.counters import read_counters
from agent.platforms.sonic.gather import Section, SonicRaw, gather, gather_with, pg_lookup_path
from agent.platforms.sonic.normalize import normalize
from agent.platforms.sonic.patch import Operation, describe, fingerprint, plan_ops
from agent.platforms.sonic.releases import DeviceFacts, device_facts
from agent.platforms.sonic.render import render
from agent.platforms.sonic.transaction import PrepareCheck, Reconnect, SonicTransaction, TxSettings
from agent.platforms.sonic.verify import intent_verifier
from agent.state import DeviceState

if TYPE_CHECKING:
    from nornir.core.configuration import Config
    from nornir.core.inventory import Host


class SonicAdapter:
    name = "sonic"
    napalm_platform = "rocesonic"
    patch_suffix = ".json-patch"

    def __init__(self, settings: TxSettings | None = None) -> None:
        self.settings = settings or TxSettings()
        # CONFIG_DB each recent plan was made from, by its fingerprint (content-addressed, so it can never
        # be stale: apply uses it only for a plan with that very fingerprint), with the check that plan
        # left to the prepare line. Saves apply a re-read.
        self._bases: dict[str, tuple[dict[str, Any], PrepareCheck | None]] = {}
        self._bases_lock = threading.Lock()  # plans and applies of many devices run in Nornir's threads

    def connect(self, host: Host, config: Config) -> CommandRunner:
        """The runner of the host's rocesonic NAPALM driver, so NAPALM tasks share the session."""
        from agent.platforms.sonic.connect import napalm_driver  # the driver module imports this one

        runner = napalm_driver(host, config).runner
        if runner is None:
            raise DeviceError(host.name, "connect", "the NAPALM driver is not open")
        return runner

    def gather(self, runner: CommandRunner, intent: DeviceIntent | None) -> SonicRaw:
        return gather(runner, list(intent.ports) if intent is not None else None)

    def gather_locked(
        self, runner: CommandRunner, intent: DeviceIntent, lock: LineLockLike
    ) -> tuple[SonicRaw, list[str]]:
        """LockFolding: the read line also prints the device lock, judged here (LockHeld: stop untouched)."""
        raw, printed = gather_with(runner, list(intent.ports), [(LOCK_SECTION, lock.read_command())])
        notes = lock.judge(printed[LOCK_SECTION])
        path = pg_lookup_path(raw.config_db)
        if path is not None and "pg_lookup" not in raw.sections:  # the prepare line reads it (PrepareCheck)
            raw.read_later = None
            raw.sections[preflight.DEFERRED_LOOKUP] = Section(
                preflight.DEFERRED_LOOKUP, f"cat {shlex.quote(path)} 2>/dev/null"
            )
        return raw, notes

    def read_counters(self, runner: CommandRunner, ports: Sequence[str]) -> CounterSample:
        """CountersRead: the counter CLIs only, one round trip (agent.platforms.sonic.counters)."""
        return read_counters(runner, ports)

    def load_raw(self, device: str, doc: JsonValue) -> SonicRaw:
        if not isinstance(doc, dict):
            raise ParseError(device, "load switch snapshot", f"expected a JSON object, got {type(doc).__name__}")
        try:
            return SonicRaw.from_json(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ParseError(device, "load switch snapshot", f"not a switch gather snapshot: {exc}") from None

    def raw_json(self, raw: SonicRaw) -> JsonValue:
        return raw.to_json()

    def load_operations(self, device: str, doc: JsonValue) -> list[Operation]:
        return load_patch(device, doc)

    def normalize(self, device: str, raw: SonicRaw) -> DeviceState:
        if raw.device != device:
            raw = dataclasses.replace(raw, device=device)
        return normalize(raw)

    def plan(self, intent: DeviceIntent, raw: SonicRaw) -> ChangePlan[Operation]:
        """The JSON Patch, after the pre-flight: raises PreflightRefused (nothing written) when the switch
        cannot take the change as planned; lists the ports GCU will flap as `disruptive`."""
        live = raw.config_db
        ops = plan_ops(live, render(intent, facts_of(raw)))
        raw.lookup_section()  # the redis read leaves the SKU's lookup file for the plan to read
        check = preflight.run(intent, live, raw.sections, ops, raw.db)
        if ops:
            check.raise_if_refused()
        plan: ChangePlan[Operation] = ChangePlan(
            device=intent.name,
            platform=self.name,
            operations=ops,
            lines=describe(ops, live) + [f"then: sudo {command}" for command in check.cli_after],
            warnings=list(check.warnings),
            base_fingerprint=fingerprint(live),
            disruptive=list(check.flaps),
            steps=plan_steps(intent, live, preflight.gcu_operations(ops, live)),
        )
        if ops and plan.base_fingerprint:
            self._keep(plan.base_fingerprint, live, self._precheck(intent, raw))
        if not intent.ports:
            plan.warnings.append("no links for this switch in links.yaml: only switch-wide tables are rendered")
        if len(plan.steps) > 1:
            plan.warnings.append(steps_line(plan.steps))
        sizes = [(len(s.disruptive), s.changes) for s in plan.steps] or [(len(check.flaps), len(ops))]
        if ops and sum(gcu_cost.sort_seconds(f) for f, _ in sizes) >= LONG_SORT_S:
            plan.warnings.append(gcu_cost.estimate_steps(sizes))
        return plan

    def _precheck(self, intent: DeviceIntent, raw: SonicRaw) -> PrepareCheck | None:
        """The lookup-file check an apply's read left to the prepare line (gather_locked), if any."""
        deferred = raw.sections.get(preflight.DEFERRED_LOOKUP)
        if deferred is None:
            return None
        live = raw.config_db
        return PrepareCheck(
            "pg_lookup", deferred.command, lambda text, notes: preflight.lookup_check(intent, live, text, notes)
        )

    def _keep(self, fingerprint: str, live: dict[str, Any], precheck: PrepareCheck | None) -> None:
        with self._bases_lock:
            while len(self._bases) >= MAX_BASES:
                self._bases.pop(next(iter(self._bases)))
            self._bases[fingerprint] = (live, precheck)

    def apply(
        self,
        runner: CommandRunner,
        intent: DeviceIntent,
        plan: ChangePlan[Operation],
        opts: ApplyOptions,
        reconnect: Reconnect | None = None,
    ) -> ApplyOutcome:
        """The transaction; `reconnect` (default: the runner's own) reopens a session after a drop."""
        return self._apply(runner, intent, plan, opts, reconnect, None)

    def apply_locked(
        self,
        runner: CommandRunner,
        intent: DeviceIntent,
        plan: ChangePlan[Operation],
        opts: ApplyOptions,
        lock: LineLockLike,
    ) -> ApplyOutcome:
        """LockFolding: the transaction's prepare line takes `lock`, its confirm line releases it."""
        return self._apply(runner, intent, plan, opts, None, lock)

    def _apply(
        self,
        runner: CommandRunner,
        intent: DeviceIntent,
        plan: ChangePlan[Operation],
        opts: ApplyOptions,
        reconnect: Reconnect | None,
        lock: LineLockLike | None,
    ) -> ApplyOutcome:
        tx = SonicTransaction(runner, reconnect=reconnect or reconnect_of(runner), settings=self.settings)
        verifier = intent_verifier(lambda raw: render(intent, facts_of(raw)), list(intent.ports))
        with self._bases_lock:
            base, precheck = (
                self._bases.pop(plan.base_fingerprint, (None, None)) if plan.base_fingerprint else (None, None)
            )
        try:
            return tx.execute(plan, verifier, opts, base=base, lock=lock, precheck=precheck)
        except PreflightRefused:
            raise  # as the plan's own pre-flight refusal: the device fails, nothing was written
        except DeviceError as exc:
            return ApplyOutcome(intent.name, ApplyStatus.rolled_back, f"stopped before any write: {exc}", plan=plan)

    def confirm(self, runner: CommandRunner) -> str | None:
        """Confirm the commit pending on this switch, if any; returns its transaction id."""
        pend = deadman.pending(runner)
        if pend is None:
            return None
        SonicTransaction(runner, settings=self.settings).confirm(pend.txid)
        return pend.txid

    def revert_deadline(self, runner: CommandRunner) -> float | None:
        pend = deadman.pending(runner)
        return None if pend is None else pend.deadline

    def rollback(self, runner: CommandRunner) -> str | None:
        """Roll back the pending commit (or the newest agent checkpoint); returns the checkpoint used."""
        pend = deadman.pending(runner)
        tx = SonicTransaction(runner, settings=self.settings)
        if pend is not None:
            tx.rollback_to(pend.checkpoint)
            return pend.checkpoint
        latest = latest_checkpoint(runner)
        if latest is not None:
            tx.rollback_to(latest)
            tx.save()  # the rolled-back change had been saved when it was confirmed
        return latest


LOCK_SECTION = "device_lock"  # the read line's section with the lock record (apply only)
MAX_BASES = 64  # a switch's CONFIG_DB is ~0.1-1 MB; plans beyond that re-read theirs at apply
LONG_SORT_S = 30.0  # say how long GCU will take when its sort alone takes this long


def plan_steps(intent: DeviceIntent, live: dict[str, Any], gcu_ops: list[Operation]) -> list[ChangeStep]:
    """The GCU patches the change is applied in, one per port group (empty: one patch)."""
    if len(preflight.flapping_ports(gcu_ops, live)) <= steps.PORTS_PER_STEP:
        return []  # one patch sorts fast enough; more GCU calls would only add their start-up time
    roles = {name: port.link_role for name, port in intent.ports.items()}
    groups = steps.port_groups(roles, steps.touched_ports(gcu_ops, live))
    parts = steps.labelled(gcu_ops, live, groups)
    if len(parts) == 1:
        return []
    return [ChangeStep(g.label, list(g.ports), preflight.flapping_ports(o, live), len(o)) for g, o in parts]


def steps_line(plan_steps: list[ChangeStep]) -> str:
    """One warning naming each step and the ports it flaps, in order."""
    n = len(plan_steps)
    parts = [
        f"{k}/{n} {s.label}: {s.changes} change(s)" + (f", flaps {', '.join(s.disruptive)}" if s.disruptive else "")
        for k, s in enumerate(plan_steps, 1)
    ]
    return f"applied in {n} GCU patches (one checkpoint, rolled back together): " + "; ".join(parts)


def facts_of(raw: SonicRaw) -> DeviceFacts:
    return device_facts(raw.config_db, preflight.version_of(raw.sections))


def latest_checkpoint(runner: CommandRunner) -> str | None:
    res = runner.run("sudo config list-checkpoints")  # `config` needs root, also to list
    try:
        names = [str(n) for n in json.loads(res.output.strip() or "[]")]
    except json.JSONDecodeError:
        raise DeviceError(runner.device, "config list-checkpoints", f"not a JSON list: {res.output[:120]!r}") from None
    ours = sorted(n for n in names if deadman.TXID_RE.match(n))
    return ours[-1] if ours else None


def load_patch(device: str, doc: JsonValue) -> list[Operation]:
    """A JSON Patch read back from a plan or trail: add/remove/replace on a JSON Pointer, nothing else."""
    if not isinstance(doc, list):
        raise ParseError(device, "load JSON Patch", f"expected a list of operations, got {type(doc).__name__}")
    ops: list[Operation] = []
    for n, item in enumerate(doc):
        if not isinstance(item, dict) or item.get("op") not in ("add", "remove", "replace"):
            raise ParseError(device, "load JSON Patch", f"operation {n}: not an add/remove/replace operation")
        path = item.get("path")
        if not isinstance(path, str) or not path.startswith("/") or set(item) - {"op", "path", "value"}:
            raise ParseError(device, "load JSON Patch", f"operation {n}: needs a JSON Pointer path and only a value")
        op: Operation = {"op": str(item["op"]), "path": path}
        if "value" in item:
            op["value"] = item["value"]
        elif item["op"] != "remove":
            raise ParseError(device, "load JSON Patch", f"operation {n}: {item['op']} needs a value")
        ops.append(op)
    return ops


ADAPTER: PlatformAdapter[SonicRaw, Operation] = SonicAdapter()
