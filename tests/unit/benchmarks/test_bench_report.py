"""Result documents: required fields, targets judged from the numbers, the markdown table."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.report import markdown_table, missing_fields, targets

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "benchmarks" / "result_16.json"


@pytest.fixture
def doc() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(FIXTURE.read_text())
    return result


def test_recorded_result_has_every_required_field(doc: dict[str, Any]) -> None:
    assert missing_fields(doc) == []


@pytest.mark.parametrize(
    "path", [("meta", "python"), ("meta", "packages"), ("meta", "load_avg_start"), ("meta", "seeds"),
             ("meta", "latency_ms"), ("meta", "cores")]
)  # fmt: skip
def test_missing_field_is_named(doc: dict[str, Any], path: tuple[str, str]) -> None:
    del doc[path[0]][path[1]]
    assert missing_fields(doc) == [".".join(path)]


def test_missing_phase_field_is_named(doc: dict[str, Any]) -> None:
    del doc["runs"][0]["phases"]["audit"]["round_trips"]
    assert missing_fields(doc) == ["runs[0].phases.audit.round_trips"]


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["target"]: t for t in targets(doc)}


def test_targets_follow_the_numbers(doc: dict[str, Any]) -> None:
    run = doc["runs"][0]
    run["phases"]["audit"].update(wall_s=14.0, wall_over_lower_bound=1.29)
    run["phases"]["audit"]["round_trips"]["switch"]["max"] = 1
    run["phases"]["audit"]["round_trips"]["host"]["max"] = 1
    run["phases"]["audit"]["device_s"] = {"switch": {"max": 0.9}, "host": {"max": 0.01}}
    run["phases"]["apply"]["round_trips"]["switch"]["max"] = 4
    run["speedup_naive_over_audit"] = 5.0
    met = _by_name(doc)
    assert all(t["met"] for t in met.values()), met
    worse = copy.deepcopy(doc)
    worse["runs"][0]["phases"]["audit"].update(wall_s=15.1, wall_over_lower_bound=1.31)
    worse["runs"][0]["phases"]["audit"]["round_trips"]["host"]["max"] = 2
    worse["runs"][0]["phases"]["audit"]["device_s"]["switch"]["max"] = 1.1
    worse["runs"][0]["phases"]["apply"]["round_trips"]["switch"]["max"] = 5
    worse["runs"][0]["speedup_naive_over_audit"] = 4.9
    missed = {name for name, t in _by_name(worse).items() if t["met"] is False}
    assert missed == {
        "audit wall time", "audit round trips per device", "audit vs lower bound", "speedup over the naive baseline",
        "audit device-side time per switch", "apply round trips per switch",
    }  # fmt: skip


def test_an_audit_that_could_not_run_meets_nothing(doc: dict[str, Any]) -> None:
    doc["runs"][0]["phases"]["audit"]["exit_code"] = 2
    found = _by_name(doc)
    assert found["audit"]["met"] is False
    assert "audit round trips per device" not in found


def test_targets_are_judged_at_the_largest_size(doc: dict[str, Any]) -> None:
    big = copy.deepcopy(doc["runs"][0])
    big["devices"] = 512
    big["lab"]["start_s"] = 31.0
    doc["runs"].append(big)
    found = _by_name(doc)
    assert found["lab start"]["at_devices"] == 512
    assert found["lab start"]["met"] is False


def test_table_has_a_row_per_size_and_the_targets(doc: dict[str, Any]) -> None:
    doc["targets"] = targets(doc)
    text = markdown_table(doc)
    rows = [line for line in text.splitlines() if line.startswith("| 16 |")]
    assert len(rows) == 1
    assert rows[0].count("|") == 20  # 19 columns
    assert "| lab memory | < 2 GiB for 512 twins |" in text
