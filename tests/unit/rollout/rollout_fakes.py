"""An in-memory platform for the rollout runner's tests: devices, a CommandRunner and an adapter.

The fake adapter honours the same contract as the SONiC and host adapters (gather/normalize/plan/
apply with commit-confirm, confirm(runner), rollback(runner)) and is registered in
agent.platforms.registry for the test, so the runner, fabric, locks and trail run unchanged. Faults are
armed per device: `apply-fails`, `bad-after` (apply "succeeds" but leaves a wrong MTU: post-checks
catch it), `drift` (someone changes the device between plan and apply), `rollback-fails`, and
`secret-in-plan` (the plan carries the password, to prove the trail redacts it), `dies-in-rollback`
(the agent process dies during this device's rollback, once), `preflight-refuses` (the plan's
pre-flight refuses the change), `plan-fails` (the device cannot be read for its plan: the session
drops), `disruptive` (the change flaps port p0).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import shlex
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.checks.finding import Finding, Severity
from agent.errors import DeviceError, PreflightRefused
from agent.intent import DeviceIntent
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, ChangePlan, RollbackUnsupported, RunResult
from agent.rollout import orchestrate
from agent.rollout.fabric import AdapterFabric
from agent.rollout.progress import JsonProgress
from agent.rollout.result import RolloutResult
from agent.rollout.runner import Hooks
from agent.rollout.session import RolloutSession, make_fabric, open_rollout
from agent.state import DeviceKind, DeviceState, PortCounters, PortState
from agent.topology.model import Topology

BEFORE = {"mtu": 1500, "pfc": []}
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rollout"
DEVICES = [f"spine{i}" for i in (1, 2)] + [f"leaf{i}" for i in range(1, 5)] + [f"host{i}" for i in range(1, 9)]


@dataclass
class FakeDevice:
    name: str
    config: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(BEFORE))
    files: dict[str, bytes] = field(default_factory=dict)
    checkpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: str | None = None
    drops: int = 0
    storms: int = 0
    faults: set[str] = field(default_factory=set)
    gathers: int = 0
    applies: int = 0


class ProcessDied(BaseException):
    """Stands in for the agent process dying (not an Exception: nothing in the agent may catch it)."""


class FakeRunner:
    """Speaks the only shell the lock needs: `cat PATH`, `rm -f PATH` (absent with the `no-rm` fault), upload."""

    def __init__(self, box: FakeDevice) -> None:
        self.device = box.name
        self.box = box
        self.round_trips = 0

    def run(self, command: str, *, timeout: float = 60.0) -> RunResult:
        self.round_trips += 1
        argv = shlex.split(command)
        if argv[0] == "cat" and len(argv) == 2:
            data = self.box.files.get(argv[1])
            if data is None:
                return RunResult(f"cat: {argv[1]}: No such file or directory\n", 1)
            return RunResult(data.decode())
        if argv[:2] == ["rm", "-f"] and len(argv) == 3 and "no-rm" not in self.box.faults:
            self.box.files.pop(argv[2], None)
            return RunResult("")
        return RunResult(f"bash: {argv[0]}: command not found\n", 127)

    def upload(self, path: str, data: bytes) -> None:
        self.box.files[path] = data


def _fingerprint(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def desired(intent: DeviceIntent) -> dict[str, Any]:
    mtu = intent.policy.mtu.switch if intent.kind is DeviceKind.switch else intent.policy.mtu.host
    return {"mtu": mtu, "pfc": list(intent.policy.lossless_priorities)}


APPLYING = [0, 0]  # disruptive applies running now, most at once
APPLYING_LOCK = threading.Lock()


class FakeAdapter:
    name = "fake"

    def connect(self, host: Any, config: Any) -> FakeRunner:
        raise NotImplementedError("rollout tests hand the fabric a runner factory")

    def load_raw(self, device: str, doc: Any) -> dict[str, Any]:
        return dict(doc)

    def raw_json(self, raw: dict[str, Any]) -> Any:
        return raw

    def load_operations(self, device: str, doc: Any) -> list[dict[str, Any]]:
        return list(doc)

    def gather(self, runner: FakeRunner, intent: DeviceIntent | None) -> dict[str, Any]:
        box = runner.box
        box.gathers += 1
        if "drift" in box.faults and box.gathers == 3:  # pre-flight, plan, then the re-check before apply
            box.config["mtu"] = 1280
        kind = intent.kind.value if intent else "switch"
        raw = {"config": copy.deepcopy(box.config), "drops": box.drops, "storms": box.storms, "kind": kind}
        return raw | {"faults": sorted(box.faults)}

    def normalize(self, device: str, raw: Any) -> DeviceState:
        counters = PortCounters(queue_drops={3: raw["drops"]}, watchdog_storms={3: raw["storms"]})
        port = PortState(
            name="p0", mtu=raw["config"]["mtu"], lossless_priorities=raw["config"]["pfc"], counters=counters
        )
        return DeviceState(name=device, kind=DeviceKind(raw["kind"]), platform="fake", ports={"p0": port})

    def plan(self, intent: DeviceIntent, raw: Any) -> ChangePlan:
        live, want = raw["config"], desired(intent)
        ops = [{"op": "replace", "path": f"/{k}", "value": v} for k, v in want.items() if live.get(k) != v]
        lines = [f"~ {o['path']}: {live.get(o['path'][1:])!r} -> {o['value']!r}" for o in ops]
        if "plan-fails" in raw.get("faults", []):
            raise DeviceError(intent.name, "read", "session dropped by the device")
        if "preflight-refuses" in raw.get("faults", []) and ops:
            raise PreflightRefused(intent.name, ["p0: no lookup row for this cable"])
        plan = ChangePlan(intent.name, self.name, ops, lines, base_fingerprint=_fingerprint(live))
        if "disruptive" in raw.get("faults", []) and ops:
            plan.disruptive = ["p0"]
        return plan

    def apply(self, runner: FakeRunner, intent: DeviceIntent, plan: ChangePlan, opts: ApplyOptions) -> ApplyOutcome:
        box = runner.box
        box.applies += 1
        if plan.disruptive:  # measure how many disruptive applies overlap
            with APPLYING_LOCK:
                APPLYING[0] += 1
                APPLYING[1] = max(APPLYING[1], APPLYING[0])
            time.sleep(0.05)
            with APPLYING_LOCK:
                APPLYING[0] -= 1
        if box.pending is not None:
            raise DeviceError(box.name, "apply", f"a commit is pending confirmation ({box.pending})")
        if "apply-fails" in box.faults:
            return ApplyOutcome(box.name, ApplyStatus.rolled_back, "verification failed; rolled back", plan=plan)
        checkpoint = str(opts.txid)
        box.checkpoints[checkpoint] = copy.deepcopy(box.config)
        for op in plan.operations:
            box.config[op["path"][1:]] = op["value"]
        if "bad-after" in box.faults:
            box.config["mtu"] = 1500
        if "secret-in-plan" in box.faults:
            detail = f"applied with password {os.environ.get('ROCE_AGENT_PASSWORD', '')}"
        else:
            detail = "applied"
        status = ApplyStatus.pending_confirm if opts.confirm_timeout_s else ApplyStatus.applied
        if opts.confirm_timeout_s:
            box.pending = checkpoint
        return ApplyOutcome(box.name, status, detail, checkpoint=checkpoint, plan=plan)

    def confirm(self, runner: FakeRunner) -> str | None:
        done, runner.box.pending = runner.box.pending, None
        return done

    def rollback(self, runner: FakeRunner) -> str | None:
        box = runner.box
        if "rollback-fails" in box.faults:
            raise DeviceError(box.name, "config rollback", "exit 1: rollback failed")
        if "dies-in-rollback" in box.faults:
            box.faults.discard("dies-in-rollback")
            raise ProcessDied(f"agent killed while rolling back {box.name}")
        checkpoint = box.pending or (sorted(box.checkpoints)[-1] if box.checkpoints else None)
        if checkpoint is not None:
            box.config = copy.deepcopy(box.checkpoints[checkpoint])
        box.pending = None
        return checkpoint


ADAPTER = FakeAdapter()


def finding(check_id: str, title: str, device: str, expected: object, actual: object) -> Finding:
    return Finding(
        check_id=check_id,
        title=title,
        severity=Severity.error,
        device=device,
        port="p0",
        expected=str(expected),
        actual=str(actual),
    )


def fake_checks(
    intents: dict[str, DeviceIntent], states: dict[str, DeviceState], topology: Topology, terms: list[str]
) -> list[Finding]:
    """FAKE-MTU-001 / FAKE-PFC-001 (selected by id or `FAKE-*`): the device's values equal its intent."""
    return [f for f in _all_fake_findings(intents, states) if any(_selects(t, f.check_id) for t in terms)]


