"""The pre-flight refuses (or warns) before anything is written, from the gathered state alone.

Verdicts are the ones read in the real sources (see agent/platforms/sonic/releases.py for the commits):
gcu_field_operation_validators.conf.json per release, patch_sorter.py's admin-down rule, pfcwd/main.py."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from agent.intent import DeviceIntent
from agent.platforms.sonic import preflight
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.gather import Section, SonicRaw
from agent.platforms.sonic.patch import plan_ops
from agent.platforms.sonic.releases import capabilities, device_facts, parse_release
from agent.platforms.sonic.render import render
from agent.policy.model import BufferModel

FIXTURES = Path(__file__).parents[3] / "fixtures" / "sonic_platform"
LOOKUP_ROWS = (
    "# speed cable size xon xoff threshold\n 400000 5m 100352 18432 81920 -3\n 400000 40m 120832 18432 102400 -3\n"
)


def live() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / "config_db_leaf1_default.json").read_text())
    return doc


def sections(version: str = "SONiC.20250510.10", lookup: str | None = LOOKUP_ROWS) -> dict[str, Section]:
    out = {"version": Section("version", "show version", f"\nSONiC Software Version: {version}\nASIC: broadcom\n")}
    if lookup is not None:
        out["pg_lookup"] = Section("pg_lookup", "cat ...", lookup)
    return out


def fresh_image(hwsku: str = "Force10-S6000") -> dict[str, Any]:
    """default_pfcwd_status disable, no PFC_WD rows (a community image before `pfcwd start_default`)."""
    cfg = live()
    cfg.pop("PFC_WD", None)
    cfg["DEVICE_METADATA"]["localhost"].update({"default_pfcwd_status": "disable", "hwsku": hwsku})
    return cfg


def check(intent: DeviceIntent, cfg: dict[str, Any], secs: dict[str, Section] | None = None) -> preflight.Preflight:
    secs = sections() if secs is None else secs
    facts = device_facts(cfg, preflight.version_of(secs))
    return preflight.run(intent, cfg, secs, plan_ops(cfg, render(intent, facts)))


@pytest.mark.parametrize("hwsku", ["Force10-S6000", "ACS-MSN2700", "ACS-SN5600", "Arista-7060X6-16PE-384C-B-O128S2"])
def test_fresh_image_pfc_wd_goes_through_the_pfcwd_cli(intent: DeviceIntent, hwsku: str) -> None:
    pf = check(intent, fresh_image(hwsku), sections("SONiC.20251120.01"))
    assert pf.blockers == []
    assert pf.cli_after == [
        "pfcwd start --action drop --restoration-time 400 Ethernet0 Ethernet12 Ethernet4 Ethernet8 200",
        "pfcwd interval 100",
    ]
    assert any("GCU refuses creating it" in w for w in pf.warnings)


def test_after_pfcwd_start_the_patch_carries_the_timers(intent: DeviceIntent) -> None:
    pf = check(intent, live())  # PFC_WD rows and GLOBAL exist: field-level changes GCU allows
    assert pf.cli_after == []
    assert preflight.gcu_operations([{"op": "replace", "path": "/PFC_WD/GLOBAL/POLL_INTERVAL"}], live())


def test_unknown_hwsku_for_the_release_refuses_pfc_wd_changes(intent: DeviceIntent) -> None:
    """Arista-7060X6-16PE-384C-B-O128S2 is in the th5 list only from 202505 (202405 @ced89eb5 lacks it)."""
    pf = check(intent, fresh_image("Arista-7060X6-16PE-384C-B-O128S2"), sections("SONiC.20240510.20"))
    assert len(pf.blockers) == 1, pf.blockers
    assert "refuses every PFC_WD change on HwSKU 'Arista-7060X6-16PE-384C-B-O128S2'" in pf.blockers[0]
    assert "could not roll one back" in pf.blockers[0]


@pytest.mark.parametrize(
    ("version", "tuned"),
    [
        ("SONiC.20221130.05", False),
        ("SONiC.20230531.22", True),
        ("SONiC.20250510.10", True),
        ("SONiC.20251120.01", False),
    ],
)
def test_where_gcu_refuses_new_wred_profiles_the_device_profile_is_tuned(
    intent: DeviceIntent, version: str, tuned: bool
) -> None:
    """202305-202505: only `replace` of green_* on AZURE_LOSSLESS (202505: any profile) passes the validator."""
    cfg = live()
    facts = device_facts(cfg, version)
    ops = plan_ops(cfg, render(intent, facts))
    pf = preflight.run(intent, cfg, sections(version), ops)
    assert pf.blockers == []
    wred = [op for op in ops if op["path"].startswith("/WRED_PROFILE")]
    if tuned:
        assert {op["op"] for op in wred} == {"replace"}
        assert {op["path"] for op in wred} <= {f"/WRED_PROFILE/AZURE_LOSSLESS/{f}" for f in preflight.GREEN_FIELDS}
        assert {op["value"] for op in ops if op["path"] == "/QUEUE/Ethernet0|3/wred_profile"} <= {"AZURE_LOSSLESS"}
    else:
        assert [op["path"] for op in wred] == ["/WRED_PROFILE/ROCE_ECN_3"]


def test_two_ecn_settings_cannot_share_the_one_tunable_profile(intent: DeviceIntent) -> None:
    roce = next(c for c in intent.policy.classes if c.ecn)
    assert roce.ecn is not None
    doubled = {"min_threshold": roce.ecn.min_threshold * 2, "max_threshold": roce.ecn.max_threshold * 2}
    other = roce.model_copy(
        update={"name": "roce2", "priority": 4, "dscp": [30], "ecn": roce.ecn.model_copy(update=doubled)}
    )
    policy = intent.policy.model_copy(update={"classes": [*intent.policy.classes, other]})
    pf = check(intent.model_copy(update={"policy": policy}), live(), sections("SONiC.20230531.22"))
    assert any("2 different ECN settings" in b for b in pf.blockers)


def test_policy_buffer_model_must_match_the_device(intent: DeviceIntent) -> None:
    dynamic = intent.model_copy(
        update={"policy": intent.policy.model_copy(update={"buffer_model": BufferModel.dynamic})}
    )
    pf = check(dynamic, live())
    assert any("dynamic buffer model but DEVICE_METADATA.buffer_model is traditional" in b for b in pf.blockers)


def test_cable_without_a_lookup_row_is_refused_per_port(intent: DeviceIntent) -> None:
    ports = {n: p.model_copy(update={"cable_m": 30}) if n == "Ethernet0" else p for n, p in intent.ports.items()}
    pf = check(intent.model_copy(update={"ports": ports}), live())
    assert [b for b in pf.blockers if "pg_profile_lookup" in b] == [
        "Ethernet0: speed 400000 with a 30m cable has no row in the device's pg_profile_lookup.ini "
        "(traditional model): buffermgrd would create no lossless PG"
    ]


def test_unreadable_lookup_is_a_warning_not_a_guess(intent: DeviceIntent) -> None:
    pf = check(intent, live(), sections(lookup=None))
    assert not [b for b in pf.blockers if "pg_profile_lookup" in b]
    assert any("coverage not checked" in w for w in pf.warnings)


def test_plan_lists_the_ports_gcu_will_flap(intent: DeviceIntent) -> None:
    pf = check(intent, live())
    assert pf.flaps == ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"]
    assert any(w.startswith("disruptive: GCU takes 4 port(s) admin down") for w in pf.warnings)


def test_only_admin_up_ports_flap() -> None:
    cfg = live()
    cfg["PORT"]["Ethernet4"]["admin_status"] = "down"
    del cfg["PORT"]["Ethernet8"]["admin_status"]  # absent = down (portmgrd's default)
    ops = [{"op": "replace", "path": f"/QUEUE/Ethernet{i}|3/scheduler", "value": "x"} for i in (0, 4, 8)]
    ops.append({"op": "replace", "path": "/DSCP_TO_TC_MAP/AZURE/26", "value": "3"})  # map contents: no flap
    assert preflight.flapping_ports(ops, cfg) == ["Ethernet0"]


def test_adapter_plan_raises_with_per_device_reasons_and_shows_cli_steps(intent: DeviceIntent) -> None:
    adapter = SonicAdapter()
    plan = adapter.plan(intent, SonicRaw("leaf1", fresh_image(), sections("SONiC.20251120.01")))
    assert plan.lines[-2:] == [
        "then: sudo pfcwd start --action drop --restoration-time 400 Ethernet0 Ethernet12 Ethernet4 Ethernet8 200",
        "then: sudo pfcwd interval 100",
    ]
    assert plan.disruptive == ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"]
    dynamic = intent.model_copy(
        update={"policy": intent.policy.model_copy(update={"buffer_model": BufferModel.dynamic})}
    )
    with pytest.raises(preflight.PreflightRefused) as refused:
        adapter.plan(dynamic, SonicRaw("leaf1", live(), sections()))
    assert str(refused.value).startswith("leaf1: pre-flight: the policy asks for the dynamic buffer model")
    assert str(refused.value).endswith("Nothing was written.")


def test_a_converged_switch_is_not_refused(intent: DeviceIntent) -> None:
    cfg = live()
    target = copy.deepcopy(cfg)
    facts = device_facts(cfg, "SONiC.20230531.22")
    from agent.platforms.sonic.patch import apply_ops

    target = apply_ops(cfg, plan_ops(cfg, render(intent, facts)))
    plan = SonicAdapter().plan(intent, SonicRaw("leaf1", target, sections("SONiC.20230531.22")))
    assert plan.empty


@pytest.mark.parametrize(
    ("text", "name", "date"),
    [
        ("SONiC.20230531.22", "202305", "20230531"),
        ("SONiC.202511.0-roce-twin", "202511", None),
        ("SONiC.master.921927-18199d73f", "master", None),
        ("", "unknown", None),
    ],
)
def test_release_from_show_version(text: str, name: str, date: str | None) -> None:
    assert parse_release(text) == parse_release(text)  # pure
    rel = parse_release(text)
    assert (rel.name, rel.build_date) == (name, date)


def test_release_by_asic_table_matches_the_real_files() -> None:
    """Rows from gcu_field_operation_validators.conf.json helper_data and scenarios, per release branch."""
    table = {
        (rel, sku): capabilities(parse_release(f"SONiC.{rel}15.01"), sku)
        for rel in ("202211", "202305", "202405", "202505", "202511")
        for sku in ("Force10-S6000", "ACS-SN5600", "Arista-7060X6-16PE-384C-B-O128S2")
    }
    assert table["202305", "Force10-S6000"].asic == "td2"
    assert table["202305", "ACS-SN5600"].asic == "spc4"
    assert table["202405", "Arista-7060X6-16PE-384C-B-O128S2"].asic == "unknown"
    assert table["202505", "Arista-7060X6-16PE-384C-B-O128S2"].asic == "th5"
    assert table["202211", "Force10-S6000"].pfcwd_table_create.allowed  # no validator config on 202211
    assert not any(table[r, s].pfcwd_table_create.allowed for r, s in table if r != "202211")
    releases = ("202211", "202305", "202405", "202505", "202511")
    assert [table[r, "Force10-S6000"].wred_profile_create.allowed for r in releases] == [
        True,
        False,
        False,
        False,
        True,
    ]
    assert [table[r, "Force10-S6000"].pfc_enable_empty.allowed for r in ("202211", "202405", "202505")] == [
        False, False, True
    ]  # fmt: skip
    assert not table["202211", "Force10-S6000"].flex_wred_ecn_queue.allowed
    assert table["202305", "Force10-S6000"].flex_wred_ecn_queue.allowed
    for caps in table.values():
        for rule in (caps.pfcwd_table_create, caps.wred_profile_create, caps.pfc_enable_empty):
            assert rule.source.startswith(("sonic-utilities@", "sonic-buildimage@"))


def test_check_raw_gives_the_same_verdict_as_the_plan(intent: DeviceIntent) -> None:
    raw = SonicRaw("leaf1", fresh_image(), sections("SONiC.20251120.01"))
    verdict = preflight.check_raw(intent, raw)
    plan = SonicAdapter().plan(intent, raw)
    assert verdict.blockers == []
    assert verdict.flaps == plan.disruptive
    assert [f"then: sudo {c}" for c in verdict.cli_after] == [line for line in plan.lines if line.startswith("then:")]
