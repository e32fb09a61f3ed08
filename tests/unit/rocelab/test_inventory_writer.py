"""The lab's Nornir inventory: per-host connection options that plain Nornir/NAPALM use correctly, absolute
paths, one pin per host, nothing tracked that changes with ports or checkouts, no secrets."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from nornir import InitNornir
from nornir.core import Nornir
from ruamel.yaml import YAML

from agent.app.inputs import load_inputs
from agent.inventory.clab import load_clab
from agent.inventory.loader import load_nornir
from rocelab.inventory_writer import (
    PINS_DIR,
    PORTABLE_FILES,
    known_hosts_text,
    render_inventory,
    write_inventory,
)
from rocelab.spec import DEFAULT_BASE_PORT, LabSpec, build_spec

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TOPOLOGY = ROOT / "containerlab" / "roce-fabric.clab.yml"
COMMITTED = ROOT / "inventories" / "lab"
SWITCHES = ("leaf1", "leaf2", "spine1", "spine2")


def _spec(base_port: int = DEFAULT_BASE_PORT) -> tuple[LabSpec, Any]:
    topo = load_clab(DEFAULT_TOPOLOGY)
    return build_spec(topo, base_port), topo


def _written(tmp_path: Path, base_port: int = 31000) -> tuple[Path, Path, LabSpec]:
    spec, topo = _spec(base_port)
    inv, key = tmp_path / "inv", tmp_path / "state" / "id_ed25519"
    keys = {n.name: f"ssh-ed25519 KEY{n.name}" for n in spec.nodes}
    write_inventory(spec, topo, inv, client_key=key, host_keys=keys)
    return inv, key, spec


def _plain_nornir(inv: Path) -> Nornir:
    """Exactly what a user's script does: SimpleInventory over the three files, nothing of the agent."""
    options = {f"{k}_file": str(inv / f"{k}s.yaml") for k in ("host", "group")}
    options["defaults_file"] = str(inv / "defaults.yaml")
    return InitNornir(inventory={"plugin": "SimpleInventory", "options": options}, logging={"enabled": False})


@pytest.mark.parametrize("name", PORTABLE_FILES)
def test_committed_portable_files_are_what_lab_up_writes(name: str) -> None:
    spec, topo = _spec()
    rendered = render_inventory(spec, topo, ROOT / ".lab" / "id_ed25519", COMMITTED)
    assert (COMMITTED / name).read_text() == rendered[name], (
        f"inventories/lab/{name} is stale; regenerate it with the lab's inventory writer"
    )


def test_files_that_change_with_ports_or_checkout_are_gitignored() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot ask git what it ignores")
    for path in ("inventories/lab/hosts.yaml", "inventories/lab/known_hosts", f"inventories/lab/{PINS_DIR}/leaf1"):
        res = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", path], check=False)
        assert res.returncode == 0, f"{path} is not gitignored: lab up would rewrite a tracked file"
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "inventories/lab"], capture_output=True, text=True)
    assert "hosts.yaml" not in tracked.stdout


def test_port_numbers_appear_only_in_hosts_yaml_and_pins(tmp_path: Path) -> None:
    inv, _, _ = _written(tmp_path, base_port=31000)
    for name in PORTABLE_FILES:
        assert "3100" not in (inv / name).read_text(), name
    assert "port: 31004" in (inv / "hosts.yaml").read_text()


def test_no_two_hosts_share_a_mutable_connection_object_after_nornir_loads_it(tmp_path: Path) -> None:
    inv, _, _ = _written(tmp_path)
    hosts = _plain_nornir(inv).inventory.hosts
    objects: list[tuple[object, str]] = []  # kept alive, so an id is never reused
    for host in hosts.values():
        owned = [host.get_connection_parameters("netmiko").extras]
        if host.name in SWITCHES:
            napalm = host.get_connection_parameters("napalm").extras
            owned += [napalm, napalm["optional_args"]]
        for obj in owned:
            shared = [owner for other, owner in objects if other is obj]
            assert not shared, f"{host.name} shares an options dict with {shared}"
            objects.append((obj, host.name))
    for a, b in itertools.permutations(SWITCHES, 2):  # what nornir_napalm's open() does to one host's options
        hosts[a].get_connection_parameters("napalm").extras["optional_args"]["port"] = hosts[a].port
        assert hosts[b].get_connection_parameters("napalm").extras["optional_args"].get("port") in (None, hosts[b].port)


