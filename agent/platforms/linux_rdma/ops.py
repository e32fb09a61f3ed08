"""Plan operations -> commands, and the check that an operation really took effect.

Operations are plain dicts (they travel in ChangePlan and JSON plan files), so every field is validated
again here before it becomes a command: a plan read back from a file cannot smuggle anything into a
command line. The effect check reads the state gathered right after the write: exit codes are not
trusted (`dcb app replace` exits 0 when the kernel rejected the entries).
"""

from __future__ import annotations

from typing import Any

from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma.native import HostNative
from agent.platforms.linux_rdma.plan import ets_matches, pfc_matches
from agent.platforms.linux_rdma.render import current_files

KINDS = ("dcbx", "pause", "mtu", "ets", "app_replace", "app_del", "buffer", "pfc", "file")


def op_commands(op: dict[str, Any]) -> list[C.Cmd]:
    kind = op.get("kind")
    ifname = C.check_ifname(op["interface"])
    if kind == "dcbx":
        return [C.dcb_dcbx_set(ifname, [str(f) for f in op["flags"]])]
    if kind == "pause":
        return [C.ethtool_pause_set(ifname, bool(op["rx"]), bool(op["tx"]))]
    if kind == "mtu":
        return [C.ip_link_set_mtu(ifname, op["mtu"])]
    if kind == "ets":
        return [C.dcb_ets_set(ifname, list(op["tsa"]), list(op["bw"]), list(op["prio_tc"]))]
    if kind in ("app_replace", "app_del"):
        pairs = [(int(d), int(p)) for d, p in op["dscp_prio"]]
        return [C.dcb_app("replace" if kind == "app_replace" else "del", ifname, pairs)]
    if kind == "buffer":
        return [C.dcb_buffer_set(ifname, list(op["prio_buffer"]))]
    if kind == "pfc":
        delay = op.get("delay")
        return [C.dcb_pfc_set(ifname, list(op["enabled"]), None if delay is None else int(delay))]
    if kind == "file":
        cmds = [C.mkdir(op["mkdir"])] if op.get("mkdir") else []
        return [*cmds, C.write_file(str(op["path"]), str(op["value"]))]
    raise ValueError(f"unknown host operation kind {kind!r}; known: {', '.join(KINDS)}")


def touched_key(op: dict[str, Any]) -> str:
    """What an operation changes, in the vocabulary of render.target_from_snapshot."""
    return str(op["path"]) if op["kind"] == "file" else str(op["kind"])


def op_mismatches(op: dict[str, Any], host: HostNative) -> list[str]:
    """Empty when the state read after the write shows the operation's effect; else what differs."""
    ifname = op["interface"]
    nic = host.nics.get(ifname)
    if nic is None:
        return [f"{ifname}: not in the re-read"]
    kind = op["kind"]
    got: Any
    if kind == "dcbx":
        got = sorted(nic.dcbx) if nic.dcbx is not None else None
        ok = nic.dcbx is not None and "host" in nic.dcbx
    elif kind == "pause":
        ok, got = (nic.pause_rx, nic.pause_tx) == (op["rx"], op["tx"]), (nic.pause_rx, nic.pause_tx)
    elif kind == "mtu":
        got = nic.link.mtu if nic.link else None
        ok = got == op["mtu"]
    elif kind == "ets":
        ok = ets_matches(nic, (tuple(op["tsa"]), tuple(op["bw"]), tuple(op["prio_tc"])))
        got = (nic.ets.tsa, nic.ets.bw, nic.ets.prio_tc) if nic.ets else None
    elif kind in ("app_replace", "app_del"):
        present = nic.app.dscp if nic.app else frozenset()
        pairs = {(int(d), int(p)) for d, p in op["dscp_prio"]}
        if kind == "app_replace":
            stale = {(d, p) for d, p in present if any(d == w and p != q for w, q in pairs)}
            ok = pairs <= present and not stale
        else:
            ok = not pairs & present
        got = sorted(present)
    elif kind == "buffer":
        got = nic.buffer.prio_buffer if nic.buffer else None
        ok = got == tuple(op["prio_buffer"])
    elif kind == "pfc":
        ok = pfc_matches(nic, tuple(op["enabled"]), op.get("delay"))
        got = (nic.pfc.enabled, nic.pfc.delay) if nic.pfc else None
    else:
        got = current_files(host, nic).get(op["path"])
        ok = got == op["expect"]
    return [] if ok else [f"{ifname}: {op['summary']}: read back {got!r}"]
