"""Read what `containerlab deploy` leaves in the lab directory `clab-<lab>/`.

* `topology-data.json` (reference automation-ecosystem.md §5.3): every node with its kind, labels,
  actual management address and container name (`longname`), and the links. It describes the lab as
  deployed, so it is the best source once a lab runs. Both link shapes are accepted:
  `links[].endpoints.{a,z}` (current export template) and `links[].{a,z}` (older releases).
* `nornir-simple-inventory.yml`: hosts by short name with `hostname` (mgmt IPv4), `platform` (the kind,
  or `sonic` under CLAB_NORNIR_PLATFORM_NAME_SCHEMA=scrapli|napalm) and `groups` from `nornir-group`
  labels. It has no links and no roles, so a `topology-data.json` next to it is used instead when present.
  Its `password` is never carried over (credentials come from the environment).

Both become a ClabTopology, the same object a `*.clab.yml` parses into, plus the container names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agent.errors import InputError, InputProblem
from agent.inventory.clab import NORNIR_GROUP_LABEL, ClabEndpoint, ClabLink, ClabNode, ClabTopology, link_profile
from agent.yamlsafe import read_bounded_yaml, read_text

TOPOLOGY_DATA = "topology-data.json"
NORNIR_SIMPLE = "nornir-simple-inventory.yml"
ANSIBLE_INVENTORY = "ansible-inventory.yml"
SPECIAL_NODES = frozenset({"host", "mgmt-net", "macvlan"})  # link ends outside the lab's nodes
NO_LINKS_NOTE = (
    "{path}: a nornir-simple-inventory.yml has no links: link and fabric checks (LINK-*, FAB-*) cannot run; "
    f"give {TOPOLOGY_DATA} or the lab directory for them"
)
# platform names containerlab writes for SONiC under the scrapli/napalm schema; the kind cannot be told apart
_PLATFORM_KINDS = {"sonic": "sonic-vs"}


def load_topology_data(path: Path) -> tuple[ClabTopology, dict[str, str]]:
    """topology-data.json -> (topology, node -> container name)."""
    try:
        doc = json.loads(read_text(Path(path)))  # bounded: size, UTF-8
    except json.JSONDecodeError as exc:
        raise InputError([InputProblem(path, exc.lineno, "", f"not valid JSON: {exc.msg}")]) from exc
    problems: list[InputProblem] = []
    raw_nodes = doc.get("nodes") if isinstance(doc, Mapping) else None
    if not isinstance(raw_nodes, Mapping) or not raw_nodes:
        raise InputError([InputProblem(path, None, "nodes", "required; a deployed lab has at least one node")])
    nodes: dict[str, ClabNode] = {}
    containers: dict[str, str] = {}
    for key, raw in raw_nodes.items():
        node = _data_node(str(key), raw, path, problems)
        if node is not None:
            nodes[node.name] = node
            containers[node.name] = str(raw.get("longname") or node.name)
    notes: list[str] = []
    links = [
        lk for i, raw in enumerate(doc.get("links") or []) if (lk := _data_link(i, raw, nodes, path, problems, notes))
    ]
    if problems:
        raise InputError(problems)
    prefix = (doc.get("clab") or {}).get("config", {}).get("prefix")
    name = str(doc.get("name") or path.parent.name)
    topo = ClabTopology(name, Path(path), nodes, links, prefix=prefix, notes=notes)
    return topo, containers


def _data_node(key: str, raw: Any, path: Path, problems: list[InputProblem]) -> ClabNode | None:
    if not isinstance(raw, Mapping) or not raw.get("kind"):
        problems.append(InputProblem(path, None, f"nodes.{key}.kind", "required (a containerlab kind)"))
        return None
    name = str(raw.get("shortname") or key)
    labels = {str(k): str(v) for k, v in (raw.get("labels") or {}).items()}
    mgmt = str(raw.get("mgmt-ipv4-address") or "") or None
    return ClabNode(name, str(raw["kind"]), str(raw.get("image") or "") or None, mgmt, labels)


def _data_link(
    i: int, raw: Any, nodes: Mapping[str, ClabNode], path: Path, problems: list[InputProblem], notes: list[str]
) -> ClabLink | None:
    ends = raw.get("endpoints", raw) if isinstance(raw, Mapping) else None
    where = f"links[{i}]"
    if isinstance(ends, Mapping) and isinstance(ends.get("a"), Mapping) and not ends.get("z"):
        a = ends["a"]
        notes.append(f"{path}: {where}: a one-ended link of {a.get('node')}:{a.get('interface')} skipped")
        return None
    if (
        not isinstance(ends, Mapping)
        or not isinstance(ends.get("a"), Mapping)
        or not isinstance(ends.get("z"), Mapping)
    ):
        problems.append(InputProblem(path, None, where, "expected endpoints a and z, each {node, interface}"))
        return None
    outside = [
        f"{e.get('node')}:{e.get('interface')}" for e in (ends["a"], ends["z"]) if e.get("node") in SPECIAL_NODES
    ]
    if outside and not all(str(ends[side].get("node")) in nodes for side in ("a", "z")):
        notes.append(f"{path}: {where}: a link to {outside[0]} skipped: it does not join two lab nodes")
        return None
    out: list[ClabEndpoint] = []
    for side in ("a", "z"):
        node, iface = str(ends[side].get("node") or ""), str(ends[side].get("interface") or "")
        if node not in nodes:
            problems.append(InputProblem(path, None, f"{where}.{side}.node", f"unknown node {node!r}"))
            return None
        try:
            nodes[node].port_name(iface)
        except ValueError as exc:
            problems.append(InputProblem(path, None, f"{where}.{side}.interface", str(exc)))
            return None
        out.append(ClabEndpoint(node, iface))
    profile, why = link_profile(raw)  # link vars are exported, link labels are not
    if why is not None:
        problems.append(InputProblem(path, None, f"{where}.vars", why))
    return ClabLink(out[0], out[1], profile=profile)


def load_nornir_simple(path: Path) -> tuple[ClabTopology, dict[str, str]]:
    """nornir-simple-inventory.yml -> topology (no links) and container names, or the sibling
    topology-data.json's richer view when the lab directory has one."""
    sibling = Path(path).parent / TOPOLOGY_DATA
    if sibling.is_file():
        return load_topology_data(sibling)
    doc = read_bounded_yaml(Path(path)) or {}  # bounded: size, UTF-8, alias expansion
    if not isinstance(doc, Mapping):
        raise InputError([InputProblem(path, None, "", "expected hosts by name, as containerlab writes it")])
    lab = _lab_from_dir(Path(path).parent)
    nodes: dict[str, ClabNode] = {}
    for name, raw in doc.items():
        raw = raw if isinstance(raw, Mapping) else {}
        platform = str(raw.get("platform") or "")
        kind = _PLATFORM_KINDS.get(platform, platform)
        groups = [str(g) for g in raw.get("groups") or []]
        labels = {(NORNIR_GROUP_LABEL if i == 0 else f"{NORNIR_GROUP_LABEL}-{i + 1}"): g for i, g in enumerate(groups)}
        nodes[str(name)] = ClabNode(str(name), kind, None, str(raw.get("hostname") or "") or None, labels)
    topo = ClabTopology(lab, Path(path), nodes, [], notes=[NO_LINKS_NOTE.format(path=path)])
    return topo, {}


def _lab_from_dir(lab_dir: Path) -> str:
    """containerlab's lab directory is `clab-<lab>`; fall back to the directory name."""
    name = lab_dir.resolve().name
    return name[len("clab-") :] if name.startswith("clab-") else name
