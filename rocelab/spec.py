"""From a containerlab topology to what the lab serves: one twin per node on a deterministic port.

Ports are `base_port + index` in sorted node-name order, so the same topology always yields the same
inventory (the committed `inventories/lab/` depends on it). Twins are described here and built by a
factory, lazily by default: a 512-node lab starts without constructing 512 device models.

Labels the lab reads besides containerlab's own: `roce-port-speed` (default 400G),
`roce-port-count` (SONiC front-panel ports, default 32), `roce-buffer-model` (traditional | dynamic),
`roce-sku` (the real SKU a switch twin is: rocelab.sonic.sku.SKU_NAMES, default ACS-SN5600 for the
traditional model and Mellanox-SN4600C-C64 for the dynamic one), `roce-sonic-release` (e.g. 202405),
`roce-nic-driver` (mlx5_core | veth | bnxt_en), `iproute2-flavour` (host twin, default 6.1).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from agent.errors import InputError, InputProblem
from agent.inventory.clab import ClabNode, ClabTopology, sonic_port_name
from rocelab.twin import Twin, TwinNic, TwinPort
from rocelab.units import speed_mbps

DEFAULT_BASE_PORT = 2201
DEFAULT_PORT_SPEED = "400G"
DEFAULT_SONIC_PORTS = 32
BUFFER_MODELS = ("traditional", "dynamic")
MAX_PORT = 65535


@dataclass(frozen=True)
class LabNode:
    """One twin of the lab: identity, where it listens and how to build it."""

    name: str
    clab_kind: str
    device_kind: str  # switch | host
    port: int
    index: int
    role: str | None = None
    groups: tuple[str, ...] = ()
    mgmt_ipv4: str | None = None
    port_speed: str = DEFAULT_PORT_SPEED
    labels: dict[str, str] = field(default_factory=dict)
    switch_ports: tuple[TwinPort, ...] = ()
    nics: tuple[TwinNic, ...] = ()


@dataclass(frozen=True)
class LabSpec:
    name: str
    topology_file: Path
    base_port: int
    nodes: tuple[LabNode, ...]

    def node(self, name: str) -> LabNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


TwinFactory = Callable[[LabNode, Path | None], Twin]


def build_spec(topo: ClabTopology, base_port: int = DEFAULT_BASE_PORT) -> LabSpec:
    """Validate that every node is a kind the lab can twin and lay the nodes out on ports."""
    problems: list[InputProblem] = []
    for node in topo.nodes.values():
        if node.device_kind is None:
            msg = f"kind {node.kind!r} has no twin; the lab serves sonic-vs, sonic-vm (switch) and linux (host)"
            problems.append(InputProblem(topo.path, node.line, f"topology.nodes.{node.name}.kind", msg))
    names = sorted(topo.nodes)
    if base_port < 1024 or base_port + len(names) - 1 > MAX_PORT:
        msg = f"ports {base_port}..{base_port + len(names) - 1} must lie within 1024..{MAX_PORT}"
        problems.append(InputProblem(None, None, "base port", msg))
    if problems:
        raise InputError(problems)
    neighbors = _neighbors(topo)
    nodes = tuple(
        _lab_node(topo.nodes[name], i, base_port + i, neighbors, topo, problems) for i, name in enumerate(names)
    )
    if problems:
        raise InputError(problems)
    return LabSpec(topo.name, topo.path, base_port, nodes)


def _neighbors(topo: ClabTopology) -> dict[tuple[str, str], tuple[str, str]]:
    """(node, NOS port) -> (peer "device:port", link role)."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for link in topo.agent_links():
        out[(link.a.device, link.a.port)] = (str(link.b), link.role)
        out[(link.b.device, link.b.port)] = (str(link.a), link.role)
    return out


