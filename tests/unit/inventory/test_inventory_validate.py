"""Inventory validation: what the project writes passes, what would reach the wrong device does not.

The malformed-input corpus (tests/unit/cli/test_malformed_corpus.py) covers one defect per file through
the CLI; here: every inventory the project itself writes is accepted (and loads in plain Nornir), the
one-device-per-address rule as nornir_napalm resolves it, password variables per selected device, and
the value checkers on real names from SONiC and Linux.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from nornir import InitNornir

from agent.app.inputs import targeted
from agent.errors import InputError
from agent.inventory import names
from agent.inventory.access import address_of, require_secrets
from agent.inventory.clab import load_clab
from agent.inventory.loader import load_nornir, load_topology
from agent.inventory.validate import validate_inventory
from agent.rollout.playbook import Targets
from benchmarks.scale_topology import write_topology
from rocelab.inventory_writer import write_inventory
from rocelab.spec import DEFAULT_BASE_PORT, build_spec

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
PROJECT_INVENTORIES = [ROOT / "inventories" / "example-prod"]  # inventories/lab/hosts.yaml: written by `lab up`
PROJECT_INVENTORIES += [FIXTURES / "inventory" / "small", FIXTURES / "rollout" / "inventory", FIXTURES / "malformed"]


def _plain_nornir(directory: Path) -> int:
    nr = InitNornir(
        inventory={
            "plugin": "SimpleInventory",
            "options": {name: str(directory / f"{stem}.yaml") for name, stem in
                        (("host_file", "hosts"), ("group_file", "groups"), ("defaults_file", "defaults"))},
        },
        logging={"enabled": False},
    )  # fmt: skip
    return len(nr.inventory.hosts)


@pytest.mark.parametrize("directory", PROJECT_INVENTORIES[:3], ids=lambda p: p.name)
def test_committed_inventories_are_valid(directory: Path) -> None:
    inv = validate_inventory(directory)
    assert inv.hosts
    assert len(load_nornir(directory).inventory.hosts) == len(inv.hosts) == _plain_nornir(directory)


def test_lab_writer_output_is_valid(tmp_path: Path) -> None:
    topo = load_clab(ROOT / "containerlab" / "roce-fabric.clab.yml")
    write_inventory(build_spec(topo, DEFAULT_BASE_PORT), topo, tmp_path, client_key=tmp_path / "id_ed25519")
    assert len(validate_inventory(tmp_path).hosts) == 11  # both pods
    assert len(load_topology(tmp_path).links) == 12


def test_lab_writer_output_for_512_devices_is_valid(tmp_path: Path) -> None:
    topo = load_clab(write_topology(512, tmp_path))
    inv = tmp_path / "inventory"
    write_inventory(build_spec(topo, 20000), topo, inv, client_key=tmp_path / "id_ed25519")
    assert len(load_nornir(inv).inventory.hosts) == 512


@pytest.mark.parametrize(
    "source",
    [ROOT / "containerlab" / "roce-fabric.clab.yml", FIXTURES / "inventory" / "clab" / "clab-roce-fabric"],
    ids=["clab-yml", "deployed-lab"],
)
def test_from_clab_output_is_valid(source: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agent.cli import app

    result = CliRunner().invoke(app, ["inventory", "from-clab", str(source), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert validate_inventory(tmp_path).hosts
    assert len(load_nornir(tmp_path).inventory.hosts) == _plain_nornir(tmp_path)


# ---- one device per address -------------------------------------------------------------------------


def _inventory(tmp_path: Path, hosts: str, groups: str = "", defaults: str = "") -> Path:
    (tmp_path / "hosts.yaml").write_text(hosts)
    (tmp_path / "groups.yaml").write_text(
        groups or "sonic:\n  connection_options:\n    napalm: {platform: rocesonic}\n"
    )
    if defaults:
        (tmp_path / "defaults.yaml").write_text(defaults)
    return tmp_path


TWO_SWITCHES = (
    "leaf1:\n  hostname: 127.0.0.1\n  port: 2205\n  groups: [sonic]\n"
    "leaf2:\n  hostname: 127.0.0.1\n  port: 2206\n  groups: [sonic]\n"
)


def test_distinct_ports_on_one_address_are_distinct_devices(tmp_path: Path) -> None:
    nr = load_nornir(_inventory(tmp_path, TWO_SWITCHES))
    assert [address_of(h, "napalm") for h in nr.inventory.hosts.values()] == [("127.0.0.1", 2205), ("127.0.0.1", 2206)]


def test_a_napalm_port_shared_through_defaults_is_refused_where_it_is_set(tmp_path: Path) -> None:
    """nornir_napalm keeps an optional_args port over the host's: both switches would be leaf1 (issue 12)."""
    defaults = "connection_options:\n  napalm:\n    extras:\n      optional_args:\n        port: 2205\n"
    with pytest.raises(InputError) as err:
        load_nornir(_inventory(tmp_path, TWO_SWITCHES, defaults=defaults))
    (problem,) = err.value.problems
    assert problem.file == tmp_path / "defaults.yaml"
    assert problem.line == 5
    assert "leaf1 and leaf2 both resolve to 127.0.0.1:2205 for napalm" in problem.message


