"""Nornir inventory plugin `ClabInventory`: the agent's inventory straight from a containerlab lab.

    InitNornir(inventory={"plugin": "ClabInventory",
                          "options": {"topology": "containerlab/roce-fabric.clab.yml"}})

`topology` may be a topology file (`*.clab.yml`), a deployed lab's `topology-data.json`, containerlab's
generated `nornir-simple-inventory.yml`, or the lab directory `clab-<lab>/` holding them (the JSON wins:
it has links, labels and the real addresses). Nodes of kinds the agent does not manage are left out
(and listed by `read_source`), together with their links.

Hosts, groups and links are those of the built-in lab for the same topology (`agent.inventory.
clab_inventory` decides them for both). What differs is how devices are reached, by design:

* hostname is the node's management IPv4 (else its container name) and port 22, where the lab uses
  127.0.0.1 and one port per twin;
* host data `transport` says how: `docker` (docker exec) for sonic-vs, which runs no sshd, and for linux
  containers; `ssh` for sonic-vm (a VM with sshd, admin:admin by default). sonic-vs hosts also get
  `connection_options.napalm.extras.optional_args: {transport: docker, container: ...}` so the rocesonic
  NAPALM driver goes through `docker exec` when used straight from nornir_napalm; sonic-vm hosts get
  strict host-key options of their own (see `connection_options`); no host shares an options dict;
* defaults carry `username: admin` and the lab name, no key and no password ($ROCE_AGENT_PASSWORD).

Links are in `defaults.data["clab_links"]` (links.yaml's shape); `topology_from_inventory` turns them
into the agent's Topology, as `agent.inventory.loader.load_topology` does for an inventory directory.
A switch's `roce-network` label (e.g. `frontend` on a front-end leaf) is the network of its links and
of the host interfaces cabled to it (host data `interface_networks`), exactly as the lab writes them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nornir.core.inventory import (
    ConnectionOptions,
    Defaults,
    Group,
    Groups,
    Host,
    Hosts,
    Inventory,
    ParentGroups,
)

from agent.errors import InputError, InputProblem
from agent.inventory.clab import ClabTopology, load_clab
from agent.inventory.clab_deployed import (
    ANSIBLE_INVENTORY,
    NORNIR_SIMPLE,
    TOPOLOGY_DATA,
    load_nornir_simple,
    load_topology_data,
)
from agent.inventory.clab_inventory import groups_doc, host_data, host_groups, links_doc
from agent.policy.networks import DEFAULT_NETWORK
from agent.topology.model import Endpoint, Link, Topology
from agent.transports.docker_exec import clab_container_name

log = logging.getLogger(__name__)

SSH_PORT = 22
DEFAULT_USER = "admin"
DOCKER_KINDS = frozenset({"sonic-vs", "linux"})
LINKS_KEY = "clab_links"


@dataclass
class ClabSource:
    """A containerlab lab reduced to the nodes the agent manages."""

    path: Path
    topology: ClabTopology
    containers: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # "name (kind)" of nodes left out
    notes: list[str] = field(default_factory=list)  # links left out, checks that cannot run: tell the user

    def container(self, node: str) -> str:
        return self.containers.get(node) or clab_container_name(self.topology.name, node, self.topology.prefix)


def read_source(path: Path) -> ClabSource:
    """Load any of the accepted containerlab files (or a lab directory) and drop unmanaged nodes."""
    path = Path(path)
    if path.is_dir():
        path = _pick_from_dir(path)
    refuse_ansible(path)
    if path.suffix == ".json":
        topo, containers = load_topology_data(path)
    elif path.name == NORNIR_SIMPLE:
        topo, containers = load_nornir_simple(path)
    else:
        topo, containers = load_clab(path), {}
    return _managed_only(path, topo, containers)


def _pick_from_dir(lab_dir: Path) -> Path:
    for name in (TOPOLOGY_DATA, NORNIR_SIMPLE):
        if (lab_dir / name).is_file():
            return lab_dir / name
    clab_files = sorted(lab_dir.glob("*.clab.y*ml"))
    if len(clab_files) == 1:
        return clab_files[0]
    msg = f"no {TOPOLOGY_DATA}, {NORNIR_SIMPLE} or single *.clab.yml in this directory"
    if (lab_dir / ANSIBLE_INVENTORY).is_file():
        msg += f" ({ANSIBLE_INVENTORY} is not supported)"
    raise InputError([InputProblem(lab_dir, None, "", msg)])


def refuse_ansible(path: Path) -> None:
    """containerlab also writes `ansible-inventory.yml`; it lacks kinds' details and links, so say what to give."""
    if path.name == ANSIBLE_INVENTORY or (path.suffix in (".yml", ".yaml") and _looks_like_ansible(path)):
        msg = f"an Ansible inventory is not supported; give {TOPOLOGY_DATA} or the lab directory (clab-<lab>/)"
        raise InputError([InputProblem(path, None, "", msg)])


