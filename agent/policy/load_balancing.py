"""The policy's `load_balancing:` section: how switches spread RoCE flows over ECMP and LAG members.

RoCEv2's only per-queue-pair entropy is the UDP source port, so the hash fields decide whether the
flows of one all-reduce land on distinct uplinks. Per fabric in the policy, per tier through an
override (`overrides: - match: {role: spine} load_balancing: {device_type: SpineRouter}`).

Seeds: SONiC has no CONFIG_DB field for them. swss's start-up template (sonic-buildimage
dockers/docker-orchagent/switch.json.j2) writes APPL_DB `SWITCH_TABLE:switch` ecmp_hash_seed /
lag_hash_seed from DEVICE_METADATA|localhost `type` (plus namespace_id on multi-ASIC), so a seed per
tier is declared here as the device type the tier runs (or the seed it must end up with), and audited.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agent.loadbalancing.hashing import HASH_ALGORITHMS, HASH_FIELDS
from agent.policy.invariants import unknown_choice
from agent.yamlfile import field_error

#: switch.json.j2's `"X" in DEVICE_METADATA.localhost.type` tests, in its order (first match wins), with
#: (hash seed, ecmp/lag hash offset). Substring tests: "FabricSpineRouter" and "UpperSpineRouter" contain
#: "SpineRouter", so they get 25, never the 40 / 50 their own branches name.
SEED_RULES: tuple[tuple[str, int, int], ...] = (
    ("ToRRouter", 0, 0),
    ("LeafRouter", 10, 10),
    ("SpineRouter", 25, 0),
    ("FabricSpineRouter", 40, 0),
    ("UpperSpineRouter", 50, 0),
    ("LowerRegionalHub", 60, 0),
    ("FabricRegionalHub", 70, 0),
    ("UpperRegionalHub", 80, 0),
)
#: Types the template names outright besides the rules (seed 0).
SEED_ZERO_TYPES = ("EPMS", "MgmtTsToR")
#: Device types a policy may name (sonic-device_metadata.yang `type` values the seed rules cover).
DEVICE_TYPES = tuple(
    sorted(
        {r[0] for r in SEED_RULES}
        | set(SEED_ZERO_TYPES)
        | {"BackEndToRRouter", "BackEndLeafRouter", "SpineChassisFrontendRouter"}
    )
)


def seed_of_type(device_type: str | None, namespace_id: int = 0) -> tuple[int, int]:
    """(ecmp_hash_seed, ecmp_hash_offset) swss starts with for a DEVICE_METADATA type, as the template
    computes them (first substring rule that matches; unknown or empty type -> seed 0)."""
    if device_type:
        if device_type in SEED_ZERO_TYPES:
            return namespace_id, 0
        for needle, seed, offset in SEED_RULES:
            if needle in device_type:
                return seed + namespace_id, offset
    return namespace_id, 0


def types_with_seed(seed: int) -> list[str]:
    return [t for t in DEVICE_TYPES if seed_of_type(t)[0] == seed]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_fields(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    if not values:
        raise ValueError("an empty hash field list hashes every flow to one member; name the fields")
    seen: set[str] = set()
    for i, name in enumerate(values):
        if name not in HASH_FIELDS:
            raise field_error(i, unknown_choice("hash field", name, HASH_FIELDS))
        if name in seen:
            raise field_error(i, f"{name} is listed twice")
        seen.add(name)
    return values


def _check_algorithm(value: str | None) -> str | None:
    if value is not None and value not in HASH_ALGORITHMS:
        raise ValueError(unknown_choice("hash algorithm", value, HASH_ALGORITHMS))
    return value


class AdaptiveRouting(Strict):
    """Adaptive routing (SONiC ARS HLD: ARS_PROFILE / ARS_OBJECT), only where the platform publishes it."""

    enabled: bool = True
    assign_mode: Literal["per_flowlet_quality", "per_packet_quality"] = "per_flowlet_quality"
    flowlet_idle_time: Annotated[int, Field(ge=1, le=65535)] | None = None


class EntropyAudit(Strict):
    """The fabric entropy audit: ring all-reduce with `qps` queue pairs per connection (NCCL_IB_QPS_PER_CONNECTION)."""

    qps: Annotated[int, Field(ge=1, le=128)] = 4
    # Warn when a tier's busiest link carries more than this times the tier's mean. Not 2: in a 2-wide
    # ECMP group the worst case (one member idle) is exactly 2x the mean and would never be reported.
    max_over_mean: Annotated[float, Field(gt=1, le=100)] = 1.5
    seed: int = 1  # source-port draw, so runs are reproducible


class LoadBalancing(Strict):
    ecmp_hash: list[str] | None = None
    lag_hash: list[str] | None = None
    ecmp_hash_algorithm: str | None = None
    lag_hash_algorithm: str | None = None
    device_type: str | None = None  # DEVICE_METADATA|localhost type: swss derives the seed from it
    seed: Annotated[int, Field(ge=0)] | None = None  # the ecmp_hash_seed the tier must run with
    adaptive_routing: AdaptiveRouting | None = None
    entropy: EntropyAudit | None = None

    @field_validator("ecmp_hash", "lag_hash")
    @classmethod
    def _known_fields(cls, values: list[str] | None) -> list[str] | None:
        return _check_fields(values)

    @field_validator("ecmp_hash_algorithm", "lag_hash_algorithm")
    @classmethod
    def _known_algorithm(cls, value: str | None) -> str | None:
        return _check_algorithm(value)

    @field_validator("device_type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is not None and value not in DEVICE_TYPES:
            raise ValueError(unknown_choice("DEVICE_METADATA type", value, DEVICE_TYPES))
        return value

    @model_validator(mode="after")
    def _seed_matches_type(self) -> LoadBalancing:
        if self.seed is not None and self.device_type is not None:
            derived = seed_of_type(self.device_type)[0]
            if derived != self.seed:
                raise field_error(
                    "seed",
                    f"SONiC starts a {self.device_type} with hash seed {derived} (switch.json.j2), not {self.seed}; "
                    f"types with seed {self.seed}: {', '.join(types_with_seed(self.seed)) or 'none'}",
                )
        return self

    @property
    def expected_seed(self) -> int | None:
        """The seed the device must run with: declared, else what its declared type gives."""
        if self.seed is not None:
            return self.seed
        return seed_of_type(self.device_type)[0] if self.device_type is not None else None

    def merged(self, override: LoadBalancing) -> LoadBalancing:
        """Only the fields the override names replace ours; a declared type drops an inherited seed."""
        update = {k: getattr(override, k) for k in override.model_fields_set}
        if "device_type" in update and "seed" not in update:
            update["seed"] = None
        return self.model_copy(update=update)
