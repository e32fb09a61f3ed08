"""`roce-agent fabric entropy`: how evenly the switches' ECMP hashes spread a collective's RoCE flows.

Exit: 0 every tier within the threshold, 1 a tier above it, 2 could not run (bad input, no flows).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agent.cli.options import GROUP_OPT, INSECURE_OPT, JSON_OPT, LIMIT_OPT, POLICY_OPT, cannot_run, inventory_request

if TYPE_CHECKING:
    from agent.app.entropy import EntropyRun

fabric_app = typer.Typer(help="Fabric-wide analyses: the ECMP entropy audit.", no_args_is_help=True)


@fabric_app.callback()
def _fabric() -> None:
    """Fabric-wide analyses (a group even with one command, so `fabric entropy` stays its name)."""


@fabric_app.command("entropy")
def entropy_cmd(
    inventory: Path = typer.Option(..., "-i", "--inventory", help="Inventory directory (Nornir + links.yaml)."),
    policy: Path = POLICY_OPT,
    from_snapshot: Path = typer.Option(None, "--from-snapshot", help="Use saved states; no device contacted."),
    qps: int = typer.Option(None, "--qps", min=1, max=128, help="QPs per connection (default: the policy's, or 4)."),
    threshold: float = typer.Option(None, "--threshold", min=1.0, help="Warn above this busiest/mean ratio per tier."),
    html_out: Path = typer.Option(None, "--html", help="Write a self-contained HTML heat map to this file."),
    as_json: bool = JSON_OPT,
    limit: str = LIMIT_OPT,
    group: str = GROUP_OPT,
    insecure: bool = INSECURE_OPT,
) -> None:
    """Simulate ring all-reduce over every GPU host (K QPs per connection, seeded random RoCE source
    ports) through each switch's ECMP hash as read from it, and print per-tier uplink load. An estimate:
    CRC32 over the configured fields with the seed stands in for the ASIC's hash."""
    from agent.app.entropy import EntropyRequest, entropy
    from agent.errors import InputError
    from agent.loadbalancing.heatmap import render_html

    request = EntropyRequest(
        inventory_request(inventory, policy, limit, group, insecure), from_snapshot, qps, threshold
    )
    try:
        run = entropy(request)
    except InputError as exc:
        cannot_run(exc)
    for name, why in sorted(run.errors.items()):
        typer.echo(f"{name}: not read: {why}", err=True)
    if html_out is not None:
        Path(html_out).write_text(render_html(run.result), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(run.result.to_json(), indent=2))
    else:
        _table(run)
    if run.result.report.flows == 0:
        typer.echo("error: the topology has fewer than two hosts: no ring to simulate", err=True)
    raise typer.Exit(run.exit_code)


def _table(run: EntropyRun) -> None:
    res, rep = run.result, run.result.report
    typer.echo(f"{rep.flows} flows: ring all-reduce over {res.hosts} hosts, {rep.qps} QPs per connection")
    typer.echo(f"{'tier':<24} {'links':>6} {'mean':>7} {'max':>5} {'max/mean':>9} {'idle':>5}  verdict")
    for v in res.verdicts:
        s = v.stats
        verdict = f"ABOVE {v.threshold:g}x" if v.over else "ok"
        typer.echo(
            f"{s.tier:<24} {s.links:>6} {s.mean:>7.2f} {s.max:>5} {s.max_over_mean:>9.2f} {s.idle:>5}  {verdict}"
        )
    typer.echo("busiest links: " + ", ".join(f"{ld.src}->{ld.dst} {ld.flows}" for ld in rep.worst() if ld.flows))
    if res.unknown_hash:
        typer.echo("no readable hash (modelled as hashing on nothing): " + ", ".join(res.unknown_hash))
    if rep.unrouted:
        typer.echo(f"{rep.unrouted} flows had no switch path (links.yaml gap)")
    typer.echo(f"model: {rep.model}; {res.note}")
