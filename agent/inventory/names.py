"""What a name in an inventory may look like: device and group names, hostnames, interfaces, ports.

Inventory values end up in SSH targets, Netmiko/NAPALM options, lock and known_hosts file names and
(quoted) device commands. Quoting is the transport's job; refusing anything that is not a plain name
here means a typo or a pasted `;reboot` never gets that far, and a value starting with `-` can never
be read as a command-line option by ssh, docker or a device tool.

Every checker raises ValueError with a message that says what is allowed (pydantic locates it).
"""

from __future__ import annotations

import ipaddress
import re

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
# SONiC port names (Ethernet0, PortChannel0001, Ethernet1/1 aliases), Linux netdevs (eth1, enp1s0f0np0,
# bond0.100) and RDMA devices (mlx5_0): letters, digits and _ . / -, never a leading `-`.
_INTERFACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,63}")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _matching(pattern: re.Pattern[str], value: str, is_not: str) -> str:
    """`value` when the whole of it matches; else the error every checker gives: the value, then `is_not`."""
    if not pattern.fullmatch(value):
        raise ValueError(f"{_show(value)} is not {is_not}")
    return value


def check_name(value: str, what: str = "name") -> str:
    return _matching(
        _NAME,
        value,
        f"a valid {what}: use letters, digits, '_', '.', '-' (at most 64, starting with a letter or digit)",
    )


def check_device_name(value: str) -> str:
    return check_name(value, "device name")


def check_group_name(value: str) -> str:
    return check_name(value, "group name")


def check_hostname(value: str) -> str:
    """A DNS name or an IP address: what Netmiko/NAPALM/docker connect to."""
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    return _matching(
        _HOSTNAME,
        value,
        "a hostname or IP address: use a DNS name (letters, digits, '-', '_', dot-separated labels, no leading '-') "
        "or an IPv4/IPv6 address; no spaces, quotes or shell characters",
    )


def check_interface(value: str) -> str:
    return _matching(
        _INTERFACE,
        value,
        "an interface name: use letters, digits, '_', '.', '/', '-' (e.g. Ethernet0, eth1, enp1s0f0np0), "
        "starting with a letter or digit; no spaces, quotes or shell characters",
    )


def check_env_var(value: str) -> str:
    return _matching(_ENV_VAR, value, "an environment variable name: letters, digits, '_', not a digit first")


def check_username(value: str) -> str:
    return _matching(
        _USERNAME, value, "a login name: letters, digits, '_', '.', '@', '-', starting with a letter, digit or '_'"
    )


def check_port_number(value: object) -> int:
    """TCP port: a whole number 1..65535 (YAML `port: "22"` is a string Netmiko would not accept)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"port must be a whole number 1..65535 (got {_show(value)})")
    return value


def parse_endpoint(text: str) -> tuple[str, str]:
    """ "leaf1:Ethernet0" -> ("leaf1", "Ethernet0"), both names checked."""
    device, sep, port = text.partition(":")
    if not sep or not device or not port:
        raise ValueError(f"{_show(text)} is not an endpoint: use DEVICE:PORT, e.g. leaf1:Ethernet0 (both required)")
    check_device_name(device)
    check_interface(port)
    return device, port
