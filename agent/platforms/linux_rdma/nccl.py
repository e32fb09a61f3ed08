"""/etc/nccl.conf and the RoCE GID table on RDMA hosts: read, parse, render (rules in agent.policy.nccl).

Both are read in the host's one gather round trip: `cat /etc/nccl.conf` (rc 1 "No such file" = absent,
which is normal on a fresh host) and one `grep -s -H -v <zero GID>` over every RDMA port's
`gid_attrs/types/*`, `gid_attrs/ndevs/*` and `gids/*`. Unpopulated entries of the table (mlx5 exposes
all 255) print the all-zero GID and fail EINVAL on their type/ndev reads, so the `-v` pattern and `-s`
leave only the populated entries in the output: a handful of lines per port. Only entries 0..63 are
read (ib_core fills the table from 0 up, two entries per address: 32 addresses per port); an index
beyond them is reported as unverified, never as wrong.

Rendering changes only the keys the policy manages: the first (effective) line of each is rewritten in
place, later duplicates NCCL ignores and `KEY = value` lines it reads under another name are dropped,
missing keys are appended; every other line (comments, the user's own keys) is kept byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.platforms.linux_rdma.commands import Cmd
from agent.policy.model import Policy
from agent.policy.nccl import GIDS_READ, KEY_GID, KEY_QPS, KEY_TC, best_gid, nccl_int, usable

__all__ = ["GIDS_READ", "KEY_GID", "KEY_QPS", "KEY_TC", "GidState", "best_gid", "nccl_int"]
from agent.state import GidState, NcclConfState

NCCL_CONF_PATH = "/etc/nccl.conf"
NCCL_CONF_TMP = "/etc/nccl.conf.roce-agent.tmp"  # same filesystem: the final rename(2) is atomic
# The file travels inside one command line (the change line writes it, the restore line puts the old one
# back), shlex-quoted: up to 5 bytes per byte for a file of single quotes, beside ~18 KB of the line's other
# steps. Linux takes one argument of at most 128 KiB (MAX_ARG_STRLEN), and the line is one (`sh -c LINE`).
MAX_CONF_BYTES = 16384
ZERO_GID = "0000:0000:0000:0000:0000:0000:0000:0000"
_INDEX_GLOBS = ("[0-9]", "[1-5][0-9]", "6[0-3]")
GID_GLOBS = tuple(
    f"/sys/class/infiniband/*/ports/*/{where}/{index}"
    for where in ("gid_attrs/types", "gid_attrs/ndevs", "gids")
    for index in _INDEX_GLOBS
)


# ---- reads ----------------------------------------------------------------------------------------


def read_conf() -> Cmd:
    return Cmd(("cat", NCCL_CONF_PATH))


def read_gids() -> Cmd:
    return Cmd(("grep", "-s", "-H", "-v", f"^{ZERO_GID}$"), globs=GID_GLOBS)


# ---- writes ---------------------------------------------------------------------------------------


def check_content(content: str) -> str:
    """The file text the agent may write: text, bounded, no NUL (it reaches the shell shlex-quoted)."""
    if len(content.encode()) > MAX_CONF_BYTES or "\x00" in content or "\r" in content:
        raise ValueError(f"{NCCL_CONF_PATH} content must be text without NUL or CR, at most {MAX_CONF_BYTES} bytes")
    if content and not content.endswith("\n"):
        raise ValueError(f"{NCCL_CONF_PATH} content must end with a newline")
    return content


def write_conf(content: str | None) -> list[Cmd]:
    """The whole file into a temporary file beside it, then rename(2) over it: a job starting meanwhile
    reads the old file or the new one, never half of one. None removes the file (it did not exist)."""
    if content is None:
        return [Cmd(("rm", "-f", NCCL_CONF_PATH), sudo=True)]
    tee = Cmd(("tee", NCCL_CONF_TMP), sudo=True, stdin=check_content(content), stdin_newline=False)
    return [tee, Cmd(("mv", "-f", NCCL_CONF_TMP, NCCL_CONF_PATH), sudo=True)]


def remove_tmp() -> Cmd:
    return Cmd(("rm", "-f", NCCL_CONF_TMP), sudo=True)


def conf_from_section(output: str, rc: int) -> tuple[bool, str | None, str | None]:
    """(read, text, problem): rc 0 -> the text; "No such file" -> read, absent; else not read and why."""
    if rc == 0:
        return True, output, None
    if "No such file or directory" in output:
        return True, None, None
    first = output.strip().splitlines()[0] if output.strip() else f"exit code {rc}"
    return False, None, f"cannot read {NCCL_CONF_PATH}: {first}"


def parse_gids(values: dict[str, list[str]]) -> dict[str, list[GidState]]:
    """`grep -H` lines of the GID table -> {"mlx5_0/1": [entries by index]}; entries need a GID and a type."""
    rows: dict[tuple[str, int], dict[str, str]] = {}
    for path, lines in values.items():
        parts = path.split("/")
        if len(parts) < 9 or parts[1:4] != ["sys", "class", "infiniband"] or parts[5] != "ports" or not lines:
            continue
        what = parts[7] if parts[7] == "gids" else parts[8] if parts[7] == "gid_attrs" else ""
        index = parts[-1]
        if what not in ("gids", "types", "ndevs") or not index.isdigit() or not parts[6].isdigit():
            continue
        rows.setdefault((f"{parts[4]}/{parts[6]}", int(index)), {})[what] = lines[0].strip()
    out: dict[str, list[GidState]] = {}
    for (key, number), row in sorted(rows.items()):
        if "gids" in row and "types" in row and row["gids"] != ZERO_GID:
            out.setdefault(key, []).append(GidState(index=number, type=row["types"], gid=row["gids"],
                                                    ndev=row.get("ndevs") or None))  # fmt: skip
    return out


def parse_conf(text: str | None) -> NcclConfState:
    """NCCL's own reading of the file (param.cc setEnvFile): `#` lines skipped, key = text before `=`."""
    if text is None:
        return NcclConfState(present=False)
    state = NcclConfState(present=True)
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if key != key.strip() and key.strip().startswith("NCCL_"):
            state.malformed.append(line)
        if key in state.settings:
            state.shadowed.setdefault(key, []).append(value)
        else:
            state.settings[key] = value
    return state


