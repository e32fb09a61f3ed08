"""Gather: read everything about a host's RDMA NICs in one round trip, then assemble HostNative.

The batch reads, for every interface named by the intent, `dcb -j pfc|ets|app|buffer|dcbx show`
(`pfc` with `-s` for requests/indications), `ethtool -S|-i|-a`, and host-wide `ip -d -j link show`,
`rdma -j link|dev|statistic show`, tool versions and `uname -r`; sysfs/configfs/procfs knobs (mlx5 ECN
per priority, CNP DSCP/priority, carrier changes, driver, RoCE ToS/mode, OFED traffic_class, tcp_ecn)
are read by one `grep -H`. The raw sections are kept (`HostRaw`) so a gather can be saved as a snapshot
and re-parsed offline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from agent.errors import ParseError
from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma import nccl as N
from agent.platforms.linux_rdma import parse as P
from agent.platforms.linux_rdma.batch import HostShell, Section
from agent.platforms.linux_rdma.native import HostNative, Nic, Problem
from agent.policy.dcqcn import NP_NAMES, RP_NAMES

DCB_READS = ("pfc", "ets", "app", "buffer", "dcbx")
ETHTOOL_READS = {"-S": "stats", "-i": "info", "-a": "pause"}


@dataclass
class HostRaw:
    """The unparsed result of one gather: every command's output and exit code, by section key."""

    device: str
    interfaces: list[str]
    sections: dict[str, Section] = field(default_factory=dict)
    gathered_at: float | None = None
    round_trips: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "interfaces": list(self.interfaces),
            "gathered_at": self.gathered_at,
            "round_trips": self.round_trips,
            "sections": {k: s.to_dict() for k, s in self.sections.items()},
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> HostRaw:
        return cls(
            device=str(doc["device"]),
            interfaces=[C.check_ifname(i) for i in doc["interfaces"]],
            sections={k: Section(str(v["output"]), int(v["rc"])) for k, v in doc["sections"].items()},
            gathered_at=doc.get("gathered_at"),
            round_trips=int(doc.get("round_trips", 0)),
        )


def gather_batch(interfaces: list[str]) -> list[tuple[str, C.Cmd]]:
    """The read commands of one gather, in a fixed order, keyed by section."""
    batch: list[tuple[str, C.Cmd]] = [(f"ver:{t}", C.version(t)) for t in ("ip", "dcb", "rdma", "ethtool")]
    batch += [("uname", C.uname()), ("hostname", C.nodename()), ("lldpad", C.lldpad_running())]
    batch.append(("ip:link", C.ip_link_show()))
    batch += [(f"rdma:{w}", C.rdma_show(w)) for w in ("link", "dev", "statistic")]
    files: list[str] = []
    for ifname in interfaces:
        batch += [(f"{ifname}:dcb:{obj}", C.dcb_show(obj, ifname)) for obj in DCB_READS]
        batch += [(f"{ifname}:ethtool:{name}", C.ethtool(flag, ifname)) for flag, name in ETHTOOL_READS.items()]
        files += C.nic_files(ifname)
    files.append(C.TCP_ECN_PATH)
    globs = (C.ROCE_TOS_GLOB, C.ROCE_MODE_GLOB, C.TRAFFIC_CLASS_GLOB)
    batch.append(("files", C.read_files(files, globs)))
    batch.append(("files:tc", C.count_lines(C.TRAFFIC_CLASS_GLOB)))
    batch.append(("files:debugfs", C.read_debugfs_cnp()))
    batch += [("nccl:conf", N.read_conf()), ("files:gids", N.read_gids())]
    return batch


def gather(shell: HostShell, interfaces: list[str]) -> HostRaw:
    """One round trip: the whole batch in one command line (or one local batch)."""
    names = [C.check_ifname(i) for i in interfaces]
    before = shell.round_trips
    sections = shell.batch(gather_batch(names))
    return HostRaw(shell.device, names, sections, time.time(), shell.round_trips - before)


def discover_interfaces(shell: HostShell) -> list[str]:
    """RDMA netdevs from `rdma -j link show` when no interface was named (one extra round trip)."""
    sec = shell.batch([("rdma:link", C.rdma_show("link"))])["rdma:link"]
    if not sec.ok:
        raise ParseError(shell.device, "rdma -j link show", str(P.classify(sec.output, sec.rc, command="rdma")))
    links = P.parse_rdma_links(P.load_json(shell.device, "rdma -j link show", sec.output), shell.device, "rdma")
    names = sorted({lk.netdev for lk in links if lk.netdev})
    if not names:
        raise ParseError(shell.device, "rdma -j link show", "no RDMA port has a netdev; name one with --interface")
    return names


# ---- assemble -------------------------------------------------------------------------------------


