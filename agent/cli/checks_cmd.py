"""`roce-agent checks list|explain`: the numbered check catalogue (like `netq show unit-tests`)."""

from __future__ import annotations

import json

import typer

from agent.checks.modes import mode_note
from agent.checks.registry import catalogue, matches
from agent.errors import EXIT_CANNOT_RUN

checks_app = typer.Typer(help="The numbered check catalogue: list checks, explain one.", no_args_is_help=True)


@checks_app.command("list")
def list_cmd(
    only: list[str] = typer.Option([], "--checks", help="Only ids, id prefixes or tags (e.g. pfc, SW-BUF)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable JSON."),
) -> None:
    """Every check with its id, severity, scope and tags."""
    specs = [s for s in catalogue().values() if not only or matches(s, only)]
    if as_json:
        rows = [
            {
                "id": s.id,
                "title": s.title,
                "scope": s.scope,
                "severity": s.severity.value,
                "tags": sorted(s.tags),
                "explanation": s.explanation,
            }
            for s in specs
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    for s in specs:
        typer.echo(f"{s.id:<15} {s.severity.value:<8} {s.scope:<8} {s.title}  [{', '.join(sorted(s.tags))}]")


@checks_app.command("explain")
def explain_cmd(check_id: str = typer.Argument(..., help="Check id, e.g. SW-PFC-001.")) -> None:
    """What a check verifies, why it matters, and its default severity."""
    spec = catalogue().get(check_id.upper())
    if spec is None:
        typer.echo(f"error: no check {check_id!r}; see `roce-agent checks list`", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN)
    typer.echo(f"{spec.id}: {spec.title}")
    typer.echo(f"scope {spec.scope}, default severity {spec.severity.value}, tags {', '.join(sorted(spec.tags))}")
    typer.echo(mode_note(spec.id))
    typer.echo("")
    typer.echo(spec.explanation)
