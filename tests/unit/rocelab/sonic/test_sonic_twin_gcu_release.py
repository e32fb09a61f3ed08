"""The twin's GCU does what real GCU of each release does for each HwSKU: field-operation validators, the
release's YANG, the ports its sorter flaps and the time each change costs.

Expected verdicts come from reading sonic-utilities generic_config_updater/ (gu_common.py
validate_field_operation, field_operation_validators.py, gcu_field_operation_validators.conf.json) at the
release branch heads 202211 @91afc437, 202305 @86aa8c46, 202405 @ced89eb5, 202505 @7511bf2f, master @691b1bbc,
and sonic-buildimage yang-models at 202211 @1a8b0411, 202405 @cfc766e1, master @086b03bd.
"""

from __future__ import annotations

from typing import Any

import pytest
from sonic_twin_helpers import config, leaf, ok, patch

from rocelab.sonic import SonicTwin

SKUS = {  # HwSKU -> DEVICE_METADATA asic_type as sonic_version.yml says on that hardware
    "Force10-S6000": "broadcom",  # td2
    "ACS-MSN2700": "mellanox",  # spc1
    "ACS-SN5600": "mellanox",  # spc4
    "Arista-7060X6-16PE-384C-B-O128S2": "broadcom",  # th5
}
PFC_WD_ROWS = {
    "GLOBAL": {"POLL_INTERVAL": "200"},
    "Ethernet0": {"action": "drop", "detection_time": "200", "restoration_time": "400"},
}


def fresh_image(hwsku: str, version: str) -> SonicTwin:
    """A community image's first boot: default_pfcwd_status disable and no PFC_WD rows at all."""
    twin = leaf(cabled=4)  # every port cabled, so every port has its PORT_QOS_MAP row
    twin.sonic_version, twin.asic_type = version, SKUS[hwsku]
    twin.gcu.change_cost_s = 0.0
    twin.config.hset("DEVICE_METADATA|localhost", {"hwsku": hwsku, "default_pfcwd_status": "disable"})
    for key in [k for k in twin.config.rows if k.startswith("PFC_WD|")]:
        twin.config.delete(key)
    if "20221130" in version:  # a 202211 image has no WRED_ECN_QUEUE group (its YANG has no such container)
        twin.config.delete("FLEX_COUNTER_TABLE|WRED_ECN_QUEUE")
    return twin


def add_pfc_wd() -> list[dict[str, Any]]:
    return [{"op": "add", "path": "/PFC_WD", "value": PFC_WD_ROWS}]


@pytest.mark.parametrize("hwsku", list(SKUS))
def test_creating_pfc_wd_on_a_fresh_image_is_illegal_on_every_sku(hwsku: str) -> None:
    twin = fresh_image(hwsku, "SONiC.20250510.10")
    res = patch(twin, add_pfc_wd())
    assert res.exit_code == 2
    assert res.stderr.startswith(
        "Failed to apply patch due to: Modification of PFC_WD table is illegal- validating function "
        "generic_config_updater.field_operation_validators.rdma_config_update_validator returned False"
    )
    assert "PFC_WD" not in config(twin)


@pytest.mark.parametrize("hwsku", list(SKUS))
def test_after_pfcwd_start_the_timer_changes_are_accepted(hwsku: str) -> None:
    twin = fresh_image(hwsku, "SONiC.20250510.10")
    ok(twin, "pfcwd start --action drop --restoration-time 200 Ethernet0 Ethernet4 200", sudo=True)
    ok(twin, "pfcwd interval 200", sudo=True)
    ops = [
        {"op": "replace", "path": "/PFC_WD/Ethernet0/restoration_time", "value": "400"},
        {"op": "replace", "path": "/PFC_WD/GLOBAL/POLL_INTERVAL", "value": "100"},
    ]
    res = patch(twin, ops)
    assert res.exit_code == 0, res.stderr
    assert config(twin)["PFC_WD"]["Ethernet0"]["restoration_time"] == "400"


def test_adding_the_global_row_alone_is_illegal_too() -> None:
    """make_patch gives `add /PFC_WD/GLOBAL {"POLL_INTERVAL": ...}`: the field "global/POLL_INTERVAL" keeps
    the key's case while the list has "global/poll_interval", so even that is refused."""
    twin = fresh_image("Force10-S6000", "SONiC.20250510.10")
    ok(twin, "pfcwd start --action drop --restoration-time 200 Ethernet0 200", sudo=True)
    res = patch(twin, [{"op": "add", "path": "/PFC_WD/GLOBAL", "value": {"POLL_INTERVAL": "200"}}])
    assert res.exit_code == 2
    assert "Modification of PFC_WD table is illegal" in res.stderr


def test_202211_has_no_validators_and_accepts_creating_pfc_wd() -> None:
    twin = fresh_image("Force10-S6000", "SONiC.20221130.05")
    res = patch(twin, add_pfc_wd())
    assert res.exit_code == 0, res.stderr


def test_a_hwsku_the_release_does_not_list_is_refused_every_pfc_wd_change() -> None:
    """Arista-7060X6-16PE-384C-B-O128S2 enters the th5 list on 202505: on 202405 its ASIC is "unknown"."""
    twin = fresh_image("Arista-7060X6-16PE-384C-B-O128S2", "SONiC.20240510.20")
    ok(twin, "pfcwd start --action drop --restoration-time 200 Ethernet0 200", sudo=True)
    res = patch(twin, [{"op": "replace", "path": "/PFC_WD/Ethernet0/restoration_time", "value": "400"}])
    assert res.exit_code == 2
    assert "Modification of PFC_WD table is illegal" in res.stderr


