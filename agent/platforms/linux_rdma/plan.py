"""Plan: ordered, idempotent operations that take each NIC from what was read to a target.

Order matters on real NICs: global pause off before PFC (Intel: LFC and PFC cannot co-exist), MTU before
PFC (mlx5 sizes headroom from MTU and cable), a complete ETS triple before the DSCP entries that switch
trust to DSCP, PFC (which flaps mlx5 links) after the other DCB writes, then ECN/CNP/RoCE knobs. An
operation appears only when the NIC differs from the target, so a converged NIC plans nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from agent.errors import DeviceError
from agent.intent import DeviceIntent
from agent.platforms.base import ChangePlan
from agent.platforms.linux_rdma import nccl as N
from agent.platforms.linux_rdma import parse as P
from agent.platforms.linux_rdma.native import HostNative, Nic
from agent.platforms.linux_rdma.ops import (
    AppDel,
    AppReplace,
    Buffer,
    Dcbx,
    Ets,
    FileWrite,
    HostOperation,
    Mtu,
    NcclConf,
    Pause,
    Pfc,
    ets_matches,
    pfc_matches,
)
from agent.platforms.linux_rdma.render import NicTarget, current_files, target_from_policy
from agent.state import GidState

PLATFORM = "linux-rdma"
__all__ = ["HostOperation", "ets_matches", "pfc_matches"]  # also importable from here, as before
BLOCKING = ("no_dcb", "no_device", "fw_lldp", "permission")


def plan_host(intent: DeviceIntent, host: HostNative) -> ChangePlan[HostOperation]:
    plan: ChangePlan[HostOperation] = ChangePlan(
        device=intent.name, platform=PLATFORM, base_fingerprint=fingerprint(host)
    )
    if host.lldpad_running:
        plan.warnings.append(
            f"{intent.name}: lldpad is running and may overwrite these DCB settings from a willing peer: "
            "stop it (`systemctl stop lldpad`) or configure it not to manage these interfaces"
        )
    for ifname, port in intent.ports.items():
        nic = host.nics.get(ifname)
        if nic is None:
            raise DeviceError(intent.name, "plan", f"{ifname} was not gathered")
        check_writable(host, nic)
        target = target_from_policy(intent.policy, port, host, nic)
        plan.warnings += target.warnings
        ops = diff(target, host, nic)
        plan.operations += ops
        plan.lines += [f"{intent.name} {op.interface}: {op.summary}" for op in ops]
    nccl, warnings = plan_nccl(intent, host)
    plan.warnings += warnings
    plan.operations += nccl
    plan.lines += [f"{intent.name} {op.interface}: {op.summary}" for op in nccl]
    return plan


def plan_nccl(intent: DeviceIntent, host: HostNative) -> tuple[list[HostOperation], list[str]]:
    """/etc/nccl.conf when the policy has an `nccl:` section: one whole-file write, or nothing."""
    if intent.policy.nccl is None or not intent.ports:
        return [], []
    if not host.nccl_conf_read:
        return [], [f"{intent.name}: {N.NCCL_CONF_PATH} could not be read; not planned"]
    gids: dict[str, list[GidState] | None] = {}
    for ifname, port in intent.ports.items():
        nic = host.nics.get(ifname)
        if port.network != "backend" or nic is None or nic.rdma is None:
            continue
        key = f"{nic.rdma.device}/{nic.rdma.port}"
        gids[ifname] = host.gids.get(key, []) if host.gids is not None else None
    current = N.parse_conf(host.nccl_conf).settings.get(N.KEY_GID)
    wanted = N.wanted_keys(intent.policy, gids, current)
    new = N.render_conf(host.nccl_conf, wanted.keys)
    if new == host.nccl_conf:
        return [], wanted.warnings
    size = max(len(new.encode()), len((host.nccl_conf or "").encode()))
    if size > N.MAX_CONF_BYTES:
        why = f"{N.NCCL_CONF_PATH} is {size} bytes, more than the {N.MAX_CONF_BYTES} the agent writes and restores"
        return [], [*wanted.warnings, f"{intent.name}: {why} in one command line; not planned (trim the file)"]
    created = " (new file)" if host.nccl_conf is None else ""
    summary = f"{N.NCCL_CONF_PATH}{created}: " + ", ".join(N.changed_keys(host.nccl_conf, new) or ["rewrite"])
    first = next(iter(intent.ports))
    return [NcclConf(interface=first, summary=summary, content=new)], wanted.warnings


def check_writable(host: HostNative, nic: Nic) -> None:
    """Refuse (before any write) a NIC the agent cannot configure, saying what the operator must do."""
    dcb_missing = next((p for p in host.problems if p.kind == "tool_missing" and p.command.startswith("dcb")), None)
    if dcb_missing:
        raise DeviceError(host.device, "plan", dcb_missing.message)
    blocking = next((p for p in nic.problems if p.kind in BLOCKING), None)
    if blocking is None and nic.dcbx is not None and "lld_managed" in nic.dcbx:
        blocking = P.fw_lldp_problem(nic.ifname, nic.driver, f"dcb -j dcbx show dev {nic.ifname}")
    if blocking is not None:
        raise DeviceError(host.device, "plan", str(blocking))
    if nic.pfc is None or nic.ets is None or nic.app is None:
        missing = ", ".join(n for n, v in (("pfc", nic.pfc), ("ets", nic.ets), ("app", nic.app)) if v is None)
        detail = "; ".join(str(p) for p in nic.problems) or "no output"
        raise DeviceError(host.device, "plan", f"{nic.ifname}: could not read dcb {missing}: {detail}")


def diff(target: NicTarget, host: HostNative, nic: Nic) -> list[HostOperation]:
    ops: list[HostOperation] = []
    ifname = nic.ifname
    if target.dcbx_host and nic.dcbx is not None and "host" not in nic.dcbx:
        owner = ",".join(sorted(nic.dcbx)) or "none"
        summary = f"dcbx host ieee (OS-controlled; was {owner})"
        ops.append(Dcbx(interface=ifname, summary=summary, flags=["host", "ieee"]))
    if target.pause is not None and (nic.pause_rx, nic.pause_tx) != target.pause:
        rx, tx = target.pause
        ops.append(Pause(interface=ifname, summary=f"global pause rx {_onoff(rx)} tx {_onoff(tx)}", rx=rx, tx=tx))
    if target.mtu is not None and (nic.link is None or nic.link.mtu != target.mtu):
        was = nic.link.mtu if nic.link else None
        ops.append(Mtu(interface=ifname, summary=f"mtu {was} -> {target.mtu}", mtu=target.mtu))
    if target.ets is not None and not ets_matches(nic, target.ets):
        tsa, bw, prio_tc = target.ets
        summary = f"ets tc-tsa {_list(tsa)} tc-bw {_list(bw)} prio-tc {_list(prio_tc)}"
        ops.append(Ets(interface=ifname, summary=summary, tsa=list(tsa), bw=list(bw), prio_tc=list(prio_tc)))
    ops += _app_ops(target, nic)
    if target.pfc_enabled is not None and not pfc_matches(nic, target.pfc_enabled, target.pfc_delay):
        ops.append(_pfc_op(nic, target.pfc_enabled, target.pfc_delay))
    if target.prio_buffer is not None and not buffer_ok(nic, target):
        bufs = list(target.prio_buffer)
        ops.append(Buffer(interface=ifname, summary=f"prio-buffer {_list(bufs)}", prio_buffer=bufs))
    now = current_files(host, nic)
    for f in target.files:
        if now.get(f.path) != f.expect:
            before = now.get(f.path)
            shown = "<absent>" if before is None else before if before.strip() else "<empty>"
            summary = f"{f.path}: {shown} -> {f.write}"
            ops.append(
                FileWrite(interface=ifname, summary=summary, path=f.path, value=f.write, expect=f.expect, mkdir=f.mkdir)
            )
    return ops


def buffer_ok(nic: Nic, target: NicTarget) -> bool:
    """Policy: every lossless priority in a non-empty buffer no lossy priority shares. mlx5 in firmware
    (auto) buffer mode lays buffers out like that by itself once PFC is on, and any `dcb buffer set`
    switches it to manual mode for good, so an auto layout is left to the firmware."""
    if nic.buffer is None or target.prio_buffer is None:
        return False
    prio_buffer, sizes = nic.buffer.prio_buffer, nic.buffer.buffer_size
    if target.buffer_exact:
        return prio_buffer == target.prio_buffer
    lossless = set(target.pfc_enabled or ())
    current_pfc = set(nic.pfc.enabled) if nic.pfc else set()
    if prio_buffer == tuple(1 if p in current_pfc else 0 for p in range(8)) and (nic.is_mlx5 or not lossless):
        return True  # firmware auto layout (re-derived when PFC changes)
    for p in lossless:
        b = prio_buffer[p]
        shared = any(prio_buffer[q] == b for q in range(8) if q not in lossless)
        if shared or b >= len(sizes) or sizes[b] <= 0:
            return False
    return True


def dscp_changes(nic: Nic, target: NicTarget) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(entries to add, entries to delete): add what is required and missing, delete what is not allowed."""
    if target.dscp_required is None or target.dscp_allowed is None:
        return [], []
    present = nic.app.dscp if nic.app else frozenset()
    add = sorted(target.dscp_required - present)
    delete = sorted(e for e in present if e not in target.dscp_allowed)
    return add, delete


