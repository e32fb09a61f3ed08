"""`dcb` output of the host twin against the reference shapes (tests/fixtures/hosts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rocelab.host import HostTwin
from rocelab.twin import TwinNic

FIXTURES = Path(__file__).parents[3] / "fixtures" / "hosts"
MLX5 = FIXTURES / "mlx5"
VETH = FIXTURES / "observed-veth"


def twin(flavour: str = "6.1", driver: str = "mlx5_core") -> HostTwin:
    return HostTwin("host1", [TwinNic(driver=driver)], iproute2_flavour=flavour, clock=lambda: 0.0)


def fixture(name: str) -> str:
    return (MLX5 / name).read_text()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("dcb -j pfc show dev eth1", "dcb-j-pfc-default.json"),
        ("dcb -j ets show dev eth1", "dcb-j-ets-default.json"),
        ("dcb -j app show dev eth1", "dcb-j-app-empty.json"),
    ],
)
def test_mlx5_power_on_json_is_byte_exact(command: str, expected: str) -> None:
    result = twin().run(command, sudo=False)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == fixture(expected)


@pytest.mark.parametrize(("flavour", "expected"), [("6.1", "dcb-j-app-6.1.json"), ("6.5", "dcb-j-app-6.5.json")])
def test_app_json_flavours(flavour: str, expected: str) -> None:
    host = twin(flavour)
    assert host.run("dcb app add dev eth1 dscp-prio 48:6 26:3 CS3:3", sudo=True).exit_code == 0
    result = host.run("dcb -j app show dev eth1", sudo=False)
    assert result.stdout == fixture(expected)
    entries = json.loads(result.stdout)["dscp_prio"]
    assert [(e[0], e[1]) for e in entries] == [(24, 3), (26, 3), (48, 6)]  # sorted by (dscp, prio)


def test_app_text_uses_rt_dsfield_names_and_numeric_flag() -> None:
    host = twin()
    host.run("dcb app add dev eth1 dscp-prio 24:3 26:3 48:6", sudo=True)
    assert host.run("dcb app show dev eth1", sudo=False).stdout == fixture("dcb-app-dscp.txt")
    assert host.run("dcb -N app show dev eth1", sudo=False).stdout == "dscp-prio 24:3 26:3 48:6 \n"


def test_pfc_text_and_stats_json() -> None:
    host = twin()
    assert host.run("dcb pfc set dev eth1 prio-pfc all:off 3:on", sudo=True).exit_code == 0
    assert host.run("dcb pfc show dev eth1", sudo=False).stdout == fixture("dcb-pfc-prio3.txt")
    assert host.run("dcb -j -s pfc show dev eth1", sudo=False).stdout == fixture("dcb-j-s-pfc-prio3.json")
    assert host.run("dcb -js pfc show dev eth1", sudo=False).stdout == fixture("dcb-j-s-pfc-prio3.json")


def test_show_selected_items_in_given_order() -> None:
    host = twin()
    result = host.run("dcb -j ets show dev eth1 prio-tc tc-tsa", sudo=False)
    assert list(json.loads(result.stdout)) == ["prio_tc", "tc_tsa"]
    text = host.run("dcb ets show dev eth1 prio-tc", sudo=False).stdout
    assert text == "prio-tc 0:1 1:0 2:2 3:3 4:4 5:5 6:6 7:7 \n"


def test_dcbx_json_after_host_ieee() -> None:
    host = twin()
    assert host.run("dcb -j dcbx show dev eth1", sudo=False).stdout == '{"cee":true,"ieee":true}\n'
    assert host.run("dcb dcbx set dev eth1 host ieee", sudo=True).exit_code == 0
    assert host.run("dcb -j dcbx show dev eth1", sudo=False).stdout == fixture("dcb-j-dcbx-host-ieee.json")
    assert host.run("dcb dcbx show dev eth1", sudo=False).stdout == "host ieee \n"


def test_buffer_json_follows_pfc_in_auto_mode() -> None:
    host = twin()
    before = json.loads(host.run("dcb -j buffer show dev eth1", sudo=False).stdout)
    assert before["prio_buffer"] == [0] * 8
    assert before["buffer_size"][1] == 0
    host.run("dcb pfc set dev eth1 prio-pfc 3:on", sudo=True)
    after = json.loads(host.run("dcb -j buffer show dev eth1", sudo=False).stdout)
    assert after["prio_buffer"] == [0, 0, 0, 1, 0, 0, 0, 0]
    assert after["buffer_size"][1] > 0
    assert after["buffer_size"][1] % 128 == 0
    assert list(after) == ["prio_buffer", "buffer_size", "total_size"]


@pytest.mark.parametrize(
    "args",
    [
        "pfc show dev eth1",
        "-j pfc show dev eth1",
        "app add dev eth1 dscp-prio 26:3",
        "app replace dev eth1 dscp-prio 26:3",
        "pfc show dev nosuch",
        "apptrust show dev eth1",
        "ets set dev eth1",
        "app add dev eth1 dscp-prio 99:3",
    ],
)
def test_veth_matches_real_iproute2_capture(args: str) -> None:
    """The same commands as captured from real dcb 6.1 on a veth (reference §1.11), as root."""
    name = "dcb_" + "_".join(args.replace(":", " ").split())
    expected_rc = int((VETH / f"{name}.rc").read_text())
    result = twin(driver="veth").run("dcb " + args, sudo=True)
    assert result.stdout == (VETH / f"{name}.stdout").read_text()
    assert result.stderr == (VETH / f"{name}.stderr").read_text()
    assert result.exit_code == expected_rc


def test_help_goes_to_stderr_with_status_zero() -> None:
    result = twin().run("dcb pfc show", sudo=False)
    assert (result.stdout, result.exit_code) == ("", 0)
    assert result.stderr.startswith("Usage: dcb [ -s ] pfc show dev STRING")


def test_version_strings_follow_flavour() -> None:
    assert twin("6.1").run("dcb -V", sudo=False).stdout == "dcb utility, iproute2-6.1.0\n"
    assert twin("6.5").run("rdma -V", sudo=False).stdout == "rdma utility, iproute2-6.5.0\n"
    assert twin().run("ethtool --version", sudo=False).stdout == "ethtool version 6.1\n"


def test_apptrust_needs_iproute2_6_2_and_driver_support() -> None:
    assert twin("6.1").run("dcb apptrust show dev eth1", sudo=False).stderr == 'Object "apptrust" is unknown\n'
    result = twin("6.5").run("dcb apptrust show dev eth1", sudo=False)
    assert (result.stderr, result.exit_code) == ("Attribute not found: Success\n", 1)


def test_options_after_the_object_are_permuted_like_getopt() -> None:
    result = twin().run("dcb pfc show dev eth1 -j", sudo=False)
    assert result.stdout == fixture("dcb-j-pfc-default.json")
