"""Every file under tests/fixtures/policy/invalid/ must be rejected with the error its header declares.

Header of each fixture (leading YAML comments):
    # expect-field: classes[1].dscp[1]     (field path; empty for file-level problems such as YAML syntax)
    # expect-line: 12                      (1-based line the error must point at)
    # expect-message: DSCP 26 is already   (fragment of the message)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import EXIT_CANNOT_RUN, InputError
from agent.policy.loader import check_policy_file, load_policy

INVALID = Path(__file__).parents[2] / "fixtures" / "policy" / "invalid"
FILES = sorted(INVALID.glob("*.yaml"))
HEADER = re.compile(r"^# expect-(field|line|message):[ ]?(.*)$")


@dataclass(frozen=True)
class Expected:
    field: str
    line: int
    message: str


def expected_of(path: Path) -> Expected:
    found: dict[str, str] = {}
    for text in path.read_text().splitlines():
        m = HEADER.match(text)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return Expected(found["field"], int(found["line"]), found["message"])


def test_catalogue_is_large_enough() -> None:
    assert len(FILES) >= 25


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_invalid_policy_is_rejected_with_located_message(path: Path) -> None:
    want = expected_of(path)
    report = check_policy_file(path)
    assert report.policy is None
    matching = [p for p in report.errors if p.field == want.field and want.message in p.message]
    assert matching, f"no error for {want.field!r} containing {want.message!r}; got:\n" + "\n".join(
        str(p) for p in report.errors
    )
    problem = matching[0]
    assert problem.file == path
    assert problem.line == want.line, str(problem)
    assert str(problem).startswith(f"{path}:{want.line}: ")


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_load_policy_raises_input_error(path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_policy(path)
    assert err.value.problems
    assert all(p.file == path for p in err.value.problems)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_cli_validate_exits_2_and_prints_the_located_error(path: Path) -> None:
    want = expected_of(path)
    result = CliRunner().invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == EXIT_CANNOT_RUN
    location = f"{path}:{want.line}: " + (f"{want.field}: " if want.field else "")
    assert location in result.stderr
    assert want.message in result.stderr