def _looks_like_ansible(path: Path) -> bool:
    """Ansible's YAML inventory: a top-level `all:` group with `children:` or `hosts:` and no `topology:`."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    lines = [ln for ln in head.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and lines[0].rstrip() == "all:" and "topology:" not in head


def _managed_only(path: Path, topo: ClabTopology, containers: dict[str, str]) -> ClabSource:
    keep = {name: node for name, node in topo.nodes.items() if node.device_kind is not None}
    skipped = [f"{n.name} ({n.kind})" for n in topo.nodes.values() if n.device_kind is None]
    if not keep:
        raise InputError(
            [InputProblem(path, None, "nodes", "no node of a kind the agent manages (sonic-vs, sonic-vm, linux)")]
        )
    links = [lk for lk in topo.links if lk.a.node in keep and lk.b.node in keep]
    reduced = ClabTopology(topo.name, topo.path, keep, links, topo.mgmt_subnet, topo.prefix, list(topo.notes))
    return ClabSource(path, reduced, {k: v for k, v in containers.items() if k in keep}, skipped, list(topo.notes))


def transport_for(kind: str) -> str:
    return "docker" if kind in DOCKER_KINDS else "ssh"


def hosts_doc(src: ClabSource) -> dict[str, Any]:
    """Sorted by name like the lab's hosts.yaml; same groups and data, plus how each node is reached."""
    doc: dict[str, Any] = {}
    topo = src.topology
    for name in sorted(topo.nodes):
        node = topo.nodes[name]
        container = src.container(name)
        data = host_data(node, topo)
        data["transport"] = transport_for(node.kind)
        if container != clab_container_name(topo.name, name, topo.prefix):
            data["container"] = container
        entry: dict[str, Any] = {
            "hostname": node.mgmt_ipv4 or container,
            "port": SSH_PORT,
            "groups": host_groups(node),
            "data": data,
        }
        options = connection_options(name, node.device_kind, data["transport"], container)
        if options:
            entry["connection_options"] = options
        doc[name] = entry
    return doc


def connection_options(name: str, device_kind: str | None, transport: str, container: str) -> dict[str, Any]:
    """Per host, never shared (nornir_napalm's `open()` writes the port into the `optional_args` it gets).

    Switches: the rocesonic driver goes through `docker exec` for sonic-vs; for sonic-vm over SSH, Netmiko
    and NAPALM trust only the inventory's pins (`system_host_keys: false`, strict): containerlab knows no
    host keys, so the pins are added by the operator (the agent reads the directory's known_hosts).
    Linux containers are reached with `docker exec` from host data and need nothing here."""
    if device_kind != "switch":
        return {}
    if transport == "docker":
        return {"napalm": {"extras": {"optional_args": {"transport": "docker", "container": container}}}}
    return {
        "netmiko": {"extras": {"ssh_strict": True, "system_host_keys": False}},
        "napalm": {"extras": {"optional_args": {"device_name": name, "system_host_keys": False}}},
    }


