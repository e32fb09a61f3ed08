"""The lossless policy: what an operator declares once for a whole RoCE fabric.

Field shapes are the contract every other layer reads (render, checks, hosts). Cross-field invariants
live in validators here so that an invalid policy can never be rendered.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from agent.policy.units import parse_bytes, parse_duration_ms, parse_length_m

Bytes = Annotated[int, BeforeValidator(parse_bytes), Field(ge=0)]
Metres = Annotated[int, BeforeValidator(parse_length_m), Field(ge=1)]
Millis = Annotated[int, BeforeValidator(parse_duration_ms)]
Priority = Annotated[int, Field(ge=0, le=7)]
Dscp = Annotated[int, Field(ge=0, le=63)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trust(str, Enum):
    dscp = "dscp"
    pcp = "pcp"


class SchedulingType(str, Enum):
    strict = "strict"
    dwrr = "dwrr"


class Scheduling(Strict):
    type: SchedulingType = SchedulingType.dwrr
    weight: Annotated[int, Field(ge=1, le=100)] | None = None


class Ecn(Strict):
    """WRED/ECN marking for one lossless class. SONiC reuses WRED thresholds for ECN (bytes)."""

    min_threshold: Bytes
    max_threshold: Bytes
    probability: Annotated[int, Field(ge=1, le=100)] = 10


class TrafficClass(Strict):
    name: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_-]{0,31}$")]
    dscp: list[Dscp] = Field(default_factory=list)
    pcp: list[Priority] = Field(default_factory=list)
    priority: Priority
    lossless: bool = False
    cnp: bool = False
    default: bool = False
    scheduling: Scheduling = Field(default_factory=Scheduling)
    ecn: Ecn | None = None


class WatchdogAction(str, Enum):
    drop = "drop"
    forward = "forward"
    alert = "alert"


class Watchdog(Strict):
    enabled: bool = True
    action: WatchdogAction = WatchdogAction.drop
    detection_time: Annotated[Millis, Field(ge=100, le=5000)] = 200
    restoration_time: Annotated[Millis, Field(ge=100, le=60000)] = 200
    poll_interval: Annotated[Millis, Field(ge=100, le=1000)] = 200


class Pfc(Strict):
    max_lossless_priorities: Annotated[int, Field(ge=1, le=8)] = 2
    watchdog: Watchdog = Field(default_factory=Watchdog)


class Mtu(Strict):
    switch: Annotated[int, Field(ge=68, le=9216)] = 9100
    host: Annotated[int, Field(ge=68, le=9216)] = 9000


class BufferModel(str, Enum):
    auto = "auto"
    traditional = "traditional"
    dynamic = "dynamic"


class HostEcn(Strict):
    """mlx5 ECN knobs per priority; None means "the lossless priorities"."""

    notification_point: list[Priority] | None = None
    reaction_point: list[Priority] | None = None


class HostSettings(Strict):
    roce_mode: Literal["v2"] = "v2"
    ecn: HostEcn = Field(default_factory=HostEcn)
    tcp_ecn: Annotated[int, Field(ge=0, le=2)] | None = 1
    pfc_cable_length: Metres | None = None  # mlx5 `dcb pfc delay`; defaults to the host link cable length


class Override(Strict):
    """Partial policy applied to devices matching a Nornir group or host name (resolved in the loader)."""

    match: dict[Literal["group", "host", "role"], str]
    cable_length: dict[str, Metres] | None = None
    mtu: Mtu | None = None
    buffer_model: BufferModel | None = None


class Policy(Strict):
    name: str = "lossless"
    baseline: Literal["nvidia-roce", "sonic-azure"] | None = None
    trust: Trust = Trust.dscp
    classes: list[TrafficClass]
    pfc: Pfc = Field(default_factory=Pfc)
    mtu: Mtu = Field(default_factory=Mtu)
    # Cable length per link role ("host" = switch-host, "fabric" = switch-switch); "default" for the rest.
    cable_length: dict[str, Metres] = Field(default_factory=lambda: {"host": 5, "fabric": 40, "default": 40})
    buffer_model: BufferModel = BufferModel.auto
    host: HostSettings = Field(default_factory=HostSettings)
    overrides: list[Override] = Field(default_factory=list)

    # ---- derived views used by render and checks (pure, no I/O) -------------------------------------

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
        """The first lossless class: the one whose DSCP sets the RoCE ToS on hosts."""
        return next((c for c in self.classes if c.lossless), None)

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
        roce = self.roce_class
        if roce is None or not roce.dscp:
            return None
        return (roce.dscp[0] << 2) | 0b10

    def cable_length_for(self, link_role: str) -> int:
        return self.cable_length.get(link_role, self.cable_length.get("default", 40))