def test_the_same_address_spelled_twice_is_one_device(tmp_path: Path) -> None:
    hosts = (
        "a:\n  hostname: 10.0.0.1\nb:\n  hostname: LEAF.example.net.\nc:\n  hostname: leaf.example.net\n  port: 22\n"
    )
    hosts += "d:\n  hostname: '::1'\ne:\n  hostname: '0:0::1'\n"
    with pytest.raises(InputError) as err:
        load_nornir(_inventory(tmp_path, hosts))
    messages = [p.message for p in err.value.problems]
    assert any(m.startswith("b and c both resolve to leaf.example.net:22 for netmiko") for m in messages)
    assert any(m.startswith("d and e both resolve to ::1:22") for m in messages)
    assert not any(" a " in m or m.startswith("a ") for m in messages)


def test_docker_transport_hosts_have_no_address(tmp_path: Path) -> None:
    entry = "  hostname: 10.0.0.9\n  data: {transport: docker}\n"
    hosts = f"h1:\n{entry}h2:\n{entry}"
    assert len(load_nornir(_inventory(tmp_path, hosts)).inventory.hosts) == 2


# ---- secrets --------------------------------------------------------------------------------------------


def test_missing_password_variable_is_one_error_naming_it_and_the_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROCE_PROD_HOST_PASSWORD", raising=False)
    monkeypatch.setenv("ROCE_PROD_SWITCH_PASSWORD", "x")
    prod = ROOT / "inventories" / "example-prod"
    nr = load_nornir(prod)
    with pytest.raises(InputError) as err:
        require_secrets(nr, prod)
    (problem,) = err.value.problems
    assert problem.file == prod / "groups.yaml"
    assert problem.field == "rdma-hosts.data.password_env"
    assert problem.line == next(i for i, t in enumerate((prod / "groups.yaml").read_text().splitlines(), 1)
                            if "ROCE_PROD_HOST_PASSWORD" in t)  # fmt: skip
    assert "is not set: group rdma-hosts names it for the login of 8 device(s)" in problem.message


def test_only_the_selected_devices_need_their_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROCE_PROD_HOST_PASSWORD", raising=False)
    monkeypatch.setenv("ROCE_PROD_SWITCH_PASSWORD", "x")
    prod = ROOT / "inventories" / "example-prod"
    require_secrets(targeted(load_nornir(prod), Targets(groups=["sonic"])), prod)  # switches only: fine


def test_a_password_in_the_host_entry_needs_no_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROCE_UNSET_X", raising=False)
    hosts = "h1:\n  hostname: 10.0.0.1\n  password: given\nh2:\n  hostname: 10.0.0.2\n"
    inv = _inventory(tmp_path, hosts, defaults="data:\n  password_env: ROCE_UNSET_X\n")
    with pytest.raises(InputError) as err:
        require_secrets(load_nornir(inv), inv)
    (problem,) = err.value.problems
    assert problem.file == inv / "defaults.yaml"
    assert "of 1 device(s) (h2)" in problem.message
    monkeypatch.setenv("ROCE_UNSET_X", "set")
    require_secrets(load_nornir(inv), inv)
    assert "ROCE_UNSET_X" in os.environ


# ---- names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["127.0.0.1", "::1", "fe80::1%eth0", "leaf-01.fabric.example.net", "leaf1.", "clab-roce_fabric-leaf1"]
)
def test_hostnames_accepted(value: str) -> None:
    assert names.check_hostname(value) == value


@pytest.mark.parametrize(
    "value", [";rm -rf /", "$(reboot)", "`id`", "a\nb", "-oProxyCommand=x", "a b", "a'b", "", "a..b"]
)
def test_hostnames_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not a hostname or IP address"):
        names.check_hostname(value)


@pytest.mark.parametrize(
    "value", ["Ethernet0", "Ethernet1/1", "PortChannel0001", "eth1", "enp1s0f0np0", "bond0.100", "mlx5_0"]
)
def test_interface_names_accepted(value: str) -> None:
    assert names.check_interface(value) == value


@pytest.mark.parametrize("value", ["eth1;reboot", "Ethernet0'", 'e"0', "$(x)", "`x`", "eth 1", "-x", "eth1\n", ""])
def test_interface_names_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not an interface name"):
        names.check_interface(value)


def test_an_inventory_without_groups_file_never_reads_one_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "hosts.yaml").write_text("h1:\n  hostname: 10.0.0.1\n  groups: []\n")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "groups.yaml").write_text("h1: [this is not an inventory\n")
    (tmp_path / "defaults.yaml").write_text("port: 9999\n")
    nr = load_nornir(inv)
    assert nr.inventory.hosts["h1"].port is None
