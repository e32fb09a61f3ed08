"""The Nornir object of an inventory directory, from the documents validation already read.

`InitNornir(inventory={"plugin": "SimpleInventory", ...})` reads hosts.yaml, groups.yaml and
defaults.yaml a second time, with the very loader agent.yamlsafe's fast path uses (ruamel, `typ="safe"`):
for 512 hosts that second read was ~0.15 s of CPU on every command. Here the Inventory is built from the
documents `validate_inventory` loaded, by SimpleInventory's own element builders, so its objects are the
ones plain InitNornir builds from the same files (tests/unit/inventory compares both); the rest is what
InitNornir does (connection and runner plugins registered, the runner loaded, Nornir logging off). The
config still names SimpleInventory and the files, so a plain Nornir script reading `nr.config` sees the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nornir.core import Nornir
from nornir.core.configuration import Config
from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.state import GlobalState
from nornir.init_nornir import load_runner

# SimpleInventory's builders of one Defaults / Host / Group from its YAML mapping: reused, not rewritten,
# so the objects cannot drift from what the plugin makes of the same file (nornir is pinned < 4).
from nornir.plugins.inventory.simple import _get_defaults, _get_inventory_element


def build_nornir(docs: Mapping[str, Any], files: Mapping[str, str], runner: dict[str, Any]) -> Nornir:
    """InitNornir's result for `files` (SimpleInventory host_file/group_file/defaults_file options), given
    `docs`: file option -> the document read from that file (absent: the file does not exist)."""
    ConnectionPluginRegister.auto_register()
    config = Config.from_dict(
        runner=runner,
        inventory={"plugin": "SimpleInventory", "options": dict(files)},
        logging={"enabled": False},
    )
    return Nornir(inventory=inventory_of(docs), runner=load_runner(config), config=config, data=GlobalState())


def inventory_of(docs: Mapping[str, Any]) -> Inventory:
    """SimpleInventory.load on documents instead of files (keys: host_file, group_file, defaults_file).

    Validated documents only: unknown groups raise KeyError here as they do in the plugin."""
    defaults = _get_defaults(docs.get("defaults_file") or {}) if "defaults_file" in docs else Defaults()
    host_docs: Mapping[str, Any] = docs.get("host_file") or {}
    group_docs: Mapping[str, Any] = (docs.get("group_file") or {}) if "group_file" in docs else {}
    hosts = Hosts({name: _get_inventory_element(Host, entry, name, defaults) for name, entry in host_docs.items()})
    groups = Groups({name: _get_inventory_element(Group, entry, name, defaults) for name, entry in group_docs.items()})
    for owners, entries in ((groups, group_docs), (hosts, host_docs)):
        for name, owner in owners.items():
            owner.groups = ParentGroups([groups[g] for g in entries[name].get("groups") or []])
    return Inventory(hosts=hosts, groups=groups, defaults=defaults)
