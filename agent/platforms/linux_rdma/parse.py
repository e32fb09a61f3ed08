"""Parsers for the host tools' output, and the error messages an operator can act on.

Formats follow iproute2 (`dcb -j`, `rdma -j`, `ip -j`), ethtool's text output and sysfs files as read by
`grep -H .`. Both JSON flavours of `dcb app` are accepted: `[dscp, prio]` pairs (iproute2 < 6.5) and
`[dscp, prio, " "]` triples (>= 6.5). Unparseable output raises ParseError naming device and command.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agent.errors import ParseError
from agent.platforms.linux_rdma.native import App, Buffer, Ets, Link, Pfc, Problem, RdmaDev, RdmaLink

_VERSION_RE = re.compile(r"iproute2[- ](?:ss)?(\d+(?:\.\d+)*)")
_ETHTOOL_VERSION_RE = re.compile(r"ethtool version (\d+(?:\.\d+)*)")
_DEBUGFS_LINE = re.compile(r"^(/sys/kernel/debug/mlx5/[0-9a-f:.]+/cc_params/\w+):(.*)$")
_STAT_RE = re.compile(r"^\s*([^:\s][^:]*):\s*(-?\d+)\s*$")


# ---- errors ---------------------------------------------------------------------------------------

# First iproute2 release with each dcb object (reference host-nic.md §1.1).
_FIRST_IPROUTE2 = {"ets": "5.11", "pfc": "5.11", "buffer": "5.11", "maxrate": "5.11", "app": "5.12", "dcbx": "5.12"}
_FIRST_IPROUTE2 |= {"apptrust": "6.2", "pcp-prio": "6.2", "rewr": "6.5"}

FW_LLDP_HINT = {
    "ice": "ethtool --set-priv-flags {ifname} fw-lldp-agent off",
    "i40e": "ethtool --set-priv-flags {ifname} disable-fw-lldp on",
    "bnxt_en": "disable the firmware LLDP agent with Broadcom's niccli/bnxtqos (firmware-owned DCBX)",
}


def classify(text: str, rc: int, *, command: str, interface: str | None = None, driver: str | None = None) -> Problem:
    """Turn a failed command's output into a Problem whose message says what to do next."""
    out = text.strip()
    first = out.splitlines()[0] if out else f"exit code {rc}"
    tool = command.split()[0] if command else "command"
    where = interface or "this host"
    exec_failed = f'exec of "{tool}" failed' in out  # `ip netns exec NS TOOL` when TOOL is not installed
    if rc == 127 or "command not found" in out or exec_failed or (out.startswith(tool) and "No such file" in out):
        return Problem("tool_missing", interface, command, f"`{tool}` is not installed: {_install_hint(tool)}")
    if "password is required" in out or "Operation not permitted" in out or "Permission denied" in out:
        return Problem(
            "permission",
            interface,
            command,
            f"permission denied running `{command}` ({first}): run as root, or give the SSH user passwordless "
            "sudo for dcb, ip, ethtool, mkdir and tee",
        )
    if "Failed to open NETLINK_RDMA socket" in out:
        return Problem(
            "no_rdma",
            interface,
            command,
            "no RDMA in the kernel (`rdma` says 'Failed to open NETLINK_RDMA socket'): load the RDMA core and the "
            "NIC's RDMA driver (e.g. `modprobe mlx5_ib`) or use a kernel built with CONFIG_INFINIBAND",
        )
    m = re.search(r'Object "([^"]+)" is unknown|What is "([^"]+)"\?', out)
    if m:
        word = m.group(1) or m.group(2)
        need = _FIRST_IPROUTE2.get(word, "6.1")
        return Problem(
            "tool_too_old",
            interface,
            command,
            f"`{tool}` is too old for '{word}' ({first}): install iproute2 >= {need}",
        )
    if "Operation not supported" in out and tool == "dcb":
        return Problem(
            "no_dcb",
            interface,
            command,
            f"no DCB support on this interface, configure the physical function: {where} has no DCB (dcbnl) ops "
            f"(`{first}`); VLANs, bonds, VFs and veths have none. Name the PF netdev (e.g. the mlx5 PF under "
            "the VLAN or bond) in rdma_interfaces",
        )
    if "No such device" in out:
        return Problem(
            "no_device",
            interface,
            command,
            f"{where} does not exist on the host ({first}): check rdma_interfaces / links.yaml",
        )
    if "Invalid argument" in out and "Attribute write" in out and driver in FW_LLDP_HINT:
        hint = FW_LLDP_HINT[driver].format(ifname=interface or "IF")
        return Problem(
            "fw_lldp",
            interface,
            command,
            f"the firmware LLDP/DCBX agent owns {where} ({driver}: `{first}`): hand DCB control to the OS "
            f"first: {hint}; then re-run",
        )
    if "Attribute not found" in out or ("Operation not supported" in out and tool == "ethtool"):
        return Problem("not_supported", interface, command, f"not supported by the driver of {where}: {first}")
    return Problem("other", interface, command, f"`{command}` failed (rc {rc}): {first}")


