"""The lossless policy: what an operator declares once for a whole RoCE fabric.

Field shapes are the contract every other layer reads (render, checks, hosts). Cross-field invariants
are enforced by validators here (the checks themselves live in `agent.policy.invariants`), so an
invalid policy can never be built, from a file or in code. A policy naming a `baseline` is merged
onto that baseline before validation (`agent.policy.baselines`), so a Policy object is always fully
resolved: classes, timers and thresholds are all present.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from agent.policy import invariants
from agent.policy.baselines import apply_baseline
from agent.policy.headroom_policy import HeadroomSettings
from agent.policy.load_balancing import LoadBalancing
from agent.policy.monitoring import Monitoring
from agent.policy.nccl import Nccl, tos_issue
from agent.policy.networks import Networks
from agent.policy.sections import (
    BufferModel,
    Bytes,
    Dscp,
    Ecn,
    HostEcn,
    HostSettings,
    Metres,
    Millis,
    Mtu,
    Pfc,
    Priority,
    RoceMode,
    Scheduling,
    SchedulingType,
    Strict,
    TrafficClass,
    Trust,
    Watchdog,
    WatchdogAction,
)
from agent.yamlfile import Issue, defer_issues, field_error

# The sections moved to agent.policy.sections; importers keep reading them from here.
__all__ = [
    "CABLE_ROLES",
    "BufferModel",
    "Bytes",
    "Dscp",
    "Ecn",
    "HostEcn",
    "HostSettings",
    "Metres",
    "Millis",
    "Mtu",
    "Override",
    "Pfc",
    "Policy",
    "Priority",
    "RoceMode",
    "Scheduling",
    "SchedulingType",
    "Strict",
    "TrafficClass",
    "Trust",
    "Watchdog",
    "WatchdogAction",
]

#: Link roles a cable length can be given for ("default" covers any other role).
CABLE_ROLES = ("host", "fabric", "default")


def _check_cable_roles(lengths: dict[str, int] | None) -> dict[str, int] | None:
    for role in lengths or {}:
        if role not in CABLE_ROLES:
            raise field_error(role, invariants.unknown_choice("link role", role, CABLE_ROLES))
    return lengths


class Override(Strict):
    """Partial policy applied to devices matching a Nornir group, host name or role (see resolve.py)."""

    match: dict[Literal["group", "host", "role"], str]
    cable_length: dict[str, Metres] | None = None
    mtu: Mtu | None = None
    buffer_model: BufferModel | None = None
    headroom: HeadroomSettings | None = None
    load_balancing: LoadBalancing | None = None

    @field_validator("match")
    @classmethod
    def _match_something(cls, match: dict[str, str]) -> dict[str, str]:
        if not match:
            raise ValueError("match needs at least one of group, host or role")
        return match

    @field_validator("cable_length")
    @classmethod
    def _cable_roles(cls, lengths: dict[str, int] | None) -> dict[str, int] | None:
        return _check_cable_roles(lengths)


def _raw_max_lossless(value: Any) -> int | None:
    """pfc.max_lossless_priorities from an otherwise invalid pfc section, when it is itself valid."""
    default = Pfc.model_fields["max_lossless_priorities"].default
    raw = value.get("max_lossless_priorities", default) if isinstance(value, dict) else default
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 8 else None


def _valid_classes(value: Any) -> dict[int, TrafficClass]:
    """The classes of a partly invalid list that are valid on their own, by position."""
    valid: dict[int, TrafficClass] = {}
    for j, raw in enumerate(value if isinstance(value, list) else []):
        try:
            valid[j] = TrafficClass.model_validate(raw)
        except ValidationError:
            continue
    return valid


def _roce_tos(classes: list[TrafficClass]) -> int | None:
    """The `roce: true` class, else the first lossless one: its first DSCP << 2 with ECT(0)."""
    roce = next((c for c in classes if c.roce), None) or next((c for c in classes if c.lossless), None)
    if roce is None or not roce.dscp:
        return None
    return (roce.dscp[0] << 2) | 0b10


class Policy(Strict):
    name: str = "lossless"
    baseline: Literal["nvidia-roce", "nvidia-roce-lossy", "inference-low-latency", "sonic-azure"] | None = None
    mode: RoceMode = RoceMode.lossless  # before classes: the class rules depend on it
    trust: Trust = Trust.dscp
    classes: list[TrafficClass] = Field(min_length=1)
    pfc: Pfc = Field(default_factory=Pfc, validate_default=True)  # budget rule runs on the default too
    mtu: Mtu = Field(default_factory=Mtu, validate_default=True)
    # Cable length per link role ("host" = switch-host, "fabric" = switch-switch); "default" for the rest.
    cable_length: dict[str, Metres] = Field(default_factory=lambda: {"host": 5, "fabric": 40, "default": 40})
    buffer_model: BufferModel = BufferModel.auto
    headroom: HeadroomSettings = Field(default_factory=HeadroomSettings)  # SONiC headroom formula inputs
    host: HostSettings = Field(default_factory=HostSettings)
    nccl: Nccl | None = None  # /etc/nccl.conf on the hosts (policy/nccl.py); None = the file is left alone
    load_balancing: LoadBalancing | None = None  # ECMP/LAG hash, seeds per tier, entropy audit
    overrides: list[Override] = Field(default_factory=list)
    monitoring: Monitoring = Field(default_factory=Monitoring)  # `roce-agent monitor` thresholds
    networks: Networks = Field(default_factory=Networks)  # back-end / front-end segregation (policy/networks.py)

    # ---- validation -----------------------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _start_from_baseline(cls, data: Any) -> Any:
        """`baseline: X` -> the baseline's keys with the file's keys merged on top (rule in baselines.py)."""
        return apply_baseline(data)

    @field_validator("cable_length")
    @classmethod
    def _cable_roles(cls, lengths: dict[str, int]) -> dict[str, int]:
        _check_cable_roles(lengths)
        return lengths

    @field_validator("classes", mode="wrap")
    @classmethod
    def _classes_consistent(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> list[TrafficClass]:
        """Class rules run even when other sections, or some classes, are invalid: all problems in one run."""
        trust = info.data.get("trust", Trust.dscp).value
        lossy = info.data.get("mode") is RoceMode.lossy
        try:
            classes: list[TrafficClass] = handler(value)
        except ValidationError:
            defer_issues(info, invariants.partial_class_issues(_valid_classes(value), trust, lossy=lossy))
            raise
        defer_issues(info, invariants.class_issues(classes, trust, lossy=lossy))
        return classes

    # Rules spanning sections are field validators on the later field (reading the earlier one from
    # info.data), so they run even when unrelated sections of the file are invalid.

    @field_validator("pfc", mode="wrap")
    @classmethod
    def _lossless_budget(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Pfc:
        classes = info.data.get("classes")
        try:
            pfc: Pfc = handler(value)
        except ValidationError:
            allowed = _raw_max_lossless(value)
            if classes is not None and allowed is not None:
                defer_issues(info, invariants.lossless_budget_issues(classes, allowed))
            raise
        if classes is not None:
            defer_issues(info, invariants.lossless_budget_issues(classes, pfc.max_lossless_priorities))
        return pfc

    @field_validator("mtu")
    @classmethod
    def _host_fits_switch(cls, mtu: Mtu, info: ValidationInfo) -> Mtu:
        defer_issues(info, invariants.mtu_issues(mtu))
        return mtu

    @field_validator("nccl")
    @classmethod
    def _nccl_tos_is_roce(cls, nccl: Nccl | None, info: ValidationInfo) -> Nccl | None:
        classes = info.data.get("classes")
        if nccl is not None and classes is not None:
            why = tos_issue(nccl, _roce_tos(classes))
            if why:
                defer_issues(info, [Issue(("nccl", "ib_tc"), why)])
        return nccl

    @field_validator("overrides")
    @classmethod
    def _override_mtu_fits(cls, overrides: list[Override], info: ValidationInfo) -> list[Override]:
        mtu = info.data.get("mtu")
        if mtu is not None:
            defer_issues(info, invariants.override_mtu_issues(overrides, mtu))
        return overrides

    # ---- derived views used by render and checks (pure, no I/O) -------------------------------------

    @property
    def lossy(self) -> bool:
        return self.mode is RoceMode.lossy

    @property
    def lossless_priorities(self) -> tuple[int, ...]:
        return tuple(sorted({c.priority for c in self.classes if c.lossless}))

    @property
    def lossless_classes(self) -> list[TrafficClass]:
        return [c for c in self.classes if c.lossless]

    @property
    def default_class(self) -> TrafficClass:
        for c in self.classes:
            if c.default:
                return c
        return min(self.classes, key=lambda c: c.priority)

    @property
    def cnp_class(self) -> TrafficClass | None:
        return next((c for c in self.classes if c.cnp), None)

    @property
    def roce_class(self) -> TrafficClass | None:
        """The class marked `roce: true`, else the first lossless class: its DSCP sets the RoCE ToS on hosts."""
        marked = next((c for c in self.classes if c.roce), None)
        return marked or next((c for c in self.classes if c.lossless), None)

    def dscp_to_priority(self) -> dict[int, int]:
        """All 64 DSCP values mapped to a priority; unlisted values fall to the default class."""
        default = self.default_class.priority
        table = dict.fromkeys(range(64), default)
        for c in self.classes:
            for d in c.dscp:
                table[d] = c.priority
        return table

    def roce_tos(self) -> int | None:
        """RoCE ToS byte: DSCP << 2 with ECT(0) set (DSCP 26 -> 106), as mlx5 `default_roce_tos` wants."""
        return _roce_tos(self.classes)

    def nccl_tc(self) -> int | None:
        """NCCL_IB_TC the hosts must carry: the pinned `nccl.ib_tc`, else the RoCE ToS."""
        if self.nccl is None or self.nccl.ib_tc == "auto":
            return self.roce_tos()
        return self.nccl.ib_tc

    @property
    def cnp_dscp(self) -> int | None:
        """DSCP the hosts' notification point marks CNPs with (mlx5 `cnp_dscp`)."""
        cnp = self.cnp_class
        return cnp.dscp[0] if cnp is not None and cnp.dscp else None

    @property
    def cnp_priority(self) -> int | None:
        """Priority of CNPs (mlx5 `cnp_802p_prio`)."""
        cnp = self.cnp_class
        return cnp.priority if cnp is not None else None

    @property
    def congestion_priorities(self) -> tuple[int, ...]:
        """Priorities DCQCN protects: the lossless ones, or in lossy mode the RoCE class's (no PFC there,
        so ECN is the only congestion signal)."""
        if not self.lossy:
            return self.lossless_priorities
        roce = self.roce_class
        return (roce.priority,) if roce is not None else ()

    @property
    def ecn_notification_priorities(self) -> tuple[int, ...]:
        """Priorities with the host ECN notification point (roce_np) enabled; default: congestion_priorities."""
        chosen = self.host.ecn.notification_point
        return self.congestion_priorities if chosen is None else tuple(sorted(set(chosen)))

    @property
    def ecn_reaction_priorities(self) -> tuple[int, ...]:
        """Priorities with the host ECN reaction point (roce_rp) enabled; default: congestion_priorities."""
        chosen = self.host.ecn.reaction_point
        return self.congestion_priorities if chosen is None else tuple(sorted(set(chosen)))

    def cable_length_for(self, link_role: str) -> int:
        return self.cable_length.get(link_role, self.cable_length.get("default", 40))

    def cable_lengths_in_use(self) -> tuple[int, ...]:
        """Every cable length the policy or an override names (what headroom must be sized for)."""
        lengths = set(self.cable_length.values())
        for ov in self.overrides:
            lengths.update((ov.cable_length or {}).values())
        return tuple(sorted(lengths))