def _selects(term: str, check_id: str) -> bool:
    return check_id.startswith(term[:-1]) if term.endswith("*") else check_id == term


def _all_fake_findings(intents: dict[str, DeviceIntent], states: dict[str, DeviceState]) -> list[Finding]:
    out: list[Finding] = []
    for name, state in states.items():
        want, port = desired(intents[name]), state.ports["p0"]
        if port.mtu != want["mtu"]:
            out.append(finding("FAKE-MTU-001", "MTU differs from policy", name, want["mtu"], port.mtu))
        if port.lossless_priorities != want["pfc"]:
            out.append(finding("FAKE-PFC-001", "PFC priorities differ", name, want["pfc"], port.lossless_priorities))
    return out


class FinalAdapter:
    """Like the RDMA host adapter today: apply is final once verified (no commit-confirm, no rollback)."""

    name = "fake-final"

    def __init__(self) -> None:
        self._inner = FakeAdapter()
        self.connect = self._inner.connect
        self.load_raw = self._inner.load_raw
        self.raw_json = self._inner.raw_json
        self.load_operations = self._inner.load_operations
        self.gather = self._inner.gather
        self.normalize = self._inner.normalize
        self.plan = self._inner.plan

    def confirm(self, runner: FakeRunner) -> str | None:
        raise RollbackUnsupported(
            runner.box.name, "confirm", f"platform {self.name!r} cannot confirm a finished change"
        )

    def rollback(self, runner: FakeRunner) -> str | None:
        raise RollbackUnsupported(
            runner.box.name, "rollback", f"platform {self.name!r} cannot rollback a finished change"
        )

    def apply(self, runner: FakeRunner, intent: DeviceIntent, plan: ChangePlan, opts: ApplyOptions) -> ApplyOutcome:
        final = ApplyOptions(dry_run=opts.dry_run, confirm_timeout_s=None, txid=opts.txid)
        return self._inner.apply(runner, intent, plan, final)