def _install_hint(tool: str) -> str:
    if tool in ("dcb", "rdma", "ip"):
        return "install iproute2 >= 6.1 (Debian/Ubuntu package `iproute2`)"
    if tool == "ethtool":
        return "install ethtool (package `ethtool`); driver, pause and counters cannot be read without it"
    return f"install {tool}"


def fw_lldp_problem(ifname: str, driver: str | None, command: str) -> Problem:
    """The DCBX owner is the firmware (`lld_managed`): writes would fail or be overwritten."""
    hint = FW_LLDP_HINT.get(driver or "", "ethtool --set-priv-flags {ifname} fw-lldp-agent off").format(ifname=ifname)
    return Problem(
        "fw_lldp",
        ifname,
        command,
        f"the firmware LLDP/DCBX agent owns {ifname} (dcbx shows lld-managed): hand DCB control to the OS first: "
        f"{hint}; then re-run",
    )


# ---- versions -------------------------------------------------------------------------------------


def parse_version(text: str) -> str | None:
    m = _VERSION_RE.search(text) or _ETHTOOL_VERSION_RE.search(text)
    return m.group(1) if m else None


def version_tuple(text: str | None) -> tuple[int, ...]:
    """(6, 1, 0) from "6.1.0"; snapshot versions ("ss200127", pre-5.x) sort before any release."""
    if not text or (len(text) > 5 and "." not in text):
        return (0,)
    return tuple(int(p) for p in text.split(".") if p.isdigit())


# ---- JSON tools -----------------------------------------------------------------------------------


