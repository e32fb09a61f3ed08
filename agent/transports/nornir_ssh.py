"""The `roce_ssh` Nornir connection: a NetmikoRunner opened from an inventory host's own record.

Connection parameters come from the inventory: credentials, key_file from the Netmiko connection
extras, and the host-key policy that `agent.inventory.loader` stores in ``_ssh_options``. Used by
every platform whose devices are plain SSH hosts (RDMA hosts), and by rollouts for side sessions.
"""

from __future__ import annotations

from typing import Any

from nornir.core.configuration import Config
from nornir.core.inventory import Host
from nornir.core.plugins.connections import ConnectionPluginRegister

from agent.redact import register_secret
from agent.transports.ssh import NetmikoRunner, SshTarget

SSH_CONNECTION = "roce_ssh"


def ssh_target(host: Host, *, timeout: float = 30.0) -> SshTarget:
    """Where/how to reach a host, from its inventory record (password never leaves memory)."""
    extras = dict(host.get_connection_parameters("netmiko").extras or {})
    policy = dict(host.get("_ssh_options") or {})
    key_file = extras.get("key_file") if extras.get("use_keys", bool(extras.get("key_file"))) else None
    own_pin = extras.get("alt_key_file")  # the device's own pin file (known_hosts.d/<device>): its identity
    register_secret(host.password)  # masked in every output (agent.redact)
    return SshTarget(
        device=host.name,
        host=host.hostname or host.name,
        port=host.port or 22,
        username=host.username or "admin",
        password=host.password,
        known_hosts=str(own_pin) if own_pin else policy.get("alt_key_file"),
        verify_host_key=bool(policy.get("ssh_strict", True)),
        timeout=timeout,
        key_file=key_file,
        system_host_keys=bool(extras.get("system_host_keys", True)),
    )


class RoceSsh:
    """Nornir connection plugin holding a NetmikoRunner (opened from the host's own record)."""

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        target: SshTarget = (extras or {})["target"]
        self.connection = NetmikoRunner.connect(target)

    def close(self) -> None:
        self.connection.close()


ConnectionPluginRegister.register(SSH_CONNECTION, RoceSsh)


def open_ssh(host: Host, config: Config) -> NetmikoRunner:
    """The host's `roce_ssh` session, opened on first use and kept on the Nornir host."""
    if SSH_CONNECTION not in host.connections:
        host.open_connection(SSH_CONNECTION, config, extras={"target": ssh_target(host)})
    runner: NetmikoRunner = host.get_connection(SSH_CONNECTION, config)
    return runner