def _app_ops(target: NicTarget, nic: Nic) -> list[HostOperation]:
    add, delete = dscp_changes(nic, target)
    ops: list[HostOperation] = []
    if add:
        ops.append(AppReplace(interface=nic.ifname, summary=f"app replace dscp-prio {_pairs(add)}", dscp_prio=add))
    if delete:
        ops.append(AppDel(interface=nic.ifname, summary=f"app del dscp-prio {_pairs(delete)}", dscp_prio=delete))
    return ops


def _pfc_op(nic: Nic, enabled: tuple[int, ...], delay: int | None) -> Pfc:
    was = nic.pfc.enabled if nic.pfc else ()
    flaps = nic.is_mlx5 and tuple(sorted(was)) != tuple(sorted(enabled))
    summary = f"pfc prio-pfc {_list(enabled) or 'none'} (was {_list(was) or 'none'})"
    if delay is not None:
        old = nic.pfc.delay if nic.pfc else None  # mlx5 reads dcb's pfc delay as the cable length in metres
        summary += f" delay {delay} (cable {delay} m, was {'unset' if old is None else f'{old} m'})"
    if flaps:
        summary += " [mlx5: link flaps]"
    rdma = f"{nic.rdma.device}/{nic.rdma.port}" if nic.rdma else None
    return Pfc(interface=nic.ifname, summary=summary, enabled=list(enabled), delay=delay, flaps_link=flaps, rdma=rdma)


