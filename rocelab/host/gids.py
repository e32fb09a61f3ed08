"""The twin's RoCE GID table: what mlx5 shows under /sys/class/infiniband/DEV/ports/1/{gids,gid_attrs}.

Real ConnectX ports expose a 255-entry table (`ibv_devinfo -v` gid_tbl_len). ib_core fills it per
netdev address, each address twice: RoCE v1 then RoCE v2. With the link-local address from the MAC
(EUI-64) and one IPv4 address that is indices 0/1 (fe80::, v1/v2) and 2/3 (::ffff:a.b.c.d, v1/v2),
the layout `show_gids` prints on a fresh host. Unpopulated entries read as the all-zero GID
(ib_core `show_port_gid` keeps old tools working) while their `types/N` and `ndevs/N` fail EINVAL.
"""

from __future__ import annotations

import errno
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rocelab.host.nic import Nic

TABLE_LEN = 255
ZERO = ":".join(["0000"] * 8)
TYPES = ("IB/RoCE v1", "RoCE v2")


def _link_local(mac: str) -> str:
    octets = [int(b, 16) for b in mac.split(":")]
    octets[0] ^= 0x02  # EUI-64: flip the universal/local bit, insert ff:fe
    eui = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    groups = [f"{eui[i]:02x}{eui[i + 1]:02x}" for i in range(0, 8, 2)]
    return ":".join(["fe80", "0000", "0000", "0000", *groups])


def _v4_mapped(address: str) -> str:
    a, b, c, d = (int(x) for x in address.split("."))
    return ":".join(["0000"] * 5 + ["ffff", f"{a:02x}{b:02x}", f"{c:02x}{d:02x}"])


def entries(nic: Nic) -> tuple[tuple[str, str], ...]:
    """(gid, type) per populated index, in table order."""
    return _entries(nic.mac, nic.ipv4)


@lru_cache(maxsize=4096)
def _entries(mac: str, ipv4: str | None) -> tuple[tuple[str, str], ...]:
    addresses = [_link_local(mac)] + ([_v4_mapped(ipv4)] if ipv4 else [])
    return tuple((gid, kind) for gid in addresses for kind in TYPES)


def read(nic: Nic, rest: list[str]) -> str | int | None:
    """File text for ports/1/{gids/N, gid_attrs/types/N, gid_attrs/ndevs/N}; an errno for an empty entry;
    None when `rest` is not a GID file."""
    if len(rest) == 4 and rest[:3] == ["ports", "1", "gids"]:
        what, index = "gids", rest[3]
    elif len(rest) == 5 and rest[:3] == ["ports", "1", "gid_attrs"] and rest[3] in ("types", "ndevs"):
        what, index = rest[3], rest[4]
    else:
        return None
    if not index.isdigit() or int(index) >= TABLE_LEN:
        return None
    i = int(index)
    if i >= 2 + (2 if nic.ipv4 else 0):  # unpopulated: answered before any GID is formatted
        return f"{ZERO}\n" if what == "gids" else errno.EINVAL
    gid, kind = entries(nic)[i]
    return {"gids": gid, "types": kind, "ndevs": nic.netdev}[what] + "\n"


def listdir(rest: list[str]) -> list[str] | None:
    if rest == ["ports", "1", "gid_attrs"]:
        return ["ndevs", "types"]
    if rest in (["ports", "1", "gids"], ["ports", "1", "gid_attrs", "types"], ["ports", "1", "gid_attrs", "ndevs"]):
        return [str(i) for i in range(TABLE_LEN)]
    return None
