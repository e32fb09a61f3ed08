"""Parse a containerlab topology file (`*.clab.yml`) into nodes, links and the agent's Topology.

The built-in lab, `roce-agent inventory from-clab` and a Nornir inventory plugin all read the same file
that real containerlab deploys, so this module knows containerlab's conventions and nothing else:

* node fields are inherited the containerlab way (its types/topology.go): the kind is the node's, else its
  group's (`topology.groups`), else the defaults' group's, else `topology.defaults.kind`; the group is the
  node's, else its kind's, else the defaults'; every other field is node > group > kind > defaults, and
  labels are merged key by key in that order;
* links are `endpoints: ["leaf1:eth1", "host1:eth1"]` or the extended `type: veth` form with
  `{node:, interface:}` endpoints. Links that leave the lab's nodes (`host:`, `mgmt-net:`, `macvlan:`
  endpoints, and the single-endpoint types `host`, `mgmt-net`, `macvlan`, `dummy`, `vxlan`,
  `vxlan-stitch`) carry no fabric traffic between managed devices: they are skipped with a note
  (`ClabTopology.notes`) rather than rejected;
* interface `ethN` on a SONiC node is the NOS port `Ethernet{4*(N-1)}` (eth0 is management);
* labels `nornir-group`, `nornir-group-2`, ... name Nornir groups, like containerlab's own
  nornir-simple-inventory.yml; `roce-role` names the fabric role; `roce-profile` on a node is its
  inventory `roce_profile` (a profile of the policy);
* a link's `vars:` (containerlab's LinkCommonParams) may carry `roce-profile: NAME`, a profile boundary
  declared on the cable: links.yaml `roce_profile` (agent.inventory.profiles). Vars, not labels: the
  topology-data.json containerlab writes at deploy (export_templates/auto.tmpl) keeps a link's vars and
  drops its labels, so only vars survive into `inventory from-clab` of a running lab.

Every problem is reported with file, line and field (exit code 2), and nothing here touches a device.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.errors import InputError, InputProblem
from agent.policy.networks import DEFAULT_NETWORK, NETWORKS
from agent.topology.model import Endpoint, Link, Topology
from agent.yamlsafe import load_text, read_text

SONIC_KINDS = frozenset({"sonic-vs", "sonic-vm"})
HOST_KINDS = frozenset({"linux"})
ROLE_LABEL = "roce-role"
NETWORK_LABEL = "roce-network"  # on a switch: the network of every link it has (default backend)
PROFILE_LABEL = "roce-profile"  # a node label: its roce_profile; a link var: the profile both its ports run
NORNIR_GROUP_LABEL = "nornir-group"
_INHERITED = ("image", "mgmt-ipv4", "type", "startup-config")
SPECIAL_NODES = frozenset({"host", "mgmt-net", "macvlan"})  # brief-form endpoints outside the lab's nodes
SINGLE_ENDPOINT_TYPES = frozenset({"host", "mgmt-net", "macvlan", "dummy", "vxlan", "vxlan-stitch"})
PAIR_TYPES = frozenset({"veth", "veth-stitch"})
_SONIC_IFACE = re.compile(r"^eth([1-9][0-9]*)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

DeviceKindName = Literal["switch", "host"]


def sonic_port_name(interface: str) -> str:
    """containerlab `ethN` on a SONiC node -> `Ethernet{4*(N-1)}` (eth1 -> Ethernet0, eth2 -> Ethernet4)."""
    match = _SONIC_IFACE.match(interface)
    if not match:
        raise ValueError(f"{interface!r} is not a data interface of a SONiC node; use eth1, eth2, ... (eth0 is mgmt)")
    return f"Ethernet{4 * (int(match.group(1)) - 1)}"


def device_kind_of(clab_kind: str) -> DeviceKindName | None:
    """The agent's device kind for a containerlab kind; None when the agent does not manage that kind."""
    if clab_kind in SONIC_KINDS:
        return "switch"
    if clab_kind in HOST_KINDS:
        return "host"
    return None


