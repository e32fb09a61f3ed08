"""sonic-db-cli and sonic-cfggen forms, checked against the real tools' rules and the real mock CONFIG_DB.

sonic-swss-common: redisreply.cpp quotes HGETALL strings with `'...'`, or `"..."` when the text holds a `'`;
HEXISTS is True/False, HMSET True, `DB PING` True and a bare `PING` PONG; `-j` prints the reply's JSON type
compactly (tests/cli_ut.cpp). configdb.h raw_to_typed: `field@` is a list, the `NULL` placeholder is dropped;
typed_to_raw writes them back.
"""

from __future__ import annotations

import json

from real_sonic import mock_twin
from sonic_twin_helpers import leaf, ok


def test_hgetall_quotes_like_redisreply() -> None:
    twin = leaf()
    ok(twin, "sonic-db-cli CONFIG_DB hset 'PORT|Ethernet0' description \"{'value': 'with qute'}\"")
    out = ok(twin, "sonic-db-cli CONFIG_DB hgetall 'PORT|Ethernet0'")
    assert out.endswith(", 'description': \"{'value': 'with qute'}\"}\n")
    assert out.startswith("{'admin_status': 'up', ")
    assert ok(twin, "sonic-db-cli CONFIG_DB hgetall 'NOPE|x'") == "{}\n"


def test_boolean_and_ping_forms() -> None:
    twin = leaf()
    assert ok(twin, "sonic-db-cli PING") == "PONG\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB PING") == "True\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB hexists 'PORT|Ethernet0' nope") == "False\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB hmset 'PORT|Ethernet0' description x") == "True\n"
    assert ok(twin, "sonic-db-cli CONFIG_DB hset 'PORT|Ethernet0' description y") == "0\n"


def test_json_output_is_compact_and_typed() -> None:
    twin = leaf()
    ok(twin, "sonic-db-cli CONFIG_DB hset 'PORT|Ethernet0' description \"va'l\\\"ue\"")
    row = ok(twin, "sonic-db-cli -j CONFIG_DB hgetall 'PORT|Ethernet0'")
    assert row.startswith('{"admin_status":"up",')
    assert row.endswith(',"description":"va\'l\\"ue"}\n')
    assert ok(twin, "sonic-db-cli --json CONFIG_DB hget 'PORT|Ethernet0' nope") == "null\n"
    assert ok(twin, "sonic-db-cli -j CONFIG_DB hexists 'PORT|Ethernet0' mtu") == "1\n"
    assert ok(twin, "sonic-db-cli -j CONFIG_DB keys 'PORT|Ethernet[04]'") == '["PORT|Ethernet0","PORT|Ethernet4"]\n'
    assert ok(twin, "sonic-db-cli -j CONFIG_DB hmset 'PORT|Ethernet0' a b") == '"OK"\n'


def test_print_data_types_list_fields_and_drops_null_placeholders() -> None:
    twin = mock_twin()
    raw = twin.config.hgetall("ACL_TABLE|DATAACL_5")
    assert raw["ports@"] == "Ethernet124"
    doc = json.loads(ok(twin, "sonic-cfggen -d --print-data"))
    assert doc["ACL_TABLE"]["DATAACL_5"]["ports"] == ["Ethernet124"]
    assert len(doc["ACL_TABLE"]["EVERFLOWV6"]["ports"]) == 48
    assert "ports@" not in doc["ACL_TABLE"]["DATAACL_5"]
    assert doc["VLAN_SUB_INTERFACE"]["Ethernet0.10|10.11.12.13/24"] == {}
    table = json.loads(ok(twin, "sonic-cfggen -d --var-json ACL_TABLE"))
    assert table["DATAACL_5"]["ports"] == ["Ethernet124"]


def test_write_to_db_stores_lists_and_empty_entries_in_raw_form() -> None:
    twin = leaf()
    doc = {"ACL_TABLE": {"T1": {"ports": ["Ethernet0", "Ethernet4"], "type": "L3"}}, "VLAN_INTERFACE": {"Vlan2": {}}}
    twin.write_file("/tmp/acl.json", json.dumps(doc).encode())
    ok(twin, "sonic-cfggen -j /tmp/acl.json --write-to-db")
    assert twin.config.hgetall("ACL_TABLE|T1") == {"ports@": "Ethernet0,Ethernet4", "type": "L3"}
    assert twin.config.hgetall("VLAN_INTERFACE|Vlan2") == {"NULL": "NULL"}
    again = json.loads(ok(twin, "sonic-cfggen -d --print-data"))
    assert again["ACL_TABLE"]["T1"]["ports"] == ["Ethernet0", "Ethernet4"]
    assert again["VLAN_INTERFACE"]["Vlan2"] == {}
