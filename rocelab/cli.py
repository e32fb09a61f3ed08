"""`rocelab ...`, also `roce-agent lab ...` where the `[lab]` extra is installed: the built-in lab of
device twins (up, status, down, fault, traffic).

The lab serves one SSH twin per node of a containerlab topology on 127.0.0.1 and writes a Nornir
inventory for it, so every other command can be pointed at the lab exactly as at real devices.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncssh
import typer
from rich.console import Console
from rich.table import Table

from agent.errors import EXIT_CANNOT_RUN, EXIT_FINDINGS, InputError
from agent.inventory.clab import load_clab
from rocelab.control import LabError, lab_status, request, start_lab, stop_lab
from rocelab.cost import cost_model as parse_cost_model
from rocelab.paths import DEFAULT_INVENTORY, DEFAULT_TOPOLOGY, PASSWORD_ENV, LabPaths, default_state_dir, project_root
from rocelab.ports import BASE_PORT_ENV, PortsBusy, choose_base_port
from rocelab.runtime import RuntimeOptions
from rocelab.spec import DEFAULT_BASE_PORT

lab_app = typer.Typer(
    help="Run the built-in lab: SONiC and RDMA-host twins over real SSH, driven by a containerlab topology. "
    "State lives in .lab/ at the project root (override with $ROCE_AGENT_LAB_DIR).",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)


def _paths() -> LabPaths:
    return LabPaths(default_state_dir())


def _fail(message: str, code: int) -> typer.Exit:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _nodes_table(state: dict[str, Any]) -> Table:
    table = Table("device", "kind", "clab kind", "role", "address", "port", "sessions", box=None)
    for n in state["nodes"]:
        sessions = str(n.get("sessions", "")) if "sessions" in n else "-"
        table.add_row(
            n["name"], n["device_kind"], n["clab_kind"], n.get("role") or "-", n["address"], str(n["port"]), sessions
        )
    return table


def _print_summary(state: dict[str, Any]) -> None:
    console.print(_nodes_table(state))
    console.print(f"inventory    {state['inventory']}", markup=False, highlight=False)
    console.print(f"known_hosts  {state['known_hosts']}", markup=False, highlight=False)
    console.print(f"client key   {state['client_key']}", markup=False, highlight=False)
    where = state.get("password_file") or f"${PASSWORD_ENV}"
    console.print(f"password     user admin, password in {where}", markup=False, highlight=False)
    uptime = f", up {state['uptime_s']:.0f}s" if state.get("uptime_s") is not None else ""
    console.print(f"lab {state['lab']}: pid {state['pid']}{uptime}", markup=False, highlight=False)


@lab_app.command("up")
def up(
    topology: Path | None = typer.Argument(None, help=f"containerlab topology file (default: {DEFAULT_TOPOLOGY})"),
    inventory: Path | None = typer.Option(
        None,
        "--inventory",
        "-i",
        help=f"where to write the Nornir inventory (default: {DEFAULT_INVENTORY} for the "
        "default topology, else the state dir's inventory/)",
    ),
    latency: float = typer.Option(0.0, "--latency", min=0.0, help="added to every command, in milliseconds"),
    cost_model: str | None = typer.Option(
        None,
        "--cost-model",
        help="device time per tool invocation: x86, arm, or flat:<N>ms (N ms per command line, as --latency N); "
        "see benchmarks/README.md",
    ),
    base_port: int | None = typer.Option(
        None,
        "--base-port",
        help=f"port of the first node (sorted by name); default ${BASE_PORT_ENV}, else {DEFAULT_BASE_PORT} "
        "or, when that range is taken, the next free one",
    ),
    policy: Path | None = typer.Option(None, "--policy", help="copy this policy file into the inventory"),
    timeout: float = typer.Option(60.0, "--timeout", help="seconds to wait for every twin to answer"),
    json_out: bool = typer.Option(False, "--json", help="print the lab state as JSON"),
    twin_factory: str | None = typer.Option(None, "--twin-factory", hidden=True),
) -> None:
    """Start the lab in the background; returns when every twin accepts SSH connections (exit 1 if one runs)."""
    if cost_model is not None:
        try:
            parse_cost_model(cost_model)  # an unknown profile is refused before anything starts
        except ValueError as exc:
            raise _fail(f"error: --cost-model: {exc}", EXIT_CANNOT_RUN) from exc
    root = project_root()
    paths = _paths()
    topo_file = topology or root / DEFAULT_TOPOLOGY
    if inventory is None:
        is_default = topology is None or topo_file.resolve() == (root / DEFAULT_TOPOLOGY).resolve()
        inventory = root / DEFAULT_INVENTORY if is_default else paths.root / "inventory"
    try:
        choice = choose_base_port(len(load_clab(topo_file).nodes), base_port)
        options = RuntimeOptions(
            topo_file, inventory, paths.root, choice.base, latency, policy, twin_factory, cost_model
        )
        state = start_lab(options, timeout_s=timeout)
    except PortsBusy as exc:
        raise _fail(f"error: {exc}", EXIT_CANNOT_RUN) from exc
    except InputError as exc:
        raise _fail(str(exc), EXIT_CANNOT_RUN) from exc
    except LabError as exc:
        raise _fail(str(exc), exc.code) from exc
    if choice.how == "moved":
        last = choice.base + len(state["nodes"]) - 1
        err.print(
            f"note: {_ports_text(choice.busy)} of the default range {DEFAULT_BASE_PORT}.. in use; the lab listens "
            f"on {choice.base}..{last} (choose with --base-port N or ${BASE_PORT_ENV}=N)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if json_out:
        typer.echo(json.dumps(state, indent=2))
    else:
        _print_summary(state)


def _ports_text(ports: tuple[int, ...]) -> str:
    return ("port " if len(ports) == 1 else "ports ") + ", ".join(str(p) for p in ports)


@lab_app.command("status")
def status(json_out: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Devices, kinds, addresses, ports, inventory path, pid and uptime of the running lab (exit 1: none runs)."""
    state = lab_status(_paths())
    if state is None:
        if json_out:
            typer.echo(json.dumps({"running": False}))
        else:
            err.print("no lab is running")
        raise typer.Exit(EXIT_FINDINGS)
    if json_out:
        typer.echo(json.dumps({"running": True, **state}, indent=2))
    else:
        _print_summary(state)