@dataclass(frozen=True)
class ClabNode:
    name: str
    kind: str
    image: str | None = None
    mgmt_ipv4: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    line: int | None = None

    @property
    def device_kind(self) -> DeviceKindName | None:
        return device_kind_of(self.kind)

    @property
    def role(self) -> str | None:
        return self.labels.get(ROLE_LABEL)

    def port_name(self, interface: str) -> str:
        """The NOS name of a containerlab interface of this node (SONiC renames, Linux keeps ethN)."""
        return sonic_port_name(interface) if self.kind in SONIC_KINDS else interface

    def nornir_groups(self) -> list[str]:
        """Groups from `nornir-group`, `nornir-group-2`, ... labels, in label order (containerlab convention)."""
        keys = [k for k in self.labels if k == NORNIR_GROUP_LABEL or re.fullmatch(r"nornir-group-\d+", k)]
        keys.sort(key=lambda k: 1 if k == NORNIR_GROUP_LABEL else int(k.rsplit("-", 1)[1]))
        return [self.labels[k] for k in keys if self.labels[k]]


@dataclass(frozen=True)
class ClabEndpoint:
    node: str
    interface: str

    def __str__(self) -> str:
        return f"{self.node}:{self.interface}"


@dataclass(frozen=True)
class ClabLink:
    a: ClabEndpoint
    b: ClabEndpoint
    line: int | None = None
    profile: str | None = None  # the link's `roce-profile` label


@dataclass
class ClabTopology:
    name: str
    path: Path
    nodes: dict[str, ClabNode]
    links: list[ClabLink]
    mgmt_subnet: str | None = None
    prefix: str | None = None  # containerlab `prefix` (container names); None = the default `clab`
    notes: list[str] = field(default_factory=list)  # what was read but left out, for the user

    def device_endpoint(self, end: ClabEndpoint) -> Endpoint:
        """A containerlab endpoint in the agent's naming (leaf1:eth1 -> leaf1:Ethernet0)."""
        return Endpoint(end.node, self.nodes[end.node].port_name(end.interface))

    def link_role(self, link: ClabLink) -> Literal["host", "fabric"]:
        kinds = {self.nodes[link.a.node].device_kind, self.nodes[link.b.node].device_kind}
        return "host" if "host" in kinds else "fabric"

    def agent_links(self) -> list[Link]:
        """Links in the agent's form; on host links the switch end comes first (a = switch, b = host)."""
        out: list[Link] = []
        for lk in self.links:
            a, b = lk.a, lk.b
            if self.nodes[a.node].device_kind == "host" and self.nodes[b.node].device_kind != "host":
                a, b = b, a
            net = self.network_of(lk)
            ends = (self.device_endpoint(a), self.device_endpoint(b))
            out.append(Link(*ends, role=self.link_role(lk), network=net, profile=lk.profile))
        return out

    def network_of(self, link: ClabLink) -> str:
        """The `roce-network` label of a switch end of the link (a front-end leaf), else backend."""
        for end in (link.a, link.b):
            node = self.nodes[end.node]
            if node.device_kind != "host" and NETWORK_LABEL in node.labels:
                return node.labels[NETWORK_LABEL]
        return DEFAULT_NETWORK

    def interfaces_of(self, node: str) -> list[str]:
        """containerlab interfaces of `node` that are cabled, in link order."""
        return [end.interface for lk in self.links for end in (lk.a, lk.b) if end.node == node]

    def to_topology(self) -> Topology:
        kinds = {n.name: n.device_kind for n in self.nodes.values() if n.device_kind}
        return Topology(links=self.agent_links(), kinds={k: str(v) for k, v in kinds.items()})


