"""The policy's `networks:` section: back-end / front-end segregation.

AI fabrics run several networks side by side: the back-end (GPU east-west RDMA), the front-end (users,
services), storage and out-of-band management. Only the back-end is built for lossless RoCE; a lossless
priority leaking onto the front-end spreads PFC pauses into traffic that never asked for them, and a
VLAN or VRF shared between the two lets front-end floods reach the lossless queues. Every link and host
interface names its network (default `backend`, so inventories written before this section mean what
they meant), and this section says what each network carries and which networks may share a switch:

    networks:
      plans: {backend: lossless, frontend: lossy, storage: lossy, oob: lossy}
      share_switch: [[backend], [frontend, storage], [oob]]
      vrfs: {backend: Vrf_backend, frontend: Vrf_frontend}     # optional

A plan is a name, not a flag, so that a network can later point at a profile by name (issue 16):
`lossless` is the policy's classes as declared (today's single plan), `lossy` is the same classes with
no lossless priority (no PFC, no lossless buffers).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from agent.inventory import names

NetworkName = Literal["backend", "frontend", "storage", "oob"]
NETWORKS: tuple[str, ...] = get_args(NetworkName)
DEFAULT_NETWORK: NetworkName = "backend"

#: Plans a network may carry. Profiles (issue 16) will add their names here.
PlanName = Literal["lossless", "lossy"]
LOSSLESS_PLAN = "lossless"


def _default_plans() -> dict[NetworkName, PlanName]:
    return {"backend": "lossless", "frontend": "lossy", "storage": "lossy", "oob": "lossy"}


def _default_sharing() -> list[list[NetworkName]]:
    return [["backend"], ["frontend", "storage"], ["oob"]]


class Networks(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # network -> plan; a network left out keeps its default plan
    plans: dict[NetworkName, PlanName] = Field(default_factory=_default_plans)
    # groups of networks that may sit on one switch; a switch's networks must all be in one group
    share_switch: list[Annotated[list[NetworkName], Field(min_length=1)]] = Field(default_factory=_default_sharing)
    # network -> VRF its routed interfaces sit in; only declared networks are checked
    vrfs: dict[NetworkName, Annotated[str, AfterValidator(names.check_name)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> Networks:
        merged = {**_default_plans(), **self.plans}
        object.__setattr__(self, "plans", merged)
        return self

    def plan_of(self, network: str) -> str:
        plans: dict[str, str] = {str(k): v for k, v in self.plans.items()}
        return plans.get(network, LOSSLESS_PLAN)

    def vrf_of(self, network: str) -> str | None:
        """The VRF the network's routed interfaces sit in, where the policy declares one."""
        vrfs: dict[str, str] = {str(k): v for k, v in self.vrfs.items()}
        return vrfs.get(network)

    def is_lossless(self, network: str) -> bool:
        """True when the network carries the lossless plan (its ports get the policy's lossless priorities)."""
        return self.plan_of(network) == LOSSLESS_PLAN

    def may_share(self, present: set[str]) -> bool:
        """True when every network in `present` fits in one `share_switch` group (one network always does)."""
        return len(present) <= 1 or any(present <= set(group) for group in self.share_switch)