def native_from_raw(raw: HostRaw) -> HostNative:
    host = HostNative(device=raw.device, gathered_at=raw.gathered_at)
    _host_wide(raw, host)
    values, errors = P.parse_grep_files(raw.sections["files"].output)
    debugfs = raw.sections.get("files:debugfs")  # absent in snapshots taken before this read existed
    if debugfs is not None:
        values.update(P.parse_grep_files(debugfs.output)[0])
    _files_host(values, host)
    _traffic_class_files(raw, host)
    _nccl(raw, host)
    for ifname in raw.interfaces:
        host.nics[ifname] = _nic(raw, host, ifname, values, errors)
    return host


def _section(raw: HostRaw, key: str) -> Section:
    try:
        return raw.sections[key]
    except KeyError:
        raise ParseError(raw.device, key, "section missing from the gathered output") from None


def _command_of(key: str) -> str:
    parts = key.split(":")
    if parts[0] == "ver":
        return f"{parts[1]} -V"
    if len(parts) == 3 and parts[1] == "dcb":
        return f"dcb -j {parts[2]} show dev {parts[0]}"
    if len(parts) == 3 and parts[1] == "ethtool":
        return f"ethtool {next(f for f, n in ETHTOOL_READS.items() if n == parts[2])} {parts[0]}"
    return {"ip:link": "ip -d -j link show", "uname": "uname -r"}.get(key, f"rdma -j {parts[-1]} show")


def _host_wide(raw: HostRaw, host: HostNative) -> None:
    for tool in ("ip", "dcb", "rdma", "ethtool"):
        sec = _section(raw, f"ver:{tool}")
        version = P.parse_version(sec.output) if sec.ok else None
        if version:
            host.tool_versions["iproute2" if tool == "ip" else tool] = version
        elif tool != "ip":
            host.problems.append(P.classify(sec.output, sec.rc or 127, command=_command_of(f"ver:{tool}")))
    lldpad = raw.sections.get("lldpad")  # absent in snapshots taken before this read existed
    host.lldpad_running = {0: True, 1: False}.get(lldpad.rc) if lldpad else None
    node = raw.sections.get("hostname")  # absent in snapshots taken before this read existed
    host.hostname = (node.output.strip() or None) if node is not None and node.ok else None
    uname = _section(raw, "uname")
    host.kernel = uname.output.strip() or None if uname.ok else None
    link = _section(raw, "ip:link")
    if link.ok:
        host.links = P.parse_ip_links(P.load_json(raw.device, "ip -d -j link show", link.output), raw.device, "ip")
    else:
        host.problems.append(P.classify(link.output, link.rc, command="ip -d -j link show"))
    _rdma(raw, host)


def _rdma(raw: HostRaw, host: HostNative) -> None:
    parsers = {"link": P.parse_rdma_links, "dev": P.parse_rdma_devs, "statistic": P.parse_rdma_stats}
    for what, parser in parsers.items():
        sec = _section(raw, f"rdma:{what}")
        command = f"rdma -j {what} show"
        if not sec.ok:
            problem = P.classify(sec.output, sec.rc, command=command)
            if not any(p.message == problem.message for p in host.problems):
                host.problems.append(problem)
            continue
        parsed: Any = parser(P.load_json(raw.device, command, sec.output), raw.device, command)
        if what == "link":
            host.rdma_links = parsed
        elif what == "dev":
            host.rdma_devs = parsed
        else:
            host.rdma_stats = parsed


def _files_host(values: dict[str, list[str]], host: HostNative) -> None:
    for path, lines in values.items():
        parts = path.split("/")
        if path == C.TCP_ECN_PATH and lines and lines[0].strip().lstrip("-").isdigit():
            host.tcp_ecn = int(lines[0])
        elif path.startswith("/sys/kernel/config/rdma_cm/") and len(parts) == 9 and lines:
            key = f"{parts[5]}/{parts[7]}"
            if parts[-1] == "default_roce_tos" and lines[0].strip().isdigit():
                host.roce_tos[key] = int(lines[0])
            elif parts[-1] == "default_roce_mode":
                host.roce_mode[key] = lines[0].strip()
        elif path.startswith("/sys/class/infiniband/") and parts[-1] == "traffic_class":
            host.traffic_class[f"{parts[4]}/{parts[6]}"] = P.parse_traffic_class(lines)


def _nccl(raw: HostRaw, host: HostNative) -> None:
    """/etc/nccl.conf and the GID tables (both absent from snapshots taken before they were read)."""
    conf = raw.sections.get("nccl:conf")
    if conf is not None:
        host.nccl_conf_read, host.nccl_conf, problem = N.conf_from_section(conf.output, conf.rc)
        if problem:
            host.problems.append(Problem("other", None, f"cat {N.NCCL_CONF_PATH}", problem))
    gids = raw.sections.get("files:gids")
    if gids is not None:
        host.gids = N.parse_gids(P.parse_grep_files(gids.output)[0])


