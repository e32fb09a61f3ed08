"""The policy's `headroom:` section: the inputs of SONiC's headroom formula an operator can declare.

Per fabric in the policy, per device through an override (`overrides: - match: {group: sn5600} headroom:
{platform: x86_64-nvidia_sn5600-r0}`). Lane counts are per port: the audit reads them from CONFIG_DB
PORT.lanes; `lanes` here is what `policy show` sizes for when the platform runs a speed both ways.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.policy.headroom_setup import HeadroomSetup, headroom_setup
from agent.policy.invariants import unknown_choice
from agent.policy.platforms import platform_table


class HeadroomSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str | None = None  # SONiC platform string, e.g. x86_64-nvidia_sn5600-r0 (brings ASIC and gearbox)
    asic: str | None = None  # ASIC alias or ASIC_TABLE key; default: the platform's, else docker-sonic-vs
    lanes: Annotated[int, Field(ge=1, le=8)] | None = None
    gearbox_delay_ns: Annotated[float, Field(ge=0)] | None = None  # default: the platform's gearbox
    small_packet_percentage: Annotated[float, Field(ge=0, le=100)] = 50  # LOSSLESS_TRAFFIC_PATTERN
    lossless_mtu: Annotated[int, Field(ge=64, le=9216)] = 1024  # LOSSLESS_TRAFFIC_PATTERN mtu
    over_subscribe_ratio: Annotated[float, Field(ge=0)] = 0  # != 0: shared headroom pool on (size = xon)

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str | None) -> str | None:
        known = sorted(platform_table().platforms)
        if value is not None and value not in known:
            raise ValueError(unknown_choice("platform", value, known))
        return value

    @field_validator("asic")
    @classmethod
    def _known_asic(cls, value: str | None) -> str | None:
        table = platform_table()
        allowed = table.asic_names() + list(table.asics)
        if value is not None and value not in allowed:
            raise ValueError(unknown_choice("ASIC", value, allowed))
        return value

    def setup(self) -> HeadroomSetup:
        return headroom_setup(
            platform=self.platform,
            asic=self.asic,
            gearbox_delay_ns=self.gearbox_delay_ns,
            small_packet_percentage=self.small_packet_percentage,
            lossless_mtu=self.lossless_mtu,
            over_subscribe_ratio=self.over_subscribe_ratio,
        )

    def merged(self, override: HeadroomSettings) -> HeadroomSettings:
        """Only the fields the override names replace ours (like `mtu:` overrides)."""
        return self.model_copy(update={k: getattr(override, k) for k in override.model_fields_set})
