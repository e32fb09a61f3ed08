"""Which profile each device runs, and the cabling rules between profiles (checked before any contact).

A device's profile comes from `roce_profile:` in its inventory data (host, then its groups, then the
defaults: Nornir's own inheritance), else the policy's `default_profile`. Two rules make a profile
boundary safe, and both are input errors located in the file to fix:

* the name must be a profile of the policy (the error points at the `roce_profile:` line that set it);
* both ends of a link run the same profile (the error points at the link in links.yaml and names both
  ends): a lossless port facing a lossy one pauses a peer that never pauses back, and a lossy port
  facing a lossless one drops what the peer expects to be held.

A boundary is declared on the cable instead: `roce_profile: NAME` on a link in links.yaml makes both of
its ports run NAME whatever their devices run (a lossy inference leaf uplinked to lossless spines: the
spine ports facing it go lossy). Then both ends agree by construction, and three rules remain, each
located at the link's `roce_profile:` line: the name is a profile of the policy; a host end's own
profile is that profile (a NIC runs one profile); a switch end can render it per port
(agent.policy.profiles.port_profile_conflicts: DSCP map, trust, RoCE/CNP queues, watchdog poll stay
the switch's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import Group, Host

from agent.errors import InputProblem
from agent.inventory.validate import DEFAULTS_FILE, GROUPS_FILE, HOSTS_FILE, LINKS_FILE
from agent.policy.profiles import PolicySet, port_profile_conflicts
from agent.topology.model import Link, Topology
from agent.yamlfile import line_of, read_yaml

KEY = "roce_profile"


def device_profiles(nr: Nornir, policies: PolicySet) -> dict[str, str]:
    """Device -> the profile it resolves to (unknown names included as given; see profile_problems)."""
    out: dict[str, str] = {}
    for host in nr.inventory.hosts.values():
        named = host.get(KEY)
        out[host.name] = policies.resolve_name(str(named) if named is not None else None)
    return out


def profile_problems(inventory: Path, nr: Nornir, policies: PolicySet, topology: Topology) -> list[InputProblem]:
    """Unknown profile names (at the line that set them), then links joining two profiles."""
    problems: list[InputProblem] = []
    profiles = device_profiles(nr, policies)
    docs = _Docs(Path(inventory))
    for name, profile in profiles.items():
        why = policies.unknown(profile)
        if why is not None:
            file, loc = _where_set(nr.inventory.hosts[name])
            problems.append(InputProblem(docs.path(file), docs.line(file, loc), ".".join(map(str, loc)), why))
    if problems:
        return problems
    return link_problems(docs, profiles, topology) + declared_link_problems(docs, profiles, topology, policies)


def declared_link_problems(
    docs: _Docs, profiles: dict[str, str], topology: Topology, policies: PolicySet
) -> list[InputProblem]:
    """Links whose `roce_profile:` is unknown, differs from a host end's profile, or cannot be rendered
    on a switch end's ports; each at the link's roce_profile line."""
    problems: list[InputProblem] = []
    for i, link in enumerate(topology.links):
        if link.profile is None:
            continue
        loc = ("links", i, KEY)
        why = policies.unknown(link.profile)
        reasons = [why] if why is not None else _end_problems(link, profiles, topology, policies)
        for reason in reasons:
            line = docs.line(LINKS_FILE, loc)
            problems.append(InputProblem(docs.path(LINKS_FILE), line, f"links[{i}].{KEY}", reason))
    return problems


def _end_problems(link: Link, profiles: dict[str, str], topology: Topology, policies: PolicySet) -> list[str]:
    declared = str(link.profile)
    out: list[str] = []
    for end in link.ends():
        own = profiles.get(end.device)
        if own is None or own == declared:
            continue
        if topology.kinds.get(end.device) == "host":
            out.append(
                f"link {link.a} - {link.b} declares profile {declared!r} but host {end.device} runs {own!r}: "
                f"a NIC runs one profile (set roce_profile: {declared} on {end.device}, or drop it from the link)"
            )
            continue
        conflicts = port_profile_conflicts(policies.profile(declared), policies.profile(own))
        if conflicts:
            out.append(
                f"link {link.a} - {link.b} declares profile {declared!r}, which port {end} of {end.device} "
                f"(profile {own!r}) cannot run: {'; '.join(conflicts)} are per switch in SONiC. A per-link "
                "profile may change only the port's mode (PFC, headroom, watchdog)"
            )
    return out


def link_problems(docs: _Docs, profiles: dict[str, str], topology: Topology) -> list[InputProblem]:
    """Undeclared boundaries: a link without roce_profile whose two ends resolve to different profiles."""
    problems: list[InputProblem] = []
    kinds = topology.kinds
    for i, link in enumerate(topology.links):
        if link.profile is not None:
            continue
        pa, pb = profiles.get(link.a.device), profiles.get(link.b.device)
        if pa is None or pb is None or pa == pb:
            continue
        ends = sorted((link.a, link.b), key=lambda e: kinds.get(e.device) != "host")  # host end first
        (h, ph), (s, ps) = ((e, profiles[e.device]) for e in ends)
        if link.role == "host" and kinds.get(h.device) == "host":
            message = (
                f"host {h.device} (profile {ph!r}) is cabled to switch port {s} (profile {ps!r}): a host and "
                "its switch port must run the same profile (set the same roce_profile on both)"
            )
        else:
            message = (
                f"link {link.a} (profile {pa!r}) - {link.b} (profile {pb!r}) joins two profiles: both ends of "
                "a link must run the same profile (PFC on one end only pauses a peer that drops); declare the "
                "boundary on the link (roce_profile: NAME in links.yaml) to give both ports one profile"
            )
        problems.append(
            InputProblem(docs.path(LINKS_FILE), docs.line(LINKS_FILE, ("links", i)), f"links[{i}]", message)
        )
    return problems


def _where_set(host: Host) -> tuple[str, tuple[str, ...]]:
    """The file and key path that gave `host` its roce_profile (host data, a group's, the defaults')."""
    if KEY in host.data:
        return HOSTS_FILE, (host.name, "data", KEY)
    for group in _groups_in_order(host):
        if KEY in group.data:
            return GROUPS_FILE, (group.name, "data", KEY)
    return DEFAULTS_FILE, ("data", KEY)


def _groups_in_order(host: Host) -> list[Group]:
    """Nornir's lookup order: each group, depth first through its parents."""
    out: list[Group] = []
    stack = list(reversed(list(host.groups)))
    while stack:
        group = stack.pop()
        out.append(group)
        stack.extend(reversed(list(group.groups)))
    return out


class _Docs:
    """Inventory files read once each, for line numbers."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._docs: dict[str, Any] = {}

    def path(self, name: str) -> Path:
        return self.directory / name

    def line(self, name: str, loc: tuple[str | int, ...]) -> int | None:
        if name not in self._docs:
            path = self.path(name)
            self._docs[name] = read_yaml(path) if path.is_file() else None
        return line_of(self._docs[name], loc)
