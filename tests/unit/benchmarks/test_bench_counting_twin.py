"""The counting proxy: counts what reaches the device, answers the count verb, passes the rest through."""

from pathlib import Path

from benchmarks.counting_twin import COUNT_FAULT, build_counting_twin, parse_count
from benchmarks.phases import round_trip_summary
from rocelab.spec import LabNode
from rocelab.twin import TwinNic


def _host(tmp_path: Path):  # type: ignore[no-untyped-def]
    node = LabNode(name="host1", clab_kind="linux", device_kind="host", port=2201, index=0, nics=(TwinNic(),))
    return build_counting_twin(node, tmp_path)


def test_commands_and_files_are_counted(tmp_path: Path) -> None:
    twin = _host(tmp_path)
    assert parse_count(twin.inject_fault(COUNT_FAULT, {})) == (0, 0)
    out = twin.run("ip -j link show dev eth1", sudo=False)
    assert '"ifname":"eth1"' in out.stdout  # the real host twin answered
    twin.run("dcb -j pfc show dev eth1", sudo=False)
    twin.write_file("/home/admin/x", b"1")
    assert twin.read_file("/home/admin/x") == b"1"
    assert parse_count(twin.inject_fault(COUNT_FAULT, {})) == (2, 2)


def test_other_faults_reach_the_real_twin(tmp_path: Path) -> None:
    twin = _host(tmp_path)
    message = twin.inject_fault("clear", {})
    assert message
    assert message != "0 0"


def test_round_trip_summary_by_kind() -> None:
    delta = {"leaf1": (2, 0), "spine1": (3, 1), "host1": (1, 0), "host2": (1, 0)}
    kinds = {"leaf1": "switch", "spine1": "switch", "host1": "host", "host2": "host"}
    s = round_trip_summary(delta, kinds)
    assert s["switch"] == {"devices": 2, "max": 3, "min": 2, "mean": 2.5}
    assert s["host"]["max"] == 1
    assert s["max"] == 3
    assert s["total"] == 7
    assert s["file_transfers"] == 1
