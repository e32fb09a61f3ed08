"""The policy's `nccl:` section: what GPU jobs on the hosts read from /etc/nccl.conf.

NCCL (src/misc/param.cc `setEnvFile`) reads `KEY=VALUE` lines: a line starting with `#` is a comment,
a line without `=` is skipped, the key is everything before the first `=` (not trimmed, so
`NCCL_IB_TC = 106` sets a variable named "NCCL_IB_TC " that nothing reads) and the value the rest.
Every value is applied with `setenv(key, value, 0)`: the process environment wins over the files,
`$NCCL_CONF_FILE` (or `~/.nccl.conf`) over /etc/nccl.conf, and within one file the FIRST line of a
key wins. Integer parameters go through `strtoll(value, NULL, 0)` (so `010` is 8, `0x6a` is 106).

The three keys the fabric depends on:

* `NCCL_IB_TC` is the GRH traffic class of NCCL's queue pairs; on RoCE v2 that byte is the IP ToS,
  DSCP << 2 | ECN (mlx5 `mlx5_set_path` programs `ecn_dscp = traffic_class >> 2`). The agent derives it
  from the RoCE class's DSCP with ECT(0), like the NIC's default ToS: DSCP 26 -> 106.
* `NCCL_IB_GID_INDEX` picks the source GID, hence RoCE v1 vs v2 and IPv4 vs IPv6. `auto` writes the
  index of the port's RoCE v2 GID of `address_family` (what NCCL >= 2.21 itself selects when the key
  is -1: lowest index, RoCE v2, not link-local), read from the host's GID table at plan time.
* `NCCL_IB_QPS_PER_CONNECTION` (1..128, NCCL default 1): queue pairs per connection. Each QP gets its
  own RoCE UDP source port, the only entropy ECMP sees (issue 17): `min_qps_per_connection` is what the
  audit demands even where the agent does not write the value.

`settings:` passes any other NCCL_* key through (written and audited as given). A policy without an
`nccl:` section leaves /etc/nccl.conf alone.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from agent.state import GidState
from agent.yamlfile import field_error

KEY_TC = "NCCL_IB_TC"
KEY_GID = "NCCL_IB_GID_INDEX"
KEY_QPS = "NCCL_IB_QPS_PER_CONNECTION"
MANAGED_KEYS = (KEY_TC, KEY_GID, KEY_QPS)
_FIELD_OF = {KEY_TC: "ib_tc", KEY_GID: "gid_index", KEY_QPS: "qps_per_connection"}
KEY_RE = re.compile(r"^NCCL_[A-Z0-9_]{1,64}$")
VALUE_RE = re.compile(r"^[A-Za-z0-9_.,:=/+^@-]{0,256}$")  # NCCL values: numbers, names, lists, ^/= prefixes

GIDS_READ = 64  # GID table entries 0..63 are read: ib_core fills from index 0 up, two per address
Qps = Annotated[int, Field(ge=1, le=128)]


def _auto_or_byte(value: object) -> object:
    """`auto` or an integer 0..255, in one message (a plain union reports each alternative apart)."""
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255):
        return value
    raise ValueError(f"allowed: auto or an integer 0..255, got {value!r}")


AutoOrByte = Annotated[
    Literal["auto"] | int,
    BeforeValidator(_auto_or_byte),
    WithJsonSchema({"anyOf": [{"const": "auto"}, {"type": "integer", "minimum": 0, "maximum": 255}]}),
]


class Nccl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ib_tc: AutoOrByte = "auto"  # auto: the RoCE class's ToS
    gid_index: AutoOrByte = "auto"  # auto: found on each host
    address_family: Literal["ipv4", "ipv6"] = "ipv4"  # which RoCE v2 GID `auto` picks (NCCL_IB_ADDR_FAMILY)
    qps_per_connection: Qps | None = None  # written when set
    min_qps_per_connection: Qps | None = None  # audited: NCCL_IB_QPS_PER_CONNECTION >= this
    settings: dict[str, str] = Field(default_factory=dict)  # other NCCL_* keys, passed through

    @field_validator("settings")
    @classmethod
    def _settings(cls, settings: dict[str, str]) -> dict[str, str]:
        for key, value in settings.items():
            if not KEY_RE.match(key):
                raise field_error(key, "not an NCCL variable name (NCCL_ then capitals, digits and _)")
            if key in _FIELD_OF:
                raise field_error(key, f"{key} is managed by nccl.{_FIELD_OF[key]}; set it there")
            if not VALUE_RE.match(value):
                raise field_error(
                    key, "value may hold letters, digits and _ . , : = / + ^ @ - (no spaces, quotes or #)"
                )
        return settings

    @model_validator(mode="after")
    def _minimum_met(self) -> Nccl:
        low, qps = self.min_qps_per_connection, self.qps_per_connection
        if low is not None and qps is not None and qps < low:
            raise field_error(
                "qps_per_connection",
                f"{qps} is below min_qps_per_connection {low}: the agent would write a value its own audit refuses",
            )
        return self

    @property
    def minimum_qps(self) -> int | None:
        """What the audit requires: the declared minimum, else the value the agent writes."""
        return self.min_qps_per_connection or self.qps_per_connection


def tos_issue(nccl: Nccl, roce_tos: int | None) -> str | None:
    """Why a pinned `ib_tc` cannot be right for this policy's RoCE class, else None."""
    if nccl.ib_tc == "auto":
        return None if roce_tos is not None else "auto needs a RoCE class with a DSCP (roce: true or lossless)"
    if roce_tos is None:
        return None
    if nccl.ib_tc >> 2 != roce_tos >> 2:
        return (
            f"{nccl.ib_tc} is DSCP {nccl.ib_tc >> 2}, but RoCE is DSCP {roce_tos >> 2} (ToS {roce_tos}): NCCL "
            "traffic would land on another priority than the fabric reserves for RoCE; use auto"
        )
    return None


