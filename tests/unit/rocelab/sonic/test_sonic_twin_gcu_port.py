"""GCU's PORT speed/FEC validator on the twin, with the supported lists of sonic-utilities' own mock
STATE_DB (Ethernet0: speeds 10000,25000,40000,100000 and FECs rs,none,test; Ethernet112: FECs N/A;
Ethernet124: rs,none,fc,auto) copied onto the twin's ports. The verdicts are what
port_config_update_validator of the release decides (field_operation_validators.py); YANG still runs after
it, so a value the validator passes can be refused by YANG (`test` is no FEC of sonic-port.yang)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from real_sonic import real_dir
from sonic_twin_helpers import leaf, patch

from rocelab.sonic import SonicTwin
from rocelab.sonic.gcu_port_validator import port_ok

REFUSED = "validating function generic_config_updater.field_operation_validators.port_config_update_validator"
SOURCES = {"Ethernet0": "Ethernet0", "Ethernet4": "Ethernet112", "Ethernet8": "Ethernet124"}  # twin <- real


def twin_with_real_state(release: str) -> SonicTwin:
    state = json.loads((real_dir("mock_tables") / "state_db.json").read_text(encoding="utf-8"))
    twin = leaf(ports=4, release=release)
    twin.gcu.change_cost_s = 0.0
    for port, real in SOURCES.items():
        row = state[f"PORT_TABLE|{real}"]
        twin.state.hset(f"PORT_TABLE|{port}", {f: v for f, v in row.items() if f.startswith("supported_")})
    return twin


def verdict(twin: SonicTwin, port: str, field: str, value: str) -> str:
    op = "replace" if twin.config.hget(f"PORT|{port}", field) is not None else "add"
    res = patch(twin, [{"op": op, "path": f"/PORT/{port}/{field}", "value": value}], dry_run=True)
    if res.exit_code == 0:
        return "ok"
    return "validator" if REFUSED in res.stderr else "yang" if "invalid config" in res.stderr else res.stderr


@pytest.mark.parametrize(
    ("port", "field", "value", "expected"),
    [
        ("Ethernet0", "fec", "rs", "ok"),
        ("Ethernet0", "fec", "fc", "validator"),  # not in rs,none,test
        ("Ethernet0", "fec", "test", "yang"),  # listed by the ASIC, but no FEC of the YANG
        ("Ethernet0", "speed", "100000", "ok"),
        ("Ethernet0", "speed", "50000", "validator"),
        ("Ethernet0", "speed", "100G", "validator"),  # not an integer
        ("Ethernet4", "fec", "rs", "validator"),  # supported_fecs N/A: no FEC at all
        ("Ethernet4", "speed", "50000", "ok"),  # no supported_speeds: any integer
        ("Ethernet8", "fec", "fc", "ok"),
        ("Ethernet12", "fec", "auto", "ok"),  # nothing in STATE_DB: the release's default list
    ],
)
def test_speed_and_fec_follow_state_db_on_202511(port: str, field: str, value: str, expected: str) -> None:
    assert verdict(twin_with_real_state("202511"), port, field, value) == expected


@pytest.mark.parametrize(("release", "expected"), [("202211", "ok"), ("202305", "validator"), ("202311", "ok")])
def test_auto_joins_the_default_fec_list_in_202311(release: str, expected: str) -> None:
    """utilities_common/constants.py DEFAULT_SUPPORTED_FECS_LIST: rs,fc,none (202305), +auto (202311);
    202211 has no field-operation validators at all."""
    assert verdict(twin_with_real_state(release), "Ethernet12", "fec", "auto") == expected
    if release != "202211":
        assert verdict(twin_with_real_state(release), "Ethernet0", "speed", "50000") == "validator"


def test_after_a_fec_in_a_row_value_the_speed_is_not_checked() -> None:
    """The real validator reuses `value` for what it checks: once the entry's fec is checked, `speed` finds
    a string, not the row, and is never looked at; a table-level value is checked row by row."""
    state = {("Ethernet0", "supported_speeds"): "100000", ("Ethernet0", "supported_fecs"): "rs"}

    def lookup(port: str, field: str) -> str | None:
        return state.get((port, field))

    row: dict[str, Any] = {"fec": "rs", "speed": "50000", "lanes": "0,1,2,3"}
    assert port_ok({"op": "add", "path": "/PORT/Ethernet0", "value": row}, lookup, "202511")
    assert not port_ok({"op": "add", "path": "/PORT/Ethernet0", "value": {"speed": "50000"}}, lookup, "202511")
    table = {"op": "add", "path": "/PORT", "value": {"Ethernet0": {"speed": "50000"}}}
    assert not port_ok(table, lookup, "202511")
    assert port_ok({"op": "remove", "path": "/PORT/Ethernet0/speed"}, lookup, "202511")
