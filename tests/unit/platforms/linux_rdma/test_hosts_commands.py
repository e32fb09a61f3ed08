import pytest

from agent.platforms.linux_rdma import commands as C


@pytest.mark.parametrize("bad", ["eth1; reboot", "a/b", "x" * 16, "", "$(id)", "eth 1", "-eth1"])
def test_interface_names_outside_the_strict_pattern_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid interface name"):
        C.dcb_show("pfc", bad)


def test_pfc_set_names_every_priority_and_the_cable_delay() -> None:
    cmd = C.dcb_pfc_set("eth1", [3], 5)
    assert cmd.argv == (
        "dcb", "pfc", "set", "dev", "eth1", "prio-pfc",
        "0:off", "1:off", "2:off", "3:on", "4:off", "5:off", "6:off", "7:off", "delay", "5",
    )  # fmt: skip
    assert cmd.shell(use_sudo=True).startswith("sudo dcb pfc set dev eth1 ")
    assert not cmd.shell(use_sudo=False).startswith("sudo")


def test_ets_set_is_always_a_complete_triple() -> None:
    cmd = C.dcb_ets_set("eth1", ["ets"] * 6 + ["strict", "ets"], [50, 0, 0, 50, 0, 0, 0, 0], [0, 0, 0, 3, 0, 0, 6, 0])
    line = cmd.shell(use_sudo=False)
    assert "tc-tsa 0:ets 1:ets 2:ets 3:ets 4:ets 5:ets 6:strict 7:ets" in line
    assert "tc-bw 0:50 1:0 2:0 3:50" in line
    assert "prio-tc 0:0 1:0 2:0 3:3 4:0 5:0 6:6 7:0" in line
    with pytest.raises(ValueError, match="8 values"):
        C.dcb_ets_set("eth1", ["ets"] * 8, [100], [0] * 8)
    with pytest.raises(ValueError, match="tc-tsa"):
        C.dcb_ets_set("eth1", ["wrr"] * 8, [0] * 8, [0] * 8)


def test_numbers_must_be_real_ints_in_range() -> None:
    with pytest.raises(ValueError, match="dscp"):
        C.dcb_app("replace", "eth1", [(64, 3)])
    with pytest.raises(ValueError, match="priority"):
        C.dcb_app("replace", "eth1", [(26, "3")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="pfc delay"):
        C.dcb_pfc_set("eth1", [3], True)  # bool is not a number here


def test_file_writes_only_to_known_knobs_with_quoted_values() -> None:
    cmd = C.write_file("/sys/kernel/config/rdma_cm/mlx5_0/ports/1/default_roce_mode", "RoCE v2")
    path = "/sys/kernel/config/rdma_cm/mlx5_0/ports/1/default_roce_mode"
    assert cmd.shell(use_sudo=True) == f"printf '%s\\n' 'RoCE v2' | sudo tee {path}"
    with pytest.raises(ValueError, match="not a file the agent writes"):
        C.write_file("/etc/passwd", "x")
    with pytest.raises(ValueError, match="not a value"):
        C.write_file("/proc/sys/net/ipv4/tcp_ecn", "1; reboot")


def test_read_globs_stay_unquoted_so_the_remote_shell_expands_them() -> None:
    cmd = C.read_files(["/proc/sys/net/ipv4/tcp_ecn"], (C.ROCE_TOS_GLOB,))
    expected = "grep -H . /proc/sys/net/ipv4/tcp_ecn /sys/kernel/config/rdma_cm/*/ports/*/default_roce_tos"
    assert cmd.shell(use_sudo=True) == expected
    with pytest.raises(ValueError, match="sysfs/procfs"):
        C.read_files(["/etc/shadow"])


def test_debugfs_cnp_writes_need_a_real_pci_address_and_read_without_a_password_prompt() -> None:
    path = "/sys/kernel/debug/mlx5/0000:08:00.0/cc_params/np_cnp_dscp"
    assert C.write_file(path, "48").shell(use_sudo=True) == f"printf '%s\\n' 48 | sudo tee {path}"
    with pytest.raises(ValueError, match="not a file the agent writes"):
        C.write_file("/sys/kernel/debug/mlx5/../../../etc/cc_params/np_cnp_dscp", "48")
    assert C.read_debugfs_cnp().shell(use_sudo=True).startswith("sudo -n sh -c 'grep -H . /sys/kernel/debug/mlx5/*/")
