"""sysfs/configfs/procfs files, fault injection, persistence and the Twin protocol of the host twin."""

from __future__ import annotations

from pathlib import Path

import pytest

from rocelab.host import HostTwin
from rocelab.twin import Twin, TwinNic

CM = "/sys/kernel/config/rdma_cm/mlx5_0"
TC = "/sys/class/infiniband/mlx5_0/tc/1/traffic_class"


def twin(state_dir: Path | None = None) -> HostTwin:
    return HostTwin("host1", [TwinNic()], state_dir=state_dir, clock=lambda: 0.0)


def test_rdma_cm_tos_needs_the_configfs_mkdir_and_survives_rmdir() -> None:
    host = twin()
    before = host.run(f"echo 106 | tee {CM}/ports/1/default_roce_tos", sudo=True)
    assert before.stderr == f"tee: {CM}/ports/1/default_roce_tos: No such file or directory\n"
    denied = host.run(f"mkdir {CM}", sudo=False)
    assert denied.stderr == f"mkdir: cannot create directory '{CM}': Permission denied\n"
    assert host.run(f"mkdir {CM}", sudo=True).exit_code == 0
    assert host.run(f"cat {CM}/ports/1/default_roce_tos {CM}/ports/1/default_roce_mode", sudo=False).stdout == (
        "0\nRoCE v2\n"
    )
    assert host.run(f"echo 106 | tee {CM}/ports/1/default_roce_tos", sudo=True).exit_code == 0
    too_big = host.run(f"echo 300 | tee {CM}/ports/1/default_roce_tos", sudo=True)
    assert too_big.stderr == f"tee: {CM}/ports/1/default_roce_tos: Numerical result out of range\n"
    bad_mode = host.run(f"echo 'RoCE v3' | tee {CM}/ports/1/default_roce_mode", sudo=True)
    assert bad_mode.stderr.endswith("Invalid argument\n")
    host.run(f"rmdir {CM}", sudo=True)
    assert host.run(f"cat {CM}/ports/1/default_roce_tos", sudo=False).exit_code == 1
    host.run(f"mkdir {CM}", sudo=True)
    assert host.run(f"cat {CM}/ports/1/default_roce_tos", sudo=False).stdout == "106\n"


def test_global_traffic_class_format() -> None:
    host = twin()
    assert host.run(f"cat {TC}", sudo=False).stdout == ""
    host.run(f"echo 106 | tee {TC}", sudo=True)
    assert host.run(f"cat {TC}", sudo=False).stdout == "Global tclass=106\n"
    host.run(f"echo tclass=-1 | tee {TC}", sudo=True)
    assert host.run(f"cat {TC}", sudo=False).stdout == ""


def test_ecn_knobs_and_tcp_ecn() -> None:
    host = twin()
    base = "/sys/class/net/eth1/ecn/roce_np"
    assert host.run(f"cat {base}/cnp_dscp {base}/cnp_802p_prio", sudo=False).stdout == "48\n6\n"
    assert host.run(f"echo 64 | tee {base}/cnp_dscp", sudo=True).stderr == f"tee: {base}/cnp_dscp: Invalid argument\n"
    assert host.run("sysctl net.ipv4.tcp_ecn", sudo=False).stdout == "net.ipv4.tcp_ecn = 2\n"
    assert host.run("echo 1 | sudo tee /proc/sys/net/ipv4/tcp_ecn", sudo=False).exit_code == 0
    assert host.run("cat /proc/sys/net/ipv4/tcp_ecn", sudo=False).stdout == "1\n"
    read_only = host.run("echo up | tee /sys/class/net/eth1/operstate", sudo=True)
    assert read_only.stderr == "tee: /sys/class/net/eth1/operstate: Permission denied\n"


