"""`takes`: options several commands share, declared once as a dataclass, parsed by typer as if listed.

A wrong signature here would silently drop an option from a command or hand it the wrong value, so this
runs real typer parsing and help, and the host commands' help must still list every shared option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.cli import app
from agent.cli.options import shared, takes


@dataclass(frozen=True)
class _Group:
    path: Path = field(metadata=shared(typer.Option(..., "-p", "--path", help="A file.")))
    names: list[str] | None = field(metadata=shared(typer.Option(None, "--name", help="Repeatable.")))
    loud: bool = field(metadata=shared(typer.Option(False, "--loud", help="Flag.")))


seen: list[tuple[_Group, int]] = []
demo = typer.Typer()


@demo.command("one")
@takes(_Group)
def _one(args: _Group, count: int = typer.Option(1, "--count", min=1, help="Own option.")) -> None:
    """The first command."""
    seen.append((args, count))


@demo.command("two")
@takes(_Group)
def _two(args: _Group) -> None:
    """The second command."""
    seen.append((args, 0))


def test_shared_and_own_options_arrive_typed() -> None:
    seen.clear()
    result = CliRunner().invoke(demo, ["one", "-p", "x.yaml", "--name", "a", "--name", "b", "--count", "3"])
    assert result.exit_code == 0, result.output
    assert seen == [(_Group(Path("x.yaml"), ["a", "b"], False), 3)]
    result = CliRunner().invoke(demo, ["two", "--path", "y.yaml", "--loud"])
    assert result.exit_code == 0, result.output
    assert seen[-1] == (_Group(Path("y.yaml"), None, True), 0)


def test_a_missing_shared_option_is_refused_like_any_other() -> None:
    result = CliRunner().invoke(demo, ["one", "--count", "2"])
    assert result.exit_code == 2
    assert "--path" in result.output


def test_help_lists_the_group_first_then_the_command_own_options_and_its_docstring() -> None:
    out = CliRunner().invoke(demo, ["one", "--help"], env={"COLUMNS": "200"}).output
    assert "The first command." in out
    order = [out.index(flag) for flag in ("--path", "--name", "--loud", "--count")]
    assert order == sorted(order)


@pytest.mark.parametrize("command", ["audit", "plan", "apply"])
def test_host_commands_still_list_every_host_option(command: str) -> None:
    out = CliRunner().invoke(app, ["host", command, "--help"], env={"COLUMNS": "200"}).output
    for flag in ("--policy", "--interface", "--json", "--netns", "--role", "--profile"):
        assert flag in out, f"host {command} lost {flag}"
    assert ("--dry-run" in out) == (command == "apply")


@pytest.mark.parametrize("command", ["plan", "apply", "rollback"])
def test_device_commands_still_list_their_targets_first(command: str) -> None:
    out = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
    order = [out.index(flag) for flag in ("--inventory", "--policy", "--limit", "--group", "--insecure-skip")]
    assert order == sorted(order), f"{command}: targets no longer first"
