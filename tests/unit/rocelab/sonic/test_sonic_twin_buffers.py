"""buffermgrd on real SKUs: lossless PG/profile from speed, cable and pfc_enable, checked against real tables.

Expected profiles come from shared/real-sonic/skus/<sku>.pg_profile_lookup.ini (traditional) and the
headroom Lua outputs (dynamic); behaviour from sonic-swss cfgmgr/buffermgr.cpp and buffermgrdyn.cpp.
"""

from __future__ import annotations

from real_sonic import real_dir
from sonic_twin_helpers import config, leaf, ok, patch

from rocelab.sonic.headroom import ASIC_TABLES, headroom


def set_cable(twin: object, port: str, cable: str) -> None:
    res = patch(twin, [{"op": "replace", "path": f"/CABLE_LENGTH/AZURE/{port}", "value": cable}])  # type: ignore[arg-type]
    assert res.exit_code == 0, res.stderr


def ini_row(sku: str, speed: int, cable: str) -> dict[str, str]:
    """The real lookup row, as buffermgrd turns it into a BUFFER_PROFILE (threshold -> dynamic_th)."""
    for line in (real_dir("skus") / f"{sku}.pg_profile_lookup.ini").read_text(encoding="utf-8").splitlines():
        cols = line.split()
        if cols and not line.startswith("#") and cols[:2] == [str(speed), cable]:
            row = {"pool": "ingress_lossless_pool", "xon": cols[3]}
            row |= {"xon_offset": cols[6]} if len(cols) > 6 else {}
            return row | {"xoff": cols[4], "size": cols[2], "dynamic_th": cols[5]}
    raise AssertionError(f"no {speed} {cable} row in {sku}")


def test_td2_fresh_image_has_only_lossy_pg_because_cable_is_0m() -> None:
    twin = leaf(sku="Force10-S6000", speed=40_000)
    cfg = config(twin)
    assert set(cfg["CABLE_LENGTH"]["AZURE"].values()) == {"0m"}
    assert sorted(cfg["BUFFER_PG"]) == ["Ethernet0|0", "Ethernet4|0"]  # active (cabled) ports only
    assert not [p for p in cfg["BUFFER_PROFILE"] if p.startswith("pg_lossless")]
    assert "Cable length is set to 0m" in ok(twin, "show logging")


def test_cable_length_creates_the_real_lookup_profile_in_buffermgrd_field_order() -> None:
    twin = leaf(sku="Force10-S6000", speed=100_000)
    set_cable(twin, "Ethernet0", "40m")
    profile = twin.config.hgetall("BUFFER_PROFILE|pg_lossless_100000_40m_profile")
    assert profile == ini_row("Force10-S6000", 100_000, "40m")
    assert list(profile) == ["pool", "xon", "xon_offset", "xoff", "size", "dynamic_th"]
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "pg_lossless_100000_40m_profile"}
    assert "Ethernet4|3-4" not in config(twin)["BUFFER_PG"]
    appl = ok(twin, "sonic-db-cli APPL_DB hgetall BUFFER_PG_TABLE:Ethernet0:3-4")
    assert appl == "{'profile': 'pg_lossless_100000_40m_profile'}\n"


def test_sn5600_boots_with_5m_pgs_from_its_own_table() -> None:
    twin = leaf(sku="ACS-SN5600")
    assert twin.config.hgetall("BUFFER_PROFILE|pg_lossless_400000_5m_profile") == ini_row("ACS-SN5600", 400_000, "5m")
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "pg_lossless_400000_5m_profile"}
    set_cable(twin, "Ethernet0", "40m")
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "pg_lossless_400000_40m_profile"}
    assert twin.config.hgetall("BUFFER_PROFILE|pg_lossless_400000_40m_profile") == ini_row("ACS-SN5600", 400_000, "40m")


def test_th5_profile_uses_its_real_400g_row() -> None:
    twin = leaf(sku="Arista-7060X6-16PE-384C-B-O128S2")
    assert twin.config.hgetall("BUFFER_PROFILE|pg_lossless_400000_5m_profile") == ini_row(
        "Arista-7060X6-16PE-384C-B-O128S2", 400_000, "5m"
    )


def test_pfc_enable_change_adds_the_new_run_and_keeps_the_old_pg_like_buffermgrd() -> None:
    twin = leaf(sku="ACS-SN5600")
    ok(twin, "config interface pfc priority Ethernet0 4 off", sudo=True)
    pgs = sorted(k for k in config(twin)["BUFFER_PG"] if k.startswith("Ethernet0|"))
    assert pgs == ["Ethernet0|0", "Ethernet0|3", "Ethernet0|3-4"]  # buffermgr.cpp never removes a lossless PG
    ok(twin, "sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet4' pfc_enable '2,3,4,6'")
    pgs = sorted(k for k in config(twin)["BUFFER_PG"] if k.startswith("Ethernet4|"))
    assert pgs == ["Ethernet4|0", "Ethernet4|2-4", "Ethernet4|3-4", "Ethernet4|6"]


