"""`show interfaces status` on the real mock databases, against what scripts/intfutil does with them.

The rules (read in sonic-utilities scripts/intfutil): rows are APPL_DB PORT_TABLE keys that are CONFIG_DB
PORTs, plus one row per PortChannel of PORTCHANNEL_MEMBER; RJ45 ports print 1000 Mb/s as `1000M`; a `Dpc`
role is a DPU port; Vlan is the PortChannel, PORT mode, `trunk` (VLAN_MEMBER) or `routed`.
"""

from __future__ import annotations

from real_sonic import mock_twin
from sonic_twin_helpers import golden, ok

from rocelab.sonic.show import INTF_HEADER


def _rows() -> dict[str, list[str]]:
    lines = ok(mock_twin(), "show interfaces status").splitlines()
    assert lines[0].split() == [w for h in INTF_HEADER for w in h.split()]
    return {line.split()[0]: line.split() for line in lines[2:]}


def test_rows_are_appl_ports_that_config_knows_plus_portchannels() -> None:
    rows = _rows()
    assert "Ethernet200" not in rows  # in APPL_DB PORT_TABLE but not a CONFIG_DB PORT
    assert "Ethernet-IB0" not in rows
    assert "Ethernet4" not in rows  # a CONFIG_DB PORT without an APPL_DB PORT_TABLE row
    assert list(rows)[:3] == ["Ethernet0", "Ethernet16", "Ethernet24"]  # natsorted
    assert [n for n in rows if n.startswith("PortChannel")] == [f"PortChannel000{i}" for i in range(1, 5)] + [
        "PortChannel1001"
    ]


def test_speed_type_and_vlan_columns_follow_intfutil() -> None:
    rows = _rows()
    assert rows["Ethernet28"][2:3] + rows["Ethernet28"][9:10] == ["1000M", "RJ45"]
    assert rows["Ethernet24"][2] == "1G"
    assert "DPU-NPU" in rows["Ethernet24"]
    assert rows["Ethernet36"][2] == "10M"
    assert [rows[p][6] for p in ("Ethernet0", "Ethernet16", "Ethernet32")] == ["routed", "trunk", "PortChannel1001"]
    # a PortChannel without a LAG_TABLE row: N/A oper/admin, speed summed from its member
    assert rows["PortChannel1001"][1:4] == ["N/A", "40G", "9100"]
    assert rows["PortChannel1001"][6:9] == ["trunk", "N/A", "N/A"]


def test_one_interface_and_ranges() -> None:
    assert ok(mock_twin(), "show interfaces status Ethernet32") == golden("show_interfaces_status.txt")
    assert ok(mock_twin(), "intfutil -c status -i Ethernet32") == golden("show_interfaces_status.txt")
    ranged = ok(mock_twin(), "show interfaces status Ethernet112-120").splitlines()[2:]
    assert [line.split()[0] for line in ranged] == ["Ethernet112", "Ethernet116", "Ethernet120"]
    bad = mock_twin().run("show interfaces status Foo1-2", sudo=False)
    assert bad.exit_code == 1
    assert "A range must start with 'Ethernet' or 'PortChannel'" in bad.stderr
