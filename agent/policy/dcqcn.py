"""DCQCN on the hosts: the mlx5 reaction-point (sender) and notification-point (receiver) parameters.

Names are MLNX_OFED's sysfs files `/sys/class/net/IF/ecn/roce_rp/<name>` and `ecn/roce_np/<name>`
(drivers/net/ethernet/mellanox/mlx5/core/en_sysfs.c); a parameter left out is not managed (the NIC
keeps its firmware value). Ranges: every one is a 32-bit field of the firmware's congestion-control
register (include/linux/mlx5/mlx5_ifc.h `cong_control_r_roce_ecn_rp` / `_np`), which is all the driver
checks; where NVIDIA's DCQCN documentation gives the value a meaning with a narrower range (a percentage,
alpha in 1/1024 units) that range is enforced too. Units per NVIDIA: times in microseconds, rates in Mb/s.
CNP DSCP and priority are not here: they come from the policy's CNP class (one source for switch and NIC).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

U32 = Annotated[int, Field(ge=0, le=0xFFFFFFFF)]
Percent = Annotated[int, Field(ge=1, le=100)]
Alpha = Annotated[int, Field(ge=0, le=1023)]  # 1/1024 units: 1023 ~ 1.0


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def declared(self) -> dict[str, int]:
        """The parameters the policy sets, by sysfs file name."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ReactionPoint(_Params):
    """roce_rp: how a sender cuts and recovers its rate on CNPs (firmware defaults in the comments)."""

    rpg_time_reset: U32 | None = None  # 300 us between rate increases without CNPs
    rpg_byte_reset: U32 | None = None  # 32767 bytes sent between rate increases
    rpg_threshold: U32 | None = None  # 1: fast-recovery stages before additive increase
    rpg_max_rate: U32 | None = None  # 0 = port speed
    rpg_ai_rate: U32 | None = None  # 5 Mb/s additive increase
    rpg_hai_rate: U32 | None = None  # 50 Mb/s hyper increase
    rpg_gd: U32 | None = None  # 11: rate decrease gain (shift)
    rpg_min_dec_fac: Percent | None = None  # 50 %: largest cut per CNP
    rpg_min_rate: U32 | None = None  # 1 Mb/s floor
    rate_to_set_on_first_cnp: U32 | None = None  # 0 = keep the current rate
    dce_tcp_g: Alpha | None = None  # 1019: alpha update gain
    dce_tcp_rtt: U32 | None = None  # 1 us between alpha updates
    rate_reduce_monitor_period: U32 | None = None  # 4 us between rate cuts
    initial_alpha_value: Alpha | None = None  # 1023


class NotificationPoint(_Params):
    """roce_np: how a receiver answers ECN-marked packets with CNPs."""

    min_time_between_cnps: U32 | None = None  # 4 us: at most one CNP per QP per interval


class Dcqcn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reaction_point: ReactionPoint = Field(default_factory=ReactionPoint)
    notification_point: NotificationPoint = Field(default_factory=NotificationPoint)

    def files(self) -> dict[str, dict[str, int]]:
        """{"rp": {name: value}, "np": {...}}: the declared values per sysfs directory (roce_rp, roce_np)."""
        return {"rp": self.reaction_point.declared(), "np": self.notification_point.declared()}


#: Every parameter the agent reads (audit shows them even when the policy does not manage them).
RP_NAMES = tuple(ReactionPoint.model_fields)
NP_NAMES = tuple(NotificationPoint.model_fields)