def test_unknown_speed_cable_pair_creates_nothing_and_logs_like_buffermgrd() -> None:
    twin = leaf(sku="Force10-S6000")  # 400G ports: TD2's table stops at 100G
    set_cable(twin, "Ethernet0", "40m")
    assert "Ethernet0|3-4" not in config(twin)["BUFFER_PG"]
    log = ok(twin, "show logging")
    assert "Unable to create/update PG profile for port Ethernet0. No PG profile configured for speed 400000" in log


def test_mellanox_admin_down_port_gives_its_lossless_pg_back() -> None:
    twin = leaf(sku="ACS-SN5600")
    assert "Ethernet0|3-4" in config(twin)["BUFFER_PG"]
    ok(twin, "config interface shutdown Ethernet0", sudo=True)
    assert "Ethernet0|3-4" not in config(twin)["BUFFER_PG"]
    assert "which is administrative down" in ok(twin, "show logging")
    ok(twin, "config interface startup Ethernet0", sudo=True)
    assert "Ethernet0|3-4" in config(twin)["BUFFER_PG"]


def test_buffermgrd_overwrites_custom_pg_on_next_port_event_only() -> None:
    twin = leaf(sku="ACS-SN5600")
    ok(twin, "sonic-db-cli CONFIG_DB hset 'BUFFER_PG|Ethernet0|3-4' profile ingress_lossy_profile")
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"]["profile"] == "ingress_lossy_profile"
    ok(twin, "config interface mtu Ethernet0 9000", sudo=True)  # not an input of the traditional daemon
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"]["profile"] == "ingress_lossy_profile"
    ok(twin, "sonic-db-cli CONFIG_DB hset 'PORT|Ethernet0' speed 200000")
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"]["profile"] == "pg_lossless_200000_5m_profile"


def test_dynamic_model_keeps_null_in_config_db_and_calculates_appl_db_profile() -> None:
    twin = leaf(model="dynamic", sku="Mellanox-SN4600C-C64", speed=100_000)
    cfg = config(twin)
    assert cfg["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "NULL"}
    assert "size" not in cfg["BUFFER_POOL"]["ingress_lossless_pool"]
    set_cable(twin, "Ethernet0", "40m")
    expected = headroom(ASIC_TABLES["MELLANOX-SPECTRUM-3"], 100_000, 40, 9100)
    row = twin.appl.hgetall("BUFFER_PROFILE_TABLE:pg_lossless_100000_40m_profile")
    assert row == {
        "xon": str(expected.xon),
        "xoff": str(expected.xoff),
        "size": str(expected.size),
        "pool": "ingress_lossless_pool",
        "dynamic_th": "0",
    }
    assert twin.appl.hgetall("BUFFER_PG_TABLE:Ethernet0:3-4") == {"profile": "pg_lossless_100000_40m_profile"}
    ok(twin, "config interface mtu Ethernet0 4096", sudo=True)
    assert twin.appl.hgetall("BUFFER_PG_TABLE:Ethernet0:3-4") == {"profile": "pg_lossless_100000_40m_mtu4096_profile"}


def test_dynamic_sn5600_8_lane_ports_double_xon_and_name_the_profile() -> None:
    twin = leaf(model="dynamic", sku="ACS-SN5600")
    assert twin.config.hget("PORT|Ethernet0", "lanes") == "0,1,2,3,4,5,6,7"
    expected = headroom(ASIC_TABLES["MELLANOX-SPECTRUM-4"], 400_000, 5, 9100, lanes=8)
    row = twin.appl.hgetall("BUFFER_PROFILE_TABLE:pg_lossless_400000_5m_8lane_profile")
    assert (row["xon"], row["xoff"], row["size"]) == (str(expected.xon), str(expected.xoff), str(expected.size))
    assert expected.xon == 2 * 19 * 1024


def test_dynamic_model_pool_size_shrinks_by_calculated_headroom() -> None:
    twin = leaf(model="dynamic", sku="Mellanox-SN4600C-C64", speed=100_000)
    full = int(twin.appl.hget("BUFFER_POOL_TABLE:ingress_lossless_pool", "size") or "0")
    set_cable(twin, "Ethernet0", "40m")
    size = int(twin.appl.hget("BUFFER_PROFILE_TABLE:pg_lossless_100000_40m_profile", "size") or "0")
    old = int(twin.appl.hget("BUFFER_PROFILE_TABLE:pg_lossless_100000_5m_profile", "size") or "0")
    after = int(twin.appl.hget("BUFFER_POOL_TABLE:ingress_lossless_pool", "size") or "0")
    assert full - after == 2 * (size - old)  # PG 3-4 reserves headroom for two priorities
