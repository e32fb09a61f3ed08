"""The twin's SWITCH_HASH (GCU + YANG per release), SWITCH_CAPABILITY per SKU and the seeds swss starts
with, compared with values worked out from the real sources (sonic-hash.yang per release branch,
switch.json.j2, switch_capabilities.cpp) — never with the agent's own tables."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from sonic_twin_helpers import config, leaf, ok, patch

from rocelab.sonic.switch_hash import check_switch_hash, switch_table_row

ROCE = ["SRC_IP", "DST_IP", "L4_SRC_PORT", "L4_DST_PORT", "IP_PROTOCOL"]


def hgetall(twin: Any, db: str, key: str) -> dict[str, str]:
    value: dict[str, str] = ast.literal_eval(ok(twin, f"sonic-db-cli {db} hgetall '{key}'").strip())
    return value


def test_apply_patch_writes_a_leaf_list_in_redis_shape_and_cfggen_reads_it_back() -> None:
    twin = leaf()
    entry = {"ecmp_hash": ROCE, "ecmp_hash_algorithm": "CRC"}
    ops = [{"op": "add", "path": "/SWITCH_HASH", "value": {"GLOBAL": entry}}]
    res = patch(twin, ops)
    assert res.exit_code == 0, res.stderr or res.stdout
    redis = {"ecmp_hash@": ",".join(ROCE), "ecmp_hash_algorithm": "CRC"}
    assert hgetall(twin, "CONFIG_DB", "SWITCH_HASH|GLOBAL") == redis
    assert config(twin)["SWITCH_HASH"]["GLOBAL"]["ecmp_hash"] == ROCE  # cfggen prints the typed view
    again = patch(twin, [{"op": "replace", "path": "/SWITCH_HASH/GLOBAL/ecmp_hash", "value": ROCE[::-1]}])
    assert again.exit_code == 0, again.stderr or again.stdout
    assert hgetall(twin, "CONFIG_DB", "SWITCH_HASH|GLOBAL")["ecmp_hash@"] == ",".join(ROCE[::-1])


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ({"ecmp_hash": ["SRC_IP", "L4_SPORT"]}, "'L4_SPORT' is not a hash-field"),
        ({"ecmp_hash": ["SRC_IP", "SRC_IP"]}, "each value once"),
        ({"ecmp_hash": "SRC_IP,DST_IP"}, "leaf-list"),
        ({"ecmp_hash_algorithm": "CRC32"}, "not a hash-algorithm"),
        ({"ecmp_seed": "5"}, "unknown leaf"),
    ],
)
def test_gcu_refuses_what_sonic_hash_yang_refuses_and_writes_nothing(entry: dict[str, Any], needle: str) -> None:
    twin = leaf()
    res = patch(twin, [{"op": "add", "path": "/SWITCH_HASH", "value": {"GLOBAL": entry}}])
    assert res.exit_code != 0
    assert needle in res.stdout + res.stderr
    assert "SWITCH_HASH" not in config(twin)


@pytest.mark.parametrize(
    ("release", "entry", "allowed"),
    [
        ("202211", {"ecmp_hash": ["SRC_IP"]}, False),  # sonic-hash.yang is not on the 202211 branch
        ("202305", {"ecmp_hash": ["SRC_IP"]}, True),
        ("202305", {"ecmp_hash_algorithm": "CRC"}, False),  # algorithms: 202311 (#17079)
        ("202311", {"ecmp_hash_algorithm": "CRC"}, True),
        ("202411", {"lag_hash": ["IPV6_FLOW_LABEL"]}, False),  # IPV6_FLOW_LABEL: 202505 (#21522)
        ("202505", {"lag_hash": ["IPV6_FLOW_LABEL"]}, True),
    ],
)
def test_yang_per_release_branch(release: str, entry: dict[str, Any], allowed: bool) -> None:
    if allowed:
        check_switch_hash("GLOBAL", entry, "SWITCH_HASH|GLOBAL", release)
    else:
        with pytest.raises(ValueError, match="SWITCH_HASH"):
            check_switch_hash("GLOBAL", entry, "SWITCH_HASH|GLOBAL", release)


def test_state_db_publishes_the_hash_capability_per_sku() -> None:
    twin = leaf()
    full = hgetall(twin, "STATE_DB", "SWITCH_CAPABILITY|switch")
    assert "L4_SRC_PORT" in full["HASH|NATIVE_HASH_FIELD_LIST"].split(",")
    algorithms = ["CRC", "XOR", "RANDOM", "CRC_32LO", "CRC_32HI", "CRC_CCITT", "CRC_XOR"]
    assert full["ECMP_HASH_ALGORITHM"].split(",") == algorithms
    ok(twin, "sonic-db-cli CONFIG_DB hset 'DEVICE_METADATA|localhost' hwsku twin-no-l4-src-port")
    narrow = hgetall(twin, "STATE_DB", "SWITCH_CAPABILITY|switch")
    assert "L4_SRC_PORT" not in narrow["HASH|NATIVE_HASH_FIELD_LIST"].split(",")
    assert narrow["LAG_HASH_ALGORITHM"] == "N/A"


def test_seeds_follow_the_device_type_at_swss_start_not_on_a_write() -> None:
    twin = leaf()  # the twin's fresh image is a LeafRouter
    seeds = hgetall(twin, "APPL_DB", "SWITCH_TABLE:switch")
    assert (seeds["ecmp_hash_seed"], seeds["ecmp_hash_offset"], seeds["ordered_ecmp"]) == ("10", "10", "true")
    ok(twin, "sonic-db-cli CONFIG_DB hset 'DEVICE_METADATA|localhost' type SpineRouter")
    assert hgetall(twin, "APPL_DB", "SWITCH_TABLE:switch")["ecmp_hash_seed"] == "10"  # swss has not restarted
    ok(twin, "config save -y", sudo=True)
    ok(twin, "config reload -y", sudo=True)
    after = hgetall(twin, "APPL_DB", "SWITCH_TABLE:switch")
    assert (after["ecmp_hash_seed"], after["ecmp_hash_offset"], after["ordered_ecmp"]) == ("25", "0", "false")


@pytest.mark.parametrize(
    ("meta", "seed", "offset"),
    [
        ({"type": "ToRRouter"}, "0", "0"),
        ({"type": "LeafRouter"}, "10", "10"),
        ({"type": "SpineRouter"}, "25", "0"),
        ({"type": "FabricSpineRouter"}, "25", "0"),  # "SpineRouter" in "FabricSpineRouter": the earlier branch
        ({"type": "UpperSpineRouter"}, "25", "0"),
        ({"type": "UpperRegionalHub", "namespace_id": "2"}, "82", "0"),
        ({"type": "MgmtTsToR"}, "0", "0"),
        ({}, "0", "0"),
    ],
)
def test_switch_table_as_switch_json_j2_renders_it(meta: dict[str, str], seed: str, offset: str) -> None:
    row = switch_table_row(meta)
    assert (row["ecmp_hash_seed"], row["lag_hash_seed"], row["ecmp_hash_offset"], row["lag_hash_offset"]) == (
        seed,
        seed,
        offset,
        offset,
    )


def test_chassis_and_dpu_variants() -> None:
    assert "ecmp_hash_offset" not in switch_table_row({"type": "SpineRouter", "switch_type": "chassis-packet"})
    assert switch_table_row({"type": "SpineRouter", "switch_type": "dpu"}) == {}
