"""Load an inventory directory: Nornir SimpleInventory + links.yaml + the directory's policy file.

Directory layout (what `roce-agent lab up` writes and what operators keep in git):

    hosts.yaml groups.yaml defaults.yaml   Nornir SimpleInventory (no secrets)
    links.yaml                             links: [{a: leaf1:Ethernet0, b: host1:eth1, role: host}, ...]
    policy.yaml                            the lossless policy for these devices
    known_hosts                            pinned SSH host keys (OpenSSH format)

Host data keys the agent reads (flat, because Nornir does not deep-merge data):
    device_kind: switch | host      nos: sonic (switches)      role: leaf | spine | rdma-host ...
    port_speed: 400G (default for every port)   ports: {Ethernet0: 400G}   rdma_interfaces: [eth1]
    roce_profile: inference (a profile of the policy file; else its default_profile)
Credentials: `password` may be omitted from files; it is taken from $ROCE_AGENT_PASSWORD, or from the
variable named by host data `password_env`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.inventory import Defaults, Group, Host

from agent.errors import InputError
from agent.intent import InventoryDevice
from agent.inventory.access import shared_addresses
from agent.inventory.model import Link as InventoryLink
from agent.inventory.model import LinksFile
from agent.inventory.nornir_build import build_nornir
from agent.inventory.validate import (
    DEFAULTS_FILE,
    GROUPS_FILE,
    HOSTS_FILE,
    LINKS_FILE,
    ValidInventory,
    validate_inventory,
)
from agent.policy.units import parse_speed_mbps
from agent.redact import register_secret
from agent.state import DeviceKind
from agent.topology.model import Endpoint, Link, Topology
from agent.yamlfile import validate_document
from agent.yamlsafe import load_text, read_text

POLICY_FILE = "policy.yaml"
KNOWN_HOSTS_FILE = "known_hosts"
PASSWORD_ENV = "ROCE_AGENT_PASSWORD"
_FILE_OPTIONS = {"host_file": HOSTS_FILE, "group_file": GROUPS_FILE, "defaults_file": DEFAULTS_FILE}  # SimpleInventory


def load_nornir(inventory_dir: Path, *, num_workers: int = 32, verify_host_keys: bool = True) -> Nornir:
    """InitNornir over the directory's SimpleInventory, with credentials and host-key policy applied.

    The whole directory (hosts, groups, defaults, links) is validated first (agent.inventory.validate),
    and no two hosts may share an address and port: InputError (exit 2) before any connection. Secrets
    are checked separately, on the devices a command selects (agent.inventory.access.require_secrets).
    """
    return load_validated(inventory_dir, num_workers=num_workers, verify_host_keys=verify_host_keys)[0]


def load_validated(
    inventory_dir: Path, *, num_workers: int = 32, verify_host_keys: bool = True
) -> tuple[Nornir, ValidInventory]:
    """load_nornir, and what validation read (its links: `topology_of`, so links.yaml is read once)."""
    inv = Path(inventory_dir)
    valid = validate_inventory(inv)
    # Always name all three files: SimpleInventory's defaults are relative to the working directory, so
    # an inventory without groups.yaml would otherwise pick up ./groups.yaml from wherever the agent runs.
    options = {option: str(inv / name) for option, name in _FILE_OPTIONS.items()}
    runner = {"plugin": "threaded", "options": {"num_workers": num_workers}}
    if valid.files.lines:  # read again with lines to locate a problem: let SimpleInventory read the files
        nr = InitNornir(
            runner=runner, inventory={"plugin": "SimpleInventory", "options": options}, logging={"enabled": False}
        )
    else:  # the plain documents validation read: not a second time (agent.inventory.nornir_build)
        docs = {option: valid.files.docs[name] for option, name in _FILE_OPTIONS.items() if name in valid.files.docs}
        nr = build_nornir(docs, options, runner)
    shared = shared_addresses(nr, valid.files)
    if shared:
        raise InputError(shared)
    resolve_key_files(nr, inv)
    known_hosts = inv / KNOWN_HOSTS_FILE
    for host in nr.inventory.hosts.values():
        apply_credentials(host)
        register_secret(host.password)  # masked in every output from now on (agent.redact)
        apply_host_key_policy(host, known_hosts if known_hosts.is_file() else None, verify_host_keys)
    return nr, valid


def resolve_key_files(nr: Nornir, inventory_dir: Path) -> None:
    """Relative SSH `key_file` paths in connection extras are relative to the inventory directory.

    That lets a committed inventory (e.g. the lab's) name a key outside itself portably
    (`../../.lab/id_ed25519`) instead of an absolute path that differs per checkout. Covers netmiko
    `extras.key_file` and napalm `extras.optional_args.key_file` on defaults, groups and hosts.
    """
    base = Path(inventory_dir).resolve()
    owners: list[Defaults | Group | Host] = [nr.inventory.defaults, *nr.inventory.groups.values()]
    owners += nr.inventory.hosts.values()
    for owner in owners:
        for options in owner.connection_options.values():
            extras = options.extras or {}
            for holder in (extras, extras.get("optional_args")):
                key = holder.get("key_file") if isinstance(holder, dict) else None
                if isinstance(key, str) and key and not Path(key).expanduser().is_absolute():
                    holder["key_file"] = os.path.normpath(base / key)  # type: ignore[index]


def apply_credentials(host: Host) -> None:
    """Fill a missing password from the environment; the value never lands in any file or report."""
    if host.password:
        return
    env_name = host.get("password_env") or PASSWORD_ENV
    value = os.environ.get(str(env_name))
    if value:
        host.password = value


def apply_host_key_policy(host: Host, known_hosts: Path | None, verify: bool) -> None:
    """Netmiko/NAPALM options so that unknown host keys are refused unless the user opts out."""
    extras: dict[str, Any] = {"ssh_strict": verify, "system_host_keys": False}  # only the inventory pins keys
    if known_hosts is not None:
        extras.update({"alt_host_keys": True, "alt_key_file": str(known_hosts)})
    host.data["_ssh_options"] = extras


def device_kind(host: Host) -> DeviceKind:
    kind = host.get("device_kind")
    if kind in ("switch", "host"):
        return DeviceKind(kind)
    return DeviceKind.switch if host.get("nos") == "sonic" else DeviceKind.host


def inventory_device(host: Host) -> InventoryDevice:
    kind = device_kind(host)
    ports = {str(k): parse_speed_mbps(v) for k, v in (host.get("ports") or {}).items()}
    default_speed = host.get("port_speed")
    return InventoryDevice(
        name=host.name,
        kind=kind,
        platform="sonic" if kind is DeviceKind.switch else "linux-rdma",
        role=host.get("role"),
        groups=tuple(g.name for g in host.groups),
        port_speed_mbps=ports,
        default_speed_mbps=parse_speed_mbps(default_speed) if default_speed else None,
        interface_networks={str(k): str(v) for k, v in (host.get("interface_networks") or {}).items()},
        profile=str(profile) if (profile := host.get("roce_profile")) is not None else None,
    )


def inventory_devices(nr: Nornir) -> list[InventoryDevice]:
    return [inventory_device(h) for h in nr.inventory.hosts.values()]


def load_topology(inventory_dir: Path, kinds: dict[str, str] | None = None) -> Topology:
    """Read links.yaml (validated like the rest of the inventory); a missing file is an empty topology."""
    path = Path(inventory_dir) / LINKS_FILE
    model = _links_file(path) if path.is_file() else None
    return topology_of(model.links if model is not None else [], kinds)


def topology_of(links: Sequence[InventoryLink], kinds: dict[str, str] | None = None) -> Topology:
    """The fabric's links as validated (links.yaml's entries), with each device's kind."""
    built = [
        Link(Endpoint(*a), Endpoint(*b), raw.role, raw.speed, raw.network, raw.roce_profile)
        for raw in links
        for a, b in (raw.ends(),)
    ]
    return Topology(links=built, kinds=dict(kinds or {}))


def _links_file(path: Path) -> LinksFile | None:
    """links.yaml read fast (safe loader); only a file with problems is read again with lines to locate them."""
    for lines in (False, True):
        try:
            doc = load_text(read_text(path), path, lines=lines)
        except InputError:
            if lines:
                raise
            continue
        if doc is None:
            return None
        model, problems = validate_document(doc, path, LinksFile)
        if model is not None and not problems:
            return model
        if lines:
            raise InputError(problems)
    return None
