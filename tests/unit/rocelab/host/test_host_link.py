"""Link state of the host twin: the mlx5 PFC flap in `ip`/`rdma`/sysfs, MTU and admin state."""

from __future__ import annotations

import json
from pathlib import Path

from rocelab.host import HostTwin
from rocelab.twin import TwinNic

VETH = Path(__file__).parents[3] / "fixtures" / "hosts" / "observed-veth"
MLX5 = Path(__file__).parents[3] / "fixtures" / "hosts" / "mlx5"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def link(host: HostTwin) -> tuple[list[str], str, str, str]:
    ip = json.loads(host.run("ip -j link show dev eth1", sudo=False).stdout)[0]
    rdma = json.loads(host.run("rdma -j link show", sudo=False).stdout)[0]
    return ip["flags"], ip["operstate"], rdma["state"], rdma["physical_state"]


def test_pfc_change_flaps_netdev_and_rdma_port_for_the_flap_time() -> None:
    clock = FakeClock()
    host = HostTwin("host1", [TwinNic()], clock=clock)
    assert link(host) == (["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "UP", "ACTIVE", "LINK_UP")
    assert host.inject_fault("flap-time", {"seconds": "3"}) == "PFC changes take the link down for 3 s"
    host.run("dcb pfc set dev eth1 prio-pfc 3:on", sudo=True)
    flags, operstate, state, physical = link(host)
    assert flags == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]
    assert (operstate, state) == ("DOWN", "DOWN")
    assert physical != "LINK_UP"
    assert host.run("cat /sys/class/net/eth1/carrier", sudo=False).stdout == "0\n"
    clock.now += 2.9
    assert link(host)[1] == "DOWN"
    clock.now += 0.2
    assert link(host) == (["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "UP", "ACTIVE", "LINK_UP")
    assert host.run("cat /sys/class/net/eth1/carrier_changes", sudo=False).stdout == "4\n"


def test_rdma_link_json_shape() -> None:
    host = HostTwin("host1", [TwinNic()], clock=FakeClock())
    assert host.run("rdma -j link show", sudo=False).stdout == (MLX5 / "rdma-j-link.json").read_text()
    assert host.run("rdma link show mlx5_0/1", sudo=False).stdout == (
        "link mlx5_0/1 state ACTIVE physical_state LINK_UP netdev eth1 \n"
    )


def test_same_pfc_mask_does_not_flap_and_sleep_waits_out_a_flap() -> None:
    host = HostTwin("host1", [TwinNic()], clock=FakeClock())
    host.run("dcb pfc set dev eth1 prio-pfc 3:on", sudo=True)
    assert link(host)[1] == "DOWN"
    result = host.run("sleep 2.5", sudo=False)
    assert result.delay_s == 2.5  # the SSH layer really waits
    assert link(host)[1] == "UP"
    host.run("dcb pfc set dev eth1 prio-pfc 3:on delay 10", sudo=True)
    assert link(host)[1] == "UP"


def test_flap_measured_in_commands() -> None:
    host = HostTwin("host1", [TwinNic()], clock=FakeClock())
    host.inject_fault("flap-time", {"commands": "2"})
    host.run("dcb pfc set dev eth1 prio-pfc 3:on", sudo=True)
    first = host.run("ip -j link show dev eth1", sudo=False).stdout
    second = host.run("ip -j link show dev eth1", sudo=False).stdout
    third = host.run("ip -j link show dev eth1", sudo=False).stdout
    assert ['"DOWN"' in s for s in (first, second, third)] == [True, True, False]


def test_mtu_limits_and_errors_like_iproute2() -> None:
    host = HostTwin("host1", [TwinNic()], clock=FakeClock())
    assert host.run("ip link set dev eth1 mtu 9000", sudo=True).exit_code == 0
    assert json.loads(host.run("ip -j link show dev eth1", sudo=False).stdout)[0]["mtu"] == 9000
    too_big = host.run("ip link set dev eth1 mtu 9979", sudo=True)
    assert (too_big.exit_code, too_big.stderr) == (2, "Error: mtu greater than device maximum.\n")
    missing = host.run("ip link set dev eth9 mtu 9000", sudo=True)
    assert (missing.exit_code, missing.stderr) == (1, 'Cannot find device "eth9"\n')
    show = host.run("ip -j link show dev eth9", sudo=False)
    assert (show.exit_code, show.stderr) == (1, 'Device "eth9" does not exist.\n')


def test_admin_down_matches_iproute2_shape() -> None:
    host = HostTwin("host1", [TwinNic()], clock=FakeClock())
    host.run("ip link set dev eth1 down", sudo=True)
    flags, operstate, state, physical = link(host)
    assert (flags, operstate, state, physical) == (["BROADCAST", "MULTICAST"], "DOWN", "DOWN", "DISABLED")


def test_veth_link_json_has_the_observed_keys() -> None:
    host = HostTwin("host1", [TwinNic(driver="veth")], clock=FakeClock())
    observed = json.loads((VETH / "ip-j-link-show-up.json").read_text())[0]
    ours = json.loads(host.run("ip -j link show dev eth1", sudo=False).stdout)[0]
    ignore = {"link"}  # peer in this namespace when captured; containerlab peers live in another netns
    assert [k for k in ours if k not in ("link_index", "link_netnsid")] == [k for k in observed if k not in ignore]
    assert ours["flags"] == observed["flags"]
    assert ours["operstate"] == observed["operstate"]
    detailed = json.loads(host.run("ip -d -j link show dev eth1", sudo=False).stdout)[0]
    captured = json.loads((VETH / "ip-d-j-link-show-veth.json").read_text())[0]
    assert detailed["linkinfo"] == captured["linkinfo"]
    extra = [k for k in captured if k not in observed]
    assert [k for k in detailed if k in extra] == extra


def test_rdma_statistic_and_dev_json_shapes() -> None:
    host = HostTwin("host1", [TwinNic()], iproute2_flavour="6.5", clock=FakeClock())
    stats = host.run("rdma -j statistic show link mlx5_0/1", sudo=False).stdout
    assert stats == (MLX5 / "rdma-j-statistic-idle.json").read_text()
    assert host.run("rdma -j dev show", sudo=False).stdout == (MLX5 / "rdma-j-dev-6.5.json").read_text()
    old = HostTwin("host1", [TwinNic()], iproute2_flavour="6.1", clock=FakeClock())
    assert "protocol" not in json.loads(old.run("rdma -j dev show mlx5_0", sudo=False).stdout)[0]
    wrong = host.run("rdma -j link show mlx5_9", sudo=False)
    assert (wrong.exit_code, wrong.stderr) == (1, "Wrong device name\n")
