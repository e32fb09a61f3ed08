"""Playbook validation: every invalid fixture reports exactly the expected problems, located by line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.rollout.loader import load_playbook
from agent.rollout.playbook import AuditPlaybook, FailureAction, PrecheckPlaybook, RolloutPlaybook, parse_seconds

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rollout"
PROJECT = Path(__file__).resolve().parents[3]
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))


def expected(path: Path) -> list[tuple[int, str, str]]:
    """`.expected` lines: LINE FIELD TEXT (TEXT must occur in the message)."""
    rows = []
    for line in path.with_suffix(".expected").read_text().splitlines():
        number, field, text = line.split(" ", 2)
        rows.append((int(number), field, text))
    return rows


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_playbook_reports_every_problem_located(path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_playbook(path)
    got = exc.value.problems
    want = expected(path)
    assert len(got) == len(want), "\n".join(str(p) for p in got)
    for problem, (line, field, text) in zip(got, want, strict=False):
        assert problem.file == path
        assert problem.line == line, str(problem)
        assert field == "-" or problem.field == field or field in str(problem), str(problem)
        assert text in str(problem), str(problem)


def test_all_invalid_fixtures_have_expectations() -> None:
    assert INVALID
    assert all(p.with_suffix(".expected").is_file() for p in INVALID)


SHIPPED = {
    "rollout.yaml": "rollout",
    "audit.yaml": "audit",
    "precheck-ci.yaml": "precheck",
    "rollout-switches.yaml": "rollout",
    "audit-switches.yaml": "audit",
    "to-lossy.yaml": "rollout",
    "to-lossless.yaml": "rollout",
}


def test_every_shipped_playbook_is_checked() -> None:
    assert sorted(p.name for p in (PROJECT / "playbooks").glob("*.yaml")) == sorted(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_playbooks_are_valid(name: str) -> None:
    pb = load_playbook(PROJECT / "playbooks" / name)
    assert pb.kind == SHIPPED[name]


def test_ci_precheck_runs_the_switch_playbooks_only_on_containerlab() -> None:
    pb = load_playbook(PROJECT / "playbooks" / "precheck-ci.yaml")
    assert isinstance(pb, PrecheckPlaybook)
    assert pb.lab == "auto"
    by_lab = {lab: [s.rollout or s.audit for s in pb.steps if s.lab == lab] for lab in ("builtin", "containerlab")}
    assert by_lab == {
        "builtin": ["rollout.yaml", "audit.yaml"],
        "containerlab": ["rollout-switches.yaml", "audit-switches.yaml"],
    }


def test_defaults_and_kinds() -> None:
    pb = load_playbook(FIXTURES / "playbooks" / "staged.yaml")
    assert isinstance(pb, RolloutPlaybook)
    assert pb.options.failure_action is FailureAction.rollback_stage
    assert pb.options.confirm_timeout == 300
    assert pb.stages[0].soak == 30
    assert pb.stages[3].parallel == 2
    assert not isinstance(pb, (AuditPlaybook, PrecheckPlaybook))


@pytest.mark.parametrize(
    ("text", "seconds"), [(45, 45), ("30s", 30), ("5min", 300), ("5m", 300), ("1h", 3600), (" 2 s ", 2)]
)
def test_durations(text: int | str, seconds: int) -> None:
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["5 days", "-1", "1.5s", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_seconds(text)  # type: ignore[arg-type]