def load_json(device: str, command: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text.strip().splitlines()[0][:120] if text.strip() else "<empty>"
        raise ParseError(device, command, f"not JSON ({exc.msg} at line {exc.lineno}): {snippet!r}") from None


def _ints(values: Any, device: str, command: str, key: str) -> tuple[int, ...]:
    if not isinstance(values, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ParseError(device, command, f"{key} is not a list of integers: {values!r}")
    return tuple(values)


def _obj(doc: Any, device: str, command: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ParseError(device, command, f"expected a JSON object, got {type(doc).__name__}")
    return doc


def parse_pfc(doc: Any, device: str, command: str) -> Pfc:
    d = _obj(doc, device, command)
    flags = d.get("prio_pfc")
    if not isinstance(flags, list) or len(flags) != 8 or not all(isinstance(f, bool) for f in flags):
        raise ParseError(device, command, f"prio_pfc is not 8 booleans: {flags!r}")
    return Pfc(
        cap=d.get("pfc_cap"),
        enabled=tuple(i for i, on in enumerate(flags) if on),
        delay=d.get("delay"),
        macsec_bypass=d.get("macsec_bypass"),
        requests=_ints(d.get("requests", []), device, command, "requests"),
        indications=_ints(d.get("indications", []), device, command, "indications"),
    )


def parse_ets(doc: Any, device: str, command: str) -> Ets:
    d = _obj(doc, device, command)
    tsa = d.get("tc_tsa")
    if not isinstance(tsa, list) or len(tsa) != 8 or not all(isinstance(t, str) for t in tsa):
        raise ParseError(device, command, f"tc_tsa is not 8 names: {tsa!r}")
    bw = _ints(d.get("tc_bw"), device, command, "tc_bw")
    prio_tc = _ints(d.get("prio_tc"), device, command, "prio_tc")
    if len(bw) != 8 or len(prio_tc) != 8:
        raise ParseError(device, command, "tc_bw and prio_tc must have 8 entries")
    return Ets(tuple(tsa), bw, prio_tc, willing=d.get("willing"), ets_cap=d.get("ets_cap"))


def parse_app(doc: Any, device: str, command: str) -> App:
    """Both shapes: [[26,3],...] (iproute2 < 6.5) and [[26,3," "],...] (>= 6.5); only e[0], e[1] count."""
    d = _obj(doc, device, command)
    pairs: set[tuple[int, int]] = set()
    for entry in d.get("dscp_prio", []):
        if not isinstance(entry, list) or len(entry) < 2 or not all(isinstance(x, int) for x in entry[:2]):
            raise ParseError(device, command, f"dscp_prio entry is not [dscp, prio, ...]: {entry!r}")
        pairs.add((entry[0], entry[1]))
    default = d.get("default_prio", [])
    return App(
        dscp=frozenset(pairs),
        default_prio=_ints(default, device, command, "default_prio"),
        other=tuple(sorted(k for k, v in d.items() if k not in ("dscp_prio", "default_prio") and v)),
    )


def parse_buffer(doc: Any, device: str, command: str) -> Buffer:
    d = _obj(doc, device, command)
    return Buffer(
        prio_buffer=_ints(d.get("prio_buffer"), device, command, "prio_buffer"),
        buffer_size=_ints(d.get("buffer_size"), device, command, "buffer_size"),
        total_size=d.get("total_size"),
    )


def parse_dcbx(doc: Any, device: str, command: str) -> frozenset[str]:
    d = _obj(doc, device, command)
    return frozenset(k for k, v in d.items() if v is True)


def parse_ip_links(doc: Any, device: str, command: str) -> dict[str, Link]:
    if not isinstance(doc, list):
        raise ParseError(device, command, "expected a JSON array of links")
    links: dict[str, Link] = {}
    for rec in doc:
        name = rec.get("ifname") if isinstance(rec, dict) else None
        if not isinstance(name, str):
            raise ParseError(device, command, f"link record without ifname: {rec!r}")
        flags = rec.get("flags") or []
        info = rec.get("linkinfo") or {}
        links[name] = Link(
            ifname=name,
            ifindex=rec.get("ifindex"),
            mtu=rec.get("mtu"),
            operstate=rec.get("operstate"),
            admin_up="UP" in flags,
            carrier="LOWER_UP" in flags,
            kind=info.get("info_kind"),
            parent=rec.get("link"),
        )
    return links


def parse_rdma_links(doc: Any, device: str, command: str) -> list[RdmaLink]:
    if not isinstance(doc, list):
        raise ParseError(device, command, "expected a JSON array of RDMA links")
    return [
        RdmaLink(
            device=str(r["ifname"]),
            port=int(r.get("port", 1)),
            state=r.get("state"),
            physical_state=r.get("physical_state"),
            netdev=r.get("netdev"),
        )
        for r in doc
        if isinstance(r, dict) and "ifname" in r
    ]


def parse_rdma_devs(doc: Any, device: str, command: str) -> dict[str, RdmaDev]:
    if not isinstance(doc, list):
        raise ParseError(device, command, "expected a JSON array of RDMA devices")
    return {
        str(r["ifname"]): RdmaDev(str(r["ifname"]), r.get("node_type"), r.get("protocol"), r.get("fw"))
        for r in doc
        if isinstance(r, dict) and "ifname" in r
    }


def parse_rdma_stats(doc: Any, device: str, command: str) -> dict[str, dict[str, int]]:
    if not isinstance(doc, list):
        raise ParseError(device, command, "expected a JSON array of RDMA statistics")
    out: dict[str, dict[str, int]] = {}
    for r in doc:
        if not isinstance(r, dict) or "ifname" not in r:
            continue
        key = f"{r['ifname']}/{r.get('port', 1)}"
        out[key] = {k: v for k, v in r.items() if isinstance(v, int) and k not in ("port", "ifindex")}
    return out


# ---- text tools -----------------------------------------------------------------------------------


def parse_ethtool_stats(text: str) -> dict[str, int]:
    """`ethtool -S IF` lines `     name: value` (driver-private counters have no JSON form in ethtool 6.1)."""
    stats: dict[str, int] = {}
    for line in text.splitlines():
        m = _STAT_RE.match(line)
        if m:
            stats[m.group(1).strip()] = int(m.group(2))
    return stats


def parse_ethtool_info(text: str) -> dict[str, str]:
    info: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


def parse_ethtool_pause(text: str) -> tuple[bool | None, bool | None]:
    """(rx, tx) from `ethtool -a IF`; None where not printed."""
    values: dict[str, bool] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("RX", "TX") and value.strip() in ("on", "off"):
            values[key.strip()] = value.strip() == "on"
    return values.get("RX"), values.get("TX")


def parse_grep_files(text: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """`grep -H . FILES` -> ({path: [lines]}, {path: error}); errors are `grep: PATH: message` lines."""
    values: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("grep: "):
            path, _, message = line[len("grep: ") :].rpartition(": ")
            errors[path] = message
            continue
        debugfs = _DEBUGFS_LINE.match(line)  # the PCI address in these paths has colons of its own
        path, sep, value = (debugfs.group(1), ":", debugfs.group(2)) if debugfs else line.partition(":")
        if sep and path.startswith("/"):
            values.setdefault(path, []).append(value)
    return values, errors


def parse_traffic_class(lines: list[str]) -> int | None:
    """MLNX_OFED `traffic_class`: `Global tclass=106` (more per-rule lines may follow); None when unset."""
    for line in lines:
        m = re.match(r"^\s*Global tclass=(-?\d+)", line)
        if m:
            value = int(m.group(1))
            return value if value >= 0 else None
    return None
