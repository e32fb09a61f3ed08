"""The policy's sections: the typed values (sizes, lengths, durations, priorities) and the small models a
Policy is made of (traffic classes, ECN, scheduling, PFC watchdog, MTU, host settings).

Split from agent.policy.model, which re-exports every name: each section validates only itself, while the
rules across sections (budget, class overlaps, mode) stay with Policy.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from agent.policy.dcqcn import Dcqcn
from agent.policy.units import parse_bytes, parse_duration_ms, parse_length_m
from agent.yamlfile import field_error

# Unit-bearing values accept a number or a string with a unit; the schemas say so for editors.
_SIZE_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*([Bb]|[KkMm][Ii]?[Bb])?\s*$"},
    ]
}
_LENGTH_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": r"^\s*[1-9]\d*\s*m\s*$"}]}
_DURATION_SCHEMA = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^\s*\d+\s*(ms|s)?\s*$"}]}

Bytes = Annotated[int, BeforeValidator(parse_bytes), Field(ge=0), WithJsonSchema(_SIZE_SCHEMA, mode="validation")]
Metres = Annotated[int, BeforeValidator(parse_length_m), Field(ge=1), WithJsonSchema(_LENGTH_SCHEMA, mode="validation")]
Millis = Annotated[int, BeforeValidator(parse_duration_ms), WithJsonSchema(_DURATION_SCHEMA, mode="validation")]
Priority = Annotated[int, Field(ge=0, le=7)]
Dscp = Annotated[int, Field(ge=0, le=63)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoceMode(str, Enum):
    """NVUE's `nv set qos roce mode`: lossless = PFC + ECN; lossy = ECN/DCQCN only, no PFC, no headroom."""

    lossless = "lossless"
    lossy = "lossy"


class Trust(str, Enum):
    dscp = "dscp"
    pcp = "pcp"


class SchedulingType(str, Enum):
    strict = "strict"
    dwrr = "dwrr"


class Scheduling(Strict):
    type: SchedulingType = SchedulingType.dwrr
    weight: Annotated[int, Field(ge=1, le=100)] | None = None

    @model_validator(mode="after")
    def _weight_only_for_dwrr(self) -> Scheduling:
        if self.type is SchedulingType.strict and self.weight is not None:
            raise field_error("weight", "a weight only applies to dwrr scheduling; strict queues have none")
        return self


class Ecn(Strict):
    """WRED/ECN marking for one lossless class. SONiC reuses WRED thresholds for ECN (bytes)."""

    min_threshold: Bytes
    max_threshold: Bytes
    probability: Annotated[int, Field(ge=1, le=100)] = 10

    @model_validator(mode="after")
    def _min_below_max(self) -> Ecn:
        if self.min_threshold >= self.max_threshold:
            raise field_error(
                "min_threshold",
                f"min_threshold ({self.min_threshold} B) must be below max_threshold ({self.max_threshold} B): "
                "marking ramps up between the two",
            )
        return self


class TrafficClass(Strict):
    name: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_-]{0,31}$")]
    dscp: list[Dscp] = Field(default_factory=list)
    pcp: list[Priority] = Field(default_factory=list)
    priority: Priority
    lossless: bool = False
    cnp: bool = False
    default: bool = False
    # Additive: marks the class whose DSCP sets the hosts' RoCE ToS. Without it the first lossless class is used.
    roce: bool = False
    scheduling: Scheduling = Field(default_factory=Scheduling)
    ecn: Ecn | None = None

    @field_validator("dscp", "pcp")
    @classmethod
    def _no_repeats(cls, values: list[int]) -> list[int]:
        seen: set[int] = set()
        for i, v in enumerate(values):
            if v in seen:
                raise field_error(i, f"{v} is listed twice in this class")
            seen.add(v)
        return values


class WatchdogAction(str, Enum):
    drop = "drop"
    forward = "forward"
    alert = "alert"


class Watchdog(Strict):
    enabled: bool = True
    action: WatchdogAction = WatchdogAction.drop
    detection_time: Annotated[Millis, Field(ge=100, le=5000, description="100-5000 ms")] = 200
    restoration_time: Annotated[Millis, Field(ge=100, le=60000, description="100-60000 ms")] = 200
    poll_interval: Annotated[
        Millis, Field(ge=100, le=1000, description="100-1000 ms, <= detection and restoration")
    ] = 200

    @model_validator(mode="after")
    def _poll_fits(self) -> Watchdog:
        # SONiC's CLI enforces this but YANG/GCU does not, so a patch could carry it to the switch.
        limit = min(self.detection_time, self.restoration_time)
        if self.poll_interval > limit:
            which = "detection_time" if self.detection_time <= self.restoration_time else "restoration_time"
            raise field_error(
                "poll_interval",
                f"poll_interval ({self.poll_interval} ms) must be <= min(detection_time, restoration_time) = "
                f"{limit} ms ({which}); a storm shorter than one poll would go unseen",
            )
        return self


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
    # DSCP APP entries on the NIC: "classes" = only the DSCPs the classes list (RoCE, CNP ...);
    # "full" = all 64 (what `mlnx_qos --trust dscp` installs), mapped by dscp_to_priority().
    dscp_map: Literal["classes", "full"] = "classes"
    dcqcn: Dcqcn = Field(default_factory=Dcqcn)  # mlx5 roce_rp / roce_np parameters; unset = firmware's
