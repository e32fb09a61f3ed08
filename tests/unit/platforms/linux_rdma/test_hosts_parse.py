import pytest
from host_fixtures import FIXTURES

from agent.errors import ParseError
from agent.platforms.linux_rdma import parse as P


def test_dcb_app_pairs_and_iproute2_65_triples_parse_the_same() -> None:
    pairs = P.parse_app(P.load_json("h", "dcb", (FIXTURES / "converged/eth1__dcb__app").read_text()), "h", "dcb")
    triples = P.parse_app(P.load_json("h", "dcb", (FIXTURES / "app_v65/eth1__dcb__app").read_text()), "h", "dcb")
    assert pairs.dscp == triples.dscp == frozenset({(26, 3), (48, 6)})


def test_dcb_app_with_other_selectors_and_default_prio() -> None:
    doc = {
        "ethtype_prio": [[35093, 3, " "]],
        "default_prio": [0],
        "dscp_prio": [[24, 3, " "], [26, 3, " "], [48, 6, " "]],
        "dgram_port_prio": [[4791, 3, " "]],
        "pcp_prio": [["3nd", 3, " "]],
    }
    app = P.parse_app(doc, "h", "dcb")
    assert app.dscp == frozenset({(24, 3), (26, 3), (48, 6)})
    assert app.default_prio == (0,)
    assert app.other == ("dgram_port_prio", "ethtype_prio", "pcp_prio")


def test_malformed_json_names_device_and_command() -> None:
    with pytest.raises(ParseError, match=r"host1: dcb -j pfc show dev eth1: not JSON"):
        P.load_json("host1", "dcb -j pfc show dev eth1", "Attribute read: Operation not supported")
    with pytest.raises(ParseError, match="prio_pfc is not 8 booleans"):
        P.parse_pfc({"prio_pfc": [True]}, "host1", "dcb -j pfc show dev eth1")


def test_versions() -> None:
    assert P.parse_version("dcb utility, iproute2-6.1.0\n") == "6.1.0"
    assert P.parse_version("ethtool version 6.1\n") == "6.1"
    assert P.version_tuple("6.5.0") > P.version_tuple("6.1.0") > P.version_tuple("ss200127")


@pytest.mark.parametrize(
    ("text", "rc", "command", "driver", "kind", "needle"),
    [
        ("\nAttribute read: Operation not supported\n", 1, "dcb -j pfc show dev eth1.100", None, "no_dcb",
         "no DCB support on this interface, configure the physical function"),
        ("Attribute write: Invalid argument\n", 1, "dcb pfc set dev eth1", "ice", "fw_lldp",
         "ethtool --set-priv-flags eth1 fw-lldp-agent off"),
        ("Failed to open NETLINK_RDMA socket\n", 1, "rdma -j link show", None, "no_rdma", "modprobe mlx5_ib"),
        ("-bash: dcb: command not found\n", 127, "dcb -V", None, "tool_missing", "install iproute2"),
        ('Object "apptrust" is unknown\n', 1, "dcb apptrust show dev eth1", None, "tool_too_old", "iproute2 >= 6.2"),
        ('Object "app" is unknown\n', 1, "dcb -j app show dev eth1", None, "tool_too_old", "iproute2 >= 5.12"),
        ("Attribute write: Operation not permitted\n", 1, "dcb pfc set dev eth1", None, "permission", "passwordless"),
        ("Attribute read: No such device\n", 1, "dcb -j pfc show dev eth9", None, "no_device", "rdma_interfaces"),
        ("Attribute not found: Success\n", 1, "dcb -j buffer show dev eth1", "bnxt_en", "not_supported", "driver"),
    ],
)  # fmt: skip
def test_failures_become_actionable_problems(
    text: str, rc: int, command: str, driver: str | None, kind: str, needle: str
) -> None:
    iface = command.split()[-1] if "dev" in command else None
    problem = P.classify(text, rc, command=command, interface=iface, driver=driver)
    assert problem.kind == kind
    assert needle in problem.message


def test_ethtool_text_outputs() -> None:
    stats = P.parse_ethtool_stats((FIXTURES / "mlx5_default/eth1__ethtool__stats").read_text())
    assert stats["rx_prio0_packets"] == 1520
    assert stats["tx_prio3_pause"] == 0
    assert "NIC statistics" not in stats
    info = P.parse_ethtool_info((FIXTURES / "mlx5_default/eth1__ethtool__info").read_text())
    assert (info["driver"], info["bus-info"]) == ("mlx5_core", "0000:08:00.0")
    assert P.parse_ethtool_pause((FIXTURES / "mlx5_default/eth1__ethtool__pause").read_text()) == (True, True)


def test_grep_files_values_and_errors() -> None:
    values, errors = P.parse_grep_files((FIXTURES / "veth/files").read_text())
    assert values["/proc/sys/net/ipv4/tcp_ecn"] == ["2"]
    assert errors["/sys/class/net/eth1/ecn/roce_np/enable/0"] == "No such file or directory"
    assert P.parse_traffic_class(["Global tclass=106", "rule 1"]) == 106
    assert P.parse_traffic_class([""]) is None
