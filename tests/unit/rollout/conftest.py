"""Fixtures: a copy of the fake-fabric inventory per test, fake devices registered as the platforms."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rollout_fakes import DEVICES, FIXTURES, FakeDevice, FakeRunner, fake_checks

from agent.platforms import registry
from agent.rollout import orchestrate
from agent.rollout.fabric import AdapterFabric
from agent.rollout.progress import JsonProgress
from agent.rollout.runner import Hooks, RolloutResult
from agent.rollout.session import RolloutSession, make_fabric, open_rollout


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


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeLab:
    inv = tmp_path / "inventory"
    shutil.copytree(FIXTURES / "inventory", inv)
    for platform in ("sonic", "linux-rdma"):
        monkeypatch.setitem(registry.ADAPTERS, platform, "rollout_fakes:ADAPTER")
    return FakeLab(inv)