def _traffic_class_files(raw: HostRaw, host: HostNative) -> None:
    """`grep -H -c ''` lists every OFED traffic_class file, also the empty (unset) ones."""
    counts, _ = P.parse_grep_files(_section(raw, "files:tc").output)
    for path in counts:
        parts = path.split("/")
        if len(parts) == 8 and parts[-1] == "traffic_class":
            host.traffic_class.setdefault(f"{parts[4]}/{parts[6]}", None)


def _nic(raw: HostRaw, host: HostNative, ifname: str, values: dict[str, list[str]], errors: dict[str, str]) -> Nic:
    nic = Nic(ifname=ifname, link=host.links.get(ifname))
    nic.rdma = next((lk for lk in host.rdma_links if lk.netdev == ifname), None)
    _nic_ethtool(raw, nic)
    _nic_files(nic, values)
    for obj in DCB_READS:
        _nic_dcb(raw, nic, obj)
    return nic


def _nic_ethtool(raw: HostRaw, nic: Nic) -> None:
    for flag, name in ETHTOOL_READS.items():
        sec = _section(raw, f"{nic.ifname}:ethtool:{name}")
        if not sec.ok:
            problem = P.classify(sec.output, sec.rc, command=f"ethtool {flag} {nic.ifname}", interface=nic.ifname)
            if problem.kind not in ("not_supported", "tool_missing"):  # no pause ops on veth: simply unknown;
                nic.problems.append(problem)  # a missing ethtool is reported once, host-wide
            continue
        if name == "stats":
            nic.ethtool_stats = P.parse_ethtool_stats(sec.output)
        elif name == "info":
            info = P.parse_ethtool_info(sec.output)
            nic.driver = info.get("driver") or nic.driver
            nic.firmware = info.get("firmware-version") or None
            nic.bus_info = info.get("bus-info") or None
        else:
            nic.pause_rx, nic.pause_tx = P.parse_ethtool_pause(sec.output)


def _nic_files(nic: Nic, values: dict[str, list[str]]) -> None:
    base = f"/sys/class/net/{nic.ifname}"
    for line in values.get(f"{base}/device/uevent", []):
        key, _, value = line.partition("=")
        if key == "DRIVER" and not nic.driver:
            nic.driver = value
        if key == "PCI_SLOT_NAME" and not nic.bus_info:
            nic.bus_info = value
    nic.carrier_changes = _int_file(values, f"{base}/carrier_changes")
    for point in ("np", "rp"):
        flags = {p: _int_file(values, f"{base}/ecn/roce_{point}/enable/{p}") for p in range(8)}
        if all(v is not None for v in flags.values()):
            setattr(nic, f"ecn_{point}", {p: bool(v) for p, v in flags.items()})
    for point, names in (("rp", RP_NAMES), ("np", NP_NAMES)):
        for name in names:
            param = _int_file(values, C.dcqcn_path(nic.ifname, point, name))
            if param is not None:
                nic.dcqcn[f"{point}/{name}"] = param
    for attr, ofed, upstream in (("dscp", "cnp_dscp", "np_cnp_dscp"), ("prio", "cnp_802p_prio", "np_cnp_prio")):
        path = f"{base}/ecn/roce_np/{ofed}"
        if path not in values and nic.bus_info:  # upstream mlx5: debugfs, keyed by the PCI address
            path = f"/sys/kernel/debug/mlx5/{nic.bus_info}/cc_params/{upstream}"
        number = _int_file(values, path)
        if number is not None:
            setattr(nic, f"cnp_{attr}", number)
            setattr(nic, f"cnp_{attr}_path", path)


def _int_file(values: dict[str, list[str]], path: str) -> int | None:
    lines = values.get(path)
    if not lines or not lines[0].strip().lstrip("-").isdigit():
        return None
    return int(lines[0].strip())


def _nic_dcb(raw: HostRaw, nic: Nic, obj: str) -> None:
    key = f"{nic.ifname}:dcb:{obj}"
    sec = _section(raw, key)
    command = _command_of(key)
    if not sec.ok:
        problem: Problem = P.classify(sec.output, sec.rc, command=command, interface=nic.ifname, driver=nic.driver)
        if not any(p.kind == problem.kind and p.kind in ("no_dcb", "no_device", "tool_missing") for p in nic.problems):
            nic.problems.append(problem)
        return
    doc = P.load_json(raw.device, command, sec.output)
    if obj == "pfc":
        nic.pfc = P.parse_pfc(doc, raw.device, command)
    elif obj == "ets":
        nic.ets = P.parse_ets(doc, raw.device, command)
    elif obj == "app":
        nic.app = P.parse_app(doc, raw.device, command)
    elif obj == "buffer":
        nic.buffer = P.parse_buffer(doc, raw.device, command)
    else:
        nic.dcbx = P.parse_dcbx(doc, raw.device, command)
