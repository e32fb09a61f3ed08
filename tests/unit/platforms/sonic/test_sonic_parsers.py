"""CLI output parsers against the reference's golden outputs (sonic-utilities unit-test strings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ParseError
from agent.platforms.sonic import parsers as p

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_pfc_counters_rx_and_tx_per_priority() -> None:
    out = p.parse_pfc_counters("leaf1", "show pfc counters", text("show_pfc_counters.txt"))
    assert out["rx"]["Ethernet0"][0] == 1200
    assert out["rx"]["Ethernet4"][3] == 403
    assert out["tx"]["Ethernet0"][7] == 217
    assert "Ethernet4" not in out["tx"]


def test_interfaces_status_reference_row() -> None:
    out = p.parse_interfaces_status("leaf1", "show interfaces status", text("show_interfaces_status_ref.txt"))
    row = out["Ethernet32"]
    assert (row["Speed"], row["MTU"], row["Vlan"], row["Oper"], row["Asym PFC"]) == (
        "40G",
        "9100",
        "PortChannel1001",
        "up",
        "off",
    )


def test_pfcwd_stats_status_and_storms() -> None:
    out = p.parse_pfcwd_stats("leaf1", "pfcwd show stats -e", text("pfcwd_show_stats.txt"))
    assert out["Ethernet0"][3] == ("stormed", 1)
    assert out["Ethernet4"][3] == ("operational", 2)


def test_queue_counters_json_unicast_only_with_thousands_separators() -> None:
    out = p.parse_queue_counters_json("leaf1", "show queue counters --json", text("show_queue_counters.json"))
    assert out["Ethernet0"][3] == {"totalpacket": 52, "totalbytes": 70, "droppacket": 19, "dropbytes": 76}
    assert 10 not in out["Ethernet0"]  # MC10 is a multicast queue
    assert out["Ethernet4"][3] == {"totalpacket": 1041, "droppacket": 0, "dropbytes": 0}  # N/A bytes dropped


def test_wred_counters_ecn_marked() -> None:
    out = p.parse_wred_counters("leaf1", "show queue wredcounters", text("show_queue_wredcounters.txt"))
    assert out == {"Ethernet0": {0: 0, 3: 1234}}


def test_wred_counters_missing_on_old_release_is_unavailable_not_zero() -> None:
    with pytest.raises(p.Unavailable):
        p.parse_wred_counters("leaf1", "show queue wredcounters", text("show_queue_wredcounters_unavailable.txt"))


def test_pg_headroom_watermark() -> None:
    out = p.parse_pg_watermark("leaf1", "show priority-group watermark headroom", text("pg_watermark_headroom.txt"))
    assert out["Ethernet0"][3] == 103


def test_show_version() -> None:
    out = p.parse_show_version("leaf1", "show version", text("show_version.txt"))
    assert out["SONiC Software Version"] == "SONiC.202511.0-roce-twin"
    assert out["HwSKU"] == "Force10-S6000"
    with pytest.raises(ParseError, match="show version"):
        p.parse_show_version("leaf1", "show version", "-bash: show: command not found")


def test_hgetall_python_dict_and_empty() -> None:
    assert p.parse_hgetall("leaf1", "x", "{'profile': 'pg_lossless_400000_5m_profile'}\n") == {
        "profile": "pg_lossless_400000_5m_profile"
    }
    assert p.parse_hgetall("leaf1", "x", "{}\n") == {}


def test_garbage_is_a_parse_error_naming_device_and_command() -> None:
    with pytest.raises(ParseError) as exc:
        p.parse_hgetall("leaf1", "sonic-db-cli APPL_DB hgetall K", "Could not connect to Redis at 127.0.0.1:6379")
    assert "leaf1" in str(exc.value)
    assert "sonic-db-cli APPL_DB hgetall K" in str(exc.value)
    with pytest.raises(ParseError, match="show pfc counters"):
        p.parse_pfc_counters("leaf1", "show pfc counters", "  Port Rx    PFC0\n---------  ------\nEthernet0   lots\n")
    with pytest.raises(ParseError, match="no table"):
        p.parse_pfcwd_stats("leaf1", "pfcwd show stats -e", "Traceback (most recent call last):\n  boom\n")


def test_empty_tables_are_empty_not_errors() -> None:
    assert p.parse_pfcwd_stats("leaf1", "pfcwd show stats -e", "") == {}
    assert p.parse_db_keys("") == []
