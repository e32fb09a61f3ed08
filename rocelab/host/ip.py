"""The twin's `ip link` / `ip addr` (iproute2), text and `-j` JSON in the key order iproute2 prints.

A physical NIC without carrier shows `NO-CARRIER` and operstate DOWN (a veth shows LOWERLAYERDOWN and
M-DOWN instead, as observed, fixture tests/fixtures/hosts/observed-veth). Error texts are the observed ones.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any

from rocelab.host import jsonw
from rocelab.host.iproute2_opts import VERSION_FLAGS, parse_output_options
from rocelab.host.nic import VETH, Nic

if TYPE_CHECKING:
    from rocelab.host.twin import HostTwin

_LO: dict[str, Any] = {
    "ifindex": 1,
    "ifname": "lo",
    "flags": ["LOOPBACK", "UP", "LOWER_UP"],
    "mtu": 65536,
    "qdisc": "noqueue",
    "operstate": "UNKNOWN",
    "linkmode": "DEFAULT",
    "group": "default",
    "txqlen": 1000,
    "link_type": "loopback",
    "address": "00:00:00:00:00:00",
    "broadcast": "00:00:00:00:00:00",
}


_MAX_MTU = {"mlx5_core": 9978, "bnxt_en": 9500, VETH: 65535}


def _details(nic: Nic) -> dict[str, Any]:
    """`ip -d` extras in iproute2 6.1 order (observed on a veth; PCI parent for physical NICs)."""
    veth = nic.driver == VETH
    extra: dict[str, Any] = {"promiscuity": 0, "allmulti": 0, "min_mtu": 68, "max_mtu": _MAX_MTU[nic.driver]}
    if veth:
        extra["linkinfo"] = {"info_kind": "veth"}
    extra |= {
        "inet6_addr_gen_mode": "eui64",
        "num_tx_queues": 1 if veth else 256,
        "num_rx_queues": 1 if veth else 63,
        "gso_max_size": 65536,
        "gso_max_segs": 65535,
        "tso_max_size": 524280,
        "tso_max_segs": 65535,
        "gro_max_size": 65536,
    }
    if not veth:
        extra |= {"parentbus": "pci", "parentdev": nic.pci}
    return extra


_LO_DETAILS: dict[str, Any] = {
    "promiscuity": 0,
    "allmulti": 0,
    "min_mtu": 0,
    "max_mtu": 0,
    "inet6_addr_gen_mode": "eui64",
    "num_tx_queues": 1,
    "num_rx_queues": 1,
    "gso_max_size": 65536,
    "gso_max_segs": 65535,
    "tso_max_size": 524280,
    "tso_max_segs": 65535,
    "gro_max_size": 65536,
}


def link_record(twin: HostTwin, nic: Nic, *, details: bool = False) -> dict[str, Any]:
    carrier = twin.carrier(nic)
    veth = nic.driver == VETH
    flags = ["BROADCAST", "MULTICAST"]
    if nic.admin_up:
        flags.append("UP")
        flags.insert(0, "NO-CARRIER") if not carrier else flags.append("LOWER_UP")
    if veth and not carrier:
        flags.append("M-DOWN")
    operstate = "UP" if nic.admin_up and carrier else "DOWN"
    if veth and nic.admin_up and not carrier:
        operstate = "LOWERLAYERDOWN"
    record: dict[str, Any] = {"ifindex": nic.ifindex}
    if veth:
        record["link_index"] = 100 + nic.ifindex
    record |= {
        "ifname": nic.netdev,
        "flags": flags,
        "mtu": nic.mtu,
        "qdisc": "noqueue" if veth else "mq",
        "operstate": operstate,
        "linkmode": "DEFAULT",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": nic.mac,
        "broadcast": "ff:ff:ff:ff:ff:ff",
    }
    if veth:
        record["link_netnsid"] = 0
    if details:
        record |= _details(nic)
    return record


def _text(record: dict[str, Any]) -> str:
    name = record["ifname"] + (f"@if{record['link_index']}" if "link_index" in record else "")
    head = (
        f"{record['ifindex']}: {name}: <{','.join(record['flags'])}> mtu {record['mtu']} qdisc {record['qdisc']} "
        f"state {record['operstate']} mode DEFAULT group default qlen {record['txqlen']}\n"
    )
    link = f"    link/{record['link_type']} {record['address']} brd {record['broadcast']}"
    if "link_netnsid" in record:
        link += f" link-netnsid {record['link_netnsid']}"
    if "min_mtu" in record:
        link += f" promiscuity 0  allmulti 0 minmtu {record['min_mtu']} maxmtu {record['max_mtu']} \n    "
        link += "veth " if "linkinfo" in record else ""
        link += f"addrgenmode eui64 numtxqueues {record['num_tx_queues']} numrxqueues {record['num_rx_queues']} "
        link += "gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 "
        if "parentbus" in record:
            link += f"parentbus pci parentdev {record['parentdev']} "
    return head + link + "\n"


def run_ip(twin: HostTwin, argv: list[str], *, root: bool) -> tuple[str, str, int]:
    opts, pos, stopped_at = parse_output_options(argv, ignored=("-s", "-stats"))
    if stopped_at in VERSION_FLAGS:
        return f"ip utility, iproute2-{twin.iproute2_version}, libbpf 1.1.2\n", "", 0
    if stopped_at is not None:
        return "", f'Option "{stopped_at}" is unknown, try "ip -help".\n', 255
    as_json, details, pretty = opts.as_json, opts.details, opts.pretty
    args = argv[pos:]
    if not args:
        return "", "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n", 255
    obj, rest = args[0], args[1:]
    if "link".startswith(obj):
        if rest and rest[0] == "set":
            return _link_set(twin, rest[1:], root=root)
        return _show(twin, rest, (as_json, pretty), details, addresses=False)
    if "address".startswith(obj) and obj:
        return _show(twin, rest, (as_json, pretty), details, addresses=True)
    return "", f'Object "{obj}" is unknown, try "ip help".\n', 1


def _show(
    twin: HostTwin, args: list[str], json_mode: tuple[bool, bool], details: bool, *, addresses: bool
) -> tuple[str, str, int]:
    as_json, pretty = json_mode
    if args and args[0] in ("show", "list", "ls", "lst"):
        args = args[1:]
    if args and args[0] == "dev":
        args = args[1:]
    records: list[dict[str, Any]]
    if args:
        nic = twin.nic(args[0])
        if nic is None:
            return ("\n" if as_json else ""), f'Device "{args[0]}" does not exist.\n', 1
        records = [link_record(twin, nic, details=details)]
    else:
        lo = dict(_LO) | (_LO_DETAILS if details else {})
        records = [lo, *(link_record(twin, n, details=details) for n in twin.nics())]
    if addresses:
        for record in records:
            record["addr_info"] = []
    if as_json:
        return jsonw.dumps(records, pretty=pretty), "", 0
    return "".join(_text(r) for r in records), "", 0


def _link_set(twin: HostTwin, args: list[str], *, root: bool) -> tuple[str, str, int]:
    if args and args[0] == "dev":
        args = args[1:]
    if not args:
        return "", 'Not enough information: "dev" argument is required.\n', 255
    dev, changes = args[0], args[1:]
    mtu: int | None = None
    state: bool | None = None
    pos = 0
    while pos < len(changes):
        word = changes[pos]
        if word in ("up", "down"):
            state = word == "up"
        elif word == "mtu" and pos + 1 < len(changes):
            pos += 1
            if not changes[pos].isdigit():
                return "", f'Error: argument "{changes[pos]}" is wrong: Invalid "mtu" value\n', 255
            mtu = int(changes[pos])
        else:
            return "", f'Error: either "dev" is duplicate, or "{word}" is a garbage.\n', 255
        pos += 1
    nic = twin.nic(dev)
    if nic is None:
        return "", f'Cannot find device "{dev}"\n', 1
    if not root:
        return "", "RTNETLINK answers: Operation not permitted\n", 2
    if mtu is not None:
        err = twin.set_mtu(nic, mtu)
        if err:
            message = "greater than device maximum" if err == errno.ERANGE else "less than device minimum"
            return "", f"Error: mtu {message}.\n", 2
    if state is not None:
        twin.set_admin(nic, state)
    return "", "", 0
