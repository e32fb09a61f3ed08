"""How a switch is reached from Nornir: the `rocesonic` NAPALM driver on the host's `napalm` connection.

Over SSH with the inventory's keys and host-key policy, or over `docker exec` when host data says
`transport: docker` (containerlab sonic-vs has no sshd). Riding on the NAPALM connection means
nornir_napalm's own tasks (`napalm_confirm_commit`, getters) work on the very same session.
"""

from __future__ import annotations

from typing import Any

from nornir.core.configuration import Config
from nornir.core.inventory import Host

from agent.platforms.sonic.driver import RoceSonicDriver
from agent.transports import docker_exec
from agent.transports.nornir_ssh import ssh_target
from agent.transports.ssh import SshTarget

NAPALM_CONNECTION = "napalm"
NAPALM_PLATFORM = "rocesonic"


def napalm_driver(host: Host, config: Config) -> RoceSonicDriver:
    """The host's rocesonic NAPALM driver, opened on first use from its inventory record."""
    if NAPALM_CONNECTION not in host.connections:
        target = ssh_target(host)
        extras = {"optional_args": napalm_optional_args(host, target)}
        host.open_connection(
            NAPALM_CONNECTION, config, hostname=target.host, username=target.username,
            password=target.password, port=target.port, platform=NAPALM_PLATFORM, extras=extras,
        )  # fmt: skip
    driver: RoceSonicDriver = host.get_connection(NAPALM_CONNECTION, config)
    return driver


def napalm_optional_args(host: Host, target: SshTarget) -> dict[str, Any]:
    """What the driver gets: built from the host record, then the inventory's own
    `connection_options.napalm.extras.optional_args` on top (containerlab inventories set `transport` and
    `container` there). Passing extras to `open_connection` replaces the inventory's, hence the merge."""
    inventory_args = dict((host.get_connection_parameters(NAPALM_CONNECTION).extras or {}).get("optional_args") or {})
    built: dict[str, Any] = {
        "port": target.port,
        "device_name": host.name,
        "ssh_strict": target.verify_host_key,
        "alt_key_file": target.known_hosts,
        "key_file": target.key_file,
        "use_keys": bool(target.key_file),
    }
    if docker_exec.uses_docker(host) or inventory_args.get("transport") == "docker":
        built = {"transport": "docker", "device_name": host.name}
        if not inventory_args.get("container"):
            built["container"] = docker_exec.container_for_host(host)
    built.update(inventory_args)
    return {k: v for k, v in built.items() if v is not None}
