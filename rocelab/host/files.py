"""The twin's virtual files: sysfs (netdev, MLNX_OFED ECN knobs, infiniband), configfs rdma_cm, procfs.

Paths and formats follow reference §2.4, §3.3 and §3.4. Reads render from NIC state; writes parse like
the kernel's store handlers (a trailing newline is accepted) and raise `FsError` with the errno text the
shell prints (`Permission denied` without root, `Invalid argument` for values the kernel rejects,
`No such file or directory` for paths that do not exist - sysfs never creates files).
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

from rocelab.host import counters, gids
from rocelab.host.nic import BNXT, MLX5, NP_PARAM_DEFAULTS, RP_PARAM_DEFAULTS, Nic

if TYPE_CHECKING:
    from rocelab.host.twin import HostTwin

OS_RELEASE = (
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
    'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n'
    'SUPPORT_URL="https://www.debian.org/support"\nBUG_REPORT_URL="https://bugs.debian.org/"\n'
)
_ROCE_MODES = ("IB/RoCE v1", "RoCE v2")
_UEVENT = {
    MLX5: "DRIVER=mlx5_core\nPCI_CLASS=20000\nPCI_ID=15B3:1021\nPCI_SUBSYS_ID=15B3:0041\nPCI_SLOT_NAME={pci}\n"
    "MODALIAS=pci:v000015B3d00001021sv000015B3sd00000041bc02sc00i00\n",
    BNXT: "DRIVER=bnxt_en\nPCI_CLASS=20000\nPCI_ID=14E4:1760\nPCI_SUBSYS_ID=14E4:2100\nPCI_SLOT_NAME={pci}\n"
    "MODALIAS=pci:v000014E4d00001760sv000014E4sd00002100bc02sc00i00\n",
}


class FsError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(os.strerror(code))
        self.code = code


def _parts(path: str) -> list[str]:
    return [p for p in os.path.normpath(path).split("/") if p]


def read(twin: HostTwin, path: str) -> str:
    """File contents, or FsError(ENOENT / EISDIR)."""
    parts = _parts(path)
    text = _read_virtual(twin, parts)
    if text is not None:
        return text
    stored = twin.user_file(path)
    if stored is not None:
        return stored.decode(errors="replace")
    if listdir(twin, path) is not None:
        raise FsError(errno.EISDIR)
    raise FsError(errno.ENOENT)


def _read_virtual(twin: HostTwin, parts: list[str]) -> str | None:
    joined = "/".join(parts)
    if joined == "etc/os-release":
        return OS_RELEASE
    if joined == "etc/hostname" or joined == "proc/sys/kernel/hostname":
        return twin.hostname + "\n"
    if joined == "proc/sys/net/ipv4/tcp_ecn":
        return f"{twin.tcp_ecn}\n"
    if parts[:3] == ["sys", "class", "net"] and len(parts) >= 5:
        nic = twin.nic(parts[3])
        return _read_netdev(twin, nic, parts[4:]) if nic else None
    if parts[:3] == ["sys", "class", "infiniband"] and len(parts) >= 5:
        nic = twin.rdma_nic(parts[3])
        return _read_ib(twin, nic, parts[4:]) if nic else None
    if parts[:4] == ["sys", "kernel", "config", "rdma_cm"] and len(parts) == 8:
        nic = twin.rdma_nic(parts[4])
        if nic and nic.cm_dir and parts[5:7] == ["ports", "1"]:
            if parts[7] == "default_roce_tos":
                return f"{nic.roce_tos}\n"
            if parts[7] == "default_roce_mode":
                return f"{nic.roce_mode}\n"
    return None


def _read_netdev(twin: HostTwin, nic: Nic, rest: list[str]) -> str | None:
    up = twin.carrier(nic)
    simple = {
        "mtu": str(nic.mtu),
        "address": nic.mac,
        "ifindex": str(nic.ifindex),
        "operstate": "up" if up else "down",
        "carrier": "1" if up else "0",
        "speed": str(nic.speed_mbps) if up else "-1",
    }
    if len(rest) == 1 and rest[0] in simple:
        return simple[rest[0]] + "\n"
    if rest == ["carrier_changes"]:
        return f"{2 + 2 * nic.link_down_events - (0 if up else 1)}\n"  # 2 = down/up at boot
    if rest == ["device", "uevent"] and nic.driver in _UEVENT:
        return _UEVENT[nic.driver].format(pci=nic.pci)
    if nic.driver != MLX5:
        return None
    if rest == ["settings", "pfc_stall_prevention"]:
        return "default\n"
    value = _ecn_value(nic, rest)
    return None if value is None else f"{value}\n"


def _ecn_value(nic: Nic, rest: list[str]) -> int | None:
    if len(rest) < 3 or rest[0] != "ecn" or rest[1] not in ("roce_np", "roce_rp"):
        return None
    mask = nic.ecn_np if rest[1] == "roce_np" else nic.ecn_rp
    if len(rest) == 4 and rest[2] == "enable" and rest[3] in "01234567" and len(rest[3]) == 1:
        return 1 if mask & (1 << int(rest[3])) else 0
    params = nic.np_params if rest[1] == "roce_np" else nic.rp_params
    return params.get(rest[2]) if len(rest) == 3 else None


def _read_ib(twin: HostTwin, nic: Nic, rest: list[str]) -> str | None:
    if rest == ["tc", "1", "traffic_class"] and nic.driver == MLX5:
        return "" if nic.traffic_class is None else f"Global tclass={nic.traffic_class}\n"
    if rest == ["fw_ver"]:
        return "28.39.1002\n" if nic.driver == MLX5 else "230.0.157.0\n"
    if rest[:2] != ["ports", "1"] or len(rest) < 3:
        return None
    gid = gids.read(nic, rest)
    if isinstance(gid, int):
        raise FsError(gid)
    if gid is not None:
        return gid
    up = twin.carrier(nic)
    port = {
        "state": "4: ACTIVE" if up else "1: DOWN",
        "phys_state": "5: LinkUp" if up else "3: Disabled",
        "link_layer": "Ethernet",
        "rate": f"{nic.speed_mbps // 1000} Gb/sec (4X NDR)",
    }
    if len(rest) == 3 and rest[2] in port:
        return port[rest[2]] + "\n"
    if len(rest) == 4 and rest[2] == "hw_counters" and rest[3] in counters.RDMA_COUNTERS:
        return f"{counters.value(nic, rest[3])}\n"
    return None


def listdir(twin: HostTwin, path: str) -> list[str] | None:
    parts = _parts(path)
    joined = "/".join(parts)
    nics = twin.nics()
    if joined == "sys/class/net":
        return sorted(["lo", *(n.netdev for n in nics)])
    if joined == "sys/class/infiniband":
        return sorted(n.rdma_device for n in nics if n.has_rdma and n.rdma_device)
    if joined == "sys/kernel/config/rdma_cm":
        return sorted(n.rdma_device for n in nics if n.cm_dir and n.rdma_device)
    if len(parts) == 6 and parts[:3] == ["sys", "class", "net"] and parts[4:] == ["device", "infiniband"]:
        nic = twin.nic(parts[3])
        return [nic.rdma_device] if nic and nic.has_rdma and nic.rdma_device else None
    if len(parts) == 4 and parts[:3] == ["sys", "class", "infiniband"]:
        nic = twin.rdma_nic(parts[3])
        return (["fw_ver", "ports", "tc"] if nic.driver == MLX5 else ["fw_ver", "ports"]) if nic else None
    if len(parts) == 5 and parts[:3] == ["sys", "class", "infiniband"] and parts[4] in ("ports", "tc"):
        nic = twin.rdma_nic(parts[3])
        return ["1"] if nic and (parts[4] == "ports" or nic.driver == MLX5) else None
    if len(parts) == 6 and parts[:3] == ["sys", "class", "infiniband"] and parts[4:] == ["tc", "1"]:
        nic = twin.rdma_nic(parts[3])
        return ["traffic_class"] if nic and nic.driver == MLX5 else None
    if len(parts) == 6 and parts[:3] == ["sys", "class", "infiniband"] and parts[4:] == ["ports", "1"]:
        port_files = ["gid_attrs", "gids", "hw_counters", "link_layer", "phys_state", "rate", "state"]
        return port_files if twin.rdma_nic(parts[3]) else None
    if len(parts) in (7, 8) and parts[:3] == ["sys", "class", "infiniband"] and parts[4:6] == ["ports", "1"]:
        return gids.listdir(parts[4:]) if twin.rdma_nic(parts[3]) else None
    if len(parts) == 7 and parts[:3] == ["sys", "class", "infiniband"] and parts[4:] == ["ports", "1", "hw_counters"]:
        return sorted(counters.RDMA_COUNTERS) if twin.rdma_nic(parts[3]) else None
    if len(parts) == 7 and parts[:3] == ["sys", "class", "net"] and parts[4] == "ecn" and parts[6] == "enable":
        nic = twin.nic(parts[3])
        return [str(p) for p in range(8)] if nic and nic.driver == MLX5 and parts[5] in ("roce_np", "roce_rp") else None
    if parts[:4] == ["sys", "kernel", "config", "rdma_cm"] and len(parts) in (6, 7, 8):
        nic = twin.rdma_nic(parts[4])
        layout = {6: ("ports", ["1"]), 7: ("1", ["default_roce_mode", "default_roce_tos"])}
        if nic is None or not nic.cm_dir or len(parts) == 8:
            return None
        name, entries = layout[len(parts)]
        return entries if parts[-1] == name else None
    if len(parts) == 5 and parts[:4] == ["sys", "kernel", "config", "rdma_cm"]:
        nic = twin.rdma_nic(parts[4])
        return ["ports"] if nic and nic.cm_dir else None
    if len(parts) == 5 and parts[:3] == ["sys", "class", "net"] and parts[4] == "ecn":
        nic = twin.nic(parts[3])
        return ["roce_np", "roce_rp"] if nic and nic.driver == MLX5 else None
    if len(parts) == 6 and parts[:3] == ["sys", "class", "net"] and parts[4] == "ecn":
        nic = twin.nic(parts[3])
        if nic and nic.driver == MLX5 and parts[5] in ("roce_np", "roce_rp"):
            params = NP_PARAM_DEFAULTS if parts[5] == "roce_np" else RP_PARAM_DEFAULTS
            return sorted(["enable", *params])
    return None


def check_open(twin: HostTwin, path: str, *, root: bool) -> None:
    """open(O_WRONLY) checks: sysfs/procfs files must exist, have a store method, and need root."""
    parts = _parts(path)
    if parts[:1] in (["sys"], ["proc"]):
        if _read_virtual(twin, parts) is None:
            raise FsError(errno.ENOENT if listdir(twin, path) is None else errno.EISDIR)
        if not root or not _writable(twin, parts):
            raise FsError(errno.EACCES)
    elif parts[:1] == ["etc"] and not root:
        raise FsError(errno.EACCES)
    elif listdir(twin, path) is not None:
        raise FsError(errno.EISDIR)


def _writable(twin: HostTwin, parts: list[str]) -> bool:
    joined = "/".join(parts)
    if joined == "proc/sys/net/ipv4/tcp_ecn" or parts[:4] == ["sys", "kernel", "config", "rdma_cm"]:
        return True
    if parts[:3] == ["sys", "class", "infiniband"]:
        return parts[4:] == ["tc", "1", "traffic_class"]
    return parts[:3] == ["sys", "class", "net"] and (parts[4:] == ["mtu"] or parts[4:5] == ["ecn"])


def write(twin: HostTwin, path: str, data: str, *, root: bool, append: bool = False) -> None:
    """Write through a virtual file's store handler, or into a plain file kept by the twin."""
    check_open(twin, path, root=root)
    parts = _parts(path)
    if parts[:1] in (["sys"], ["proc"]):
        _store(twin, parts, data.strip())
        return
    old = twin.user_file(path) if append else None
    twin.put_user_file(path, (old or b"") + data.encode())


