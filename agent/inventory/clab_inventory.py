"""What a containerlab topology says about each device, as Nornir inventory documents.

One place decides the groups, host data and links of a topology, so the three ways to get an
inventory agree by construction: the built-in lab's writer (`rocelab.inventory_writer`, twins on
127.0.0.1), the Nornir plugin `ClabInventory` and `roce-agent inventory from-clab` (real containerlab,
management IPs). Only how a device is *reached* differs between them, and that is not decided here.

Groups: a platform group by kind (`sonic` for SONiC kinds, `rdma-hosts` for linux) that carries the
connection settings, then the node's `nornir-group`, `nornir-group-2`, ... labels (containerlab's
convention; the default topology uses them for the roles: spines, leaves, rdma-hosts).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from ruamel.yaml import YAML

from agent.inventory.clab import PROFILE_LABEL, SONIC_KINDS, ClabNode, ClabTopology
from agent.policy.networks import DEFAULT_NETWORK
from agent.topology.model import Link

SWITCH_GROUP = "sonic"
HOST_GROUP = "rdma-hosts"
NETMIKO_DEVICE_TYPE = "linux"
NAPALM_PLATFORM = "rocesonic"
DEFAULT_PORT_SPEED = "400G"
PORT_SPEED_LABEL = "roce-port-speed"


def dump_yaml(header: str, doc: Mapping[str, Any]) -> str:
    """Inventory YAML as both writers (`lab up`, `inventory from-clab`) print it: one layout and no line
    wrapping, so a committed inventory diffs cleanly against a regenerated one."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return header + buf.getvalue()


def platform_group(node: ClabNode) -> str:
    return SWITCH_GROUP if node.device_kind == "switch" else HOST_GROUP


def host_groups(node: ClabNode) -> list[str]:
    """Platform group first (its connection settings win), then the label groups in label order."""
    platform = platform_group(node)
    return [platform, *(g for g in node.nornir_groups() if g != platform)]


def host_data(node: ClabNode, topo: ClabTopology) -> dict[str, Any]:
    """The flat data keys the agent reads (see agent.inventory.loader), in a fixed order."""
    data: dict[str, Any] = {"device_kind": node.device_kind}
    if node.kind in SONIC_KINDS:
        data["nos"] = "sonic"
    if node.role:
        data["role"] = node.role
    data["port_speed"] = node.labels.get(PORT_SPEED_LABEL, DEFAULT_PORT_SPEED)
    if PROFILE_LABEL in node.labels:
        data["roce_profile"] = node.labels[PROFILE_LABEL]
    if node.device_kind == "host":
        data["rdma_interfaces"] = topo.interfaces_of(node.name)
        networks = _host_networks(node, topo)
        if networks:
            data["interface_networks"] = networks
    data["clab_kind"] = node.kind
    if node.mgmt_ipv4:
        data["mgmt_ipv4"] = node.mgmt_ipv4
    return data


def groups_doc(nodes: Iterable[ClabNode]) -> dict[str, Any]:
    """Platform groups with their connection settings, then every label group (empty), sorted."""
    managed = [n for n in nodes if n.device_kind is not None]
    doc: dict[str, Any] = {}
    if any(n.device_kind == "switch" for n in managed):
        doc[SWITCH_GROUP] = {
            "platform": NETMIKO_DEVICE_TYPE,
            "connection_options": {"napalm": {"platform": NAPALM_PLATFORM}},
        }
    if any(n.device_kind == "host" for n in managed):
        doc[HOST_GROUP] = {"platform": NETMIKO_DEVICE_TYPE}
    for group in sorted({g for n in managed for g in n.nornir_groups()} - set(doc)):
        doc[group] = {}
    return doc


def links_doc(topo: ClabTopology) -> dict[str, Any]:
    """links.yaml: agent port names (eth3 on a SONiC node -> Ethernet8), switch end first on host links."""
    return {"links": [_link_entry(lk) for lk in topo.agent_links()]}


def _link_entry(link: Link) -> dict[str, str]:
    """`network:` / `roce_profile:` only where set, so a one-network, one-profile lab writes what it always wrote."""
    entry = {"a": str(link.a), "b": str(link.b), "role": link.role}
    if link.network != DEFAULT_NETWORK:
        entry["network"] = link.network
    if link.profile is not None:
        entry["roce_profile"] = link.profile
    return entry


def _host_networks(node: ClabNode, topo: ClabTopology) -> dict[str, str]:
    """The host's interfaces on another network than the back-end (from the switch's `roce-network`)."""
    out: dict[str, str] = {}
    for link in topo.links:
        for end in (link.a, link.b):
            network = topo.network_of(link)
            if end.node == node.name and network != DEFAULT_NETWORK:
                out[end.interface] = network
    return out
