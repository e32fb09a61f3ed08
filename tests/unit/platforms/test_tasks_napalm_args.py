"""What the rocesonic NAPALM driver is opened with: the host record, plus the inventory's optional_args."""

from __future__ import annotations

from typing import Any

from nornir.core.inventory import ConnectionOptions, Host

from agent.platforms.sonic.connect import napalm_optional_args
from agent.transports.nornir_ssh import ssh_target


def _host(data: dict[str, Any], optional_args: dict[str, Any] | None = None) -> Host:
    options = {"napalm": ConnectionOptions(extras={"optional_args": optional_args})} if optional_args else {}
    return Host("leaf1", hostname="172.20.20.2", port=22, data=data, connection_options=options)


def test_inventory_optional_args_reach_the_driver_even_without_host_data_transport() -> None:
    host = _host({"lab": "roce-fabric"}, {"transport": "docker", "container": "my-leaf1", "timeout": 90})
    args = napalm_optional_args(host, ssh_target(host))
    assert args == {"transport": "docker", "device_name": "leaf1", "container": "my-leaf1", "timeout": 90}


def test_host_data_transport_docker_names_the_containerlab_container() -> None:
    host = _host({"lab": "roce-fabric", "transport": "docker"})
    args = napalm_optional_args(host, ssh_target(host))
    assert args == {"transport": "docker", "device_name": "leaf1", "container": "clab-roce-fabric-leaf1"}


def test_ssh_hosts_keep_the_built_arguments_and_inventory_extras_add_to_them() -> None:
    host = _host({"_ssh_options": {"ssh_strict": True, "alt_key_file": "/inv/known_hosts"}}, {"timeout": 120})
    args = napalm_optional_args(host, ssh_target(host))
    assert args["ssh_strict"] is True
    assert args["alt_key_file"] == "/inv/known_hosts"
    assert args["timeout"] == 120
    assert "transport" not in args