def _onoff(value: bool) -> str:
    return "on" if value else "off"


def _list(values: tuple[Any, ...] | list[Any]) -> str:
    return ",".join(str(v) for v in values)


def _pairs(pairs: list[tuple[int, int]]) -> str:
    return " ".join(f"{d}:{p}" for d, p in pairs)


def _ets_bw(nic: Nic) -> list[int | None]:
    """Bandwidth of ETS TCs only: what strict/vendor TCs report differs between drivers and kernels."""
    assert nic.ets is not None
    return [b if tsa == "ets" else None for b, tsa in zip(nic.ets.bw, nic.ets.tsa, strict=True)]


def fingerprint(host: HostNative) -> str:
    """Hash of the configuration the agent owns (no counters, no link state): detects a concurrent change."""
    doc: dict[str, Any] = {}
    for name, nic in sorted(host.nics.items()):
        doc[name] = {
            "mtu": nic.link.mtu if nic.link else None,
            "pfc": [list(nic.pfc.enabled), nic.pfc.delay] if nic.pfc else None,
            "ets": [list(nic.ets.tsa), _ets_bw(nic), list(nic.ets.prio_tc)] if nic.ets else None,
            "app": sorted(nic.app.dscp) if nic.app else None,
            "buffer": list(nic.buffer.prio_buffer) if nic.buffer else None,
            "pause": [nic.pause_rx, nic.pause_tx],
            "files": current_files(host, nic),
        }
    doc[N.NCCL_CONF_PATH] = [host.nccl_conf_read, host.nccl_conf]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=list).encode()).hexdigest()[:16]
