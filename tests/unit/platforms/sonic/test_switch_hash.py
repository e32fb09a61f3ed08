"""SWITCH_HASH render, the capability pre-flight (refused before writing, naming field and supported
values), and the load-balancing state read back from CONFIG_DB / STATE_DB / APPL_DB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.intent import DeviceIntent
from agent.platforms.sonic import preflight
from agent.platforms.sonic.gather import Section, SonicRaw, state_commands, typed_config_db
from agent.platforms.sonic.normalize import normalize
from agent.platforms.sonic.patch import plan_ops
from agent.platforms.sonic.releases import device_facts
from agent.platforms.sonic.render import render
from agent.policy.load_balancing import LoadBalancing, seed_of_type

from .conftest import FIXTURES, lab_policy, leaf1_intent

CAPS = FIXTURES / "switch_hash"
REAL_STATE_DB = Path(__file__).parents[4].parent / "shared" / "real-sonic" / "mock_tables" / "state_db.json"
ROCE = ["SRC_IP", "DST_IP", "L4_SRC_PORT", "L4_DST_PORT", "IP_PROTOCOL"]


def lb_intent(**section: Any) -> DeviceIntent:
    policy = lab_policy().model_copy(update={"load_balancing": LoadBalancing.model_validate(section)})
    return leaf1_intent(policy)


def live() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / "config_db_leaf1_default.json").read_text())
    return doc


def cap_section(row: dict[str, str] | None) -> Section:
    return Section("switch_capability", "sonic-db-cli STATE_DB hgetall 'SWITCH_CAPABILITY|switch'", repr(row or {}))


def cap(name: str) -> dict[str, str]:
    row: dict[str, str] = json.loads((CAPS / f"{name}.json").read_text())
    return row


def verdict(intent: DeviceIntent, row: dict[str, str] | None, cfg: dict[str, Any] | None = None) -> preflight.Preflight:
    cfg = live() if cfg is None else cfg
    secs = {
        "version": Section("version", "show version", "SONiC Software Version: SONiC.20241110.05\n"),
        "switch_capability": cap_section(row),
    }
    ops = plan_ops(cfg, render(intent, device_facts(cfg, preflight.version_of(secs))))
    return preflight.run(intent, cfg, secs, ops)


def test_render_writes_only_the_fields_the_policy_names_as_yang_lists() -> None:
    cfg = render(lb_intent(ecmp_hash=ROCE, ecmp_hash_algorithm="CRC"))
    assert cfg["SWITCH_HASH"] == {"GLOBAL": {"ecmp_hash": ROCE, "ecmp_hash_algorithm": "CRC"}}
    assert "SWITCH_HASH" not in render(leaf1_intent())  # no load_balancing: the device's hash is left alone
    assert "SWITCH_HASH" not in render(lb_intent(device_type="LeafRouter"))  # a seed is no CONFIG_DB field


def test_plan_adds_a_list_and_converges_on_cfggen_typed_and_redis_shaped_live() -> None:
    intent = lb_intent(ecmp_hash=ROCE, lag_hash=["SRC_IP", "DST_IP"])
    ops = plan_ops(live(), render(intent))
    assert {
        "op": "add",
        "path": "/SWITCH_HASH",
        "value": {"GLOBAL": {"ecmp_hash": ROCE, "lag_hash": ["SRC_IP", "DST_IP"]}},
    } in ops
    redis_shaped = live() | {"SWITCH_HASH": {"GLOBAL": {"ecmp_hash@": ",".join(ROCE), "lag_hash@": "SRC_IP,DST_IP"}}}
    assert not [op for op in plan_ops(typed_config_db(redis_shaped), render(intent)) if "SWITCH_HASH" in op["path"]]


def test_plan_replaces_field_order_and_leaves_an_unnamed_lag_hash() -> None:
    cfg = live() | {"SWITCH_HASH": {"GLOBAL": {"ecmp_hash": ROCE[::-1], "lag_hash": ["DST_MAC"]}}}
    ops = [op for op in plan_ops(cfg, render(lb_intent(ecmp_hash=ROCE))) if "SWITCH_HASH" in op["path"]]
    assert ops == [{"op": "replace", "path": "/SWITCH_HASH/GLOBAL/ecmp_hash", "value": ROCE}]


def test_preflight_passes_what_the_switch_supports() -> None:
    pf = verdict(lb_intent(ecmp_hash=ROCE, ecmp_hash_algorithm="CRC_32LO", lag_hash_algorithm="XOR"), cap("full"))
    assert pf.blockers == []
    assert not [w for w in pf.warnings if "HASH" in w]


def test_preflight_refuses_a_field_the_asic_cannot_hash_naming_what_it_can() -> None:
    pf = verdict(lb_intent(ecmp_hash=ROCE, ecmp_hash_algorithm="CRC_32HI"), cap("no_l4_src_port"))
    assert len(pf.blockers) == 2
    fields, algorithm = pf.blockers
    assert "ecmp_hash: L4_SRC_PORT not supported" in fields
    assert "L4_DST_PORT" in fields.split("LIST:")[1]
    assert "ecmp_hash_algorithm: CRC_32HI not supported" in algorithm
    assert "ECMP_HASH_ALGORITHM: CRC, XOR" in algorithm
    with pytest.raises(preflight.PreflightRefused):
        pf.raise_if_refused()


def test_preflight_refuses_lag_hash_where_the_switch_is_not_lag_hash_capable() -> None:
    pf = verdict(lb_intent(lag_hash=["SRC_IP", "DST_IP"]), cap("no_l4_src_port"))
    assert pf.blockers == ["SWITCH_HASH lag_hash: the switch says LAG_HASH_CAPABLE false"]


def test_preflight_not_enumerable_is_written_with_a_warning() -> None:
    pf = verdict(lb_intent(ecmp_hash=ROCE, ecmp_hash_algorithm="CRC"), cap("not_enumerable"))
    assert pf.blockers == []
    assert any("NATIVE_HASH_FIELD_LIST is N/A" in w for w in pf.warnings)
    assert any("ECMP_HASH_ALGORITHM is N/A" in w for w in pf.warnings)


def test_preflight_refuses_on_the_real_swss_row_without_hash_capability() -> None:
    if not REAL_STATE_DB.exists():
        pytest.skip(f"real SONiC data not found at {REAL_STATE_DB}")
    row = json.loads(REAL_STATE_DB.read_text())["SWITCH_CAPABILITY|switch"]
    pf = verdict(lb_intent(ecmp_hash=ROCE), row)
    assert len(pf.blockers) == 1
    assert "no hash capability" in pf.blockers[0]
    assert verdict(lb_intent(ecmp_hash=ROCE), None).blockers == pf.blockers  # no row at all: the same


def test_preflight_quiet_when_the_hash_is_already_right() -> None:
    cfg = live() | {"SWITCH_HASH": {"GLOBAL": {"ecmp_hash": ROCE}}}
    assert verdict(lb_intent(ecmp_hash=ROCE), None, cfg).blockers == []


def test_gather_reads_capability_seeds_and_ars() -> None:
    names = [n for n, _c in state_commands(live())]
    assert {"switch_capability", "switch_table", "ars_capability"} <= set(names)


def test_normalize_load_balancing_from_the_three_databases() -> None:
    cfg = live() | {"SWITCH_HASH": {"GLOBAL": {"ecmp_hash@": "SRC_IP,DST_IP", "ecmp_hash_algorithm": "XOR"}}}
    cfg["DEVICE_METADATA"]["localhost"]["type"] = "LeafRouter"
    seeds = {"ecmp_hash_seed": "10", "lag_hash_seed": "10", "ecmp_hash_offset": "10", "ordered_ecmp": "true"}
    sections = {
        "switch_capability": cap_section(cap("no_l4_src_port")),
        "switch_table": Section("switch_table", "sonic-db-cli APPL_DB hgetall 'SWITCH_TABLE:switch'", repr(seeds)),
        "ars_capability": Section("ars_capability", "sonic-db-cli STATE_DB keys 'ARS_CAPABILITY_TABLE|*'", "\n"),
    }
    lb = normalize(SonicRaw("leaf1", typed_config_db(cfg), sections)).load_balancing
    assert lb is not None
    assert (lb.ecmp_hash, lb.ecmp_hash_algorithm, lb.lag_hash) == (["SRC_IP", "DST_IP"], "XOR", None)
    assert (lb.ecmp_hash_seed, lb.ecmp_hash_offset, lb.device_type) == (10, 10, "LeafRouter")
    assert lb.supported_fields is not None
    assert "L4_SRC_PORT" not in lb.supported_fields
    assert lb.supported_ecmp_algorithms == ["CRC", "XOR"]
    assert lb.adaptive_routing_supported is False
    assert lb.adaptive_routing_ports == []


def test_an_old_snapshot_without_the_sections_still_normalizes() -> None:
    lb = normalize(SonicRaw("leaf1", live(), {})).load_balancing
    assert lb is not None
    assert lb.ecmp_hash is None
    assert lb.ecmp_hash_seed is None


@pytest.mark.parametrize(
    ("device_type", "namespace", "seed"),
    [
        ("ToRRouter", 0, (0, 0)),
        ("BackEndToRRouter", 0, (0, 0)),
        ("LeafRouter", 0, (10, 10)),
        ("SpineRouter", 0, (25, 0)),
        # switch.json.j2 tests "SpineRouter" in type before its own FabricSpineRouter/UpperSpineRouter branches
        ("FabricSpineRouter", 0, (25, 0)),
        ("UpperSpineRouter", 0, (25, 0)),
        ("LowerRegionalHub", 0, (60, 0)),
        ("UpperRegionalHub", 2, (82, 0)),
        (None, 3, (3, 0)),
    ],
)
def test_seed_of_device_type_as_swss_start_up_renders_it(
    device_type: str | None, namespace: int, seed: tuple[int, int]
) -> None:
    assert seed_of_type(device_type, namespace) == seed


def test_the_redis_read_carries_seeds_capability_and_ars_like_the_show_read() -> None:
    from agent.platforms.sonic.fastread import DbRead

    cfg = live() | {"SWITCH_HASH": {"GLOBAL": {"ecmp_hash@": "SRC_IP,DST_IP"}}}
    read = DbRead(
        {
            "APPL_DB": {"SWITCH_TABLE:switch": {"ecmp_hash_seed": "25", "ecmp_hash_offset": "0"}},
            "STATE_DB": {"SWITCH_CAPABILITY|switch": cap("full"), "ARS_CAPABILITY_TABLE|X|Y": {"get": "true"}},
        }
    )
    raw = SonicRaw("spine1", typed_config_db(cfg), {}, db=read)
    lb = normalize(raw).load_balancing
    assert lb is not None
    assert (lb.ecmp_hash, lb.ecmp_hash_seed, lb.adaptive_routing_supported) == (["SRC_IP", "DST_IP"], 25, True)
    assert preflight.hash_capability("spine1", {}, read).published
