"""buffermgrd behaviour: lossless PG/profile from speed, cable, pfc_enable (reference sonic.md §1.5)."""

from __future__ import annotations

from sonic_twin_helpers import config, leaf, ok, patch

from agent.policy.headroom import dynamic_headroom


def set_cable(twin: object, port: str, cable: str) -> None:
    res = patch(twin, [{"op": "replace", "path": f"/CABLE_LENGTH/AZURE/{port}", "value": cable}])  # type: ignore[arg-type]
    assert res.exit_code == 0, res.stderr


def test_fresh_image_has_only_lossy_pg_because_cable_is_0m() -> None:
    cfg = config(leaf())
    assert set(cfg["CABLE_LENGTH"]["AZURE"].values()) == {"0m"}
    assert sorted(cfg["BUFFER_PG"]) == ["Ethernet0|0", "Ethernet12|0", "Ethernet4|0", "Ethernet8|0"]
    assert not [p for p in cfg["BUFFER_PROFILE"] if p.startswith("pg_lossless")]


def test_setting_cable_length_creates_lookup_profile_and_pg_in_config_and_appl_db() -> None:
    twin = leaf(speed=100_000)
    set_cable(twin, "Ethernet0", "40m")
    cfg = config(twin)
    assert cfg["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "pg_lossless_100000_40m_profile"}
    assert cfg["BUFFER_PROFILE"]["pg_lossless_100000_40m_profile"] == {
        "dynamic_th": "-3",
        "pool": "ingress_lossless_pool",
        "size": "56368",
        "xoff": "55120",
        "xon": "18432",
        "xon_offset": "2496",
    }
    assert "Ethernet4|3-4" not in cfg["BUFFER_PG"]
    appl = ok(twin, "sonic-db-cli APPL_DB hgetall BUFFER_PG_TABLE:Ethernet0:3-4")
    assert appl == "{'profile': 'pg_lossless_100000_40m_profile'}\n"
    assert "BUFFER_PROFILE_TABLE:pg_lossless_100000_40m_profile" in ok(twin, "sonic-db-cli APPL_DB keys '*PROFILE*'")


def test_400g_rows_and_pfc_enable_change_rekeys_the_pg() -> None:
    twin = leaf()
    set_cable(twin, "Ethernet0", "5m")
    assert config(twin)["BUFFER_PROFILE"]["pg_lossless_400000_5m_profile"]["xoff"] == "81920"
    ok(twin, "config interface pfc priority Ethernet0 4 off", sudo=True)
    pgs = sorted(k for k in config(twin)["BUFFER_PG"] if k.startswith("Ethernet0|"))
    assert pgs == ["Ethernet0|0", "Ethernet0|3"]
    ok(twin, "config interface pfc priority Ethernet0 3 off", sudo=True)
    assert sorted(k for k in config(twin)["BUFFER_PG"] if k.startswith("Ethernet0|")) == ["Ethernet0|0"]


def test_unknown_speed_cable_pair_creates_nothing_and_logs_like_buffermgrd() -> None:
    twin = leaf()
    set_cable(twin, "Ethernet0", "7m")
    assert "Ethernet0|3-4" not in config(twin)["BUFFER_PG"]
    assert "No PG profile configured for speed 400000 and cable length 7m" in ok(twin, "show logging")


def test_speed_change_via_db_cli_regenerates_profile() -> None:
    twin = leaf()
    set_cable(twin, "Ethernet0", "40m")
    ok(twin, "sonic-db-cli CONFIG_DB hset 'PORT|Ethernet0' speed 100000")
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "pg_lossless_100000_40m_profile"}


def test_buffermgrd_overwrites_custom_profile_on_next_port_event_only() -> None:
    twin = leaf()
    set_cable(twin, "Ethernet0", "40m")
    ok(twin, "sonic-db-cli CONFIG_DB hset 'BUFFER_PG|Ethernet0|3-4' profile ingress_lossy_profile")
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"]["profile"] == "ingress_lossy_profile"
    ok(twin, "config interface mtu Ethernet0 9000", sudo=True)
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"]["profile"] == "pg_lossless_400000_40m_profile"


def test_dynamic_model_keeps_null_in_config_db_and_calculates_appl_db_profile() -> None:
    twin = leaf(model="dynamic")
    cfg = config(twin)
    assert cfg["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "NULL"}
    assert "size" not in cfg["BUFFER_POOL"]["ingress_lossless_pool"]
    assert ok(twin, "sonic-db-cli APPL_DB keys 'BUFFER_PG_TABLE:Ethernet0:3-4'") == "\n"  # 0m: no PG (empty array)
    set_cable(twin, "Ethernet0", "40m")
    expected = dynamic_headroom(400_000, 40, 9100, asic="vs")
    row = twin.appl.hgetall("BUFFER_PROFILE_TABLE:pg_lossless_400000_40m_profile")
    assert (row["xon"], row["xoff"], row["size"]) == (str(expected.xon), str(expected.xoff), str(expected.size))
    assert twin.appl.hgetall("BUFFER_PG_TABLE:Ethernet0:3-4") == {"profile": "pg_lossless_400000_40m_profile"}
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "NULL"}
    ok(twin, "config interface mtu Ethernet0 4096", sudo=True)
    assert twin.appl.hgetall("BUFFER_PG_TABLE:Ethernet0:3-4") == {"profile": "pg_lossless_400000_40m_mtu4096_profile"}


def test_dynamic_model_pool_size_shrinks_by_calculated_headroom() -> None:
    twin = leaf(model="dynamic")
    full = int(twin.appl.hget("BUFFER_POOL_TABLE:ingress_lossless_pool", "size") or "0")
    set_cable(twin, "Ethernet0", "40m")
    size = int(twin.appl.hget("BUFFER_PROFILE_TABLE:pg_lossless_400000_40m_profile", "size") or "0")
    after = int(twin.appl.hget("BUFFER_POOL_TABLE:ingress_lossless_pool", "size") or "0")
    assert full - after == 2 * size  # PG 3-4 reserves headroom for two priorities
    assert twin.appl.hget("BUFFER_POOL_TABLE:egress_lossless_pool", "size") == "12766208"  # configured, kept