def _int(text: str, low: int, high: int, overflow: int = errno.EINVAL) -> int:
    """kstrto*: EINVAL for text that is not a number; `overflow` (kstrtou8: ERANGE) outside the range."""
    try:
        value = int(text, 0)
    except ValueError:
        raise FsError(errno.EINVAL) from None
    if not low <= value <= high:
        raise FsError(overflow)
    return value


def _store(twin: HostTwin, parts: list[str], value: str) -> None:
    joined = "/".join(parts)
    if joined == "proc/sys/net/ipv4/tcp_ecn":
        twin.tcp_ecn = _int(value, 0, 5)
        return
    if parts[:3] == ["sys", "class", "net"]:
        nic = twin.nic(parts[3])
        assert nic is not None
        _store_netdev(twin, nic, parts[4:], value)
        return
    if parts[:3] == ["sys", "class", "infiniband"] and parts[4:] == ["tc", "1", "traffic_class"]:
        nic = twin.rdma_nic(parts[3])
        assert nic is not None
        if value.startswith("tclass="):
            value = value[len("tclass=") :]
        number = _int(value, -1, 255)
        nic.traffic_class = None if number == -1 else number
        return
    if parts[:4] == ["sys", "kernel", "config", "rdma_cm"]:
        nic = twin.rdma_nic(parts[4])
        assert nic is not None
        if parts[7] == "default_roce_tos":
            nic.roce_tos = _int(value, 0, 255, errno.ERANGE)  # cma_configfs: kstrtou8
        elif value in _ROCE_MODES:
            nic.roce_mode = value
        else:
            raise FsError(errno.EINVAL)
        return
    raise FsError(errno.EACCES)  # read-only attribute (no store method)


