"""Kernel side of dcbnl for the twin's NIC drivers: what RTM_SETDCB does to the NIC, and its errno.

Semantics follow mlx5's `en_dcbnl.c` (reference §0.6, §1.2-1.8): PFC changes toggle the port link, the
PFC delay is the cable length in metres and is silently ignored unless 0 < delay < 1000, only DSCP APP
entries are accepted, the first DSCP entry switches trust to DSCP and deleting the last switches back.
bnxt refuses every write while its firmware LLDP agent owns the port (-EINVAL). Multi-entry APP writes
are applied in order and stop at the first failing entry, like `dcbnl_ieee_set`.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable

from rocelab.host.nic import (
    BNXT,
    DCBX_HOST,
    DCBX_IEEE,
    DCBX_LLD_MANAGED,
    MLX5,
    MLX5_MAX_CABLE_M,
    PORT_BUFFER_TOTAL,
    SEL_DGRAM,
    SEL_DSCP,
    SEL_ETHERTYPE,
    TSA_CBS,
    TSA_ETS,
    TSA_STRICT,
    TSA_VENDOR,
    App,
    Ets,
    Nic,
)

OK = 0


def set_pfc(nic: Nic, pfc_en: int, delay: int, toggle_link: Callable[[Nic], None]) -> int:
    if nic.driver == BNXT:
        if nic.fw_lldp:
            return errno.EINVAL
        nic.pfc_en, nic.pfc_delay = pfc_en, delay
        return OK
    if pfc_en != nic.pfc_en:
        nic.pfc_en = pfc_en
        toggle_link(nic)  # mlx5_toggle_port_link
    if 0 < delay < MLX5_MAX_CABLE_M:
        nic.pfc_delay = delay
    return OK


def set_ets(nic: Nic, ets: Ets) -> int:
    if nic.driver == BNXT:
        if nic.fw_lldp:
            return errno.EINVAL
        nic.ets = ets
        return OK
    # mlx5e_dbcnl_validate_ets: prio->tc in range, ETS TCs must sum to 100; CBS is not offloaded.
    if any(tc >= 8 for tc in ets.prio_tc) or TSA_CBS in ets.tc_tsa:
        return errno.EINVAL
    ets_bw = [bw for bw, tsa in zip(ets.tc_bw, ets.tc_tsa, strict=True) if tsa == TSA_ETS]
    if ets_bw and sum(ets_bw) != 100:
        return errno.EINVAL
    # The driver keeps only TSA, BW and prio->TC; willing, cbs, pg-bw and reco-* read back as zero.
    # mlx5e_build_tc_tx_bw programs 100 % for strict and vendor TCs whatever was sent (dcb must send 0
    # there: its own sum check), and ieee_getets reads that 100 back from the port.
    bw = tuple(100 if tsa in (TSA_STRICT, TSA_VENDOR) else b for b, tsa in zip(ets.tc_bw, ets.tc_tsa, strict=True))
    nic.ets = Ets(tc_bw=bw, tc_tsa=ets.tc_tsa, prio_tc=ets.prio_tc)
    return OK


def app_add(nic: Nic, apps: Iterable[App]) -> int:
    return _per_app(nic, apps, _mlx5_setapp if nic.driver == MLX5 else _bnxt_setapp)


def app_del(nic: Nic, apps: Iterable[App]) -> int:
    return _per_app(nic, apps, _mlx5_delapp if nic.driver == MLX5 else _bnxt_delapp)


def _per_app(nic: Nic, apps: Iterable[App], driver_op: Callable[[Nic, App], int]) -> int:
    """dcbnl hands the driver one APP entry at a time and stops at the first error (entries before it stay)."""
    for app in apps:
        err = driver_op(nic, app)
        if err:
            return err
    return OK


def _store(nic: Nic, entries: list[App]) -> None:
    nic.apps = tuple(entries)
    nic.trust_dscp = any(a[0] == SEL_DSCP for a in entries) if nic.driver == MLX5 else nic.trust_dscp


def _mlx5_setapp(nic: Nic, app: App) -> int:
    selector, dscp, prio = app
    if selector != SEL_DSCP or dscp >= 64:
        return errno.EINVAL
    # Delete the (dscp, current FW prio) entry if it exists, then install the new one; the first DSCP
    # entry switches the port to DSCP trust (mlx5e_dcbnl_ieee_setapp).
    old = (SEL_DSCP, dscp, nic.dscp2prio[dscp])
    entries = [a for a in nic.apps if a != old]
    if app not in entries:
        entries.append(app)
    if nic.dscp2prio[dscp] != prio:
        nic.dscp2prio = tuple(prio if d == dscp else p for d, p in enumerate(nic.dscp2prio))
    _store(nic, entries)
    return OK


def _mlx5_delapp(nic: Nic, app: App) -> int:
    selector, dscp, prio = app
    if selector != SEL_DSCP or dscp >= 64:
        return errno.EINVAL
    if not nic.app_dscp_entries() or nic.dscp2prio[dscp] != prio or app not in nic.apps:
        return errno.ENOENT
    nic.dscp2prio = tuple(0 if d == dscp else p for d, p in enumerate(nic.dscp2prio))
    _store(nic, [a for a in nic.apps if a != app])  # the last DSCP entry gone -> trust PCP
    return OK


def _bnxt_setapp(nic: Nic, app: App) -> int:
    if nic.fw_lldp or not nic.dcbx & DCBX_HOST:
        return errno.EINVAL
    selector, protocol, _prio = app
    if selector not in (SEL_ETHERTYPE, SEL_DGRAM, SEL_DSCP):
        return errno.EINVAL
    if selector == SEL_ETHERTYPE and protocol == 0:
        return errno.EINVAL
    if app in nic.apps:
        return errno.EEXIST
    nic.apps = (*nic.apps, app)
    nic.trust_dscp = any(a[0] == SEL_DSCP for a in nic.apps)
    return OK


def _bnxt_delapp(nic: Nic, app: App) -> int:
    if nic.fw_lldp or not nic.dcbx & DCBX_HOST:
        return errno.EINVAL
    if app not in nic.apps:
        return errno.ENOENT
    nic.apps = tuple(a for a in nic.apps if a != app)
    nic.trust_dscp = any(a[0] == SEL_DSCP for a in nic.apps)
    return OK


def set_buffer(nic: Nic, prio_buffer: tuple[int, ...], sizes: tuple[int, ...]) -> int:
    if any(b >= 8 for b in prio_buffer):
        return errno.EINVAL
    rounded = tuple(s // 128 * 128 for s in sizes)
    if sum(rounded) > PORT_BUFFER_TOTAL:
        return errno.EINVAL
    nic.manual_buffer = True  # mlx5: any buffer write switches the port to manual buffer mode
    nic.prio_buffer, nic.buffer_size = prio_buffer, rounded
    return OK


def set_dcbx(nic: Nic, mode: int) -> int:
    """Returns the driver's u8 status (0 ok, 1 refused), not an errno."""
    if nic.driver == BNXT:
        if nic.fw_lldp or mode & DCBX_LLD_MANAGED or not mode & DCBX_HOST or not mode & DCBX_IEEE:
            return 1
        nic.dcbx = mode
        return 0
    if mode & DCBX_LLD_MANAGED or not mode & DCBX_HOST:
        return 1
    nic.dcbx = mode
    return 0
