"""The pre-flight's PORT speed/FEC check against sonic-utilities' own mock STATE_DB rows and the release
rules of port_config_update_validator (the same cases the twin's validator is held to)."""

from __future__ import annotations

import pytest

from agent.platforms.sonic.patch import Operation
from agent.platforms.sonic.port_caps import default_fecs, refusals
from agent.platforms.sonic.releases import parse_release
from tests.unit.platforms.sonic.real_sonic_db import mock_db

REL = parse_release("SONiC.20251120.01")


def state() -> dict[str, dict[str, str]]:
    """Real rows: Ethernet0 speeds 10000,25000,40000,100000 / FECs rs,none,test; Ethernet112 FECs N/A;
    Ethernet124 FECs rs,none,fc,auto; Ethernet4 lists nothing."""
    return {k: dict(v) for k, v in mock_db("state_db").items() if k.startswith("PORT_TABLE|")}


def one(port: str, field: str, value: str) -> list[Operation]:
    return [{"op": "replace", "path": f"/PORT/{port}/{field}", "value": value}]


@pytest.mark.parametrize(
    ("port", "field", "value", "ok"),
    [
        ("Ethernet0", "fec", "rs", True),
        ("Ethernet0", "fec", "fc", False),
        ("Ethernet0", "speed", "100000", True),
        ("Ethernet0", "speed", "50000", False),
        ("Ethernet0", "speed", "100G", False),
        ("Ethernet112", "fec", "rs", False),
        ("Ethernet124", "fec", "fc", True),
        ("Ethernet4", "fec", "auto", True),
        ("Ethernet4", "speed", "50000", True),
    ],
)
def test_speed_and_fec_against_the_real_state_db(port: str, field: str, value: str, ok: bool) -> None:
    found = refusals(one(port, field, value), state(), REL)
    assert (not found) is ok, found
    if not ok:
        assert found[0].startswith(f"{port}: ")
        assert "port_config_update_validator" in found[0]


def test_release_defaults_and_row_level_values() -> None:
    assert default_fecs(parse_release("SONiC.20221130.05")) is None  # 202211: no validator
    assert default_fecs(parse_release("SONiC.20230531.22")) == ("rs", "fc", "none")
    assert default_fecs(parse_release("SONiC.20231120.01")) == ("rs", "fc", "none", "auto")
    assert refusals(one("Ethernet4", "fec", "auto"), {}, parse_release("SONiC.20230531.22"))
    assert not refusals(one("Ethernet0", "speed", "50000"), state(), parse_release("SONiC.20221130.05"))
    row: list[Operation] = [{"op": "add", "path": "/PORT/Ethernet0", "value": {"fec": "rs", "speed": "50000"}}]
    (only,) = refusals(row, state(), REL)  # fec passes, speed is still checked (GCU would skip it)
    assert only.startswith("Ethernet0: speed '50000' is not supported (STATE_DB supported_speeds '10000,25000,")
    assert not refusals([{"op": "remove", "path": "/PORT/Ethernet0/fec"}], state(), REL)