def _store_netdev(twin: HostTwin, nic: Nic, rest: list[str], value: str) -> None:
    if rest == ["mtu"]:
        if twin.set_mtu(nic, _int(value, 0, 1 << 31)):
            raise FsError(errno.EINVAL)  # dev_set_mtu range errors surface as -EINVAL through sysfs
        return
    if len(rest) == 4 and rest[2] == "enable":
        bit = 1 << int(rest[3])
        enabled = _int(value, 0, 1)
        if rest[1] == "roce_np":
            nic.ecn_np = nic.ecn_np | bit if enabled else nic.ecn_np & ~bit
        else:
            nic.ecn_rp = nic.ecn_rp | bit if enabled else nic.ecn_rp & ~bit
        return
    if len(rest) == 3 and rest[0] == "ecn":
        limits = {"cnp_dscp": 63, "cnp_802p_prio": 7}
        number = _int(value, 0, limits.get(rest[2], 0xFFFFFFFF))
        if rest[1] == "roce_np":
            nic.set_np_param(rest[2], number)
        else:
            nic.set_rp_param(rest[2], number)
        return
    raise FsError(errno.EACCES)


def mkdir(twin: HostTwin, path: str, *, root: bool, parents: bool = False) -> None:
    """configfs: `mkdir /sys/kernel/config/rdma_cm/DEV` creates the cma_device group (root only)."""
    parts = _parts(path)
    if parts[:4] == ["sys", "kernel", "config", "rdma_cm"] and len(parts) == 5:
        nic = twin.rdma_nic(parts[4])
        if not root:
            raise FsError(errno.EACCES)
        if nic is None:
            raise FsError(errno.ENODEV)
        if nic.cm_dir and not parents:
            raise FsError(errno.EEXIST)
        nic.cm_dir = True
        return
    if parts[:1] in (["sys"], ["proc"]):
        raise FsError(errno.EACCES if not root else errno.EPERM)
    if parts[:1] not in (["tmp"], ["home"]) and parts[:2] != ["var", "tmp"] and not root:  # 1777 / home dirs
        raise FsError(errno.EACCES)


def remove(twin: HostTwin, path: str, *, root: bool) -> None:
    """unlink(2) of a plain file the twin keeps; sysfs/procfs files cannot be removed."""
    parts = _parts(path)
    if parts[:1] in (["sys"], ["proc"]) or (parts[:1] == ["etc"] and not root):
        raise FsError(errno.EACCES if not root else errno.EPERM)
    if listdir(twin, path) is not None:
        raise FsError(errno.EISDIR)
    if not twin.remove_user_file(path):
        raise FsError(errno.ENOENT)


def rmdir(twin: HostTwin, path: str, *, root: bool) -> None:
    """Values stay in the cma_device after rmdir (reference §3.4)."""
    parts = _parts(path)
    if parts[:4] == ["sys", "kernel", "config", "rdma_cm"] and len(parts) == 5:
        nic = twin.rdma_nic(parts[4])
        if not root:
            raise FsError(errno.EACCES)
        if nic is None or not nic.cm_dir:
            raise FsError(errno.ENOENT)
        nic.cm_dir = False
        return
    raise FsError(errno.EACCES if not root else errno.ENOENT)
