"""mlx5 driver behaviour of the host twin: trust switching, ETS validation, PFC delay, app replace, vendors."""

from __future__ import annotations

import json
from pathlib import Path

from rocelab.host import HostTwin
from rocelab.twin import TwinNic

MLX5 = Path(__file__).parents[3] / "fixtures" / "hosts" / "mlx5"


def twin(driver: str = "mlx5_core", flavour: str = "6.1") -> HostTwin:
    return HostTwin("host1", [TwinNic(driver=driver)], iproute2_flavour=flavour, clock=lambda: 0.0)


def trust(host: HostTwin) -> str:
    lines = host.run("mlnx_qos -i eth1", sudo=False).stdout.splitlines()
    return next(line for line in lines if line.startswith("Priority trust state:")).split(": ")[1]


def dscp_entries(host: HostTwin) -> list[tuple[int, int]]:
    data = json.loads(host.run("dcb -j app show dev eth1", sudo=False).stdout)
    return [(e[0], e[1]) for e in data.get("dscp_prio", [])]


def test_first_dscp_entry_switches_trust_and_last_delete_switches_back() -> None:
    host = twin()
    assert trust(host) == "pcp"
    host.run("dcb app add dev eth1 dscp-prio 26:3", sudo=True)
    assert trust(host) == "dscp"
    assert dscp_entries(host) == [(26, 3)]  # only the entry added; no pre-population without a reload
    host.run("dcb app add dev eth1 dscp-prio 48:6", sudo=True)
    host.run("dcb app del dev eth1 dscp-prio 26:3", sudo=True)
    assert trust(host) == "dscp"
    host.run("dcb app del dev eth1 dscp-prio 48:6", sudo=True)
    assert trust(host) == "pcp"
    assert dscp_entries(host) == []


def test_reload_with_dscp_trust_prepopulates_all_64_entries_from_the_fw_map() -> None:
    host = twin()
    host.run("dcb app add dev eth1 dscp-prio 26:5", sudo=True)
    host.inject_fault("driver-reload", {})
    entries = dscp_entries(host)
    assert len(entries) == 64
    assert dict(entries)[26] == 5  # the FW map kept the change
    assert all(prio == dscp >> 3 for dscp, prio in entries if dscp != 26)


def test_mlnx_qos_shows_trust_map_and_dcbx_mode() -> None:
    host = twin()
    host.run("dcb dcbx set dev eth1 host ieee", sudo=True)
    host.run("dcb app add dev eth1 dscp-prio 24:3 26:3 48:6", sudo=True)
    output = host.run("mlnx_qos -i eth1", sudo=False).stdout
    assert output.startswith((MLX5 / "mlnx_qos-converged.txt").read_text())
    assert "Cable len: 7\n" in output
    assert "tc: 0 ratelimit: unlimited, tsa: vendor\n\t priority:  1\n" in output


def test_non_dscp_app_entries_are_rejected_by_mlx5() -> None:
    result = twin().run("dcb app add dev eth1 dgram-port-prio 4791:3", sudo=True)
    assert (result.exit_code, result.stderr) == (1, "Attribute write: Invalid argument\n")


def test_partial_ets_set_is_rejected_client_side_and_changes_nothing() -> None:
    host = twin()
    before = host.run("dcb -j ets show dev eth1", sudo=False).stdout
    result = host.run("dcb ets set dev eth1 prio-tc 3:3 6:6", sudo=True)
    assert (result.exit_code, result.stderr) == (1, "Bandwidth percentages in tc-bw sum to 800%, expected 0%\n")
    assert host.run("dcb -j ets show dev eth1", sudo=False).stdout == before


def test_full_ets_triple_is_accepted_and_read_back() -> None:
    host = twin()
    command = "dcb ets set dev eth1 tc-tsa all:strict 0:ets 3:ets tc-bw all:0 0:50 3:50 prio-tc all:0 3:3 6:6"
    assert host.run(command, sudo=True).exit_code == 0
    ets = json.loads(host.run("dcb -j ets show dev eth1", sudo=False).stdout)
    assert ets["tc_tsa"] == ["ets", "strict", "strict", "ets", "strict", "strict", "strict", "strict"]
    # mlx5e_build_tc_tx_bw programs 100 % for every strict/vendor TC and ieee_getets reads it back
    assert ets["tc_bw"] == [50, 100, 100, 50, 100, 100, 100, 100]
    assert ets["prio_tc"] == [0, 0, 0, 3, 0, 0, 6, 0]


def test_ets_bandwidth_errors() -> None:
    host = twin()
    too_much = host.run("dcb ets set dev eth1 tc-tsa all:ets tc-bw all:20", sudo=True)
    assert too_much.stderr == "Bandwidth percentages in tc-bw sum to 160%, expected 100%\n"
    out_of_range = host.run("dcb ets set dev eth1 tc-bw 0:101", sudo=True)
    assert out_of_range.stderr == "In TC:BW mapping, BW is expected to be 0..100\nInvalid tc-bw mapping 0\n"


def test_pfc_delay_is_cable_metres_and_out_of_range_is_ignored_like_the_driver() -> None:
    host = twin()
    assert host.run("dcb pfc set dev eth1 delay 5", sudo=True).exit_code == 0
    assert json.loads(host.run("dcb -j pfc show dev eth1", sudo=False).stdout)["delay"] == 5
    # mlx5e_dcbnl_ieee_setpfc only applies 0 < delay < 1000; anything else is dropped without an error.
    result = host.run("dcb pfc set dev eth1 delay 1000", sudo=True)
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(host.run("dcb -j pfc show dev eth1", sudo=False).stdout)["delay"] == 5
    bad = host.run("dcb pfc set dev eth1 delay 70000", sudo=True)
    assert bad.stderr == "Invalid delay `70000', expected an integer 0..65535\n"


