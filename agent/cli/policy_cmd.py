"""`roce-agent policy ...` (validate, show, schema, headroom)."""

from __future__ import annotations

import typer

from agent.cli import app

policy_app = typer.Typer(help="Validate and inspect lossless policies; compute PFC headroom.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
