"""The inventory directory as the agent accepts it: Nornir SimpleInventory files + links.yaml, as pydantic.

Each file is validated with agent.yamlfile's located errors (file, line, field, what is allowed), so a
bad inventory is refused like a bad policy: exit 2, before Nornir builds anything and before any
connection. The shapes are Nornir's own (hosts/groups/defaults keep working in plain `InitNornir`);
this only says which values the agent can drive:

* Nornir keys are a closed set (a typo such as `hostnme:` is an error with a suggestion, where Nornir
  would ignore it and connect to nothing or to the wrong place);
* `data` is open (operators keep their own keys there), but the keys the agent reads are typed, and a
  near miss of one of them (`port_sped`) is refused instead of silently meaning "not set";
* platforms: the agent drives every device over a bash shell (Netmiko `linux`) and SONiC switches
  through its NAPALM driver `rocesonic`.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from agent.inventory import names
from agent.policy.networks import NetworkName
from agent.policy.units import parse_speed_mbps
from agent.yamlfile import field_error

#: Nornir `platform` values (Netmiko device types) the agent's SSH runner speaks.
NETMIKO_PLATFORMS = ("linux",)
#: NAPALM driver names for `connection_options.napalm.platform`.
NAPALM_PLATFORMS = ("rocesonic",)
#: Connection names the agent or its plugins use; others are allowed (plain Nornir jobs) unless a near miss.
KNOWN_CONNECTIONS = ("netmiko", "napalm", "docker_exec", "roce_ssh")
LINK_ROLES = ("host", "fabric")
DEVICE_KINDS = ("switch", "host")


def _speed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"expected a port speed such as 100G or 400G (got {value!r})")
    mbps = parse_speed_mbps(value)
    if mbps <= 0:
        raise ValueError(f"a port speed must be above 0 (got {value!r}); use e.g. 100G or 400G")
    return mbps


def _password(value: object) -> str:
    if not isinstance(value, str):  # never echo it: it is a secret even when mistyped
        raise ValueError("password must be a string (quote it); better: leave it out and use password_env")
    return value


DeviceName = Annotated[str, AfterValidator(names.check_device_name)]
GroupName = Annotated[str, AfterValidator(names.check_group_name)]
Label = Annotated[str, AfterValidator(names.check_name)]
Hostname = Annotated[str, AfterValidator(names.check_hostname)]
Interface = Annotated[str, AfterValidator(names.check_interface)]
EnvVar = Annotated[str, AfterValidator(names.check_env_var)]
Username = Annotated[str, AfterValidator(names.check_username)]
Port = Annotated[int, BeforeValidator(names.check_port_number)]
Speed = Annotated[int, BeforeValidator(_speed)]
Password = Annotated[str, BeforeValidator(_password)]


def near_miss(key: str, known: tuple[str, ...]) -> str | None:
    """The known key `key` is probably a typo of (close, but not equal), else None."""
    if key in known:
        return None
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
    return close[0] if close else None


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HostData(BaseModel):
    """`data:` of a host, group or defaults. Open, except that the keys the agent reads are typed."""

    model_config = ConfigDict(extra="allow", frozen=True)

    device_kind: Literal["switch", "host"] | None = None
    nos: Literal["sonic"] | None = None
    role: Label | None = None
    port_speed: Speed | None = None
    ports: dict[Interface, Speed] | None = None
    rdma_interfaces: list[Interface] | None = None
    interface_networks: dict[Interface, NetworkName] | None = None  # eth2: frontend (default backend)
    password_env: EnvVar | None = None
    transport: Literal["ssh", "docker"] | None = None
    container: DeviceName | None = None
    lab: Label | None = None
    clab_prefix: str | None = None
    clab_kind: Label | None = None
    mgmt_ipv4: Hostname | None = None
    rack: Label | int | None = None
    roce_profile: Label | None = None  # a profile of the policy (agent.policy.profiles); else its default

    @model_validator(mode="before")
    @classmethod
    def _no_near_misses(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            known = tuple(cls.model_fields)
            for key in raw:
                meant = near_miss(str(key), known)
                if meant:
                    raise field_error(str(key), f"unknown data key {key!r}. Did you mean {meant!r}?")
        return raw


class OptionalArgs(BaseModel):
    """NAPALM `optional_args`: open (driver options), but `port` wins over the host's port, so check it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    port: Port | None = None


class Extras(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    optional_args: OptionalArgs | None = None


class ConnectionOptions(Closed):
    hostname: Hostname | None = None
    port: Port | None = None
    username: Username | None = None
    password: Password | None = Field(default=None, repr=False)
    platform: str | None = None
    extras: Extras | None = None


def _check_platforms(platform: str | None, connections: dict[str, ConnectionOptions]) -> None:
    if platform is not None and platform not in NETMIKO_PLATFORMS:
        raise field_error("platform", _unknown("platform", platform, NETMIKO_PLATFORMS, "(Netmiko device type)"))
    for name, opts in connections.items():
        meant = near_miss(name, KNOWN_CONNECTIONS)
        if meant:
            raise field_error(("connection_options", name), f"unknown connection {name!r}. Did you mean {meant!r}?")
        allowed = {"napalm": NAPALM_PLATFORMS, "netmiko": NETMIKO_PLATFORMS}.get(name)
        if allowed and opts.platform is not None and opts.platform not in allowed:
            where = ("connection_options", name, "platform")
            raise field_error(where, _unknown(f"{name} platform", opts.platform, allowed, ""))


def _unknown(what: str, value: str, allowed: tuple[str, ...], note: str) -> str:
    hint = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
    did = f" Did you mean {hint[0]!r}?" if hint else ""
    return f"unknown {what} {value!r}.{did} Allowed: {', '.join(allowed)} {note}".rstrip()


class Defaults(Closed):
    """defaults.yaml (Nornir Defaults: no groups)."""

    hostname: Hostname | None = None
    port: Port | None = None
    username: Username | None = None
    password: Password | None = Field(default=None, repr=False)
    platform: str | None = None
    data: HostData | None = None
    connection_options: dict[Label, ConnectionOptions] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _platforms(self) -> Defaults:
        _check_platforms(self.platform, self.connection_options)
        return self


class Entry(Defaults):
    """One host of hosts.yaml or one group of groups.yaml (Nornir gives both the same keys)."""

    groups: list[GroupName] | None = None


class Link(Closed):
    a: str
    b: str
    role: Literal["host", "fabric"] = "fabric"
    speed: Speed | None = None
    network: NetworkName = "backend"
    # A profile boundary declared on the cable: both ports run this profile (agent.inventory.profiles).
    roce_profile: Label | None = None

    @model_validator(mode="after")
    def _endpoints(self) -> Link:
        for end in ("a", "b"):
            try:
                names.parse_endpoint(getattr(self, end))
            except ValueError as exc:
                raise field_error(end, str(exc)) from None
        return self

    def ends(self) -> tuple[tuple[str, str], tuple[str, str]]:
        return names.parse_endpoint(self.a), names.parse_endpoint(self.b)


class LinksFile(Closed):
    links: list[Link] = Field(default_factory=list)
