"""The audit and checks commands through typer's CliRunner, offline (--from-snapshot): exit codes,
formats, history and input validation. Live gathering over SSH is covered by the integration tier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "report"
runner = CliRunner()


def _audit(inv: Path, *args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["audit", "-i", str(inv), "-q", *args])
    return res.exit_code, res.output


EXIT_CODES = [
    ("snapshot-clean", [], 0),
    ("snapshot-faults", [], 1),
    ("snapshot-faults", ["--checks", "SW-CFG-001"], 1),  # warning only, but host4 unreachable (AUDIT-001)
    ("snapshot-faults", ["--checks", "SW-CFG-001", "--exclude", "AUDIT"], 0),
    ("snapshot-dead", [], 2),
]


@pytest.mark.parametrize(("snap", "extra", "code"), EXIT_CODES)
def test_exit_codes(inv: Path, snap: str, extra: list[str], code: int) -> None:
    rc, out = _audit(inv, "--from-snapshot", str(FIXTURES / snap), *extra)
    assert rc == code, out


def test_json_report_and_history(inv: Path) -> None:
    rc, out = _audit(inv, "--from-snapshot", str(FIXTURES / "snapshot-clean"), "-f", "json")
    assert rc == 0
    assert json.loads(out)["complies"] is True
    rc, out = _audit(inv, "--from-snapshot", str(FIXTURES / "snapshot-faults"), "-f", "json")
    doc = json.loads(out)
    assert rc == 1
    assert doc["history"]["previous_audit"] == 1
    assert "SW-QOS-002|leaf1|Ethernet8|3" in doc["history"]["new"]
    assert doc["source"].startswith("snapshot:")
    assert (inv / ".state" / "history.sqlite").is_file()
    res = runner.invoke(app, ["audit", "history", "-i", str(inv), "--json"])
    assert res.exit_code == 0
    audits = json.loads(res.output)["audits"]
    assert [a["id"] for a in audits] == [2, 1]
    assert audits[0]["complies"] is False


@pytest.mark.parametrize(
    ("fmt", "name"), [("junit", "r.xml"), ("prom", "r.prom"), ("html", "r.html"), ("table", "r.txt")]
)
def test_output_files(inv: Path, tmp_path: Path, fmt: str, name: str) -> None:
    out = tmp_path / name
    rc, _ = _audit(inv, "--from-snapshot", str(FIXTURES / "snapshot-faults"), "-f", fmt, "-o", str(out), "--no-history")
    assert rc == 1
    text = out.read_text()
    assert "SW-QOS-002" in text
    assert not (inv / ".state").exists()


def test_save_snapshot_round_trip(inv: Path, tmp_path: Path) -> None:
    saved = tmp_path / "again"
    _audit(inv, "--from-snapshot", str(FIXTURES / "snapshot-faults"), "--save-snapshot", str(saved), "--no-history")
    rc, out = _audit(inv, "--from-snapshot", str(saved), "-f", "json", "--no-history")
    assert rc == 1
    keys = {f["key"] for f in json.loads(out)["findings"]}
    assert "RT-DROP-001|leaf2|Ethernet0|3" in keys  # previous/ read came along
    assert "AUDIT-001|host4||" in keys


BAD_INPUT = [
    (["--checks", "SW-NOPE-001"], "no check matches"),
    (["--interval", "5"], "--interval needs live reads"),
    (["--limit", "leaf9"], "unknown device"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT)
def test_bad_input_exits_2(inv: Path, extra: list[str], message: str) -> None:
    rc, out = _audit(inv, "--from-snapshot", str(FIXTURES / "snapshot-clean"), *extra)
    assert rc == 2
    assert message in out
    assert "no device was contacted" in out


def test_invalid_policy_exits_2(inv: Path) -> None:
    (inv / "policy.yaml").write_text("classes: []\ntrust: maybe\n")
    rc, out = _audit(inv, "--from-snapshot", str(FIXTURES / "snapshot-clean"))
    assert rc == 2
    assert "policy.yaml" in out


def test_checks_list_and_explain() -> None:
    res = runner.invoke(app, ["checks", "list", "--json"])
    assert res.exit_code == 0
    rows = json.loads(res.output)
    assert {"SW-PFC-001", "FAB-DLK-001", "HOST-MTU-001", "RT-ECN-001", "AUDIT-001"} <= {r["id"] for r in rows}
    res = runner.invoke(app, ["checks", "explain", "sw-wd-001"])
    assert res.exit_code == 0
    assert "pfcwd_sw_enable" in res.output
    res = runner.invoke(app, ["checks", "explain", "XX-1"])
    assert res.exit_code == 2


def test_checks_list_filters_by_tag() -> None:
    res = runner.invoke(app, ["checks", "list", "--checks", "deadlock", "--json"])
    assert [r["id"] for r in json.loads(res.output)] == ["FAB-DLK-001", "FAB-L2-001"]


def test_json_flag_is_format_json_with_real_times(inv: Path) -> None:
    rc, out = _audit(inv, "--from-snapshot", str(FIXTURES / "snapshot-faults"), "--json", "--no-history")
    doc = json.loads(out)
    assert rc == 1
    assert 0 <= doc["checks_seconds"] <= doc["duration_seconds"]  # the whole audit, not the engine alone
    assert 0 <= doc["gather_seconds"] <= doc["duration_seconds"]
    assert f"read in {doc['gather_seconds']:.1f} s" in doc["summary"]["text"]
    rc, out = _audit(inv, "--from-snapshot", str(FIXTURES / "snapshot-faults"), "--json", "-f", "html")
    assert rc == 2
    assert "two formats" in out


def test_output_file_is_announced_and_prom_has_the_audit_times(inv: Path, tmp_path: Path) -> None:
    target = tmp_path / "audit.prom"
    res = runner.invoke(app, ["audit", "-i", str(inv), "-q", "--from-snapshot", str(FIXTURES / "snapshot-clean"),
                              "-f", "prom", "-o", str(target), "--no-history"])  # fmt: skip
    assert res.exit_code == 0
    assert f"prom report written to {target}" in res.stderr
    series = dict(line.rsplit(" ", 1) for line in target.read_text().splitlines() if not line.startswith("#"))
    wall, gather = float(series["roce_agent_audit_duration_seconds"]), float(series["roce_agent_audit_gather_seconds"])
    assert 0 <= float(series["roce_agent_audit_checks_seconds"]) <= wall
    assert 0 <= gather <= wall


def test_piped_table_never_folds_a_line(inv: Path) -> None:
    res = runner.invoke(app, ["audit", "-i", str(inv), "-q", "--from-snapshot", str(FIXTURES / "snapshot-faults"),
                              "--no-history"], env={"COLUMNS": "60"})  # fmt: skip
    lines = res.stdout.splitlines()
    fix = next(line for line in lines if line.startswith("  fix SW-QOS-002"))
    assert fix.endswith("to render the policy (clears 1 follow-on finding)")  # one line, not folded at 60
    assert any(len(line) > 120 for line in lines)
