"""How each inventory host is reached, checked before anything connects.

Two rules need the inventory as Nornir resolves it (host, then its groups, then defaults):

* **One device per address.** Two hosts that resolve to the same (address, port) for one connection
  type are one device under two names: a change planned for one would be written to the other (issue
  12: nornir_napalm's shared `optional_args` made four switches one). Refused, naming both hosts.
* **Secrets present.** A `password_env: VAR` whose variable is unset would fail one login per device
  ("authentication failed" eight times); it is one error naming the variable and where it is set, and
  no login is attempted.
"""

from __future__ import annotations

import ipaddress
import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from nornir.core import Nornir
from nornir.core.inventory import Group, Host

from agent.errors import InputError, InputProblem
from agent.inventory.model import NAPALM_PLATFORMS
from agent.inventory.validate import DEFAULTS_FILE, GROUPS_FILE, HOSTS_FILE, InventoryFiles, read_files

#: Connection types the agent and plain Nornir jobs over these inventories open to a device.
CONNECTIONS = ("netmiko", "napalm")
PASSWORD_ENV_KEY = "password_env"

Loc = tuple[str | int, ...]


def _normal(address: str) -> str:
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        return address.lower().rstrip(".")


def _uses_docker(host: Host) -> bool:
    return bool(host.get("transport") == "docker")


def address_of(host: Host, connection: str) -> tuple[str, int] | None:
    """(address, port) `connection` opens for `host`, as Nornir + nornir_napalm resolve it; None: not used."""
    params = host.get_connection_parameters(connection)
    if connection == "napalm" and params.platform not in NAPALM_PLATFORMS:
        return None
    port = params.port or 22
    optional = (params.extras or {}).get("optional_args") if connection == "napalm" else None
    if isinstance(optional, dict) and isinstance(optional.get("port"), int):
        port = int(optional["port"])  # nornir_napalm keeps an optional_args port over the host's
    return _normal(params.hostname or host.name), port


def shared_addresses(nr: Nornir, files: InventoryFiles) -> list[InputProblem]:
    """One problem per set of hosts that resolve to one (address, port), naming all of them."""
    by_reach: dict[tuple[str, str, int], list[Host]] = defaultdict(list)
    for host in nr.inventory.hosts.values():
        if _uses_docker(host):
            continue
        for connection in CONNECTIONS:
            reach = address_of(host, connection)
            if reach is not None:
                by_reach[(connection, reach[0], reach[1])].append(host)
    merged: dict[tuple[tuple[str, ...], str, int], list[str]] = defaultdict(list)  # (hosts, addr, port) -> conns
    for (connection, address, port), hosts in by_reach.items():
        if len(hosts) > 1:
            merged[(tuple(h.name for h in hosts), address, port)].append(connection)
    problems = []
    for (names, address, port), connections in merged.items():
        listed = f"{', '.join(names[:-1])} and {names[-1]}"
        msg = (
            f"{listed} {'both' if len(names) == 2 else 'all'} resolve to {address}:{port} for "
            f"{' and '.join(connections)}: each device needs its own address and port (else commands meant "
            "for one reach another)"
        )
        fname, loc = _address_loc(files, nr.inventory.hosts[names[1]], connections)
        problems.append(files.problem(fname, loc, msg))
    return problems


def _address_loc(files: InventoryFiles, host: Host, connections: list[str]) -> tuple[str, Loc]:
    """Where the shared address comes from: a NAPALM `optional_args.port` set for many hosts at once
    (groups.yaml / defaults.yaml), else the second host's own `port:` / `hostname:` line."""
    if connections == ["napalm"]:
        found = _napalm_port_owner(files, host)
        if found is not None:
            return found
    entry = (files.docs.get(HOSTS_FILE) or {}).get(host.name)
    for key in ("port", "hostname"):
        if isinstance(entry, dict) and key in entry:
            return HOSTS_FILE, (host.name, key)
    return HOSTS_FILE, (host.name,)


def _napalm_port_owner(files: InventoryFiles, host: Host) -> tuple[str, Loc] | None:
    """The entry whose NAPALM extras a host uses, if they set `optional_args.port`. Read from the files:
    Nornir's own resolution writes inherited extras into the group objects it passes through."""
    extras: Loc = ("connection_options", "napalm", "extras")
    owners: list[tuple[str, Loc]] = [(HOSTS_FILE, (host.name,))]
    owners += [(GROUPS_FILE, (g.name,)) for g in _ancestors(host.groups)]
    owners.append((DEFAULTS_FILE, ()))
    for fname, base in owners:
        found = _node(files.docs.get(fname), (*base, *extras))
        if found is not None:  # Nornir takes the first extras found, whole: this one decides
            optional = found.get("optional_args") if isinstance(found, dict) else None
            if isinstance(optional, dict) and "port" in optional:
                return fname, (*base, *extras, "optional_args", "port")
            return None
    return None


def _node(doc: object, loc: Loc) -> object:
    for part in loc:
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _ancestors(groups: Iterable[Group]) -> list[Group]:
    """Groups in Nornir's lookup order: each group, then its parents, depth first."""
    out: list[Group] = []
    for group in groups:
        out.append(group)
        out += _ancestors(group.groups)
    return out


def _group_declaring(groups: Iterable[Group], key: str) -> Group | None:
    """The group whose data gives `key` its value, in Nornir's order (each group before its parents)."""
    for group in groups:
        if key in group.data:
            return group
        found = _group_declaring(group.groups, key)
        if found is not None:
            return found
    return None


def _declared_at(host: Host, key: str) -> tuple[str, Loc, str]:
    """(file, path, who) of the inventory entry that sets host data `key` for `host`."""
    if key in host.data:
        return HOSTS_FILE, (host.name, "data", key), f"device {host.name}"
    group = _group_declaring(host.groups, key)
    if group is not None:
        return GROUPS_FILE, (group.name, "data", key), f"group {group.name}"
    return DEFAULTS_FILE, ("data", key), "defaults.yaml"


def missing_secrets(nr: Nornir, files: InventoryFiles) -> list[InputProblem]:
    """One problem per (variable, declaring entry) whose environment variable is unset or empty."""
    needing: dict[tuple[str, str, Loc, str], list[str]] = defaultdict(list)
    for host in nr.inventory.hosts.values():
        variable = host.get(PASSWORD_ENV_KEY)
        if host.password or _uses_docker(host) or not variable or os.environ.get(str(variable)):
            continue
        fname, loc, who = _declared_at(host, PASSWORD_ENV_KEY)
        needing[(str(variable), fname, loc, who)].append(host.name)
    problems = []
    for (variable, fname, loc, who), hosts in needing.items():
        listed = ", ".join(hosts[:5]) + (f" and {len(hosts) - 5} more" if len(hosts) > 5 else "")
        msg = (  # (no "password|secret <word>" here: agent.redact would mask the word after it)
            f"environment variable {variable} is not set: {who} names it for the login of {len(hosts)} "
            f"device(s) ({listed}). Export {variable}, or remove password_env to log in with keys"
        )
        problems.append(files.problem(fname, loc, msg))
    return problems


def require_secrets(nr: Nornir, inventory_dir: Path) -> None:
    """Refuse (exit 2) before any login when a password variable of a selected host is missing.

    Call it on the inventory as narrowed to the devices a command will contact (--limit, targets), so
    a missing host password does not block a switch-only run."""
    if not any(h.get(PASSWORD_ENV_KEY) and not h.password for h in nr.inventory.hosts.values()):
        return
    files, _ = read_files(inventory_dir)
    problems = missing_secrets(nr, files)
    if problems:
        raise InputError(problems)