def link_profile(raw: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """A link's `vars: {roce-profile: NAME}` (in a *.clab.yml or a topology-data.json): (name, why invalid)."""
    found = raw.get("vars")
    if found is None:
        return None, None
    if not isinstance(found, Mapping):
        return None, "a mapping of name: value (containerlab link vars)"
    value = found.get(PROFILE_LABEL)
    if value is None:
        return None, None
    if not isinstance(value, str) or not _NAME.match(value):
        return None, f"{PROFILE_LABEL}: a profile name of the policy (got {value!r})"
    return value, None


def load_clab(path: Path) -> ClabTopology:
    """Read and validate a containerlab topology file; raises InputError listing every problem."""
    path = Path(path)
    return parse_clab(read_text(path), path)  # bounded: size, UTF-8 (agent.yamlsafe)


def parse_clab(text: str, path: Path) -> ClabTopology:
    doc = load_text(text, path)  # bounded alias expansion, located YAML errors
    parser = _Parser(path)
    topo = parser.parse(doc)
    if parser.problems:
        raise InputError(parser.problems)
    assert topo is not None
    return topo


def _endpoint_node(raw: Any) -> str:
    if isinstance(raw, Mapping):
        return str(raw.get("node") or "")
    return str(raw).partition(":")[0]


@dataclass(frozen=True)
class _Layers:
    """topology.defaults, .kinds and .groups, resolved for one node as containerlab's types/topology.go does."""

    defaults: Mapping[str, Any]
    kinds: Mapping[str, Any]
    groups: Mapping[str, Any]

    def _group(self, name: Any) -> Mapping[str, Any]:
        group = self.groups.get(name) if isinstance(name, str) else None
        return group if isinstance(group, Mapping) else {}

    def _kind(self, name: str) -> Mapping[str, Any]:
        kind = self.kinds.get(name)
        return kind if isinstance(kind, Mapping) else {}

    def kind_of(self, node: Mapping[str, Any]) -> Any:
        """node.kind > groups[node.group].kind > groups[defaults.group].kind > defaults.kind"""
        for layer in (node, self._group(node.get("group")), self._group(self.defaults.get("group")), self.defaults):
            if layer.get("kind"):
                return layer["kind"]
        return None

    def group_of(self, node: Mapping[str, Any], kind: str) -> str | None:
        """node.group > kinds[kind].group > defaults.group"""
        for layer in (node, self._kind(kind), self.defaults):
            if layer.get("group"):
                return str(layer["group"])
        return None

    def chain(self, node: Mapping[str, Any], kind: str, group: str | None) -> list[Mapping[str, Any]]:
        """Lowest precedence first: defaults, kind, group, node."""
        return [self.defaults, self._kind(kind), self._group(group), node]


def _line_of_key(mapping: Any, key: Any) -> int | None:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _line_of_item(seq: Any, index: int) -> int | None:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


class _Parser:
    """Collects every problem instead of stopping at the first, so one run shows them all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[InputProblem] = []
        self.notes: list[str] = []

    def problem(self, line: int | None, where: str, message: str) -> None:
        self.problems.append(InputProblem(self.path, line, where, message))

    def parse(self, doc: Any) -> ClabTopology | None:
        if not isinstance(doc, Mapping):
            self.problem(None, "", "a containerlab topology is a mapping with `name` and `topology`")
            return None
        name = doc.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            self.problem(_line_of_key(doc, "name"), "name", "required; a lab name like `roce-fabric`")
        topo = doc.get("topology")
        if not isinstance(topo, Mapping):
            self.problem(_line_of_key(doc, "topology"), "topology", "required mapping with `nodes` and `links`")
            return None
        nodes = self.nodes(topo)
        links = self.links(topo, nodes)
        mgmt = doc.get("mgmt")
        subnet = mgmt.get("ipv4-subnet") if isinstance(mgmt, Mapping) else None
        prefix = doc.get("prefix")
        prefix_text = None if prefix is None else str(prefix)
        subnet_text = str(subnet) if subnet else None
        return ClabTopology(str(name), self.path, nodes, links, subnet_text, prefix_text, self.notes)

    def nodes(self, topo: Mapping[str, Any]) -> dict[str, ClabNode]:
        raw_nodes = topo.get("nodes")
        if not isinstance(raw_nodes, Mapping) or not raw_nodes:
            self.problem(_line_of_key(topo, "nodes"), "topology.nodes", "required; at least one node")
            return {}
        layers = _Layers(topo.get("defaults") or {}, topo.get("kinds") or {}, topo.get("groups") or {})
        out: dict[str, ClabNode] = {}
        for name, raw in raw_nodes.items():
            node = self.node(str(name), raw or {}, layers, _line_of_key(raw_nodes, name))
            if node is not None:
                out[node.name] = node
        return out

    def node(self, name: str, raw: Any, layers: _Layers, line: int | None) -> ClabNode | None:
        where = f"topology.nodes.{name}"
        if not _NAME.match(name):
            self.problem(line, where, "node names are letters, digits, `-`, `_` and `.`")
            return None
        if not isinstance(raw, Mapping):
            self.problem(line, where, "a node is a mapping (kind, image, labels, ...)")
            return None
        kind = layers.kind_of(raw)
        if not isinstance(kind, str) or not kind:
            msg = "required (on the node, its group in topology.groups, or topology.defaults), e.g. sonic-vs or linux"
            self.problem(line, f"{where}.kind", msg)
            return None
        group = layers.group_of(raw, kind)
        if group and group not in layers.groups:
            self.notes.append(f"{self.path}: {where}.group: {group!r} is not in topology.groups; nothing inherited")
        merged: dict[str, Any] = {}
        labels: dict[str, str] = {}
        for layer in layers.chain(raw, kind, group):
            merged.update({k: layer[k] for k in _INHERITED if layer.get(k) is not None})
            labels.update({str(k): str(v) for k, v in (layer.get("labels") or {}).items()})
        network = labels.get(NETWORK_LABEL)
        if network is not None and network not in NETWORKS:
            self.problem(line, f"{where}.labels.{NETWORK_LABEL}", f"one of {', '.join(NETWORKS)} (got {network!r})")
            labels.pop(NETWORK_LABEL)
        image = merged.get("image")
        mgmt = merged.get("mgmt-ipv4")
        return ClabNode(name, kind, str(image) if image else None, str(mgmt) if mgmt else None, labels, line)

    def links(self, topo: Mapping[str, Any], nodes: Mapping[str, ClabNode]) -> list[ClabLink]:
        raw_links = topo.get("links") or []
        if not isinstance(raw_links, list):
            self.problem(_line_of_key(topo, "links"), "topology.links", "a list of {endpoints: [A, B]}")
            return []
        out: list[ClabLink] = []
        used: dict[ClabEndpoint, int] = {}
        for i, raw in enumerate(raw_links):
            line = _line_of_item(raw_links, i)
            link = self.link(raw, f"topology.links[{i}]", line, nodes)
            if link is None:
                continue
            for end in (link.a, link.b):
                if end in used:
                    self.problem(line, f"topology.links[{i}]", f"{end} is already cabled by links[{used[end]}]")
                used[end] = i
            out.append(link)
        return out

    def link(self, raw: Any, where: str, line: int | None, nodes: Mapping[str, ClabNode]) -> ClabLink | None:
        if not isinstance(raw, Mapping):
            self.problem(line, where, 'a link is {endpoints: ["leaf1:eth1", "host1:eth1"]} or {type: ..., ...}')
            return None
        link_type = raw.get("type")
        if link_type in SINGLE_ENDPOINT_TYPES:
            end = raw.get("endpoint")
            what = f"{end.get('node', '?')}:{end.get('interface', '?')}" if isinstance(end, Mapping) else "?"
            self._skip(where, f"a {link_type} link of {what}")
            return None
        if link_type is not None and link_type not in PAIR_TYPES:
            known = ", ".join(sorted(PAIR_TYPES | SINGLE_ENDPOINT_TYPES))
            self.problem(line, f"{where}.type", f"unknown link type {link_type!r}; containerlab knows {known}")
            return None
        endpoints = raw.get("endpoints")
        if not isinstance(endpoints, list) or len(endpoints) != 2:
            self.problem(line, f"{where}.endpoints", 'exactly two endpoints, e.g. ["leaf1:eth1", "host1:eth1"]')
            return None
        special = [str(e) for e in endpoints if _endpoint_node(e) in SPECIAL_NODES and _endpoint_node(e) not in nodes]
        if special:
            self._skip(where, f"a link to {special[0]}")
            return None
        ends = [self.endpoint(e, f"{where}.endpoints[{j}]", line, nodes) for j, e in enumerate(endpoints)]
        if ends[0] is None or ends[1] is None:
            return None
        return ClabLink(ends[0], ends[1], line, self.link_profile(raw, where, line))

    def link_profile(self, raw: Mapping[str, Any], where: str, line: int | None) -> str | None:
        profile, why = link_profile(raw)
        if why is not None:
            self.problem(line, f"{where}.vars", why)
        return profile

    def _skip(self, where: str, what: str) -> None:
        self.notes.append(f"{self.path}: {where}: {what} skipped: it does not join two lab nodes, so no check reads it")

    def endpoint(self, raw: Any, where: str, line: int | None, nodes: Mapping[str, ClabNode]) -> ClabEndpoint | None:
        if isinstance(raw, Mapping):
            node, iface = str(raw.get("node") or ""), str(raw.get("interface") or "")
        else:
            node, _, iface = str(raw).partition(":")
        if not node or not iface:
            self.problem(line, where, f"{raw!r} is not an endpoint; use NODE:INTERFACE, e.g. leaf1:eth1")
            return None
        if node not in nodes:
            self.problem(line, where, f"unknown node {node!r}; nodes are {', '.join(sorted(nodes)) or 'none'}")
            return None
        if iface == "eth0":
            self.problem(line, where, "eth0 is the management interface; data links start at eth1")
            return None
        try:
            nodes[node].port_name(iface)
        except ValueError as exc:
            self.problem(line, where, str(exc))
            return None
        return ClabEndpoint(node, iface)