def test_nornir_napalm_open_gives_each_switch_its_own_port_and_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nornir_napalm's real `open()` (it writes the port into optional_args) on all four switches, with the
    driver class replaced by a recorder: each driver gets its own host's port, pin and name."""
    import nornir_napalm.plugins.connections as napalm_plugin

    opened: dict[str, dict[str, Any]] = {}

    class Recorder:
        def __init__(self, hostname: str, username: str, password: str, optional_args: dict[str, Any]) -> None:
            self.args = optional_args

        def open(self) -> None:
            opened[self.args["device_name"]] = dict(self.args)

    monkeypatch.setattr(napalm_plugin, "get_network_driver", lambda platform: Recorder)
    inv, key, spec = _written(tmp_path)
    nr = _plain_nornir(inv)
    for name in SWITCHES:
        nr.inventory.hosts[name].open_connection("napalm", nr.config)
    for name in SWITCHES:
        args = opened[name]
        assert args["port"] == spec.node(name).port
        assert args["alt_key_file"] == str((inv / PINS_DIR / name).resolve())
        assert (args["key_file"], args["use_keys"], args["system_host_keys"]) == (str(key.resolve()), True, False)
    assert len({args["port"] for args in opened.values()}) == 4


def test_paths_are_absolute_and_each_pin_holds_only_its_hosts_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inv, key, spec = _written(tmp_path)
    assert key.is_absolute()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for host in _plain_nornir(inv).inventory.hosts.values():
        extras = host.get_connection_parameters("netmiko").extras
        assert extras["key_file"] == str(key.resolve())
        assert Path(extras["alt_key_file"]).is_absolute()
        assert (extras["ssh_strict"], extras["system_host_keys"], extras["alt_host_keys"]) == (True, False, True)
        pin = Path(extras["alt_key_file"]).read_text()
        assert pin == f"[127.0.0.1]:{spec.node(host.name).port} ssh-ed25519 KEY{host.name}\n"
    assert len((inv / "known_hosts").read_text().splitlines()) == len(spec.nodes)


def test_pins_of_removed_nodes_are_deleted(tmp_path: Path) -> None:
    inv, _, _ = _written(tmp_path)
    (inv / PINS_DIR / "gone").write_text("[127.0.0.1]:1 ssh-ed25519 OLD\n")
    _written(tmp_path)
    assert not (inv / PINS_DIR / "gone").exists()


def test_known_hosts_lines_pin_each_port() -> None:
    text = known_hosts_text([(2202, "ssh-ed25519 BBBB\n"), (2201, "ssh-ed25519 AAAA")])
    assert text == "[127.0.0.1]:2201 ssh-ed25519 AAAA\n[127.0.0.1]:2202 ssh-ed25519 BBBB\n"


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return {str(k) for k in node} | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_no_password_or_secret_keys_in_the_inventory(tmp_path: Path) -> None:
    inv, _, _ = _written(tmp_path)
    for name in ("hosts.yaml", *PORTABLE_FILES):
        text = (inv / name).read_text()
        assert not _keys(YAML(typ="safe").load(text)) & {"password", "secret", "passphrase"}, name
        assert "BEGIN OPENSSH PRIVATE KEY" not in text