FINAL_ADAPTER = FinalAdapter()


@dataclass
class FakeLab:
    inventory: Path
    boxes: dict[str, FakeDevice] = field(default_factory=lambda: {d: FakeDevice(d) for d in DEVICES})
    out: io.StringIO = field(default_factory=io.StringIO)

    def session(self, playbook: str) -> RolloutSession:
        return open_rollout(FIXTURES / "playbooks" / playbook, self.inventory)

    def fabric(self, session: RolloutSession) -> AdapterFabric:
        return make_fabric(session, lambda d: FakeRunner(self.boxes[d]), fake_checks)

    def run(self, playbook: str, hooks: Hooks | None = None, mode: str = "run") -> RolloutResult:
        s = self.session(playbook)
        sink = JsonProgress(self.out)
        if mode == "resume":
            return orchestrate.resume(s, self.fabric(s), sink, hooks or Hooks(sleep=lambda _s: None))
        if mode == "abort":
            return orchestrate.abort(s, self.fabric(s), sink)
        return orchestrate.run(s, self.fabric(s), sink, hooks or Hooks(sleep=lambda _s: None))

    def trail(self) -> list[dict[str, Any]]:
        path = self.inventory / ".state" / "trail.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.trail() if r["event"] == name]

    def configs(self) -> dict[str, dict[str, Any]]:
        return {d: b.config for d, b in self.boxes.items()}
