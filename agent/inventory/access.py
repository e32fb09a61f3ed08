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
    """One problem per host that shares its (address, port) with an earlier host, per connection type."""
    seen: dict[tuple[str, str, int], str] = {}
    clashes: dict[tuple[str, str], list[str]] = defaultdict(list)  # (host, first) -> connection types
    where: dict[tuple[str, str], tuple[str, int]] = {}
    for host in nr.inventory.hosts.values():
        if _uses_docker(host):
            continue
        for connection in CONNECTIONS:
            reach = address_of(host, connection)
            if reach is None:
                continue
            key = (connection, *reach)
            first = seen.setdefault(key, host.name)
            if first != host.name:
                clashes[(host.name, first)].append(connection)
                where[(host.name, first)] = reach
    problems = []
    for (name, first), connections in clashes.items():
        address, port = where[(name, first)]
        msg = (
            f"{name} and {first} both resolve to {address}:{port} for {' and '.join(connections)}: "
            "each device needs its own address and port (else commands meant for one reach the other)"
        )
        problems.append(files.problem(HOSTS_FILE, _address_loc(files, name), msg))
    return problems


def _address_loc(files: InventoryFiles, name: str) -> Loc:
    entry = (files.docs.get(HOSTS_FILE) or {}).get(name)
    for key in ("port", "hostname"):
        if isinstance(entry, dict) and key in entry:
            return (name, key)
    return (name,)


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
        msg = (
            f"environment variable {variable} is not set: {who} takes the password of {len(hosts)} device(s) "
            f"from it ({listed}). Export {variable}, or remove password_env to log in with keys"
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
