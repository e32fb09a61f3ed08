"""GCU semantics of the twin: YANG-like refusal writes nothing, dry-run writes nothing, non-atomic apply,
checkpoint/rollback repairs a partial apply (reference lossless-engineering.md §3.2, sonic.md §2.3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sonic_twin_helpers import config, golden, leaf, ok, patch, start_watchdog

ROCE_PROFILE = {
    "ecn": "ecn_green",
    "wred_green_enable": "true",
    "green_min_threshold": "150000",
    "green_max_threshold": "1500000",
    "green_drop_probability": "10",
}


def test_valid_patch_applies_and_prints_gcu_success() -> None:
    twin = leaf()
    res = patch(
        twin,
        [
            {"op": "add", "path": "/WRED_PROFILE/ROCE_LOSSLESS", "value": ROCE_PROFILE},
            {"op": "replace", "path": "/QUEUE/Ethernet0|3/wred_profile", "value": "ROCE_LOSSLESS"},
            {"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable", "value": "3"},
        ],
    )
    assert res.exit_code == 0
    assert res.stdout.endswith("Patch applied successfully.\n")
    cfg = config(twin)
    assert cfg["QUEUE"]["Ethernet0|3"]["wred_profile"] == "ROCE_LOSSLESS"
    assert cfg["PORT_QOS_MAP"]["Ethernet0"]["pfc_enable"] == "3"


@pytest.mark.parametrize(
    ("ops", "needle"),
    [
        ([{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable", "value": "3,9"}], "pfc_enable"),
        ([{"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "9300"}], "68..9216"),
        ([{"op": "replace", "path": "/CABLE_LENGTH/AZURE/Ethernet0", "value": "40"}], "[0-9]+m"),
        ([{"op": "replace", "path": "/QUEUE/Ethernet0|3/wred_profile", "value": "NOPE"}], "leafref 'NOPE'"),
        ([{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/dscp_to_tc_map", "value": "ROCE"}], "DSCP_TO_TC_MAP"),
        ([{"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_min_threshold", "value": "3000000"}], ">="),
        ([{"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_drop_probability", "value": "101"}], "0..100"),
        (
            [{"op": "add", "path": "/DSCP_TO_TC_MAP/AZURE/64", "value": "3"}],
            "does not match pattern 6[0-3]|[1-5][0-9]?|[0-9]?",
        ),
        ([{"op": "replace", "path": "/PFC_WD/Ethernet0/detection_time", "value": "50"}], "100..5000"),
        ([{"op": "add", "path": "/PORT_QOS_MAP/Ethernet0,Ethernet4", "value": {"pfc_enable": "3"}}], "one port"),
        ([{"op": "remove", "path": "/SCHEDULER/scheduler.1"}], "SCHEDULER"),
        ([{"op": "replace", "path": "/BUFFER_POOL/ingress_lossless_pool/size", "value": "1"}], "BUFFER_POOL table"),
        ([{"op": "replace", "path": "/BUFFER_PROFILE/ingress_lossy_profile/size", "value": "1"}], "illegal"),
        ([{"op": "add", "path": "/NO_SUCH_TABLE", "value": {"x": {"a": "b"}}}], "without YANG"),
        (
            [
                {"op": "add", "path": "/WRED_PROFILE/ROCE", "value": ROCE_PROFILE},
                {"op": "remove", "path": "/WRED_PROFILE/AZURE_LOSSLESS"},
            ],
            "leafref 'AZURE_LOSSLESS'",
        ),
    ],
)
def test_invalid_patch_is_refused_and_nothing_is_written(ops: list[dict[str, Any]], needle: str) -> None:
    twin = start_watchdog(leaf())
    before = config(twin)
    good_first = [{"op": "replace", "path": "/PORT/Ethernet4/mtu", "value": "9000"}]
    res = patch(twin, good_first + ops)
    assert res.exit_code == 2
    assert res.stderr.startswith("Failed to apply patch due to: ")
    assert needle in res.stderr
    assert "Usage: config apply-patch [OPTIONS] PATCH_FILE_PATH" in res.stderr
    assert config(twin) == before


def test_empty_table_result_is_refused() -> None:
    twin = leaf()
    res = patch(twin, [{"op": "remove", "path": "/CABLE_LENGTH/AZURE"}])
    assert res.exit_code == 2
    assert "empty tables" in res.stderr
    assert "Table: CABLE_LENGTH" in res.stderr


def test_removing_the_pfc_wd_global_row_is_illegal() -> None:
    """gu_common.validate_field_operation: remove of /PFC_WD/GLOBAL (and its POLL_INTERVAL) is always refused."""
    res = patch(start_watchdog(leaf()), [{"op": "remove", "path": "/PFC_WD/GLOBAL"}])
    assert res.exit_code == 2
    assert "Operation: remove is illegal on field: /PFC_WD/GLOBAL" in res.stderr


def test_apply_patch_console_output_matches_gcu_golden() -> None:
    res = patch(leaf(), [{"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "9000"}])
    assert (res.stdout, res.stderr, res.exit_code) == (golden("gcu_apply_patch.txt"), "", 0)


def test_dry_run_validates_and_changes_nothing() -> None:
    twin = leaf()
    before = config(twin)
    res = patch(twin, [{"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "4200"}], dry_run=True)
    assert res.exit_code == 0
    assert res.stdout.endswith("Patch applied successfully.\n")
    assert config(twin) == before
    bad = patch(twin, [{"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "42"}], dry_run=True)
    assert bad.exit_code == 2


def test_missing_patch_file_is_a_click_usage_error() -> None:
    res = leaf().run("config apply-patch /tmp/nope.json", sudo=True)
    assert res.exit_code == 2
    assert "Path '/tmp/nope.json' does not exist." in res.stderr


def test_config_commands_need_root() -> None:
    res = leaf().run("config checkpoint x", sudo=False)
    assert (res.exit_code, res.stderr) == (1, "Root privileges are required for this operation\n")


def test_interrupted_patch_leaves_partial_state_that_rollback_repairs() -> None:
    # cabled ports (PORT_QOS_MAP exists on active ports only) of a TD2 SKU: 0m cables, no lossless PGs yet
    twin = leaf(cabled=4, sku="Force10-S6000", speed=100_000)
    before = config(twin)
    assert ok(twin, "config checkpoint before", sudo=True).endswith(
        "Config Rollbacker: Config checkpoint completed.\nCheckpoint created successfully.\n"
    )
    ops = [{"op": "replace", "path": f"/PORT_QOS_MAP/Ethernet{4 * i}/pfc_enable", "value": "3"} for i in range(4)]
    # GCU brackets each port's PORT_QOS_MAP change with admin down/up: 5 changes = Ethernet0 done and back
    # up, Ethernet4 taken down and written, and the session dies before Ethernet4 comes back up.
    twin.inject_fault("drop-after-writes", {"k": "5"})
    res = patch(twin, ops)
    assert res.disconnect
    partial = config(twin)["PORT_QOS_MAP"]
    assert [partial[f"Ethernet{4 * i}"]["pfc_enable"] for i in range(4)] == ["3", "3", "3,4", "3,4"]
    assert [config(twin)["PORT"][f"Ethernet{4 * i}"]["admin_status"] for i in range(2)] == ["up", "down"]
    out = ok(twin, "config rollback before", sudo=True)
    assert out.startswith("Config Rollbacker: Config rollbacking starting.\n")
    assert out.endswith("Config Rollbacker: Config rollbacking completed.\nConfig rolled back successfully.\n")
    assert config(twin) == before


def test_rollback_removes_daemon_written_rows_too() -> None:
    twin = leaf()
    before = config(twin)
    ok(twin, "config checkpoint cp1", sudo=True)
    assert patch(twin, [{"op": "replace", "path": "/CABLE_LENGTH/AZURE/Ethernet0", "value": "40m"}]).exit_code == 0
    assert "Ethernet0|3-4" in config(twin)["BUFFER_PG"]
    ok(twin, "config rollback cp1", sudo=True)
    assert config(twin) == before


def test_replace_with_full_config_file() -> None:
    twin = leaf()
    target = config(twin)
    target["PORT"]["Ethernet0"]["mtu"] = "4096"
    twin.write_file("/home/admin/target.json", json.dumps(target).encode())
    assert ok(twin, "config replace target.json", sudo=True).endswith(
        "Config Replacer: Config replacement completed.\nConfig replaced successfully.\n"
    )
    assert config(twin) == target


def test_checkpoint_list_delete_and_unknown_names() -> None:
    twin = leaf()
    ok(twin, "config checkpoint a", sudo=True)
    ok(twin, "config checkpoint b", sudo=True)
    assert json.loads(ok(twin, "config list-checkpoints", sudo=True)) == ["b", "a"]
    assert ok(twin, "config delete-checkpoint a", sudo=True).endswith("Checkpoint deleted successfully.\n")
    assert ok(twin, "config list-checkpoints", sudo=True) == '[\n    "b"\n]\n'
    res = twin.run("config rollback a", sudo=True)
    assert res.exit_code == 2
    assert "Checkpoint 'a' does not exist" in res.stderr


def test_checkpoints_are_files_under_state_dir(tmp_path: Path) -> None:
    twin = leaf(state_dir=tmp_path)
    ok(twin, "config checkpoint txid-1", sudo=True)
    saved = tmp_path / "checkpoints" / "txid-1.cp.json"
    assert json.loads(saved.read_text()) == config(twin)
    assert "\n" not in saved.read_text()  # GCU writes json.dumps(config): compact
    assert twin.read_file("/etc/sonic/checkpoints/txid-1.cp.json") is not None
    fresh = leaf(state_dir=tmp_path)  # a restarted lab finds its checkpoints again
    assert json.loads(ok(fresh, "config list-checkpoints", sudo=True)) == ["txid-1"]


def test_refuse_table_fault_makes_gcu_refuse_that_table() -> None:
    twin = leaf()
    twin.inject_fault("refuse-table", {"table": "WRED_PROFILE"})
    op = {"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_drop_probability", "value": "9"}
    res = patch(twin, [op])
    assert res.exit_code == 2
    assert "Modification of WRED_PROFILE table is illegal" in res.stderr
    twin.inject_fault("clear", {})
    ok_res = patch(twin, [op])
    assert ok_res.exit_code == 0


def test_reads_accept_abnf_references() -> None:
    twin = leaf()
    res = patch(twin, [{"op": "replace", "path": "/QUEUE/Ethernet0|3/scheduler", "value": "[SCHEDULER|scheduler.1]"}])
    assert res.exit_code == 0
    assert config(twin)["QUEUE"]["Ethernet0|3"]["scheduler"] == "[SCHEDULER|scheduler.1]"


def test_later_change_in_same_patch_sees_rows_buffermgrd_wrote() -> None:
    twin = leaf(sku="Force10-S6000", speed=100_000)  # 0m at boot: the 40m change makes buffermgrd write the PG
    custom = {"pool": "ingress_lossless_pool", "size": "20000", "xon": "18432", "xoff": "150000", "dynamic_th": "0"}
    res = patch(
        twin,
        [
            {"op": "replace", "path": "/CABLE_LENGTH/AZURE/Ethernet0", "value": "40m"},
            {"op": "add", "path": "/BUFFER_PROFILE/ROCE_HEADROOM", "value": custom},
            {"op": "add", "path": "/BUFFER_PG/Ethernet0|3-4", "value": {"profile": "ROCE_HEADROOM"}},
        ],
    )
    assert res.exit_code == 0, res.stderr
    assert config(twin)["BUFFER_PROFILE"]["ROCE_HEADROOM"] == custom
    # GCU flaps Ethernet0 around its buffer rows; the admin-up is a PORT event on which buffermgrd (as
    # buffermgr.cpp does) writes its lookup profile back over the custom PG
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "pg_lossless_100000_40m_profile"}


def test_whole_document_replace_operation() -> None:
    twin = leaf()
    target = config(twin)
    target["PORT"]["Ethernet4"]["mtu"] = "4200"
    del target["QUEUE"]["Ethernet4|6"]
    res = patch(twin, [{"op": "replace", "path": "", "value": target}])
    assert res.exit_code == 0, res.stderr
    assert config(twin) == target


def test_pfc_wd_allow_list_covers_timers_but_not_big_red_switch() -> None:
    twin = start_watchdog(leaf())
    assert patch(twin, [{"op": "replace", "path": "/PFC_WD/GLOBAL/POLL_INTERVAL", "value": "100"}]).exit_code == 0
    res = patch(twin, [{"op": "add", "path": "/PFC_WD/GLOBAL/BIG_RED_SWITCH", "value": "enable"}])
    assert res.exit_code == 2
    assert "Modification of PFC_WD table is illegal" in res.stderr


def test_unknown_config_subcommand_is_a_click_error() -> None:
    res = leaf().run("config frobnicate", sudo=True)
    assert res.exit_code == 2
    assert res.stderr.startswith('Usage: config [OPTIONS] COMMAND [ARGS]...\nTry "config -h" for help.')


def test_replace_fails_verification_when_buffermgrd_adds_rows_the_target_lacks() -> None:
    twin = leaf()
    target = config(twin)
    target["CABLE_LENGTH"]["AZURE"]["Ethernet0"] = "40m"  # but no BUFFER_PG|Ethernet0|3-4 in the target
    twin.write_file("/tmp/target.json", json.dumps(target).encode())
    res = twin.run("config replace /tmp/target.json", sudo=True)
    assert res.exit_code == 2
    assert "Failed to replace config due to: After replacing config, there is still some parts not updated" in (
        res.stderr
    )
    assert config(twin)["BUFFER_PG"]["Ethernet0|3-4"] == {"profile": "pg_lossless_400000_40m_profile"}
    patched = patch(twin, [{"op": "replace", "path": "/CABLE_LENGTH/AZURE/Ethernet4", "value": "40m"}])
    assert patched.exit_code == 0  # apply-patch ignores backend tables (BUFFER_PG/BUFFER_PROFILE) when verifying


def test_rollback_of_cable_and_pfc_change_returns_exactly_to_checkpoint() -> None:
    twin = leaf(cabled=4, sku="Force10-S6000", speed=100_000)  # 0m at boot: buffermgrd adds PGs on the 40m change
    before = config(twin)
    ok(twin, "config checkpoint cp", sudo=True)
    ops = [{"op": "replace", "path": f"/PORT_QOS_MAP/Ethernet{4 * i}/pfc_enable", "value": "3"} for i in range(4)]
    ops += [{"op": "replace", "path": f"/CABLE_LENGTH/AZURE/Ethernet{4 * i}", "value": "40m"} for i in range(4)]
    assert patch(twin, ops).exit_code == 0
    pgs = sorted(k for k in config(twin)["BUFFER_PG"] if k.startswith("Ethernet0|"))
    assert pgs == ["Ethernet0|0", "Ethernet0|3", "Ethernet0|3-4"]  # buffermgrd never removes the 3-4 PG it made
    res = twin.run("config rollback cp", sudo=True)
    assert res.exit_code == 0, res.stderr
    assert config(twin) == before
