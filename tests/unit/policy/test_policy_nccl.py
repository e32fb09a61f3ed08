"""The policy's `nccl:` section: derived values, every validation rule located at its line, show and schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.policy.loader import check_policy_file
from agent.policy.model import Policy

runner = CliRunner()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_ib_tc_auto_is_the_roce_tos_dscp_26_is_106() -> None:
    policy = Policy.model_validate({"baseline": "nvidia-roce", "nccl": {}})
    assert policy.roce_tos() == 106
    assert policy.nccl_tc() == 106
    pinned = Policy.model_validate({"baseline": "nvidia-roce", "nccl": {"ib_tc": 104}})
    assert pinned.nccl_tc() == 104  # same DSCP, ECN bits left to the NIC


def test_minimum_qps_falls_back_to_the_written_value() -> None:
    assert Policy.model_validate({"baseline": "nvidia-roce", "nccl": {"qps_per_connection": 4}}).nccl.minimum_qps == 4  # type: ignore[union-attr]
    both = {"qps_per_connection": 8, "min_qps_per_connection": 2}
    assert Policy.model_validate({"baseline": "nvidia-roce", "nccl": both}).nccl.minimum_qps == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("nccl", "line", "field", "needle"),
    [
        ("  ib_tc: 96\n", 3, "nccl.ib_tc", "96 is DSCP 24, but RoCE is DSCP 26 (ToS 106)"),
        ("  ib_tc: 256\n", 3, "nccl.ib_tc", "256"),
        ("  gid_index: -1\n", 3, "nccl.gid_index", "-1"),
        ("  qps_per_connection: 129\n", 3, "nccl.qps_per_connection", "128"),
        ("  qps_per_connection: 2\n  min_qps_per_connection: 4\n", 3, "nccl.qps_per_connection", "below min_qps"),
        ("  settings: {NCCL_IB_TC: '106'}\n", 3, "nccl.settings.NCCL_IB_TC", "managed by nccl.ib_tc"),
        ("  settings: {nccl_debug: WARN}\n", 3, "nccl.settings.nccl_debug", "not an NCCL variable name"),
        ("  settings: {NCCL_DEBUG: 'WARN # x'}\n", 3, "nccl.settings.NCCL_DEBUG", "no spaces"),
        ("  address_family: inet\n", 3, "nccl.address_family", "ipv4"),
    ],
)
def test_invalid_nccl_section_is_located(tmp_path: Path, nccl: str, line: int, field: str, needle: str) -> None:
    report = check_policy_file(_write(tmp_path, f"baseline: nvidia-roce\nnccl:\n{nccl}"))
    [problem] = report.errors
    assert (problem.line, problem.field) == (line, field), problem
    assert needle in problem.message


def test_a_profile_nccl_error_is_located_inside_the_profile(tmp_path: Path) -> None:
    text = (
        "name: fabric\ndefault_profile: training\nprofiles:\n"
        "  training: {baseline: nvidia-roce}\n"
        "  inference:\n    baseline: nvidia-roce-lossy\n    nccl:\n      ib_tc: 0\n"
    )
    [problem] = check_policy_file(_write(tmp_path, text)).errors
    assert (problem.line, problem.field) == (8, "profiles.inference.nccl.ib_tc")
    assert "DSCP 0" in problem.message


def test_show_json_has_the_nccl_keys_of_the_profile(tmp_path: Path) -> None:
    text = (
        "name: fabric\ndefault_profile: training\nprofiles:\n"
        "  training: {baseline: nvidia-roce, nccl: {qps_per_connection: 4, settings: {NCCL_IB_HCA: '=mlx5_0'}}}\n"
        "  inference: {baseline: nvidia-roce-lossy}\n"
    )
    path = _write(tmp_path, text)
    result = runner.invoke(app, ["policy", "show", "--json", "--profile", "training", str(path)])
    assert result.exit_code == 0, result.output
    nccl = json.loads(result.stdout)["derived"]["nccl"]
    assert nccl["keys"]["NCCL_IB_TC"] == 106
    assert nccl["keys"]["NCCL_IB_QPS_PER_CONNECTION"] == 4
    assert nccl["keys"]["NCCL_IB_HCA"] == "=mlx5_0"
    assert nccl["keys"]["NCCL_IB_GID_INDEX"].startswith("auto: the lowest RoCE v2 ipv4 GID")
    other = runner.invoke(app, ["policy", "show", "--json", "--profile", "inference", str(path)])
    assert json.loads(other.stdout)["derived"]["nccl"] is None  # no section: the file is left alone


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_schema_covers_both_file_shapes_profiles_dcqcn_and_nccl() -> None:
    result = runner.invoke(app, ["policy", "schema"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    single, profiled = doc["anyOf"]
    assert single == {"$ref": "#/$defs/Policy"}
    assert profiled["required"] == ["default_profile", "profiles"]
    assert profiled["properties"]["profiles"]["additionalProperties"] == {"$ref": "#/$defs/Policy"}
    defs = doc["$defs"]
    assert {"ib_tc", "gid_index", "qps_per_connection", "min_qps_per_connection", "settings"} <= set(
        defs["Nccl"]["properties"]
    )
    assert "rpg_time_reset" in defs["ReactionPoint"]["properties"]
    for ref in _refs(doc):  # every reference resolves inside the document
        assert ref.removeprefix("#/$defs/") in defs, ref


def test_show_table_prints_the_nccl_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "baseline: nvidia-roce\nnccl: {qps_per_connection: 4}\n")
    result = runner.invoke(app, ["policy", "show", str(path)])
    assert result.exit_code == 0, result.output
    line = "NCCL (/etc/nccl.conf): NCCL_IB_TC=106, NCCL_IB_GID_INDEX=auto, NCCL_IB_QPS_PER_CONNECTION=4"
    assert line in result.stdout


def test_entropy_audit_assuming_more_qps_than_the_hosts_get_is_a_located_warning(tmp_path: Path) -> None:
    text = "baseline: nvidia-roce\nload_balancing:\n  entropy: {qps: 4}\nnccl:\n  qps_per_connection: 2\n"
    report = check_policy_file(_write(tmp_path, text))
    assert report.errors == []
    [warning] = report.warnings
    assert (warning.line, warning.field) == (3, "load_balancing.entropy.qps")
    assert "simulates 4 QPs per connection but the hosts are held to at least 2" in warning.message
    fine = "baseline: nvidia-roce\nload_balancing:\n  entropy: {qps: 4}\nnccl:\n  qps_per_connection: 4\n"
    assert check_policy_file(_write(tmp_path, fine)).warnings == []
