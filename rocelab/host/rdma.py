"""The twin's `rdma` (iproute2): `link`, `dev` and `statistic` show, text and `-j` JSON (reference §2.1).

Every list command prints a top-level JSON array. `statistic` records carry `ifname`, `port` and one
key per mlx5 hw counter. A host whose NICs have no RDMA device behaves like a kernel without RDMA core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rocelab.host import counters, jsonw
from rocelab.host.iproute2_opts import VERSION_FLAGS, parse_output_options
from rocelab.host.nic import MLX5, Nic

if TYPE_CHECKING:
    from rocelab.host.twin import HostTwin

_NO_RDMA = "Failed to open NETLINK_RDMA socket\n"


def _guid(nic: Nic) -> str:
    octets = nic.mac.replace(":", "")
    raw = octets[:6] + "fffe" + octets[6:]  # EUI-64 from the MAC
    return ":".join(raw[i : i + 4] for i in range(0, 16, 4))


def _link(twin: HostTwin, nic: Nic) -> dict[str, Any]:
    up = twin.carrier(nic)
    return {
        "ifindex": nic.rdma_index,
        "ifname": nic.rdma_device,
        "port": 1,
        "state": "ACTIVE" if up else "DOWN",
        "physical_state": "LINK_UP" if up else ("DISABLED" if not nic.admin_up else "POLLING"),
        "netdev": nic.netdev,
        "netdev_index": nic.ifindex,
    }


def _dev(twin: HostTwin, nic: Nic) -> dict[str, Any]:
    record: dict[str, Any] = {"ifindex": nic.rdma_index, "ifname": nic.rdma_device, "node_type": "ca"}
    if twin.flavour >= (6, 5):
        record["protocol"] = "roce"
    record["fw"] = "28.39.1002" if nic.driver == MLX5 else "230.0.157.0"
    record["node_guid"] = _guid(nic)
    record["sys_image_guid"] = _guid(nic)
    return record


def _stats(nic: Nic) -> dict[str, Any]:
    record: dict[str, Any] = {"ifname": nic.rdma_device, "port": 1}
    for name in counters.RDMA_COUNTERS:
        record[name] = counters.value(nic, name)
    return record


def run_rdma(twin: HostTwin, argv: list[str]) -> tuple[str, str, int]:
    opts, pos, stopped_at = parse_output_options(argv)
    if stopped_at in VERSION_FLAGS:
        return f"rdma utility, iproute2-{twin.iproute2_version}\n", "", 0
    if stopped_at is not None:
        return "", f'Unknown option "{stopped_at}"\n', 1
    as_json, details, pretty = opts.as_json, opts.details, opts.pretty
    nics = [n for n in twin.nics() if n.has_rdma]
    if not nics:
        return ("\n" if as_json else ""), _NO_RDMA, 1
    args = argv[pos:] or ["link"]
    obj, rest = args[0], args[1:]
    if rest and rest[0] in ("show", "list"):
        rest = rest[1:]
    if "link".startswith(obj):
        return _emit(twin, nics, rest, (as_json, pretty), details, "link")
    if "dev".startswith(obj):
        return _emit(twin, nics, rest, (as_json, pretty), details, "dev")
    if "statistic".startswith(obj) and len(obj) >= 2:
        if rest and rest[0] == "link":
            rest = rest[1:]
        return _emit(twin, nics, rest, (as_json, pretty), details, "statistic")
    return "", f'Unknown object "{obj}"\n', 1


def _emit(
    twin: HostTwin, nics: list[Nic], rest: list[str], json_mode: tuple[bool, bool], details: bool, kind: str
) -> tuple[str, str, int]:
    as_json, pretty = json_mode
    if rest:
        name, _, port = rest[0].partition("/")
        nics = [n for n in nics if n.rdma_device == name]
        if not nics:
            return ("[]\n" if as_json else ""), "Wrong device name\n", 1
        if port and port != "1":
            return ("[]\n" if as_json else ""), "Wrong port number\n", 1
    if kind == "link":
        records = [_link(twin, n) for n in nics]
    elif kind == "dev":
        records = [_dev(twin, n) for n in nics]
    else:
        records = [_stats(n) for n in nics]
    if as_json:
        return jsonw.dumps(records, pretty=pretty), "", 0
    return "".join(_text(kind, r, details) for r in records), "", 0


def _text(kind: str, record: dict[str, Any], details: bool) -> str:
    if kind == "link":
        line = (
            f"link {record['ifname']}/{record['port']} state {record['state']} "
            f"physical_state {record['physical_state']} netdev {record['netdev']} "
        )
        if details:
            line += f"netdev_index {record['netdev_index']} "
        return line + "\n"
    if kind == "dev":
        fields = " ".join(f"{k} {v}" for k, v in record.items() if k not in ("ifindex", "ifname"))
        return f"{record['ifindex']}: {record['ifname']}: {fields} \n"
    values = " ".join(f"{k} {v}" for k, v in record.items() if k not in ("ifname", "port"))
    return f"link {record['ifname']}/{record['port']} {values} \n"
