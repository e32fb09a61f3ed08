"""Load an inventory directory: Nornir SimpleInventory + links.yaml + the directory's policy file.

Directory layout (what `roce-agent lab up` writes and what operators keep in git):

    hosts.yaml groups.yaml defaults.yaml   Nornir SimpleInventory (no secrets)
    links.yaml                             links: [{a: leaf1:Ethernet0, b: host1:eth1, role: host}, ...]
    policy.yaml                            the lossless policy for these devices
    known_hosts                            pinned SSH host keys (OpenSSH format)

Host data keys the agent reads (flat, because Nornir does not deep-merge data):
    device_kind: switch | host      nos: sonic (switches)      role: leaf | spine | rdma-host ...
    port_speed: 400G (default for every port)   ports: {Ethernet0: 400G}   rdma_interfaces: [eth1]
Credentials: `password` may be omitted from files; it is taken from $ROCE_AGENT_PASSWORD, or from the
variable named by host data `password_env`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.inventory import Defaults, Group, Host
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from agent.errors import InputError, InputProblem
from agent.intent import InventoryDevice
from agent.policy.units import parse_speed_mbps
from agent.redact import register_secret
from agent.state import DeviceKind
from agent.topology.model import Endpoint, Link, Topology

POLICY_FILE = "policy.yaml"
LINKS_FILE = "links.yaml"
KNOWN_HOSTS_FILE = "known_hosts"
PASSWORD_ENV = "ROCE_AGENT_PASSWORD"


def load_nornir(inventory_dir: Path, *, num_workers: int = 32, verify_host_keys: bool = True) -> Nornir:
    """InitNornir over the directory's SimpleInventory, with credentials and host-key policy applied."""
    inv = Path(inventory_dir)
    hosts = inv / "hosts.yaml"
    if not hosts.is_file():
        raise InputError([InputProblem(hosts, None, "", "no hosts.yaml in the inventory directory")])
    options: dict[str, Any] = {"host_file": str(hosts)}
    for key, fname in (("group_file", "groups.yaml"), ("defaults_file", "defaults.yaml")):
        if (inv / fname).is_file():
            options[key] = str(inv / fname)
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": num_workers}},
        inventory={"plugin": "SimpleInventory", "options": options},
        logging={"enabled": False},
    )
    resolve_key_files(nr, inv)
    known_hosts = inv / KNOWN_HOSTS_FILE
    for host in nr.inventory.hosts.values():
        apply_credentials(host)
        register_secret(host.password)  # masked in every output from now on (agent.redact)
        apply_host_key_policy(host, known_hosts if known_hosts.is_file() else None, verify_host_keys)
    return nr


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
    extras: dict[str, Any] = {"ssh_strict": verify, "system_host_keys": verify}
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
    )


def inventory_devices(nr: Nornir) -> list[InventoryDevice]:
    return [inventory_device(h) for h in nr.inventory.hosts.values()]


def load_topology(inventory_dir: Path, kinds: dict[str, str] | None = None) -> Topology:
    """Read links.yaml; a missing file is an empty topology (device checks still run)."""
    path = Path(inventory_dir) / LINKS_FILE
    if not path.is_file():
        return Topology(kinds=dict(kinds or {}))
    try:
        doc = YAML(typ="safe").load(path.read_text()) or {}
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError([InputProblem(path, line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    links: list[Link] = []
    problems: list[InputProblem] = []
    for i, raw in enumerate(doc.get("links") or []):
        try:
            links.append(
                Link(
                    a=Endpoint.parse(str(raw["a"])),
                    b=Endpoint.parse(str(raw["b"])),
                    role=raw.get("role", "fabric"),
                    speed_mbps=parse_speed_mbps(raw["speed"]) if raw.get("speed") else None,
                )
            )
        except (KeyError, ValueError, TypeError) as exc:
            problems.append(InputProblem(path, None, f"links[{i}]", str(exc)))
    if problems:
        raise InputError(problems)
    return Topology(links=links, kinds=dict(kinds or {}))