def test_sftp_files_round_trip_and_protect_sysfs() -> None:
    host = twin()
    host.write_file("/home/admin/plan.json", b"{}")
    assert host.read_file("/home/admin/plan.json") == b"{}"
    assert host.read_file("/sys/class/net/eth1/mtu") == b"1500\n"
    assert host.read_file("/nope") is None
    with pytest.raises(PermissionError):
        host.write_file("/sys/class/net/eth1/mtu", b"9000")


def test_state_survives_a_restart_from_state_dir(tmp_path: Path) -> None:
    first = twin(tmp_path)
    first.run("dcb app add dev eth1 dscp-prio 26:3", sudo=True)
    first.run("dcb pfc set dev eth1 prio-pfc 3:on delay 5", sudo=True)
    first.run("ip link set dev eth1 mtu 9000", sudo=True)
    second = twin(tmp_path)
    assert second.run("dcb -j app show dev eth1", sudo=False).stdout == '{"dscp_prio":[[26,3]]}\n'
    pfc = second.run("dcb pfc show dev eth1", sudo=False).stdout
    assert "delay 5" in pfc
    assert "3:on" in pfc
    assert second.run("cat /sys/class/net/eth1/mtu", sudo=False).stdout == "9000\n"


def test_fail_command_latency_drop_hang_and_clear() -> None:
    host = twin()
    host.inject_fault("fail-command", {"pattern": "^dcb .*app", "message": "dcb: injected failure"})
    failed = host.run("echo ok; dcb -j app show dev eth1", sudo=False)
    assert (failed.stdout, failed.stderr, failed.exit_code) == ("ok\n", "dcb: injected failure\n", 1)
    assert host.run("dcb -j pfc show dev eth1", sudo=False).exit_code == 0
    host.inject_fault("latency", {"seconds": "1.5"})
    assert host.run("true", sudo=False).delay_s == 1.5
    host.inject_fault("drop-after-commands", {"k": "2"})
    assert not host.run("true", sudo=False).disconnect
    assert host.run("true", sudo=False).disconnect
    assert not host.run("true", sudo=False).disconnect  # fires once
    host.inject_fault("hang", {})
    assert host.run("true", sudo=False).delay_s >= 3600
    assert host.inject_fault("clear", {}) == "all faults cleared"
    cleared = host.run("dcb -j app show dev eth1", sudo=False)
    assert (cleared.exit_code, cleared.delay_s, cleared.disconnect) == (0, 0.0, False)


def test_bad_fault_requests_are_refused() -> None:
    host = twin()
    with pytest.raises(ValueError, match="unknown fault kind"):
        host.inject_fault("explode", {})
    with pytest.raises(ValueError, match="seconds"):
        host.inject_fault("latency", {"seconds": "soon"})
    with pytest.raises(ValueError, match="errno"):
        host.inject_fault("reject-app", {"errno": "ENOTANERRNO"})


def test_reject_app_count_runs_out() -> None:
    host = twin()
    host.inject_fault("reject-app", {"count": "1", "errno": "EBUSY"})
    first = host.run("dcb app add dev eth1 dscp-prio 26:3", sudo=True)
    assert first.stderr == "Attribute write: Device or resource busy\n"
    assert host.run("dcb app add dev eth1 dscp-prio 26:3", sudo=True).exit_code == 0


def test_host_twin_satisfies_the_twin_protocol() -> None:
    host: Twin = twin()
    assert host.hostname == "host1"
    with pytest.raises(ValueError, match="iproute2_flavour"):
        HostTwin("h", [TwinNic()], iproute2_flavour="5.0")
    with pytest.raises(ValueError, match="driver"):
        HostTwin("h", [TwinNic(driver="e1000")])


def test_exit_ends_the_sh_c_shell_with_its_status_and_the_line_goes_on() -> None:
    host = HostTwin("host1", [TwinNic()])
    result = host.run("sh -c 'echo a && exit 3 || echo b; echo c'; echo \"rc $?\"", sudo=False)
    assert result.stdout == "a\nrc 3\n"
