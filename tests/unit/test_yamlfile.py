"""agent.yamlfile: YAML -> pydantic with file/line/field errors, on small models of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from agent.errors import InputError
from agent.yamlfile import Issue, defer_issues, field_error, format_loc, line_of, load_model, read_yaml


class Port(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    speed: Annotated[int, Field(ge=1, le=800)] = 100
    lanes: Annotated[int, Field(ge=1, le=8)] | None = None

    @model_validator(mode="after")
    def _lanes_fit(self) -> Port:
        if self.lanes is not None and self.speed < self.lanes:
            raise field_error("lanes", "more lanes than Gb/s")
        return self


class Device(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hostname: str
    ports: list[Port] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self, info: ValidationInfo) -> Device:
        seen: dict[str, int] = {}
        issues = []
        for i, port in enumerate(self.ports):
            if port.name in seen:
                issues.append(Issue(("ports", i, "name"), f"{port.name} already at ports[{seen[port.name]}]"))
            seen.setdefault(port.name, i)
        defer_issues(info, issues)
        return self


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> list[tuple[int | None, str, str]]:
    with pytest.raises(InputError) as err:
        load_model(path, Device)
    return [(p.line, p.field, p.message) for p in err.value.problems]


def test_valid_file_loads(tmp_path: Path) -> None:
    dev = load_model(write(tmp_path, "hostname: leaf1\nports:\n  - {name: Ethernet0, speed: 400}\n"), Device)
    assert dev == Device(hostname="leaf1", ports=[Port(name="Ethernet0", speed=400)])


def test_line_of_walks_maps_and_sequences(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, "# c\nhostname: a\nports:\n  - name: x\n\n  - name: y\n    speed: 5\n"))
    assert line_of(doc, ("hostname",)) == 2
    assert line_of(doc, ("ports", 1)) == 6
    assert line_of(doc, ("ports", 1, "speed")) == 7
    assert line_of(doc, ("ports", 1, "lanes")) == 6  # missing: deepest existing ancestor
    assert line_of(doc, ("nothing",)) is None
    assert format_loc(("ports", 1, "speed")) == "ports[1].speed"


def test_unknown_key_suggests_the_nearest_and_lists_allowed(tmp_path: Path) -> None:
    [(line, field, message)] = problems(write(tmp_path, "hostname: a\nports:\n  - name: x\n    sped: 5\n"))
    assert (line, field) == (4, "ports[0].sped")
    assert message == "unknown key 'sped'. Did you mean 'speed'? Allowed keys: lanes, name, speed."


def test_all_errors_at_once_with_ranges_and_missing_fields(tmp_path: Path) -> None:
    text = "ports:\n  - name: x\n    speed: 0\n  - speed: 900\n    name: y\n    lanes: 9\n"
    got = problems(write(tmp_path, text))
    assert got == [
        (1, "hostname", "required field is missing"),
        (3, "ports[0].speed", "Input should be greater than or equal to 1 (got 0; allowed 1..800)"),
        (4, "ports[1].speed", "Input should be less than or equal to 800 (got 900; allowed 1..800)"),
        (6, "ports[1].lanes", "Input should be less than or equal to 8 (got 9; allowed 1..8)"),
    ]


def test_field_error_points_below_the_model(tmp_path: Path) -> None:
    got = problems(write(tmp_path, "hostname: a\nports:\n  - name: x\n    speed: 2\n    lanes: 4\n"))
    assert got == [(5, "ports[0].lanes", "more lanes than Gb/s")]


def test_deferred_issues_are_located_and_all_reported(tmp_path: Path) -> None:
    text = "hostname: a\nports:\n  - name: x\n  - name: x\n  - name: x\n"
    assert problems(write(tmp_path, text)) == [
        (4, "ports[1].name", "x already at ports[0]"),
        (5, "ports[2].name", "x already at ports[0]"),
    ]


def test_deferred_issues_raise_together_without_a_loader() -> None:
    with pytest.raises(ValueError, match=r"ports\[1\]\.name: x already at ports\[0\]; ports\[2\]\.name"):
        Device(hostname="a", ports=[Port(name="x"), Port(name="x"), Port(name="x")])


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("hostname: a\nports:\n  - name: [x\n", 4, "not valid YAML"),
        ("hostname: a\nhostname: b\n", 2, "duplicate key 'hostname'"),
        ("- a\n", 1, "expected a mapping of keys at the top level, found a list"),
        ("", None, "the file is empty"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, line: int | None, fragment: str) -> None:
    [(got_line, field, message)] = problems(write(tmp_path, text))
    assert (got_line, field) == (line, "")
    assert fragment in message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        load_model(tmp_path / "missing.yaml", Device)