@lab_app.command("down")
def down() -> None:
    """Stop the lab and remove its state dir (no lab running is not an error)."""
    pid = stop_lab(_paths())
    console.print("no lab was running" if pid is None else f"lab stopped (pid {pid})", markup=False)


def _control(payload: dict[str, Any], json_out: bool) -> None:
    paths = _paths()
    if lab_status(paths) is None:
        raise _fail("no lab is running; start one with `roce-agent lab up`", EXIT_CANNOT_RUN)
    try:
        reply = request(paths, payload)
    except (OSError, ValueError) as exc:
        raise _fail(f"the lab does not answer on {paths.control}: {exc}", EXIT_CANNOT_RUN) from exc
    if json_out:
        typer.echo(json.dumps(reply))
    if not reply.get("ok"):
        raise _fail(str(reply.get("error")), int(reply.get("code", EXIT_CANNOT_RUN)))
    if not json_out:
        console.print(f"{payload['device']}: {reply.get('message')}", markup=False, highlight=False)


def _options(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _fail(f"{pair!r}: fault options are KEY=VALUE", EXIT_CANNOT_RUN)
        out[key] = value
    return out


@lab_app.command("fault")
def fault(
    device: str = typer.Argument(..., help="lab device, e.g. leaf1"),
    kind: str = typer.Argument(..., help="fault kind the twin knows (see the twin's documentation)"),
    options: list[str] = typer.Argument(None, help="KEY=VALUE options of the fault"),
    json_out: bool = typer.Option(False, "--json", help="print the lab's reply as JSON"),
) -> None:
    """Arm a fault on one twin (e.g. drop the session after k writes, fail a command, add latency)."""
    _control({"op": "fault", "device": device, "kind": kind, "options": _options(options or [])}, json_out)


@lab_app.command("traffic")
def traffic(
    device: str = typer.Argument(..., help="lab device, e.g. leaf1"),
    port: str = typer.Argument(..., help="port in the device's naming, e.g. Ethernet0 or eth1"),
    pattern: str = typer.Argument(..., help="traffic pattern the twin models: idle, steady, incast ..."),
    json_out: bool = typer.Option(False, "--json", help="print the lab's reply as JSON"),
) -> None:
    """Drive the counter model of one port of one twin."""
    _control({"op": "traffic", "device": device, "port": port, "pattern": pattern}, json_out)


@lab_app.command("exec")
def exec_(
    device: str = typer.Argument(..., help="lab device, e.g. leaf1"),
    command: str = typer.Argument(..., help="one command line, as you would type it after `ssh admin@DEVICE`"),
) -> None:
    """Run one command on a twin over real SSH (pinned host key, the lab's client key), like an operator would.

    Handy for out-of-band changes the audit should catch, e.g.
    `roce-agent lab exec leaf1 "sudo sonic-db-cli CONFIG_DB hset 'PORT_QOS_MAP|Ethernet0' pfc_enable 4"`.
    Exits with the command's own exit status.
    """
    state = lab_status(_paths())
    if state is None:
        raise _fail("no lab is running; start one with `roce-agent lab up`", EXIT_CANNOT_RUN)
    node = next((n for n in state["nodes"] if n["name"] == device), None)
    if node is None:
        known = ", ".join(n["name"] for n in state["nodes"])
        raise _fail(f"unknown device {device!r}; devices: {known}", EXIT_CANNOT_RUN)
    try:
        result = run_over_ssh(
            node["address"], int(node["port"]), Path(state["client_key"]), Path(state["known_hosts"]), command
        )
    except (OSError, asyncssh.Error) as exc:
        raise _fail(f"{device}: ssh failed: {exc}", EXIT_FINDINGS) from exc
    typer.echo(result.stdout, nl=False)
    if result.stderr:
        typer.echo(result.stderr, nl=False, err=True)
    raise typer.Exit(result.exit_status or 0)


def run_over_ssh(address: str, port: int, key: Path, known_hosts: Path, command: str) -> asyncssh.SSHCompletedProcess:
    async def _run() -> asyncssh.SSHCompletedProcess:
        async with asyncssh.connect(
            address, port, username="admin", client_keys=[str(key)], known_hosts=str(known_hosts)
        ) as conn:
            return await conn.run(command, check=False)

    return asyncio.run(_run())


def main() -> None:
    """Console entry `rocelab`: the same commands as `roce-agent lab`."""
    lab_app()
