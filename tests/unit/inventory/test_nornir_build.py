"""The Nornir object is built from the documents validation read, and is the one SimpleInventory builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from nornir.plugins.inventory.simple import SimpleInventory
from nornir.plugins.runners import ThreadedRunner

from agent.inventory import loader
from agent.inventory.nornir_build import inventory_of
from agent.inventory.validate import validate_inventory

ROOT = Path(__file__).resolve().parents[3]
INVENTORIES = [
    ROOT / "tests" / "fixtures" / "inventory" / "small",  # no defaults.yaml
    ROOT / "tests" / "fixtures" / "report" / "inventory",
    ROOT / "inventories" / "example-prod",  # group connection options, defaults data, two-group hosts
]

FILES = {"host_file": "hosts.yaml", "group_file": "groups.yaml", "defaults_file": "defaults.yaml"}
NESTED = {
    "groups.yaml": "base:\n  username: admin\n  data: {site: dc1}\nsonic:\n  groups: [base]\n"
    "  connection_options:\n    napalm: {platform: rocesonic, extras: {optional_args: {port: 2222}}}\n",
    "defaults.yaml": "port: 22\nconnection_options:\n  netmiko: {platform: linux}\ndata: {fabric: f1}\n",
    "hosts.yaml": "leaf1:\n  hostname: 10.0.0.1\n  groups: [sonic]\n  data: {device_kind: switch, nos: sonic}\n"
    "host1:\n  hostname: 10.0.0.2\n  port: 2200\n  data: {device_kind: host, rack: 7}\n",
}


def _docs(directory: Path) -> dict[str, object]:
    valid = validate_inventory(directory)
    assert not valid.files.lines  # the fast read: the documents the loader builds from
    return {opt: valid.files.docs[name] for opt, name in FILES.items() if name in valid.files.docs}


def _simple(directory: Path) -> dict[str, object]:
    options = {opt: str(directory / name) for opt, name in FILES.items()}
    return SimpleInventory(**options).load().dict()


@pytest.mark.parametrize("directory", INVENTORIES, ids=lambda p: p.name)
def test_inventory_is_the_one_simple_inventory_builds(directory: Path) -> None:
    assert inventory_of(_docs(directory)).dict() == _simple(directory)


def test_nested_groups_defaults_and_connection_options(tmp_path: Path) -> None:
    for name, text in NESTED.items():
        (tmp_path / name).write_text(text)
    built = inventory_of(_docs(tmp_path))
    assert built.dict() == _simple(tmp_path)
    leaf1 = built.hosts["leaf1"]
    assert (leaf1.username, leaf1.port, leaf1.get("site")) == ("admin", 22, "dc1")  # inherited
    assert leaf1.get_connection_parameters("napalm").extras == {"optional_args": {"port": 2222}}


def test_load_nornir_does_not_read_the_files_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inv = tmp_path / "inventory"
    shutil.copytree(INVENTORIES[1], inv)
    expected = _simple(inv)

    def refuse(self: SimpleInventory) -> None:
        raise AssertionError("SimpleInventory read the inventory files again")

    monkeypatch.setattr(SimpleInventory, "load", refuse)
    nr = loader.load_nornir(inv, num_workers=7)
    assert set(nr.inventory.hosts) == set(expected["hosts"])  # type: ignore[call-overload]
    assert isinstance(nr.runner, ThreadedRunner)
    assert nr.runner.num_workers == 7
    assert nr.config.inventory.plugin == "SimpleInventory"
    assert nr.config.inventory.options["host_file"] == str(inv / "hosts.yaml")
    assert nr.config.logging.enabled is False
