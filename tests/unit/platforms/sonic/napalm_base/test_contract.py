"""The rest of NAPALM's contract that BaseTestGetters does not cover: NotImplementedError where SONiC has
no data, Merge/ReplaceConfigException for an unreadable candidate file, the candidate in get_config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from napalm.base.exceptions import MergeConfigException, ReplaceConfigException

from .conftest import MOCKED, PatchedRoceSonicDriver

REAL_STATE_DB = Path(__file__).parents[6] / "shared" / "real-sonic" / "mock_tables" / "state_db.json"


def _device(test: str, case: str) -> PatchedRoceSonicDriver:
    dev = PatchedRoceSonicDriver("127.0.0.1", "admin", "", optional_args={})
    dev.runner.current_test, dev.runner.current_test_case = test, case
    return dev


def test_environment_without_pmon_tables_is_not_implemented_as_napalm_documents() -> None:
    dev = _device("test_get_environment", "sonic-vs-has-no-pmon")  # no state_db.json: STATE_DB without sensors
    with pytest.raises(NotImplementedError, match="no platform sensors in STATE_DB"):
        dev.get_environment()


def test_lldp_without_entries_is_empty() -> None:
    assert _device("test_get_lldp_neighbors", "lldpd-learnt-nothing").get_lldp_neighbors() == {}


def test_missing_candidate_file_raises_napalms_exceptions(tmp_path: Path) -> None:
    dev = _device("", "")
    with pytest.raises(MergeConfigException, match="cannot read candidate file"):
        dev.load_merge_candidate(filename=str(tmp_path / "missing.json"))
    with pytest.raises(ReplaceConfigException, match="cannot read candidate file"):
        dev.load_replace_candidate(filename=str(tmp_path / "missing.json"))


def test_get_config_candidate_is_the_loaded_candidate_and_retrieve_is_checked() -> None:
    dev = _device("test_get_config", "leaf1")
    fragment = {"PORT_QOS_MAP": {"Ethernet0": {"pfc_enable": "3"}}}
    dev.load_merge_candidate(config=json.dumps(fragment))
    got = dev.get_config(retrieve="candidate")
    assert json.loads(got["candidate"]) == fragment
    assert got["running"] == got["startup"] == ""
    running, startup = (json.loads(dev.get_config(retrieve=r)[r]) for r in ("running", "startup"))
    assert running["DEVICE_METADATA"]["localhost"]["hostname"] == "leaf1"  # CONFIG_DB ...
    assert startup["DEVICE_METADATA"]["localhost"]["hostname"] == "leaf1-as-saved"  # ... vs the saved file
    with pytest.raises(ValueError, match="retrieve='everything'"):
        dev.get_config(retrieve="everything")


def test_environment_fixture_rows_are_real_sonic_state_db() -> None:
    if not REAL_STATE_DB.is_file():
        pytest.skip(f"{REAL_STATE_DB} not present (shared/real-sonic beside the checkout)")
    real = json.loads(REAL_STATE_DB.read_text())
    fixture = json.loads((MOCKED / "mocked_data" / "test_get_environment" / "pmon" / "state_db.json").read_text())
    pmon = {k: v for k, v in fixture.items() if k.startswith(("FAN_INFO|", "PSU_INFO|"))}
    assert len(pmon) == 5
    assert all(real[k] == v for k, v in pmon.items())
