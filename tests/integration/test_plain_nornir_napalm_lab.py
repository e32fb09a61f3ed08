"""Plain Nornir + nornir_napalm over the inventory `roce-agent lab up` writes, the way a user's own script
uses it: SimpleInventory files only (no agent loader), run from another working directory, with a
~/.ssh/known_hosts that holds a stale key for every lab port.

Catches the wrong-device bug of issue 12 (one `optional_args` dict shared by all hosts: nornir_napalm's
`open()` wrote the first host's port into it, so every switch answered as leaf1 and a configure went to
leaf1 four times), relative key paths that only resolve from the project root, and pins that need
~/.ssh/known_hosts or a CLI flag.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nornir import InitNornir
from nornir.core import Nornir
from nornir_napalm.plugins.tasks import napalm_configure, napalm_get

from tests.integration.rocelab.conftest import free_base_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ROCE_AGENT = str(Path(sys.executable).parent / "roce-agent")
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
SWITCHES = ["leaf1", "leaf2", "leaf3", "spine1", "spine2"]


@dataclass
class Lab:
    inventory: Path
    base_port: int


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("plain-nornir")
    env = {**os.environ, "ROCE_AGENT_LAB_DIR": str(root / ".lab")}
    base = free_base_port(11, low=40000, high=45000)
    inventory = root / "inventory"
    up = [ROCE_AGENT, "lab", "up", "-i", str(inventory), "--base-port", str(base), "--policy", str(POLICY)]
    res = subprocess.run(up, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    try:
        yield Lab(inventory, base)
    finally:
        subprocess.run([ROCE_AGENT, "lab", "down"], env=env, cwd=ROOT, capture_output=True, timeout=60)


@pytest.fixture
def elsewhere(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cwd outside the project and a HOME whose known_hosts pins a wrong key on every lab port."""
    home, cwd = tmp_path / "home", tmp_path / "work"
    (home / ".ssh").mkdir(parents=True)
    cwd.mkdir()
    stale = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    lines = [f"[127.0.0.1]:{lab.base_port + i} {stale}\n" for i in range(11)]
    (home / ".ssh" / "known_hosts").write_text("".join(lines))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("ROCE_AGENT_PASSWORD", raising=False)
    monkeypatch.chdir(cwd)
    return cwd


def plain_nornir(inventory: Path) -> Nornir:
    files = {f"{kind}_file": str(inventory / f"{kind}s.yaml") for kind in ("host", "group", "defaults")}
    files["defaults_file"] = str(inventory / "defaults.yaml")
    return InitNornir(inventory={"plugin": "SimpleInventory", "options": files}, logging={"enabled": False})


def _switches(nr: Nornir) -> Nornir:
    return nr.filter(filter_func=lambda h: h.name in SWITCHES)


def _get(nr: Nornir, getter: str) -> dict[str, Any]:
    result = _switches(nr).run(task=napalm_get, getters=[getter])
    assert not result.failed, {h: r[0].exception or r[0].result for h, r in result.items()}
    return {host: r[0].result[getter] for host, r in result.items()}


def test_napalm_get_facts_reaches_each_switch_not_the_first_one(lab: Lab, elsewhere: Path) -> None:
    nr = plain_nornir(lab.inventory)
    try:
        facts = _get(nr, "get_facts")
    finally:
        nr.close_connections()
    assert {host: f["hostname"] for host, f in facts.items()} == {name: name for name in SWITCHES}
    assert not list(elsewhere.iterdir())  # nothing written into the user's cwd (no nornir.log, no key copies)


def test_napalm_configure_changes_only_its_own_switch(lab: Lab, elsewhere: Path) -> None:
    nr = plain_nornir(lab.inventory)
    try:
        before = _get(nr, "get_lossless_config")
        fragment = json.dumps({"CABLE_LENGTH": {"AZURE": {"Ethernet0": "40m"}}})
        pushed = nr.filter(name="leaf2").run(task=napalm_configure, configuration=fragment)
        assert not pushed.failed, pushed["leaf2"][0].exception
        after = _get(nr, "get_lossless_config")
    finally:
        nr.close_connections()
    assert pushed["leaf2"][0].diff == "~ CABLE_LENGTH|AZURE Ethernet0: '5m' -> '40m'"
    assert (before["leaf2"]["Ethernet0"]["cable_m"], after["leaf2"]["Ethernet0"]["cable_m"]) == (
        5,
        40,
    )  # the default SKU boots with its default_cable 5m
    for name in ("leaf1", "spine1", "spine2"):
        assert after[name] == before[name], f"{name} changed by a configure meant for leaf2"


def test_the_readme_snippet_runs_from_another_directory(lab: Lab, elsewhere: Path) -> None:
    """examples/nornir_napalm_facts.py (the README's snippet, checked equal by a unit test) as a user runs it."""
    script = ROOT / "examples" / "nornir_napalm_facts.py"
    env = {k: v for k, v in os.environ.items() if k not in ("ROCE_AGENT_LAB_DIR", "PYTHONPATH")}
    env["HOME"] = os.environ["HOME"]  # the stale known_hosts of `elsewhere`
    res = subprocess.run(
        [sys.executable, str(script), str(lab.inventory)], cwd=elsewhere, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == [f"{name} {name}" for name in SWITCHES]
    assert res.stderr == ""
    assert not list(elsewhere.iterdir())


def test_napalm_contract_getters_on_the_twins(lab: Lab, elsewhere: Path) -> None:
    """get_config running/startup are CONFIG_DB and the saved file; sonic-vs-like twins have no pmon, so
    get_environment is NotImplementedError (nornir_napalm reports it as that host's failure)."""
    nr = plain_nornir(lab.inventory).filter(name="spine2")
    try:
        config = nr.run(task=napalm_get, getters=["get_config"], getters_options={"get_config": {"retrieve": "all"}})
        lldp = nr.run(task=napalm_get, getters=["get_lldp_neighbors"])
        env = nr.run(task=napalm_get, getters=["get_environment"])
    finally:
        nr.close_connections()
    got = config["spine2"][0].result["get_config"]
    running, startup = json.loads(got["running"]), json.loads(got["startup"])
    assert running["DEVICE_METADATA"]["localhost"]["hostname"] == "spine2"
    assert startup["DEVICE_METADATA"]["localhost"]["hostname"] == "spine2"
    assert got["candidate"] == ""
    assert isinstance(env["spine2"][0].exception, NotImplementedError)
    assert lldp["spine2"][0].result["get_lldp_neighbors"] == {}  # the twins run no lldpd