# ---- render ---------------------------------------------------------------------------------------


@dataclass
class Wanted:
    keys: dict[str, str]
    warnings: list[str]


def wanted_keys(policy: Policy, gids: dict[str, list[GidState] | None], current: str | None = None) -> Wanted:
    """The keys this host's /etc/nccl.conf must carry. `gids` = {ifname: its RDMA port's GIDs (None: not
    read)}; `current` = the file's NCCL_IB_GID_INDEX, kept under `auto` when it is usable on every port."""
    nccl = policy.nccl
    assert nccl is not None
    keys: dict[str, str] = {}
    warnings: list[str] = []
    tc = policy.nccl_tc()
    if tc is not None:
        keys[KEY_TC] = str(tc)
    if nccl.gid_index != "auto":
        keys[KEY_GID] = str(nccl.gid_index)
    else:
        index, why = auto_gid_index(gids, nccl.address_family, nccl_int(current))
        if index is None:
            warnings.append(f"/etc/nccl.conf: {KEY_GID} not written: {why}")
        else:
            keys[KEY_GID] = str(index)
    if nccl.qps_per_connection is not None:
        keys[KEY_QPS] = str(nccl.qps_per_connection)
    keys.update(nccl.settings)
    return Wanted(keys, warnings)


def auto_gid_index(gids: dict[str, list[GidState] | None], family: str, current: int | None) -> tuple[int | None, str]:
    """One index that is a usable RoCE v2 GID on every RDMA port of the host (the current one if it is),
    else (None, why)."""
    tables = {ifname: table or [] for ifname, table in gids.items()}
    if not tables:
        return None, "the host has no back-end RDMA port"
    if current is not None and all(
        any(g.index == current and usable(g, family, i) for g in t) for i, t in tables.items()
    ):
        return current, ""
    found = {ifname: best_gid(table, family, ifname) for ifname, table in tables.items()}
    missing = sorted(i for i, g in found.items() if g is None)
    if missing:
        return None, (
            f"no RoCE v2 {family} GID on {', '.join(missing)} (give the netdev an address, or pin nccl.gid_index)"
        )
    indices = sorted({g.index for g in found.values() if g is not None})
    if len(indices) > 1:
        per = ", ".join(f"{i}: {g.index}" for i, g in sorted(found.items()) if g is not None)
        return None, (
            f"the RoCE v2 GID index differs between ports ({per}); one host-wide value cannot fit all "
            "(NCCL >= 2.21 picks per device when the key is unset)"
        )
    return indices[0], ""


def render_conf(old: str | None, keys: dict[str, str]) -> str:
    """The new file: managed keys set, everything else kept (module docstring)."""
    out: list[str] = []
    done: set[str] = set()
    for line in (old or "").splitlines(keepends=True):
        body = line.rstrip("\r\n")
        key = body.partition("=")[0] if "=" in body and not body.startswith("#") else None
        name = key.strip() if key is not None else None
        if name in keys:
            if name not in done and key == name:
                out.append(f"{name}={keys[name]}\n")
                done.add(name)
            continue  # a shadowed duplicate or a "KEY = v" line NCCL reads under another name
        out.append(line if line.endswith("\n") else line + "\n")
    out += [f"{k}={v}\n" for k, v in keys.items() if k not in done]
    return "".join(out)


def changed_keys(old: str | None, new: str) -> list[str]:
    """`KEY: before -> after` for the plan line."""
    before, after = parse_conf(old).settings, parse_conf(new).settings
    return [f"{k} {before.get(k, '<unset>')} -> {v}" for k, v in after.items() if before.get(k) != v]