def test_app_replace_exits_zero_when_the_kernel_rejects_it() -> None:
    host = twin()
    description = host.inject_fault("reject-app", {"dev": "eth1"})
    assert "eth1" in description
    result = host.run("dcb app replace dev eth1 dscp-prio 26:3", sudo=True)
    assert result.exit_code == 0
    assert result.stderr == "Attribute write: Invalid argument\nCould not add new APP entries\n"
    assert dscp_entries(host) == []
    add = host.run("dcb app add dev eth1 dscp-prio 26:3", sudo=True)
    assert (add.exit_code, add.stderr) == (1, "Attribute write: Invalid argument\n")


def test_app_replace_changes_priority_and_reports_the_mlx5_delete_quirk() -> None:
    host = twin()
    host.run("dcb app add dev eth1 dscp-prio 26:3", sudo=True)
    result = host.run("dcb app replace dev eth1 dscp-prio 26:4", sudo=True)
    # mlx5's setapp already dropped (26,3); the DEL that follows gets -ENOENT; dcb still exits 0.
    assert result.exit_code == 0
    assert result.stderr == "Attribute write: No such file or directory\nCould not remove replaced APP entries\n"
    assert dscp_entries(host) == [(26, 4)]


def test_writes_need_root_but_reads_do_not() -> None:
    host = twin()
    assert host.run("dcb -j pfc show dev eth1", sudo=False).exit_code == 0
    result = host.run("dcb pfc set dev eth1 prio-pfc 3:on", sudo=False)
    assert (result.exit_code, result.stderr) == (1, "Attribute write: Operation not permitted\n")
    replace = host.run("dcb app replace dev eth1 dscp-prio 26:3", sudo=False)
    assert replace.exit_code == 0
    assert replace.stderr == "Attribute write: Operation not permitted\nCould not add new APP entries\n"
    ip = host.run("ip link set dev eth1 mtu 9000", sudo=False)
    assert (ip.exit_code, ip.stderr) == (2, "RTNETLINK answers: Operation not permitted\n")
    assert host.run("sudo ip link set dev eth1 mtu 9000", sudo=False).exit_code == 0


def test_bnxt_firmware_owned_dcbx_refuses_writes() -> None:
    host = twin("bnxt_en")
    assert host.run("dcb -j dcbx show dev eth1", sudo=False).stdout == '{"lld_managed":true,"ieee":true}\n'
    for command in ("dcb pfc set dev eth1 prio-pfc 3:on", "dcb app add dev eth1 dscp-prio 26:3"):
        result = host.run(command, sudo=True)
        assert (result.exit_code, result.stderr) == (1, "Attribute write: Invalid argument\n"), command
    ets = host.run("dcb ets set dev eth1 tc-tsa all:strict tc-bw all:0", sudo=True)
    assert ets.stderr == "Attribute write: Invalid argument\n"
    buffer = host.run("dcb buffer show dev eth1", sudo=False)
    assert (buffer.exit_code, buffer.stderr) == (1, "Attribute not found: Success\n")
    assert json.loads(host.run("dcb -j pfc show dev eth1", sudo=False).stdout)["prio_pfc"] == [False] * 8


def test_veth_has_no_dcb_and_no_rdma() -> None:
    host = twin("veth")
    for obj in ("pfc", "ets", "app", "buffer", "dcbx"):
        result = host.run(f"dcb {obj} show dev eth1", sudo=False)
        assert (result.exit_code, result.stderr) == (1, "Attribute read: Operation not supported\n"), obj
    rdma = host.run("rdma -j link show", sudo=False)
    assert (rdma.exit_code, rdma.stderr) == (1, "Failed to open NETLINK_RDMA socket\n")


def test_dcbx_modes_the_driver_refuses() -> None:
    host = twin()
    result = host.run("dcb dcbx set dev eth1 lld-managed ieee", sudo=True)
    assert (result.exit_code, result.stderr) == (1, "Attribute write: Unknown error -1\n")


def test_app_flush_removes_dscp_entries_and_restores_pcp_trust() -> None:
    host = twin()
    host.run("dcb app add dev eth1 dscp-prio 24:3 26:3 48:6", sudo=True)
    assert host.run("dcb app flush dev eth1 dscp-prio", sudo=True).exit_code == 0
    assert dscp_entries(host) == []
    assert trust(host) == "pcp"


def test_buffer_set_switches_to_manual_mode_and_validates() -> None:
    host = twin()
    command = "dcb buffer set dev eth1 prio-buffer all:0 3:1 buffer-size 0:128K 1:100000"
    assert host.run(command, sudo=True).exit_code == 0
    data = json.loads(host.run("dcb -j buffer show dev eth1", sudo=False).stdout)
    assert data["prio_buffer"] == [0, 0, 0, 1, 0, 0, 0, 0]
    assert data["buffer_size"][:2] == [131072, 99968]  # rounded down to 128-byte cells
    host.run("dcb pfc set dev eth1 prio-pfc 5:on", sudo=True)  # manual mode: PFC no longer moves buffers
    assert json.loads(host.run("dcb -j buffer show dev eth1", sudo=False).stdout)["prio_buffer"][5] == 0
    bad = host.run("dcb buffer set dev eth1 prio-buffer 3:8", sudo=True)
    assert bad.stderr == "In PRIO:BUFFER mapping, BUFFER is expected to be 0..7\nInvalid priority mapping 3\n"
    too_big = host.run("dcb buffer set dev eth1 buffer-size 0:2M", sudo=True)
    assert (too_big.exit_code, too_big.stderr) == (1, "Attribute write: Invalid argument\n")
    assert host.run("dcb buffer show dev eth1 total-size", sudo=False).stdout == "total-size 1Mb \n"