def test_the_agents_loader_reads_the_written_inventory(tmp_path: Path) -> None:
    inv, key, spec = _written(tmp_path)
    nr = load_nornir(inv)
    leaf1, host1 = nr.inventory.hosts["leaf1"], nr.inventory.hosts["host1"]
    assert (leaf1.hostname, leaf1.port, leaf1.username, leaf1.platform) == ("127.0.0.1", 31006, "admin", "linux")
    assert [g.name for g in leaf1.groups] == ["sonic", "leaves"]
    assert (leaf1["device_kind"], leaf1["nos"], leaf1["role"], leaf1["port_speed"]) == (
        "switch",
        "sonic",
        "leaf",
        "400G",
    )
    assert host1["rdma_interfaces"] == ["eth1"]
    assert host1["role"] == "rdma-host"
    assert "nos" not in host1.data
    napalm = leaf1.get_connection_parameters("napalm")
    assert napalm.platform == "rocesonic"
    assert napalm.extras["optional_args"]["key_file"] == str(key.resolve())
    assert "napalm" not in host1.connection_options  # hosts are reached over Netmiko only
    assert leaf1.data["_ssh_options"]["alt_key_file"] == str(inv / "known_hosts")
    assert nr.inventory.hosts.keys() == {n.name for n in spec.nodes}
    assert set(nr.inventory.groups) == {"sonic", "rdma-hosts", "leaves", "spines"}


def test_write_keeps_an_existing_policy_and_copies_a_given_one(tmp_path: Path) -> None:
    spec, topo = _spec()
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "policy.yaml").write_text("# mine\n")
    changed = write_inventory(spec, topo, inv, client_key=tmp_path / "k")
    assert (inv / "policy.yaml").read_text() == "# mine\n"
    assert sorted(p.name for p in changed) == sorted(("hosts.yaml", *PORTABLE_FILES))
    assert write_inventory(spec, topo, inv, client_key=tmp_path / "k") == []  # unchanged: nothing rewritten
    source = tmp_path / "other-policy.yaml"
    source.write_text("# other\n")
    write_inventory(spec, topo, inv, client_key=tmp_path / "k", policy_source=source)
    assert (inv / "policy.yaml").read_text() == "# other\n"


def test_portable_files_are_not_rewritten_when_only_the_ports_change(tmp_path: Path) -> None:
    spec, topo = _spec(31000)
    inv = tmp_path / "inv"
    write_inventory(spec, topo, inv, client_key=tmp_path / "k")
    moved, _ = _spec(32000)
    changed = write_inventory(moved, topo, inv, client_key=tmp_path / "k")
    assert [p.name for p in changed] == ["hosts.yaml"]


def test_the_inference_pod_is_written_with_its_profile_and_its_declared_uplinks(tmp_path: Path) -> None:
    """Plain Nornir sees each device's roce_profile; links.yaml carries the boundary on leaf3's uplinks;
    the agent resolves the spine ports facing leaf3 to the lossy profile and the others to training."""
    inv, _key, _spec = _written(tmp_path)
    nr = _plain_nornir(inv)
    named = {h.name: h.get("roce_profile") for h in nr.inventory.hosts.values() if h.get("roce_profile")}
    assert named == dict.fromkeys(("leaf3", "host5", "host6"), "nvidia-roce-lossy")
    links = YAML(typ="safe").load((inv / "links.yaml").read_text())["links"]
    declared = {(lk["a"], lk["b"]): lk["roce_profile"] for lk in links if "roce_profile" in lk}
    assert declared == {
        ("leaf3:Ethernet8", "spine1:Ethernet8"): "nvidia-roce-lossy",
        ("leaf3:Ethernet12", "spine2:Ethernet8"): "nvidia-roce-lossy",
    }
    shutil.copyfile(ROOT / "inventories" / "lab" / "policy.yaml", inv / "policy.yaml")
    intents = load_inputs(inv, inv / "policy.yaml", lambda n: n, contact=False).intents
    spine = intents["spine1"]
    assert {p: (i.profile, i.lossless_priorities) for p, i in spine.ports.items()} == {
        "Ethernet0": (None, (3,)),
        "Ethernet4": (None, (3,)),
        "Ethernet8": ("nvidia-roce-lossy", ()),
    }
    assert (intents["leaf3"].policy.name, intents["host5"].policy.name, spine.policy.name) == (
        "nvidia-roce-lossy",
        "nvidia-roce-lossy",
        "training",
    )
