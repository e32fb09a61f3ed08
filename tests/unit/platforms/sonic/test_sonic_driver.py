"""The NAPALM driver: NAPALM's own signature harness, discovery, candidate/commit/confirm, validate."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import napalm
import pytest
from napalm.base.exceptions import CommitError, ConnectionException, MergeConfigException, ReplaceConfigException
from napalm.base.test.getters import BaseTestGetters

from agent.platforms.sonic import driver as driver_mod
from agent.platforms.sonic.driver import RoceSonicDriver

from .sonic_fake_switch import FakeSonic

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"


class TestNapalmHarness(BaseTestGetters):  # type: ignore[misc]
    """Runs NAPALM's own `test_method_signatures` against the driver (the other base tests need a device)."""

    driver = RoceSonicDriver

    def test_method_signatures(self) -> None:
        BaseTestGetters.test_method_signatures(self)


for _name in dir(BaseTestGetters):
    if _name.startswith("test_") and _name != "test_method_signatures":
        setattr(TestNapalmHarness, _name, None)  # not collected: they need NAPALM's mocked-device fixtures


def test_napalm_discovers_the_driver_class() -> None:
    assert napalm.get_network_driver("rocesonic") is RoceSonicDriver


@pytest.fixture
def fake() -> FakeSonic:
    return FakeSonic()


@pytest.fixture
def device(fake: FakeSonic, monkeypatch: pytest.MonkeyPatch) -> Iterator[RoceSonicDriver]:
    monkeypatch.setitem(driver_mod.RUNNER_FACTORIES, "fake", lambda _d: fake)
    dev = RoceSonicDriver("leaf1", "admin", "secret", optional_args={"transport": "fake", "verify_attempts": 1})
    dev.open()
    yield dev
    dev.close()


def test_facts_and_interfaces(device: RoceSonicDriver) -> None:
    facts = device.get_facts()
    assert facts["vendor"] == "SONiC"
    assert facts["os_version"] == "SONiC.202511.0-roce-twin"
    assert facts["model"] == "Force10-S6000"
    assert facts["interface_list"] == ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"]
    ifaces = device.get_interfaces()
    assert ifaces["Ethernet0"]["is_up"] is True
    assert ifaces["Ethernet12"]["is_up"] is False
    assert ifaces["Ethernet0"]["speed"] == 400000.0
    assert device.is_alive() == {"is_alive": True}


def test_merge_fragment_compare_commit_with_revert_and_confirm(device: RoceSonicDriver, fake: FakeSonic) -> None:
    before = copy.deepcopy(fake.config)
    fragment = {"PORT_QOS_MAP": {"Ethernet0": {"pfc_enable": "3"}}, "CABLE_LENGTH": {"AZURE": {"Ethernet0": "5m"}}}
    device.load_merge_candidate(config=json.dumps(fragment))
    diff = device.compare_config()
    assert "~ PORT_QOS_MAP|Ethernet0 pfc_enable: '3,4' -> '3'" in diff
    assert "~ CABLE_LENGTH|AZURE Ethernet0: '0m' -> '5m'" in diff
    device.commit_config(revert_in=60)
    assert device.has_pending_commit() is True
    assert fake.saved == before
    with pytest.raises(CommitError, match="Pending commit confirm"):
        device.commit_config()
    device.confirm_commit()
    assert device.has_pending_commit() is False
    assert fake.config["PORT_QOS_MAP"]["Ethernet0"]["pfc_enable"] == "3"
    assert fake.saved == fake.config
    assert device.compare_config() == ""


def test_merge_json_patch_then_rollback(device: RoceSonicDriver, fake: FakeSonic) -> None:
    before = copy.deepcopy(fake.config)
    patch = [{"op": "replace", "path": "/PORT/Ethernet4/mtu", "value": "9000"}]
    device.load_merge_candidate(config=json.dumps(patch))
    device.commit_config()
    assert fake.config["PORT"]["Ethernet4"]["mtu"] == "9000"
    device.rollback()
    assert fake.config == before
    assert fake.saved == before


def test_failed_commit_raises_and_leaves_the_before_state(device: RoceSonicDriver, fake: FakeSonic) -> None:
    before = copy.deepcopy(fake.config)
    fake.no_lossless_pg = True
    device.load_merge_candidate(config=json.dumps({"CABLE_LENGTH": {"AZURE": {"Ethernet0": "5m"}}}))
    with pytest.raises(CommitError, match=r"rolled_back.*no lossless PG"):
        device.commit_config()
    assert fake.config == before


def test_replace_candidate_uses_config_replace(device: RoceSonicDriver, fake: FakeSonic) -> None:
    wanted = copy.deepcopy(fake.config)
    wanted["PORT"]["Ethernet8"]["mtu"] = "9000"
    device.load_replace_candidate(config=json.dumps(wanted))
    assert device.compare_config() == "~ PORT|Ethernet8 mtu: '9100' -> '9000'"
    device.commit_config()
    # inside the transaction's commit line (agent.platforms.sonic.txscript), after its checkpoint
    assert any("&& sudo config replace /tmp/roce-agent-" in c and "sudo config checkpoint" in c for c in fake.history)
    assert fake.config == wanted


def test_discard_and_bad_candidates(device: RoceSonicDriver) -> None:
    device.load_merge_candidate(config=json.dumps({"PORT": {"Ethernet0": {"mtu": "1500"}}}))
    device.discard_config()
    assert device.compare_config() == ""
    with pytest.raises(MergeConfigException, match="not JSON"):
        device.load_merge_candidate(config="PORT|Ethernet0 mtu 1500")
    with pytest.raises(MergeConfigException, match="JSON Patch"):
        device.load_merge_candidate(config=json.dumps([{"op": "frobnicate", "path": "/PORT"}]))
    with pytest.raises(ReplaceConfigException):
        device.load_replace_candidate(config=json.dumps(["not", "a", "config"]))


def test_compliance_report_uses_custom_getters(device: RoceSonicDriver, fake: FakeSonic) -> None:
    source = FIXTURES / "napalm" / "validate_lossless.yaml"
    report = device.compliance_report(str(source))
    assert report["complies"] is False  # fresh SONiC: pfc_enable 3,4 and cable 0m
    present = report["get_lossless_config"]["present"]["Ethernet0"]
    assert present["complies"] is False
    fake.config["PORT_QOS_MAP"]["Ethernet0"]["pfc_enable"] = "3"
    fake.config["PORT_QOS_MAP"]["Ethernet8"]["pfc_enable"] = "3"
    fake.config["CABLE_LENGTH"]["AZURE"].update({"Ethernet0": "5m", "Ethernet8": "40m"})
    fake.config["DSCP_TO_TC_MAP"]["AZURE"].update({"26": "3"})
    assert device.compliance_report(str(source))["complies"] is True


def test_cli_returns_text(device: RoceSonicDriver) -> None:
    out = device.cli(["show pfc counters"])
    assert "Port Rx" in str(out["show pfc counters"])


def test_docker_transport_without_docker_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no `docker` executable: open() must say so, not crash
    dev = RoceSonicDriver("leaf1", "admin", "x", optional_args={"transport": "docker"})
    with pytest.raises(ConnectionException, match="docker executable"):
        dev.open()