ROCE_WRED = {"ecn": "ecn_all", "wred_green_enable": "true", "green_min_threshold": "150000"}
ROCE_WRED |= {"green_max_threshold": "1500000", "green_drop_probability": "10"}


@pytest.mark.parametrize(
    ("version", "refused"),
    [
        ("SONiC.20221130.05", False),  # no validator config
        ("SONiC.20230531.22", True),  # rdma validator: only azure_lossless/green_* replace
        ("SONiC.20240510.20", True),
        ("SONiC.20250510.10", True),  # wred_profile validator: green_* replace on any profile
        ("SONiC.20251120.01", False),  # WRED_PROFILE dropped from the config
        ("SONiC.master.1234-abcdef", False),
    ],
)
def test_a_new_wred_profile_per_release_on_td2(version: str, refused: bool) -> None:
    twin = fresh_image("Force10-S6000", version)
    res = patch(twin, [{"op": "add", "path": "/WRED_PROFILE/ROCE_ECN_3", "value": ROCE_WRED}])
    assert (res.exit_code == 2) is refused, res.stderr
    if refused:
        assert "Modification of WRED_PROFILE table is illegal" in res.stderr


@pytest.mark.parametrize(("version", "accepted"), [("SONiC.20230531.22", True), ("SONiC.20250510.10", True)])
def test_green_threshold_of_azure_lossless_stays_tunable(version: str, accepted: bool) -> None:
    twin = fresh_image("Force10-S6000", version)
    res = patch(twin, [{"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_min_threshold", "value": "2000"}])
    assert (res.exit_code == 0) is accepted, res.stderr


@pytest.mark.parametrize(
    ("version", "accepted"),
    [("SONiC.20221130.05", False), ("SONiC.20240510.20", False), ("SONiC.20250510.10", True)],
)
def test_empty_pfc_enable_per_release_yang(version: str, accepted: bool) -> None:
    """sonic-port-qos-map.yang: `[0-7](,[0-7])*` up to 202411, `([0-7](,[0-7])*)?` from 202505."""
    twin = fresh_image("Force10-S6000", version)
    res = patch(twin, [{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet8/pfc_enable", "value": ""}])
    assert (res.exit_code == 0) is accepted, res.stderr
    if not accepted:
        assert "does not match pattern [0-7](,[0-7])*" in res.stderr
    removed = patch(twin, [{"op": "remove", "path": "/PORT_QOS_MAP/Ethernet8/pfc_enable"}])
    assert removed.exit_code == 0, removed.stderr  # removing the field works on every release


@pytest.mark.parametrize(("version", "accepted"), [("SONiC.20221130.05", False), ("SONiC.20230531.22", True)])
def test_wred_ecn_queue_flex_counter_key_per_release(version: str, accepted: bool) -> None:
    twin = fresh_image("Force10-S6000", version)
    ops = [{"op": "add", "path": "/FLEX_COUNTER_TABLE/WRED_ECN_QUEUE", "value": {"FLEX_COUNTER_STATUS": "enable"}}]
    res = patch(twin, ops)
    assert (res.exit_code == 0) is accepted, res.stderr


def test_gcu_flaps_each_port_whose_qos_rows_change_one_port_at_a_time() -> None:
    """patch_sorter.py RequiredValueIdentifier: PORT_QOS_MAP|p and QUEUE|p|* need PORT|p admin down."""
    twin = leaf(ports=4)
    twin.gcu.change_cost_s = 0.0
    seen: list[tuple[str, str]] = []
    inner = twin.gcu.on_change

    def record() -> None:
        inner()
        appl = twin.appl.table("PORT_TABLE")
        seen.append((appl["Ethernet0"]["oper_status"], appl["Ethernet4"]["oper_status"]))

    twin.gcu.on_change = record
    ops = [
        {"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable", "value": "3"},
        {"op": "replace", "path": "/QUEUE/Ethernet4|3/scheduler", "value": "scheduler.0"},
        {"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_min_threshold", "value": "2000"},
    ]
    dry = patch(twin, ops, dry_run=True)
    assert '"path": "/PORT/Ethernet0/admin_status", "value": "down"' in dry.stdout
    res = patch(twin, ops)
    assert res.exit_code == 0, res.stderr
    assert ("down", "up") in seen
    assert ("up", "down") in seen
    assert ("down", "down") not in seen  # never both at once
    assert seen[-1] == ("up", "up")
    events = [text for _, text in twin.syslog if "admin status" in text]
    assert events == [
        f"NOTICE swss#orchagent: :- doPortTask: Set port {p} admin status to {s}"
        for p in ("Ethernet0", "Ethernet4")
        for s in ("down", "up")
    ]


def test_map_contents_and_wred_thresholds_change_without_a_flap() -> None:
    twin = leaf()
    twin.gcu.change_cost_s = 0.0
    ops = [
        {"op": "replace", "path": "/DSCP_TO_TC_MAP/AZURE/26", "value": "3"},
        {"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_min_threshold", "value": "2000"},
        {"op": "replace", "path": "/SCHEDULER/scheduler.1/weight", "value": "50"},
        {"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "9000"},
    ]
    res = patch(twin, ops)
    assert res.exit_code == 0, res.stderr
    assert "admin_status" not in res.stdout


def test_each_change_costs_time_on_the_switch() -> None:
    twin = leaf()
    twin.gcu.change_cost_s = 0.5
    ops = [{"op": "replace", "path": f"/PORT/Ethernet{4 * i}/mtu", "value": "9000"} for i in range(3)]
    assert patch(twin, ops).delay_s == pytest.approx(1.5)
    assert patch(twin, ops, dry_run=True).delay_s == 0.0
