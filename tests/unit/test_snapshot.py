from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent import snapshot
from agent.errors import InputError
from agent.state import DeviceKind, DeviceState, PortState

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "report"


def _state(name: str, raw_errors: list[str] | None = None) -> DeviceState:
    return DeviceState(
        name=name,
        kind=DeviceKind.switch,
        platform="sonic",
        ports={"Ethernet0": PortState(name="Ethernet0", mtu=9100, dscp_to_priority={26: 3})},
        raw_errors=raw_errors or [],
    )


def test_round_trip_with_previous_and_errors(tmp_path: Path) -> None:
    snap = snapshot.Snapshot(
        {"leaf1": _state("leaf1")}, {"leaf1": _state("leaf1")}, {"host1": "refused"}, taken_at=1_700_000_000.0
    )
    snapshot.save(tmp_path, snap)
    back = snapshot.load(tmp_path)
    assert back.states == snap.states
    assert back.previous == snap.previous
    assert back.errors == {"host1": "refused"}
    assert back.taken_at == 1_700_000_000.0


SECRETS = [
    ("ssh failed: password=hunter2", "hunter2", "password=***"),
    ("Password: hunter2 rejected", "hunter2", "Password: ***"),
    ("snmp community public2 refused", "public2", "community ***"),
    ("token abc.def", "abc.def", "token ***"),
]


@pytest.mark.parametrize(("text", "secret", "shown"), SECRETS)
def test_secrets_never_written(tmp_path: Path, text: str, secret: str, shown: str) -> None:
    snapshot.save(tmp_path, snapshot.Snapshot({"leaf1": _state("leaf1", [text])}, None, {"host1": text}))
    written = "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert secret not in written
    assert shown in written


def test_unsafe_device_names_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file name"):
        snapshot.save(tmp_path, snapshot.Snapshot({"../etc/passwd": _state("x")}))


def test_bad_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "leaf1.json").write_text(json.dumps({"name": "leaf1", "kind": "router"}))
    with pytest.raises(InputError) as err:
        snapshot.load(tmp_path)
    assert "leaf1.json" in str(err.value)


def test_file_name_must_match_device(tmp_path: Path) -> None:
    (tmp_path / "leaf2.json").write_text(_state("leaf1").model_dump_json())
    with pytest.raises(InputError, match="holds device 'leaf1'"):
        snapshot.load(tmp_path)


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no device snapshots"):
        snapshot.load(tmp_path)
    with pytest.raises(InputError, match="not a directory"):
        snapshot.load(tmp_path / "nope")


def test_committed_fixture_snapshot_loads() -> None:
    snap = snapshot.load(FIXTURES / "snapshot-faults")
    assert "host4" not in snap.states
    assert snap.previous is not None
    assert set(snap.previous) == {*snap.states, "host4"}
