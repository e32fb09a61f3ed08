"""Command lines for RDMA hosts, built only from validated values.

Every value that reaches a command comes from inventory, policy or device output, so it is checked
against a strict pattern or range here first and then passed as one argument: argument lists locally,
`shlex.quote`d words over SSH. The only unquoted text in a rendered line is the fixed glob patterns
below (constants, never inventory data), which must reach the remote shell unquoted to expand.

Shell surface the remote side must offer (real bash and the host twin): `;`, `|`, `2>&1`, `$?`,
`echo`, `printf`, `grep -H . FILE...` and `grep -H -c '' GLOB` (with `*` globs), `mkdir -p`, `tee`, `sudo`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from agent.policy.dcqcn import NP_NAMES, RP_NAMES

IFNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")  # IFNAMSIZ-1, no '/', ':' or spaces
RDMA_DEV_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
NETNS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SECTION_KEY_RE = re.compile(r"^[A-Za-z0-9_.:/-]{1,120}$")

DCB_OBJECTS = ("pfc", "ets", "app", "buffer", "dcbx")
ETS_TSA = ("strict", "cbs", "ets", "vendor")
DCBX_FLAGS = ("host", "lld-managed", "cee", "ieee", "static")
ROCE_MODES = ("RoCE v2", "IB/RoCE v1")

# Files the agent writes, as patterns: a plan read back from JSON may only name these.
WRITABLE_FILES = (
    re.compile(r"^/sys/class/net/[A-Za-z][A-Za-z0-9_.-]{0,14}/ecn/roce_(np|rp)/enable/[0-7]$"),
    re.compile(r"^/sys/class/net/[A-Za-z][A-Za-z0-9_.-]{0,14}/ecn/roce_np/(cnp_dscp|cnp_802p_prio)$"),
    re.compile(rf"^/sys/class/net/[A-Za-z][A-Za-z0-9_.-]{{0,14}}/ecn/roce_rp/({'|'.join(RP_NAMES)})$"),
    re.compile(rf"^/sys/class/net/[A-Za-z][A-Za-z0-9_.-]{{0,14}}/ecn/roce_np/({'|'.join(NP_NAMES)})$"),
    re.compile(r"^/sys/kernel/config/rdma_cm/[A-Za-z][A-Za-z0-9_.-]{0,63}/ports/[0-9]{1,3}/default_roce_(tos|mode)$"),
    re.compile(r"^/sys/class/infiniband/[A-Za-z][A-Za-z0-9_.-]{0,63}/tc/[0-9]{1,3}/traffic_class$"),
    re.compile(r"^/proc/sys/net/ipv4/tcp_ecn$"),
    re.compile(r"^/sys/kernel/debug/mlx5/[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/cc_params/np_cnp_(dscp|prio)$"),
)
WRITE_VALUE_RE = re.compile(r"^[A-Za-z0-9 /=.-]{1,32}$")

# Globs over rdma devices (constants): read in the same round trip as everything else.
ROCE_TOS_GLOB = "/sys/kernel/config/rdma_cm/*/ports/*/default_roce_tos"
ROCE_MODE_GLOB = "/sys/kernel/config/rdma_cm/*/ports/*/default_roce_mode"
TRAFFIC_CLASS_GLOB = "/sys/class/infiniband/*/tc/*/traffic_class"
TCP_ECN_PATH = "/proc/sys/net/ipv4/tcp_ecn"
# Upstream mlx5 (no MLNX_OFED) keeps CNP DSCP/priority in debugfs: root-only, so the glob must expand
# in a root shell (a constant command line, no inventory data in it).
DEBUGFS_CNP_READ = (
    "grep -H . /sys/kernel/debug/mlx5/*/cc_params/np_cnp_dscp /sys/kernel/debug/mlx5/*/cc_params/np_cnp_prio"
)


def check_ifname(name: str) -> str:
    if not isinstance(name, str) or not IFNAME_RE.match(name):
        raise ValueError(f"{name!r} is not a valid interface name (letters, digits, '_', '.', '-'; at most 15)")
    return name


def check_rdma_dev(name: str) -> str:
    if not isinstance(name, str) or not RDMA_DEV_RE.match(name):
        raise ValueError(f"{name!r} is not a valid RDMA device name")
    return name


def check_int(value: object, lo: int, hi: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{what} must be an integer in {lo}..{hi}, got {value!r}")
    return value


def check_priorities(values: object, what: str = "priority") -> list[int]:
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{what} list expected, got {values!r}")
    return [check_int(v, 0, 7, what) for v in values]


def check_eight(values: object, lo: int, hi: int, what: str) -> list[int]:
    if not isinstance(values, (list, tuple)) or len(values) != 8:
        raise ValueError(f"{what} must list 8 values, got {values!r}")
    return [check_int(v, lo, hi, what) for v in values]


def check_writable(path: str, value: str) -> tuple[str, str]:
    if not any(p.match(path) for p in WRITABLE_FILES):
        raise ValueError(f"{path!r} is not a file the agent writes")
    if not WRITE_VALUE_RE.match(value):
        raise ValueError(f"{value!r} is not a value the agent writes to {path}")
    return path, value


@dataclass(frozen=True)
class Cmd:
    """One command as an argument list. `stdin` feeds `tee` writes; `globs` are unquoted constants."""

    argv: tuple[str, ...]
    sudo: bool = False
    stdin: str | None = None
    globs: tuple[str, ...] = ()
    sudo_flags: tuple[str, ...] = ()  # e.g. ("-n",): never wait for a password on a read
    stdin_newline: bool = True  # False: `stdin` is fed exactly (whole files that end in their own newline)

    def shell(self, use_sudo: bool) -> str:
        line = shlex.join(self.argv)
        if self.globs:
            line = " ".join([line, *self.globs])
        if self.sudo and use_sudo:
            line = " ".join(["sudo", *self.sudo_flags, line])
        if self.stdin is not None:  # printf, not echo: a login shell's `echo` builtin may not see the pipe
            fmt = "'%s\\n'" if self.stdin_newline else "'%s'"
            line = f"printf {fmt} {shlex.quote(self.stdin)} | {line}"
        return line


# ---- reads ----------------------------------------------------------------------------------------


def dcb_show(obj: str, ifname: str) -> Cmd:
    if obj not in DCB_OBJECTS:
        raise ValueError(f"unknown dcb object {obj!r}")
    stats = ("-s",) if obj == "pfc" else ()
    return Cmd(("dcb", "-j", *stats, obj, "show", "dev", check_ifname(ifname)))


def rdma_show(what: str) -> Cmd:
    if what not in ("link", "dev", "statistic"):
        raise ValueError(f"unknown rdma object {what!r}")
    return Cmd(("rdma", "-j", what, "show"))


def rdma_link_show(dev: str, port: int) -> Cmd:
    return Cmd(("rdma", "-j", "link", "show", f"{check_rdma_dev(dev)}/{check_int(port, 1, 255, 'port')}"))


def ip_link_show(ifname: str | None = None) -> Cmd:
    tail = ("dev", check_ifname(ifname)) if ifname else ()
    return Cmd(("ip", "-d", "-j", "link", "show", *tail))


def ethtool(flag: str, ifname: str) -> Cmd:
    if flag not in ("-S", "-i", "-a"):
        raise ValueError(f"unsupported ethtool flag {flag!r}")
    return Cmd(("ethtool", flag, check_ifname(ifname)))


def version(tool: str) -> Cmd:
    flags = {"dcb": "-V", "rdma": "-V", "ip": "-V", "ethtool": "--version"}
    return Cmd((tool, flags[tool]))


def uname() -> Cmd:
    return Cmd(("uname", "-r"))


def nodename() -> Cmd:
    """`uname -n`: the host's name, compared with the inventory's before any write (identity check)."""
    return Cmd(("uname", "-n"))


def lldpad_running() -> Cmd:
    """`pgrep -x lldpad`: exit 0 when lldpad runs (it can push a willing peer's DCB over ours)."""
    return Cmd(("pgrep", "-x", "lldpad"))


def read_files(paths: list[str], globs: tuple[str, ...] = ()) -> Cmd:
    """`grep -H . FILES` prints `path:line` for every non-empty line: many files, labelled, one command."""
    for p in paths:
        if not p.startswith(("/sys/", "/proc/sys/")) or ".." in p or not re.match(r"^[A-Za-z0-9_./:-]+$", p):
            raise ValueError(f"{p!r} is not a sysfs/procfs path the agent reads")
    return Cmd(("grep", "-H", ".", *paths), globs=globs)


def count_lines(glob: str) -> Cmd:
    """`grep -H -c '' GLOB`: one `path:N` line per existing file, empty files included (existence test)."""
    if glob not in (ROCE_TOS_GLOB, ROCE_MODE_GLOB, TRAFFIC_CLASS_GLOB):
        raise ValueError(f"{glob!r} is not a glob the agent reads")
    return Cmd(("grep", "-H", "-c", ""), globs=(glob,))


def read_debugfs_cnp() -> Cmd:
    """`sudo -n sh -c 'grep -H . <debugfs cc_params globs>'`; without passwordless sudo it just fails."""
    return Cmd(("sh", "-c", DEBUGFS_CNP_READ), sudo=True, sudo_flags=("-n",))


def nic_files(ifname: str) -> list[str]:
    """Per-interface sysfs files: carrier changes (flap detection), driver, MLNX_OFED ECN/CNP knobs."""
    base = f"/sys/class/net/{check_ifname(ifname)}"
    files = [f"{base}/carrier_changes", f"{base}/device/uevent"]
    for point in ("np", "rp"):
        files += [f"{base}/ecn/roce_{point}/enable/{p}" for p in range(8)]
    files += [f"{base}/ecn/roce_np/cnp_dscp", f"{base}/ecn/roce_np/cnp_802p_prio"]
    files += [dcqcn_path(ifname, "rp", name) for name in RP_NAMES]
    files += [dcqcn_path(ifname, "np", name) for name in NP_NAMES]
    return files


def dcqcn_path(ifname: str, point: str, name: str) -> str:
    """MLNX_OFED's DCQCN parameter file (`point` "rp" or "np"; names from agent.policy.dcqcn)."""
    return f"/sys/class/net/{check_ifname(ifname)}/ecn/roce_{point}/{name}"


# ---- writes ---------------------------------------------------------------------------------------


def dcb_pfc_set(ifname: str, enabled: list[int], delay: int | None) -> Cmd:
    prios = set(check_priorities(enabled))
    words = [f"{p}:{'on' if p in prios else 'off'}" for p in range(8)]
    tail = ("delay", str(check_int(delay, 0, 65535, "pfc delay"))) if delay is not None else ()
    return Cmd(("dcb", "pfc", "set", "dev", check_ifname(ifname), "prio-pfc", *words, *tail), sudo=True)


def dcb_ets_set(ifname: str, tsa: list[str], bw: list[int], prio_tc: list[int]) -> Cmd:
    if len(tsa) != 8 or any(t not in ETS_TSA for t in tsa):
        raise ValueError(f"tc-tsa must be 8 of {ETS_TSA}, got {tsa!r}")
    bws = check_eight(bw, 0, 100, "tc-bw")
    tcs = check_eight(prio_tc, 0, 7, "prio-tc")
    return Cmd(
        (
            "dcb", "ets", "set", "dev", check_ifname(ifname),
            "tc-tsa", *(f"{i}:{t}" for i, t in enumerate(tsa)),
            "tc-bw", *(f"{i}:{b}" for i, b in enumerate(bws)),
            "prio-tc", *(f"{i}:{t}" for i, t in enumerate(tcs)),
        ),
        sudo=True,
    )  # fmt: skip


def dcb_app(action: str, ifname: str, dscp_prio: list[tuple[int, int]]) -> Cmd:
    if action not in ("replace", "del"):
        raise ValueError(f"unsupported dcb app action {action!r}")
    if not dscp_prio:
        raise ValueError("dcb app needs at least one dscp-prio entry")
    words = [f"{check_int(d, 0, 63, 'dscp')}:{check_int(p, 0, 7, 'priority')}" for d, p in dscp_prio]
    return Cmd(("dcb", "app", action, "dev", check_ifname(ifname), "dscp-prio", *words), sudo=True)


def dcb_buffer_set(ifname: str, prio_buffer: list[int]) -> Cmd:
    bufs = check_eight(prio_buffer, 0, 7, "prio-buffer")
    words = [f"{p}:{b}" for p, b in enumerate(bufs)]
    return Cmd(("dcb", "buffer", "set", "dev", check_ifname(ifname), "prio-buffer", *words), sudo=True)


def dcb_dcbx_set(ifname: str, flags: list[str]) -> Cmd:
    if not flags or any(f not in DCBX_FLAGS for f in flags):
        raise ValueError(f"dcbx flags must be some of {DCBX_FLAGS}, got {flags!r}")
    return Cmd(("dcb", "dcbx", "set", "dev", check_ifname(ifname), *flags), sudo=True)


def ip_link_set_mtu(ifname: str, mtu: int) -> Cmd:
    value = str(check_int(mtu, 68, 65535, "mtu"))
    return Cmd(("ip", "link", "set", "dev", check_ifname(ifname), "mtu", value), sudo=True)


def ethtool_pause_set(ifname: str, rx: bool, tx: bool) -> Cmd:
    onoff = {True: "on", False: "off"}
    return Cmd(("ethtool", "-A", check_ifname(ifname), "rx", onoff[rx], "tx", onoff[tx]), sudo=True)


def _configfs_dir(path: str) -> str:
    if not re.match(r"^/sys/kernel/config/rdma_cm/[A-Za-z][A-Za-z0-9_.-]{0,63}$", path):
        raise ValueError(f"{path!r} is not a directory the agent creates")
    return path


def mkdir(path: str) -> Cmd:
    return Cmd(("mkdir", "-p", _configfs_dir(path)), sudo=True)


def rmdir(path: str) -> Cmd:
    """Removing an rdma_cm configfs directory keeps the values in the driver (what `cma_roce_tos` does)."""
    return Cmd(("rmdir", _configfs_dir(path)), sudo=True)


def write_file(path: str, value: str) -> Cmd:
    """`printf '%s\\n' VALUE | sudo tee PATH`: sysfs/configfs/procfs writes that work with or without root."""
    check_writable(path, value)
    return Cmd(("tee", path), sudo=True, stdin=value)
