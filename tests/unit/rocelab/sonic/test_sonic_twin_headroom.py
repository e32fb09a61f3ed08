"""The lab's dynamic-model headroom against every output of SONiC's own headroom Lua (real-sonic/headroom)."""

from __future__ import annotations

import csv

from real_sonic import real_dir

from rocelab.sonic.headroom import ASIC_TABLES, Headroom, headroom

# lua_headroom.csv platform -> the ASIC_TABLE key that platform renders (asic/asic_table.csv)
ASIC_OF = {
    "vs-kvm": "VS-ASIC",
    "spectrum1-msn2700": "MELLANOX-SPECTRUM",
    "spectrum2-msn3700": "MELLANOX-SPECTRUM-2",
    "spectrum2-msn3800": "MELLANOX-SPECTRUM-2",
    "spectrum3-msn4600c": "MELLANOX-SPECTRUM-3",
    "spectrum3-msn4700": "MELLANOX-SPECTRUM-3",
    "spectrum4-sn5600": "MELLANOX-SPECTRUM-4",
    "spectrum5-sn5640": "MELLANOX-SPECTRUM-5",
    "spectrum6-sn6600_ld": "MELLANOX-SPECTRUM-6",
}
BAREFOOT = {"tofino2-as9516_32d"}  # buffer_headroom_barefoot.lua: a different vendor plugin, not in the lab


def test_every_lua_output_is_reproduced() -> None:
    rows = list(csv.DictReader((real_dir("headroom") / "lua_headroom.csv").open(encoding="utf-8")))
    assert {r["platform"] for r in rows} == set(ASIC_OF) | BAREFOOT
    checked = 0
    for row in rows:
        if row["platform"] in BAREFOOT:
            continue
        got = headroom(
            ASIC_TABLES[ASIC_OF[row["platform"]]],
            int(row["speed_mbps"]),
            int(row["cable_m"]),
            int(row["port_mtu"]),
            gearbox_ns=int(row["gearbox_ns"]),
            lanes=int(row["lanes"]),
        )
        assert got == Headroom(int(row["xon"]), int(row["xoff"]), int(row["size"])), row
        checked += 1
    assert checked == 1104


def test_asic_tables_match_the_real_asic_table() -> None:
    rows = csv.DictReader((real_dir("asic") / "asic_table.csv").open(encoding="utf-8"))
    seen = set()
    for row in rows:
        table = ASIC_TABLES[row["asic_table_key"]]
        assert table.cell_size == int(row["cell_size"])
        assert table.pipeline_latency == float(row["pipeline_latency"])
        assert table.mac_phy_delay == float(row["mac_phy_delay"])
        assert table.peer_response_time == float(row["peer_response_time"])
        seen.add(table.key)
    assert seen == set(ASIC_TABLES)
