from pathlib import Path

import pytest

from agent.errors import InputError
from agent.inventory.loader import inventory_devices, load_nornir, load_topology
from agent.state import DeviceKind
from agent.topology.model import Endpoint

SMALL = Path(__file__).parents[2] / "fixtures" / "inventory" / "small"


def test_inventory_devices_kinds_roles_and_speeds() -> None:
    nr = load_nornir(SMALL)
    devices = {d.name: d for d in inventory_devices(nr)}
    assert devices["leaf1"].kind is DeviceKind.switch
    assert devices["leaf1"].platform == "sonic"
    assert devices["leaf1"].groups == ("sonic", "leaves")
    assert devices["leaf1"].port_speed_mbps == {"Ethernet8": 100_000}
    assert devices["leaf1"].default_speed_mbps == 400_000
    assert devices["host1"].kind is DeviceKind.host
    assert devices["host1"].platform == "linux-rdma"


def test_password_comes_from_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCE_AGENT_PASSWORD", "s3cret-from-env")
    nr = load_nornir(SMALL)
    assert nr.inventory.hosts["leaf1"].password == "s3cret-from-env"


def test_host_keys_are_verified_by_default() -> None:
    nr = load_nornir(SMALL)
    assert nr.inventory.hosts["leaf1"].data["_ssh_options"]["ssh_strict"] is True
    nr = load_nornir(SMALL, verify_host_keys=False)
    assert nr.inventory.hosts["leaf1"].data["_ssh_options"]["ssh_strict"] is False


def test_links_file_builds_topology() -> None:
    topo = load_topology(SMALL)
    assert len(topo.links) == 2
    assert topo.peer(Endpoint("host1", "eth1")) == Endpoint("leaf1", "Ethernet0")
    assert [p for p, _ in topo.ports_of("leaf1")] == ["Ethernet0", "Ethernet8"]


def test_bad_link_endpoint_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "links.yaml").write_text('links:\n  - {a: "leaf1-Ethernet0", b: "host1:eth1"}\n')
    with pytest.raises(InputError) as err:
        load_topology(tmp_path)
    assert "links[0]" in str(err.value)
    assert "DEVICE:PORT" in str(err.value)


def test_missing_hosts_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no hosts\.yaml"):
        load_nornir(tmp_path)


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "links.yaml").write_text("links:\n  - {a: [leaf1:Ethernet0, b: host1:eth1}\n")
    with pytest.raises(InputError) as err:
        load_topology(tmp_path)
    assert f"{tmp_path / 'links.yaml'}:2" in str(err.value)
