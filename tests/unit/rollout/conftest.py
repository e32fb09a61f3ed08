"""Fixtures: a copy of the fake-fabric inventory per test, fake devices registered as the platforms."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rollout_fakes import FIXTURES, FakeLab

from agent.platforms import registry


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeLab:
    inv = tmp_path / "inventory"
    shutil.copytree(FIXTURES / "inventory", inv)
    for platform in ("sonic", "linux-rdma"):
        monkeypatch.setitem(registry.OVERRIDES, platform, "rollout_fakes:ADAPTER")
    return FakeLab(inv)