def _lab_node(
    node: ClabNode,
    index: int,
    port: int,
    neighbors: dict[tuple[str, str], tuple[str, str]],
    topo: ClabTopology,
    problems: list[InputProblem],
) -> LabNode:
    speed_text = node.labels.get("roce-port-speed", DEFAULT_PORT_SPEED)
    try:
        speed = speed_mbps(speed_text)
    except ValueError as exc:
        problems.append(
            InputProblem(topo.path, node.line, f"topology.nodes.{node.name}.labels.roce-port-speed", str(exc))
        )
        speed = speed_mbps(DEFAULT_PORT_SPEED)
    common = {
        "name": node.name,
        "clab_kind": node.kind,
        "device_kind": str(node.device_kind),
        "port": port,
        "index": index,
        "role": node.role,
        "groups": tuple(node.nornir_groups()),
        "mgmt_ipv4": node.mgmt_ipv4,
        "port_speed": speed_text,
        "labels": dict(node.labels),
    }
    if node.device_kind == "switch":
        model = node.labels.get("roce-buffer-model", "traditional")
        if model not in BUFFER_MODELS:
            where = f"topology.nodes.{node.name}.labels.roce-buffer-model"
            problems.append(InputProblem(topo.path, node.line, where, f"one of {', '.join(BUFFER_MODELS)}"))
        problems += _switch_label_problems(node, topo, model)
        count_text = node.labels.get("roce-port-count", str(DEFAULT_SONIC_PORTS))
        if not count_text.isdigit() or not 1 <= int(count_text) <= 512:
            where = f"topology.nodes.{node.name}.labels.roce-port-count"
            problems.append(InputProblem(topo.path, node.line, where, "a port count between 1 and 512"))
            count_text = str(DEFAULT_SONIC_PORTS)
        ports = _switch_ports(node, topo, speed, int(count_text), neighbors)
        return LabNode(**common, switch_ports=ports)  # type: ignore[arg-type]
    driver = node.labels.get("roce-nic-driver", "mlx5_core")
    # a NIC cabled to a front-end (or storage, oob) switch has RoCE disabled, as the policy wants it
    off = {end.interface for lk in topo.links if topo.network_of(lk) != "backend" for end in (lk.a, lk.b)
           if end.node == node.name}  # fmt: skip
    nics = tuple(
        TwinNic(netdev=iface, rdma_device=None if iface in off else f"mlx5_{i}", speed_mbps=speed, driver=driver)
        for i, iface in enumerate(topo.interfaces_of(node.name))
    )
    return LabNode(**common, nics=nics)  # type: ignore[arg-type]


def _switch_label_problems(node: ClabNode, topo: ClabTopology, model: str) -> list[InputProblem]:
    """`roce-sku` must name a SKU that has the node's buffer model; `roce-sonic-release` a known release."""
    from rocelab.sonic.sku import SKU_NAMES, load_sku, resolve  # the SONiC twin's tables, only for switches
    from rocelab.sonic.version import RELEASES

    found: list[InputProblem] = []
    where = f"topology.nodes.{node.name}.labels"
    sku = node.labels.get("roce-sku")
    if sku is not None and resolve(sku) is None:
        found.append(InputProblem(topo.path, node.line, f"{where}.roce-sku", f"one of {', '.join(SKU_NAMES)}"))
    elif sku is not None and model in BUFFER_MODELS and model not in load_sku(sku).models:
        allowed = ", ".join(load_sku(sku).models)
        found.append(InputProblem(topo.path, node.line, f"{where}.roce-buffer-model", f"{sku} runs {allowed}"))
    release = node.labels.get("roce-sonic-release")
    if release is not None and release not in RELEASES:
        found.append(InputProblem(topo.path, node.line, f"{where}.roce-sonic-release", f"one of {', '.join(RELEASES)}"))
    return found


def _switch_ports(
    node: ClabNode, topo: ClabTopology, speed: int, count: int, neighbors: dict[tuple[str, str], tuple[str, str]]
) -> tuple[TwinPort, ...]:
    count = max([count, *(int(i[3:]) for i in topo.interfaces_of(node.name))])
    ports: list[TwinPort] = []
    for n in range(1, count + 1):
        name = sonic_port_name(f"eth{n}")
        peer, role = neighbors.get((node.name, name), (None, None))
        ports.append(TwinPort(name=name, speed_mbps=speed, neighbor=peer, cable_role=role))
    return tuple(ports)


def build_real_twin(node: LabNode, state_dir: Path | None) -> Twin:
    """The product's twins: SONiC switch twin for sonic-vs/sonic-vm, RDMA host twin for linux.

    Imported by name so the lab runtime (and its tests with other twins) does not depend on the twin
    packages at import time.
    """
    if node.device_kind == "switch":
        sonic_twin = importlib.import_module("rocelab.sonic").SonicTwin
        model = node.labels.get("roce-buffer-model", "traditional")
        labels = {"sku": "roce-sku", "release": "roce-sonic-release"}
        options = {key: node.labels[label] for key, label in labels.items() if label in node.labels}
        twin = sonic_twin(
            node.name, node.switch_ports, buffer_model=model, state_dir=state_dir, seed=node.index, **options
        )
    else:
        host_twin = importlib.import_module("rocelab.host").HostTwin
        flavour = node.labels.get("iproute2-flavour", "6.1")
        twin = host_twin(node.name, node.nics, iproute2_flavour=flavour, state_dir=state_dir, seed=node.index)
    return cast(Twin, twin)


def require_real_twins(spec: LabSpec) -> None:
    """Fail at start, not at first login, when a twin class the topology needs is not installed."""
    needed = {"switch": ("rocelab.sonic", "SonicTwin"), "host": ("rocelab.host", "HostTwin")}
    for kind in sorted({n.device_kind for n in spec.nodes}):
        module, cls = needed[kind]
        try:
            getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError) as exc:
            raise ImportError(f"the {kind} twin ({module}.{cls}) is not available: {exc}") from exc
