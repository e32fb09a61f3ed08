"""`roce-agent plan` / `apply` against the built-in lab over real SSH (Netmiko, NAPALM, Nornir, SFTP).

One lab (2 spines, 3 leaves, 6 hosts: both pods) is started for the module with `roce-agent lab up` in a private
state directory and port range. Tests run in file order: input errors and faults first (each proves
leaf1's CONFIG_DB is unchanged), then convergence, then commit-confirm on a converged fabric.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from agent.platforms.sonic.gather import read_config_db
from agent.platforms.sonic.transaction import comparable
from agent.transports.ssh import NetmikoRunner, SshTarget
from tests.integration.rocelab.conftest import free_base_port as lab_free_base_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[3]
ROCE_AGENT = str(Path(sys.executable).parent / "roce-agent")
LAB_POLICY = ROOT / "inventories" / "lab" / "policy.yaml"


def free_base_port(count: int) -> int:
    """This module's lab stays in 31000-39000, clear of the lab suites' 20000-30000."""
    return lab_free_base_port(count, low=31000, high=39000)


@dataclass
class Lab:
    state: Path
    inv: Path
    env: dict[str, str]

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ROCE_AGENT, *args], env=env or self.env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )

    def fault(self, device: str, kind: str, *options: str) -> None:
        res = self.cli("lab", "fault", device, kind, *options)
        assert res.returncode == 0, res.stderr

    def port(self, device: str) -> int:
        hosts = YAML(typ="safe").load((self.inv / "hosts.yaml").read_text())
        return int(hosts[device]["port"])

    def config_db(self, device: str = "leaf1") -> dict[str, Any]:
        target = SshTarget(
            device, "127.0.0.1", self.port(device), known_hosts=str(self.inv / "known_hosts"),
            key_file=str(self.state / "id_ed25519"),
        )  # fmt: skip
        runner = NetmikoRunner.connect(target)
        try:
            return read_config_db(runner)
        finally:
            runner.close()

    def inventory_copy(self, tmp: Path, *, pins: bool = True, key_login: bool = True) -> Path:
        """A copy whose hosts point at the copy's own pins (or at none), with or without key login."""
        copy = tmp / "inv"
        shutil.copytree(self.inv, copy)
        if not pins:
            (copy / "known_hosts").unlink()
            shutil.rmtree(copy / "known_hosts.d")
        hosts = YAML(typ="safe").load((copy / "hosts.yaml").read_text())
        for name, host in hosts.items():
            if not key_login:
                host.pop("connection_options")
                continue
            netmiko = host["connection_options"]["netmiko"]["extras"]
            napalm = host["connection_options"].get("napalm", {}).get("extras", {}).get("optional_args", {})
            for holder in (netmiko, napalm):
                holder["alt_key_file"] = str(copy / "known_hosts.d" / name)
        YAML().dump(hosts, copy / "hosts.yaml")
        return copy


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    state = tmp_path_factory.mktemp("lab")
    env = {**os.environ, "ROCE_AGENT_LAB_DIR": str(state)}
    env.pop("ROCE_AGENT_PASSWORD", None)
    up = [ROCE_AGENT, "lab", "up", "--base-port", str(free_base_port(11)), "-i", str(state / "inv")]
    res = subprocess.run([*up, "--policy", str(LAB_POLICY)], env=env, cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    try:
        yield Lab(state, state / "inv", env)
    finally:
        subprocess.run([ROCE_AGENT, "lab", "down"], env=env, cwd=ROOT, capture_output=True, timeout=60)


def test_invalid_policy_exits_2_before_any_connection(lab: Lab, tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text(LAB_POLICY.read_text().replace("priority: 3", "priority: 9", 1))
    res = lab.cli("plan", "-i", str(lab.inv), "-p", str(bad))
    assert res.returncode == 2
    assert str(bad) in res.stderr
    assert "priority" in res.stderr
    assert "no device was contacted" in res.stderr
    assert "planning" not in res.stderr


def test_unknown_limit_exits_2(lab: Lab) -> None:
    res = lab.cli("plan", "-i", str(lab.inv), "--limit", "leaf9")
    assert res.returncode == 2
    assert "unknown device(s) ['leaf9']" in res.stderr


def test_plan_shows_the_diff_from_sonic_defaults(lab: Lab, tmp_path: Path) -> None:
    res = lab.cli("plan", "-i", str(lab.inv), "--limit", "leaf1,spine1", "--json", "--patch-dir", str(tmp_path))
    assert res.returncode == 0, res.stderr
    devices = {d["device"]: d for d in json.loads(res.stdout)["devices"]}
    leaf = devices["leaf1"]
    assert leaf["status"] == "changes"
    assert {"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable", "value": "3"} in leaf["patch"]
    # the default SKU (ACS-SN5600) boots with its default_cable 5m: only the fabric ports change
    assert "~ CABLE_LENGTH|AZURE Ethernet8: '5m' -> '40m'" in leaf["diff"]
    assert not any("CABLE_LENGTH|AZURE Ethernet0" in line for line in leaf["diff"])
    assert {"op": "replace", "path": "/CABLE_LENGTH/AZURE/Ethernet0", "value": "40m"} in devices["spine1"]["patch"]
    assert "leaf1: planning ..." in res.stderr
    assert json.loads((tmp_path / "leaf1.json-patch").read_text()) == leaf["patch"]
    # GCU's sorter takes each cabled port admin down while it rebinds its QoS maps and queues
    assert leaf["disruptive"] == ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"]
    assert any(w.startswith("disruptive: GCU takes 4 port(s) admin down") for w in leaf["warnings"])


def test_unknown_host_key_is_refused_unless_skipped(lab: Lab, tmp_path: Path) -> None:
    before = lab.config_db()
    inv = lab.inventory_copy(tmp_path, pins=False)
    env = {**lab.env, "HOME": str(tmp_path)}  # no ~/.ssh/known_hosts either
    res = lab.cli("plan", "-i", str(inv), "--limit", "leaf1", env=env)
    assert res.returncode == 1
    assert "host key that is not pinned" in res.stdout
    assert "--insecure-skip-host-key-check" in res.stdout
    ok = lab.cli("plan", "-i", str(inv), "--limit", "leaf1", "--insecure-skip-host-key-check", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert lab.config_db() == before


def test_wrong_password_is_reported_and_never_printed(lab: Lab, tmp_path: Path) -> None:
    before = lab.config_db()
    inv = lab.inventory_copy(tmp_path, key_login=False)  # password login only
    secret = "not-the-lab-password-7f3a"
    res = lab.cli("apply", "-i", str(inv), "--limit", "leaf1", "--yes", env={**lab.env, "ROCE_AGENT_PASSWORD": secret})
    assert res.returncode == 1
    assert "authentication failed for user 'admin'" in res.stdout
    assert secret not in res.stdout + res.stderr
    assert lab.config_db() == before


def test_unreachable_device_fails_alone(lab: Lab, tmp_path: Path) -> None:
    inv = lab.inventory_copy(tmp_path)
    hosts = YAML(typ="safe").load((inv / "hosts.yaml").read_text())
    hosts["leaf1"]["port"] = free_base_port(1)
    YAML().dump(hosts, inv / "hosts.yaml")
    res = lab.cli("plan", "-i", str(inv), "--limit", "leaf1,leaf2", "--json")
    assert res.returncode == 1
    devices = {d["device"]: d for d in json.loads(res.stdout)["devices"]}
    assert devices["leaf1"]["status"] == "failed"
    assert "unreachable" in devices["leaf1"]["error"]
    assert devices["leaf2"]["status"] == "changes"


def test_gcu_refusal_names_the_table_and_writes_nothing(lab: Lab) -> None:
    before = lab.config_db()
    lab.fault("leaf1", "refuse-table", "table=WRED_PROFILE")
    try:
        res = lab.cli("apply", "-i", str(lab.inv), "--limit", "leaf1", "--yes")
    finally:
        lab.fault("leaf1", "clear")
    assert res.returncode == 1
    assert "GCU refused the change to WRED_PROFILE" in res.stdout
    assert "--allow-fallback-writer" in res.stdout
    assert lab.config_db() == before


def test_session_dropped_after_k_of_n_changes_rolls_back(lab: Lab) -> None:
    before = lab.config_db()
    lab.fault("leaf1", "drop-after-writes", "k=20")
    res = lab.cli("apply", "-i", str(lab.inv), "--limit", "leaf1", "--yes", "--json")
    assert res.returncode == 1
    leaf = json.loads(res.stdout)["devices"][0]
    assert leaf["status"] == "rolled_back", leaf
    assert "reconnected" in leaf["events"]
    assert comparable(lab.config_db()) == comparable(before)


def test_uncovered_cable_length_is_refused_by_the_preflight_before_any_write(lab: Lab, tmp_path: Path) -> None:
    """7 m host cables have no pg_profile_lookup.ini row: buffermgrd would create no lossless PG, which
    verification would only find after the write. The pre-flight reads the SKU's lookup and refuses first."""
    before = lab.config_db()
    odd = tmp_path / "policy.yaml"
    odd.write_text(LAB_POLICY.read_text().replace("host: 5m", "host: 7m"))
    res = lab.cli("apply", "-i", str(lab.inv), "-p", str(odd), "--limit", "leaf1", "--yes")
    assert res.returncode == 1
    assert "pre-flight: Ethernet0: speed 400000 with a 7m cable has no row" in res.stdout
    assert "Nothing was written" in res.stdout
    assert "checkpoint" not in res.stdout
    assert lab.config_db() == before


def test_apply_converges_every_device_and_second_plan_is_empty(lab: Lab) -> None:
    res = lab.cli("apply", "-i", str(lab.inv), "--yes", "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    statuses = {d["device"]: d["status"] for d in json.loads(res.stdout)["devices"]}
    assert statuses["leaf1"] == statuses["spine2"] == "applied"
    again = lab.cli("plan", "-i", str(lab.inv), "--json")
    assert again.returncode == 0
    assert {d["device"]: d["changes"] for d in json.loads(again.stdout)["devices"]} == dict.fromkeys(statuses, 0)


def test_commit_confirm_through_napalm_confirm(lab: Lab, tmp_path: Path) -> None:
    changed = tmp_path / "policy.yaml"
    changed.write_text(LAB_POLICY.read_text().replace("probability: 10", "probability: 20"))
    res = lab.cli("apply", "-i", str(lab.inv), "-p", str(changed), "--group", "spines", "--yes",
                  "--confirm-timeout", "60", "--json")  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    for dev in json.loads(res.stdout)["devices"]:
        assert dev["status"] == "applied"
        assert dev["detail"].endswith("confirmed and saved")
    spine = lab.config_db("spine1")
    assert spine["WRED_PROFILE"]["ROCE_ECN_3"]["green_drop_probability"] == "20"


def test_napalm_getters_and_validate_over_ssh(lab: Lab) -> None:
    """nornir_napalm's own tasks on the rocesonic driver, after convergence: the lossless getters comply."""
    from nornir.core.task import Task
    from nornir_napalm.plugins.tasks import napalm_get, napalm_validate

    from agent.inventory.loader import load_nornir
    from agent.platforms.sonic.connect import napalm_driver

    source = ROOT / "tests" / "fixtures" / "sonic_platform" / "napalm" / "validate_lossless.yaml"

    def check(task: Task) -> tuple[Any, Any]:
        napalm_driver(task.host, task.nornir.config)
        got = task.run(task=napalm_get, getters=["facts", "get_lossless_config", "get_pfc_counters"])
        report = task.run(task=napalm_validate, src=str(source))
        return got[0].result, report[0].result

    nr = load_nornir(lab.inv).filter(name="leaf1")
    try:
        result = nr.run(task=check)
    finally:
        nr.close_connections()
    assert not result.failed, result["leaf1"][0].result
    got, report = result["leaf1"][0].result
    assert got["facts"]["vendor"] == "SONiC"
    assert got["facts"]["hostname"] == "leaf1"
    assert got["get_lossless_config"]["Ethernet0"]["pfc_enable"] == "3"
    assert set(got["get_pfc_counters"]["Ethernet0"]["rx"]) == {str(p) for p in range(8)}
    assert report["complies"] is True, report


def test_napalm_configure_with_revert_in_then_confirm(lab: Lab) -> None:
    """The plain NAPALM flow through nornir_napalm: merge a CONFIG_DB fragment with revert_in, confirm."""
    from nornir.core.task import Task
    from nornir_napalm.plugins.tasks import napalm_configure, napalm_confirm_commit

    from agent.inventory.loader import load_nornir
    from agent.platforms.sonic.connect import napalm_driver

    fragment = json.dumps({"PFC_WD": {"Ethernet0": {"detection_time": "400"}}})

    def push(task: Task) -> tuple[str, bool, bool]:
        driver = napalm_driver(task.host, task.nornir.config)
        configured = task.run(task=napalm_configure, configuration=fragment, revert_in=120)
        pending = driver.has_pending_commit()
        task.run(task=napalm_confirm_commit)
        return configured[0].diff, pending, driver.has_pending_commit()

    nr = load_nornir(lab.inv).filter(name="spine1")
    try:
        result = nr.run(task=push)
    finally:
        nr.close_connections()
    assert not result.failed, result["spine1"][0].result
    diff, pending_before, pending_after = result["spine1"][0].result
    assert diff == "~ PFC_WD|Ethernet0 detection_time: '200' -> '400'"
    assert (pending_before, pending_after) == (True, False)
    assert lab.config_db("spine1")["PFC_WD"]["Ethernet0"]["detection_time"] == "400"