def defaults_doc(src: ClabSource) -> dict[str, Any]:
    data: dict[str, Any] = {"lab": src.topology.name}
    if src.topology.prefix is not None:
        data["clab_prefix"] = src.topology.prefix
    return {"username": DEFAULT_USER, "data": data}


def render_docs(src: ClabSource) -> dict[str, dict[str, Any]]:
    """File name -> document, for `inventory from-clab` (and, in memory, for the plugin)."""
    return {
        "hosts.yaml": hosts_doc(src),
        "groups.yaml": groups_doc(src.topology.nodes.values()),
        "defaults.yaml": defaults_doc(src),
        "links.yaml": links_doc(src.topology),
    }


# -- Nornir objects -----------------------------------------------------------------------------------
def _connection_options(raw: dict[str, Any]) -> dict[str, ConnectionOptions]:
    return {
        name: ConnectionOptions(
            hostname=opt.get("hostname"),
            port=opt.get("port"),
            username=opt.get("username"),
            password=opt.get("password"),
            platform=opt.get("platform"),
            extras=opt.get("extras"),
        )
        for name, opt in raw.items()
    }


def build_inventory(docs: dict[str, dict[str, Any]]) -> Inventory:
    """Nornir objects from the documents, with the links kept in defaults data."""
    raw_defaults = docs["defaults.yaml"]
    defaults = Defaults(
        username=raw_defaults.get("username"),
        data={**raw_defaults.get("data", {}), LINKS_KEY: docs["links.yaml"]["links"]},
    )
    groups = Groups()
    for name, raw in docs["groups.yaml"].items():
        groups[name] = Group(
            name=name,
            platform=raw.get("platform"),
            data=raw.get("data"),
            defaults=defaults,
            connection_options=_connection_options(raw.get("connection_options", {})),
        )
    hosts = Hosts()
    for name, raw in docs["hosts.yaml"].items():
        hosts[name] = Host(
            name=name,
            hostname=raw.get("hostname"),
            port=raw.get("port"),
            groups=ParentGroups([groups[g] for g in raw.get("groups", [])]),
            data=raw.get("data"),
            defaults=defaults,
            connection_options=_connection_options(raw.get("connection_options", {})),
        )
    return Inventory(hosts=hosts, groups=groups, defaults=defaults)


def topology_from_inventory(inventory: Inventory) -> Topology:
    """The links a ClabInventory carries, as the agent's Topology (kinds from host data). A link's
    `network` is its switch's `roce-network` label, as in the lab's links.yaml (segregation checks)."""
    kinds = {h.name: str(h.get("device_kind")) for h in inventory.hosts.values() if h.get("device_kind")}
    links = [
        Link(
            Endpoint.parse(str(raw["a"])),
            Endpoint.parse(str(raw["b"])),
            role=raw.get("role", "fabric"),
            network=str(raw.get("network", DEFAULT_NETWORK)),
            profile=raw.get("roce_profile"),  # a declared profile boundary (agent.inventory.profiles)
        )
        for raw in inventory.defaults.data.get(LINKS_KEY) or []
    ]
    return Topology(links=links, kinds=kinds)


class ClabInventory:
    """Nornir inventory plugin (entry point `nornir.plugins.inventory`: ClabInventory)."""

    def __init__(self, topology: str = "", **options: Any) -> None:
        if not topology:
            raise InputError(
                [
                    InputProblem(
                        None, None, "inventory.options.topology", "required: a containerlab file or lab directory"
                    )
                ]
            )
        if options:
            allowed = "topology"
            raise InputError(
                [InputProblem(None, None, "inventory.options", f"unknown {sorted(options)}; allowed: {allowed}")]
            )
        self.path = Path(topology).expanduser()

    def load(self) -> Inventory:
        src = read_source(self.path)
        for note in src.notes:  # Nornir scripts see them through logging; the CLI prints them
            log.warning("%s", note)
        return build_inventory(render_docs(src))