def expected_tc(nccl: Nccl, roce_tos: int | None) -> int | None:
    return roce_tos if nccl.ib_tc == "auto" else nccl.ib_tc


# ---- how NCCL reads values and picks a GID (shared by the host platform and the checks) ----------


def nccl_int(value: str | None) -> int | None:
    """strtoll(value, NULL, 0) as NCCL applies it: leading blanks, sign, 0x / 0 prefixes, junk ignored."""
    if value is None:
        return None
    text = value.lstrip()
    sign = -1 if text.startswith("-") else 1
    text = text[1:] if text[:1] in "+-" else text
    base, digits = 10, "0123456789"
    if text[:2].lower() == "0x":
        base, digits, text = 16, "0123456789abcdefABCDEF", text[2:]
    elif text.startswith("0") and len(text) > 1:
        base, digits = 8, "01234567"
    n = 0
    while n < len(text) and text[n] in digits:
        n += 1
    if n == 0:
        return 0 if value.strip() else None  # strtoll of junk is 0 (NCCL then uses it); empty = unset
    return sign * int(text[:n], base)


def on_netdev(gid: GidState, ifname: str) -> bool:
    """The GID belongs to the netdev itself or to a VLAN on it (ndev `IF.VID`)."""
    return gid.ndev is None or gid.ndev == ifname or gid.ndev.startswith(f"{ifname}.")


def usable(gid: GidState, family: str, ifname: str) -> bool:
    """What NCCL_IB_GID_INDEX must point at: RoCE v2, of the family, not link-local, on this netdev."""
    return gid.type == "RoCE v2" and gid.family == family and not gid.link_local and on_netdev(gid, ifname)


def best_gid(gids: list[GidState], family: str, ifname: str) -> GidState | None:
    """NCCL >= 2.21's own choice for NCCL_IB_GID_INDEX=-1 (connect.cc ncclIbGetGidIndex): the lowest usable."""
    return next((g for g in sorted(gids, key=lambda g: g.index) if usable(g, family, ifname)), None)
