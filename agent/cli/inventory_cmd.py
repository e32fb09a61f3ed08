"""`roce-agent inventory ...`: write a Nornir SimpleInventory from containerlab; show an inventory.

`from-clab` is for people who prefer files to the `ClabInventory` plugin: same hosts, groups and links
(agent.inventory.clab_plugin), written as hosts/groups/defaults/links.yaml that `-i DIR` reads.
`wait-ready` polls a deployed containerlab lab until SONiC inside it can be configured (CI).
Exit codes: 0 = done / ready, 1 = not ready by the deadline, 2 = invalid input or unwritable output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from nornir.core.inventory import Host, Inventory

    from agent.errors import InputError
    from agent.inventory.clab_plugin import ClabSource
    from agent.topology.model import Topology

inventory_app = typer.Typer(
    help="Build Nornir inventories from containerlab and inspect inventories.", no_args_is_help=True
)


def _fail(exc: InputError) -> typer.Exit:
    for problem in exc.problems:
        typer.echo(f"error: {problem}", err=True)
    return typer.Exit(2)


def _read_source(topology: Path) -> ClabSource:
    """Read a containerlab source for a command; a bad file exits 2 before anything else happens."""
    from agent.errors import InputError
    from agent.inventory.clab_plugin import read_source

    try:
        return read_source(topology)
    except InputError as exc:
        raise _fail(exc) from None


@inventory_app.command("from-clab")
def from_clab(
    topology: Path = typer.Argument(
        ..., help="A *.clab.yml, a deployed lab's topology-data.json or nornir-simple-inventory.yml, or clab-<lab>/."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Inventory directory to write (created if missing)."),
    policy: Path | None = typer.Option(None, "--policy", help="Copy this policy file into the directory."),
    as_json: bool = typer.Option(False, "--json", help="Summary as JSON on stdout."),
) -> None:
    """Write hosts/groups/defaults/links.yaml for a containerlab lab. Exit 0 done, 2 invalid input."""
    from agent.app.inventory import ClabInventoryRequest, write_clab_inventory
    from agent.errors import InputError

    try:
        written = write_clab_inventory(ClabInventoryRequest(topology, output, policy))
    except InputError as exc:
        raise _fail(exc) from None
    summary = {
        "output": str(written.output),
        "lab": written.lab,
        "hosts": written.hosts,
        "links": written.links,
        "skipped": written.skipped,
        "notes": written.notes,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(f"wrote {output}: {written.hosts} hosts, {written.links} links (lab {written.lab})")
    for node in written.skipped:
        typer.echo(f"note: {node} left out: the agent does not manage that kind", err=True)
    for note in written.notes:
        typer.echo(f"note: {note}", err=True)


def _load(source: Path) -> tuple[Inventory, Topology]:
    """An inventory directory (hosts.yaml) through the agent's loader, else a containerlab source."""
    from agent.inventory.clab_plugin import build_inventory, read_source, render_docs, topology_from_inventory
    from agent.inventory.loader import load_nornir, load_topology

    if source.is_dir() and (source / "hosts.yaml").is_file():
        nr = load_nornir(source)
        kinds = {h.name: str(h.get("device_kind")) for h in nr.inventory.hosts.values() if h.get("device_kind")}
        return nr.inventory, load_topology(source, kinds)
    inventory = build_inventory(render_docs(read_source(source)))
    return inventory, topology_from_inventory(inventory)


def _host_row(host: Host) -> dict[str, Any]:
    return {
        "name": host.name,
        "hostname": host.hostname,
        "port": host.port,
        "groups": [g.name for g in host.groups],
        "kind": host.get("device_kind"),
        "role": host.get("role"),
        "transport": host.get("transport") or "ssh",
    }


@inventory_app.command("show")
def show(
    inventory: Path = typer.Option(
        ..., "--inventory", "-i", help="Inventory directory, or a containerlab file / lab directory."
    ),
    as_json: bool = typer.Option(False, "--json", help="Hosts, groups and links as JSON on stdout."),
) -> None:
    """List hosts (address, groups, role, transport), groups and links. No secret is ever printed."""
    from agent.errors import InputError

    try:
        inv, topo = _load(inventory)
    except InputError as exc:
        raise _fail(exc) from None
    hosts = [_host_row(h) for h in inv.hosts.values()]
    groups = [
        {"name": g.name, "platform": g.platform, "members": sorted(h.name for h in inv.hosts.values() if g in h.groups)}
        for g in inv.groups.values()
    ]
    links = [{"a": str(lk.a), "b": str(lk.b), "role": lk.role} for lk in topo.links]
    if as_json:
        typer.echo(json.dumps({"hosts": hosts, "groups": groups, "links": links}, indent=2))
        return
    _print_tables(hosts, groups, links)


def _print_tables(hosts: list[dict[str, Any]], groups: list[dict[str, Any]], links: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table("host", "address", "groups", "kind", "role", "transport", title=f"{len(hosts)} hosts")
    for h in hosts:
        address = f"{h['hostname']}:{h['port']}" if h["port"] else str(h["hostname"])
        table.add_row(h["name"], address, ", ".join(h["groups"]), h["kind"] or "", h["role"] or "", h["transport"])
    console.print(table)
    gtable = Table("group", "platform", "members", title=f"{len(groups)} groups")
    for g in groups:
        gtable.add_row(g["name"], g["platform"] or "", ", ".join(g["members"]))
    console.print(gtable)
    ltable = Table("a", "b", "role", title=f"{len(links)} links")
    for lk in links:
        ltable.add_row(lk["a"], lk["b"], lk["role"])
    console.print(ltable)


@inventory_app.command("wait-ready")
def wait_ready_cmd(
    topology: Path = typer.Argument(..., help="The lab's *.clab.yml, topology-data.json or clab-<lab>/ directory."),
    timeout: float = typer.Option(600.0, "--timeout", min=0, help="Give up after this many seconds."),
    poll: float = typer.Option(5.0, "--poll", min=0.1, help="Seconds between polling rounds."),
    as_json: bool = typer.Option(False, "--json", help="Final state of every node as JSON on stdout."),
) -> None:
    """Poll a deployed lab (docker exec) until swss/syncd run and every cabled port is up. Exit 0 ready, 1 not."""
    from agent.transports.clab_ready import Readiness, wait_ready

    src = _read_source(topology)
    if shutil.which("docker") is None:
        typer.echo("error: the docker CLI is not on PATH; wait-ready reaches the nodes with docker exec", err=True)
        raise typer.Exit(2)

    def progress(results: list[Readiness]) -> None:
        waiting = [f"{r.device}: {r.detail}" for r in results if not r.ready]
        typer.echo(f"waiting for {len(waiting)} node(s): " + "; ".join(waiting) if waiting else "all ready", err=True)

    results = wait_ready(src, timeout_s=timeout, poll_s=poll, on_poll=progress)
    if as_json:
        typer.echo(json.dumps([{"device": r.device, "ready": r.ready, "detail": r.detail} for r in results], indent=2))
    if not all(r.ready for r in results):
        for r in results:
            if not r.ready:
                typer.echo(f"not ready: {r.device}: {r.detail}", err=True)
        raise typer.Exit(1)
