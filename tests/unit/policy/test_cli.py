"""`roce-agent policy ...` through typer's CliRunner: exit codes 0/2, all errors printed, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent.cli import app

ROOT = Path(__file__).parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "policy"
LAB = ROOT / "inventories" / "lab" / "policy.yaml"
runner = CliRunner()


def test_validate_valid_policy_exits_0() -> None:
    result = runner.invoke(app, ["policy", "validate", str(LAB)])
    assert result.exit_code == 0, result.output
    assert "valid policy 'lab', profiles training, nvidia-roce-lossy (0 warning(s))" in result.stdout


def test_validate_prints_warnings_but_exits_0() -> None:
    path = FIXTURES / "valid" / "with-warnings.yaml"
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 0
    assert f"warning: {path}:21: mtu.host: host MTU 1500 < 4192" in result.stderr
    assert "(6 warning(s))" in result.stdout


def test_validate_invalid_prints_all_errors_and_exits_2() -> None:
    path = FIXTURES / "multi" / "many-errors.yaml"
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 6
    assert f"error: {path}:30: mtu.swtich: unknown key 'swtich'. Did you mean 'switch'?" in result.stderr


def test_validate_json() -> None:
    path = FIXTURES / "multi" / "many-errors.yaml"
    result = runner.invoke(app, ["policy", "validate", "--json", str(path)])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert {"file": str(path), "line": 12, "field": "classes[1].dscp[0]"}.items() <= doc["errors"][0].items()
    ok = json.loads(runner.invoke(app, ["policy", "validate", "--json", str(LAB)]).stdout)
    assert ok == {"file": str(LAB), "valid": True, "errors": [], "warnings": []}


def test_yaml_syntax_error_exits_2_with_line() -> None:
    path = FIXTURES / "invalid" / "50-yaml-syntax-error.yaml"
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:8: not valid YAML" in result.stderr


def test_show_json_has_resolved_policy_derived_views_and_headroom() -> None:
    result = runner.invoke(app, ["policy", "show", "--json", "--speed", "400G", str(LAB)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [c["name"] for c in doc["policy"]["classes"]] == ["roce", "cnp", "default"]
    assert doc["policy"]["classes"][0]["ecn"]["min_threshold"] == 150_000
    assert doc["derived"]["roce_tos"] == 106
    assert doc["derived"]["lossless_priorities"] == [3]
    assert doc["derived"]["dscp_to_priority"]["48"] == 6
    rows = {(r["speed_mbps"], r["cable_m"]): r for r in doc["headroom"]}
    assert set(rows) == {(400_000, 5), (400_000, 40)}
    # docker-sonic-vs values of the reference table (port MTU 9100 = the lab's switch MTU)
    assert (rows[400_000, 5]["xoff"], rows[400_000, 5]["size"]) == (81_920, 100_352)
    assert (rows[400_000, 40]["xoff"], rows[400_000, 40]["size"]) == (102_400, 120_832)
    assert rows[400_000, 40]["physical_bound"] == 96_436


def test_show_table_and_default_speeds() -> None:
    result = runner.invoke(app, ["policy", "show", "--asic", "spectrum3", str(LAB)])
    assert result.exit_code == 0, result.output
    assert "headroom per PG" in result.stdout
    assert "132096" in result.stdout  # SPC3 400G/40m size
    assert "72704" in result.stdout  # SPC3 100G/40m size


def test_show_invalid_policy_exits_2() -> None:
    result = runner.invoke(app, ["policy", "show", str(FIXTURES / "invalid" / "01-dscp-in-two-classes.yaml")])
    assert result.exit_code == 2
    assert "DSCP 26 is already in class 'roce'" in result.stderr


def test_show_bad_speed_exits_2() -> None:
    result = runner.invoke(app, ["policy", "show", "--speed", "fast", str(LAB)])
    assert result.exit_code == 2
    assert "--speed" in result.stderr


def test_schema_is_json_schema_for_the_policy() -> None:
    result = runner.invoke(app, ["policy", "schema"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    schema = doc["$defs"]["Policy"]
    assert schema["additionalProperties"] is False
    assert {"classes", "pfc", "baseline", "overrides", "nccl"} <= set(schema["properties"])
    size = doc["$defs"]["Ecn"]["properties"]["min_threshold"]
    assert {"integer", "string"} == {alt["type"] for alt in size["anyOf"]}


def test_headroom_json() -> None:
    args = ["policy", "headroom", "--speed", "400G", "--cable", "40m", "--asic", "spectrum3", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["xon"], doc["xoff"], doc["size"], doc["physical_bound"]) == (19_456, 112_640, 132_096, 96_436)
    assert (doc["speed_mbps"], doc["cable_m"], doc["port_mtu"]) == (400_000, 40, 9100)


def test_headroom_text_default_asic_and_mtu() -> None:
    result = runner.invoke(app, ["policy", "headroom", "--speed", "100G", "--cable", "300m", "--mtu", "9100"])
    assert result.exit_code == 0
    assert "xoff 84992 B" in result.stdout
    assert "size 103424 B" in result.stdout


def test_headroom_bad_arguments_exit_2() -> None:
    result = runner.invoke(app, ["policy", "headroom", "--speed", "400G", "--cable", "40"])
    assert result.exit_code == 2
    assert "m suffix" in result.stderr
    result = runner.invoke(app, ["policy", "headroom", "--speed", "400G", "--cable", "40m", "--asic", "tomahawk"])
    assert result.exit_code == 2
    assert "unknown ASIC 'tomahawk'" in result.stderr
