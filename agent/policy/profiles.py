"""Named profiles: several full traffic plans in one policy file (training lossless, inference lossy ...).

File shape (a file without `profiles:` is one implicit profile, named after its `name`):

    name: fabric
    default_profile: training
    profiles:
      training:  {baseline: nvidia-roce, ...}        # each one a complete policy, validated as one
      inference: {baseline: nvidia-roce-lossy, ...}

A device takes the profile its inventory data names (`roce_profile:` on the host, a group or the
defaults, Nornir's usual inheritance), else `default_profile`. Each profile is validated on its own with
its problems located under `profiles.<name>.` in the file, so every error still names its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import InputProblem
from agent.policy.model import Policy, TrafficClass
from agent.yamlfile import line_of, suggest, validate_document

PROFILE_NAME_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_-]{0,63}$"
ProfileName = Annotated[str, Field(pattern=PROFILE_NAME_PATTERN)]
PROFILES_KEY = "profiles"


class _Header(BaseModel):
    """The keys of a profiled file around the profiles themselves (checked before the profiles)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "fabric"
    default_profile: ProfileName
    profiles: dict[ProfileName, Any] = Field(min_length=1)


class PolicySet(BaseModel):
    """Every profile of one policy file, each fully resolved, and which one devices get by default."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str
    default_profile: str
    profiles: dict[str, Policy]

    @classmethod
    def single(cls, policy: Policy) -> PolicySet:
        """A file without `profiles:`: one implicit profile, the policy itself."""
        return cls(name=policy.name, default_profile=policy.name, profiles={policy.name: policy})

    @property
    def default(self) -> Policy:
        return self.profiles[self.default_profile]

    def profile(self, name: str | None) -> Policy:
        """The named profile (KeyError if unknown: callers validate names first), else the default."""
        return self.profiles[name] if name is not None else self.default

    def resolve_name(self, name: str | None) -> str:
        return name if name is not None else self.default_profile

    def unknown(self, name: str) -> str | None:
        """Why `name` is not a profile of this file, else None."""
        if name in self.profiles:
            return None
        known = tuple(self.profiles)
        return f"unknown profile {name!r}.{suggest(name, known)} Profiles in the policy: {', '.join(known)}"


def port_profile_conflicts(port: Policy, device: Policy) -> list[str]:
    """Why a switch running `device` cannot give one port `port` (a per-link profile), else [].

    A port takes its link's profile *mode*: PFC priorities (and so headroom, watchdog rows) or none,
    which SONiC renders per port (PORT_QOS_MAP.pfc_enable, PFC_WD|<port>). What SONiC keeps once per
    switch stays the device profile's: the DSCP -> TC map and trust, the queues RoCE and CNP ride, the
    watchdog poll interval. A link profile that differs there cannot be rendered, so it is refused;
    ECN/WRED thresholds and schedulers also stay the device's (documented, not refused: a lossy and a
    lossless baseline of the same classes differ only in PFC and thresholds)."""
    why: list[str] = []
    if port.trust is not device.trust:
        why.append(f"trust {port.trust.value} (device: {device.trust.value})")
    if port.dscp_to_priority() != device.dscp_to_priority():
        moved = sorted(d for d, p in port.dscp_to_priority().items() if device.dscp_to_priority().get(d) != p)
        why.append(f"the DSCP -> priority map (DSCP {', '.join(map(str, moved[:8]))} differ)")
    for what, mine, theirs in (
        ("RoCE class priority", _priority(port.roce_class), _priority(device.roce_class)),
        ("CNP priority", port.cnp_priority, device.cnp_priority),
    ):
        if mine != theirs:
            why.append(f"{what} {mine} (device: {theirs})")
    wd, dwd = port.pfc.watchdog, device.pfc.watchdog
    if port.lossless_priorities and wd.enabled and wd.poll_interval != dwd.poll_interval:
        why.append(f"watchdog poll_interval {wd.poll_interval} ms (device: {dwd.poll_interval} ms)")
    return why


def _priority(cls: TrafficClass | None) -> int | None:
    return cls.priority if cls is not None else None


def is_profiled(doc: Any) -> bool:
    return isinstance(doc, dict) and PROFILES_KEY in doc


def validate_profiled(doc: Any, path: Path) -> tuple[PolicySet | None, list[InputProblem]]:
    """Validate a file with `profiles:`: the header, then each profile as a complete policy."""
    header, problems = validate_document(doc, path, _Header)
    if header is None:
        return None, problems
    profiles: dict[str, Policy] = {}
    for name in header.profiles:
        raw = doc[PROFILES_KEY][name]
        policy, found = validate_document(raw, path, Policy, prefix=(PROFILES_KEY, name))
        problems += found
        if policy is not None:
            # The key names the profile; a `name:` inside it is allowed but the key is what devices cite.
            profiles[name] = policy.model_copy(update={"name": name})
    if header.default_profile not in header.profiles:
        known = tuple(header.profiles)
        message = (
            f"default_profile {header.default_profile!r} is not a profile of this file."
            f"{suggest(header.default_profile, known)} Profiles: {', '.join(known)}"
        )
        problems.append(InputProblem(path, line_of(doc, ("default_profile",)), "default_profile", message))
    if problems:
        return None, problems
    return PolicySet(name=header.name, default_profile=header.default_profile, profiles=profiles), []
