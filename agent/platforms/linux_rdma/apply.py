"""Apply a host plan as a transaction the NIC itself does not offer.

dcb/ethtool/sysfs writes are independent and some lie about success, so: snapshot everything first,
refuse before any write if the NIC cannot be configured or changed since the plan, then per operation
write and re-read in the same round trip and compare. A PFC mask change flaps mlx5 links: wait until the
netdev is up and the RDMA port ACTIVE again before going on, and report the flap. On any failure, restore
the snapshot for what was touched and prove it by re-reading; the end state is before or after, never a mix.

The snapshot also goes to the host (agent.platforms.linux_rdma.snapshots) before the first write, so a change that
succeeded can be undone later (`restore_snapshot`, used by HostAdapter.rollback) by the same restore
path a failed apply takes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.errors import DeviceError
from agent.intent import DeviceIntent
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, ChangePlan, reconnect_of
from agent.platforms.linux_rdma import commands as C
from agent.platforms.linux_rdma import nccl as N
from agent.platforms.linux_rdma import parse as P
from agent.platforms.linux_rdma.batch import HostShell, NativeMtu, RemoteShell, Section
from agent.platforms.linux_rdma.gather import HostRaw, gather, gather_batch, native_from_raw
from agent.platforms.linux_rdma.linkwait import LinkEvents, wait_for_link
from agent.platforms.linux_rdma.native import HostNative
from agent.platforms.linux_rdma.ops import FileWrite, HostOperation, Mtu, NcclConf, Pfc
from agent.platforms.linux_rdma.plan import check_writable, diff, fingerprint, plan_nccl
from agent.platforms.linux_rdma.render import target_from_policy, target_from_snapshot
from agent.platforms.linux_rdma.snapshots import INEXACT, HostSnapshot, SnapshotStore, new_snapshot, restore_gaps
from agent.txid import check_txid, new_txid

DCB_KINDS = ("dcbx", "ets", "app_replace", "app_del", "buffer", "pfc")


@dataclass
class ApplySettings:
    link_timeout_s: float = 60.0  # how long a flapped mlx5 port may take to come back
    poll_interval_s: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


class StepFailed(Exception):
    pass


@dataclass
class _Tx:
    shell: HostShell
    snap: HostNative
    interfaces: list[str]
    settings: ApplySettings
    current: HostNative
    snap_raw: HostRaw | None = None  # what `snap` was parsed from (kept on the host)
    touched: dict[str, set[str]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    created_dirs: list[str] = field(default_factory=list)

    def open_configfs(self, plan: ChangePlan[HostOperation]) -> str | None:
        """Create the rdma_cm configfs directories first, so the snapshot holds their real values.

        An absent directory hides the driver's current RoCE ToS/mode; creating it changes no value. On
        rollback the values are restored and the directories removed again.
        """
        dirs = sorted({op.mkdir for op in plan.operations if isinstance(op, FileWrite) and op.mkdir})
        if not dirs:
            return None
        writes = [(f"write:{i}", C.mkdir(d)) for i, d in enumerate(dirs)]
        sections = self.shell.batch(writes + gather_batch(self.interfaces))
        failed = [s for k, s in sections.items() if k.startswith("write:") and not s.ok]
        self.created_dirs = dirs
        if failed:
            first = failed[0].output.strip().splitlines()[:1]
            return f"cannot create {', '.join(dirs)} (is rdma_cm loaded and configfs mounted?): {first}"
        self.snap_raw = self._raw(sections)
        self.snap = self.current = native_from_raw(self.snap_raw)
        return None

    def close_configfs(self) -> list[str]:
        if not self.created_dirs:
            return []
        sections = self.shell.batch([(f"rmdir:{i}", C.rmdir(d)) for i, d in enumerate(self.created_dirs)])
        return [
            f"rmdir {d}: {s.output.strip()}"
            for d, s in zip(self.created_dirs, sections.values(), strict=True)
            if not s.ok
        ]

    def step(self, ops: list[HostOperation], *, strict: bool = True) -> None:
        """Write one operation (or a run of file writes), re-read in the same round trip, check each effect.

        A PFC change that flaps an mlx5 link is waited out before the check.
        """
        writes: list[tuple[str, C.Cmd]] = []
        for n, op in enumerate(ops):
            self.touched.setdefault(op.interface, set()).add(op.touched_key())
            writes += [(f"write:{n}:{i}", cmd) for i, cmd in enumerate(op.commands())]
        first = ops[0]
        ifname = first.interface
        local_error = None
        if isinstance(first, Mtu) and isinstance(self.shell, NativeMtu):  # LocalRunner: pyroute2, not `ip link set`
            writes, local_error = [], self.shell.set_mtu(ifname, first.mtu)
        flaps = isinstance(first, Pfc) and first.flaps_link and _link_up(self.current, ifname)
        carrier_before = self.current.nics[ifname].carrier_changes
        sections = self.shell.batch(writes + gather_batch(self.interfaces))
        self.current = self._native(sections)
        failed = [(k, s) for k, s in sections.items() if k.startswith("write:") and not s.ok]
        if flaps and isinstance(first, Pfc) and not failed:
            self._wait_flap(first, carrier_before)
        if not strict:
            return
        if local_error:
            raise StepFailed(f"{ifname}: {first.summary}: {local_error}")
        if failed:
            raise StepFailed(_write_error(ops, failed, self.current))
        mismatches = [m for op in ops for m in op.mismatches(self.current)]
        if mismatches:
            raise StepFailed("write reported success but the re-read differs: " + "; ".join(mismatches))

    def _raw(self, sections: dict[str, Section]) -> HostRaw:
        reads = {k: v for k, v in sections.items() if not k.startswith("write:")}
        return HostRaw(self.shell.device, self.interfaces, reads, time.time())

    def _native(self, sections: dict[str, Section]) -> HostNative:
        return native_from_raw(self._raw(sections))

    def _wait_flap(self, op: Pfc, before: int | None) -> None:
        ifname = op.interface
        waiter = self.shell.link_waiter if isinstance(self.shell, LinkEvents) else None
        result = wait_for_link(self.shell, ifname, op.rdma, self.settings, waiter)
        self.current = native_from_raw(gather(self.shell, self.interfaces))
        after = self.current.nics[ifname].carrier_changes
        flaps = f"carrier changes +{after - before}" if before is not None and after is not None else "flap expected"
        self.events.append(f"link flap on {ifname} (PFC mask change, {flaps}): {result.describe()}")
        if not result.up:
            raise StepFailed(f"{ifname} did not come back after the PFC change: {result.describe()}")

    def rollback(self, reason: str) -> ApplyOutcome:
        notes: list[str] = []
        try:  # after a failure the state is unknown (a dropped session may have run the write): read it
            self.current = native_from_raw(gather(self.shell, self.interfaces))
        except DeviceError as exc:
            return self._outcome(ApplyStatus.failed, f"{reason}; ROLLBACK NOT POSSIBLE, cannot read: {exc.detail}", [])
        for ifname, touched in self.touched.items():
            for group in _groups(self.restore_ops(ifname, touched, self.current)):
                try:
                    self.step(group, strict=False)
                except (DeviceError, StepFailed, ValueError) as exc:
                    notes.append(f"restore {', '.join(op.summary for op in group)}: {exc}")
        try:
            final = self._final_read()
        except DeviceError as exc:
            detail = f"{reason}; ROLLBACK NOT VERIFIED: the re-read failed: {exc.detail}"
            return self._outcome(ApplyStatus.failed, detail, notes)
        left = []
        for ifname, touched in self.touched.items():
            left += [f"{ifname}: {op.summary}" for op in self.restore_ops(ifname, touched, final)]
        if left:
            detail = f"{reason}; ROLLBACK INCOMPLETE, still different from the snapshot: {'; '.join(left)}"
            return self._outcome(ApplyStatus.failed, detail, left + notes)
        notes += self.close_configfs()
        gaps = restore_gaps(self.snap, final, self.touched)
        notes += gaps
        notes += [
            f"{ifname}: DCBX stays OS-controlled (host): dcb cannot hand it back to the firmware; "
            f"`mlnx_qos -i {ifname} -d fw` does, if wanted"
            for ifname, touched in self.touched.items()
            if "dcbx" in touched
        ]
        inexact = f" ({len(gaps)} setting(s) {INEXACT.strip()}; see verification)" if gaps else ""
        return self._outcome(ApplyStatus.rolled_back, f"{reason}; snapshot restored and verified{inexact}", notes)

    def _final_read(self) -> HostNative:
        """The verifying re-read; when nccl.conf was touched it also removes a temporary file a failed
        rename may have left beside it (same round trip)."""
        if not any("nccl_conf" in keys for keys in self.touched.values()):
            return native_from_raw(gather(self.shell, self.interfaces))
        sections = self.shell.batch([("write:cleanup", N.remove_tmp()), *gather_batch(self.interfaces)])
        return native_from_raw(self._raw(sections))

    def restore_ops(self, ifname: str, touched: set[str], now: HostNative) -> list[HostOperation]:
        """What takes `now` back to the snapshot for the settings touched on `ifname` (and nccl.conf)."""
        target = target_from_snapshot(self.snap, self.snap.nics[ifname], touched)
        ops = diff(target, now, now.nics[ifname])
        if "nccl_conf" in touched and self.snap.nccl_conf_read and now.nccl_conf != self.snap.nccl_conf:
            was = "remove it (it did not exist)" if self.snap.nccl_conf is None else "restore the before-file"
            ops.append(NcclConf(interface=ifname, summary=f"/etc/nccl.conf: {was}", content=self.snap.nccl_conf))
        return ops

    def _outcome(self, status: ApplyStatus, detail: str, verification: list[str]) -> ApplyOutcome:
        return ApplyOutcome(
            device=self.shell.device,
            status=status,
            detail=detail,
            checkpoint=fingerprint(self.snap),
            verification=verification,
            events=list(self.events),
        )


def apply_host(
    shell: HostShell,
    intent: DeviceIntent,
    plan: ChangePlan[HostOperation],
    opts: ApplyOptions,
    settings: ApplySettings,
    store: SnapshotStore | None = None,
) -> ApplyOutcome:
    """With a `store`, the before-snapshot is kept on the host; with `opts.confirm_timeout_s` the apply is
    left pending (marker on the host) for `confirm` / `rollback`, else it is confirmed at once."""
    device = shell.device
    if plan.empty:
        return ApplyOutcome(device, ApplyStatus.unchanged, "nothing to change", plan=plan)
    interfaces = _interfaces(intent, plan)
    raw = gather(shell, interfaces)
    snap = native_from_raw(raw)
    tx = _Tx(shell, snap, interfaces, settings, current=snap, snap_raw=raw)
    refusal = _preflight(plan, snap)
    if refusal:
        return _with_plan(tx._outcome(ApplyStatus.rolled_back, f"refused before any write: {refusal}", []), plan)
    if opts.dry_run:  # read-only: the snapshot and every pre-write check, no write
        detail = f"dry run: {len(plan.operations)} operation(s) would be applied; pre-write checks passed"
        return _with_plan(tx._outcome(ApplyStatus.unchanged, detail, []), plan)
    problem = tx.open_configfs(plan)
    if problem:
        notes = tx.close_configfs()
        return _with_plan(tx._outcome(ApplyStatus.rolled_back, f"nothing changed: {problem}", notes), plan)
    txid = check_txid(opts.txid or new_txid())
    problem = _keep_snapshot(tx, plan, store, txid)
    if problem:
        notes = tx.close_configfs()
        return _with_plan(tx._outcome(ApplyStatus.rolled_back, f"nothing changed: {problem}", notes), plan)
    outcome = _write_all(tx, intent, plan)
    return _with_plan(_settle(outcome, store, txid, opts), plan)


def _write_all(tx: _Tx, intent: DeviceIntent, plan: ChangePlan[HostOperation]) -> ApplyOutcome:
    for group in _groups(plan.operations):
        try:
            tx.step(group)
        except StepFailed as exc:
            return tx.rollback(str(exc))
        except DeviceError as exc:
            _reconnect(tx.shell)
            what = "; ".join(f"{op.interface}: {op.summary}" for op in group)
            return tx.rollback(f"{what}: {exc.detail}")
    left = _remaining(intent, tx.current)
    if left:
        return tx.rollback("after all writes the NIC still differs from the policy: " + "; ".join(left))
    return tx._outcome(ApplyStatus.applied, f"{len(plan.operations)} operation(s) applied and verified", [])


def _keep_snapshot(tx: _Tx, plan: ChangePlan[HostOperation], store: SnapshotStore | None, txid: str) -> str | None:
    """Put the before-snapshot on the host before the first write; a host that cannot keep it is not touched."""
    if store is None or tx.snap_raw is None:
        return None
    touched: dict[str, set[str]] = {}
    for op in plan.operations:
        touched.setdefault(op.interface, set()).add(op.touched_key())
    snap = new_snapshot(txid, tx.snap_raw, touched, tx.created_dirs, fingerprint(tx.snap))
    try:
        store.begin(snap)
    except DeviceError as exc:
        return f"cannot keep the before-snapshot under {store.directory} on the host: {exc.detail}"
    return None


def _settle(out: ApplyOutcome, store: SnapshotStore | None, txid: str, opts: ApplyOptions) -> ApplyOutcome:
    """The host-side record after the writes: confirmed, left pending, or dropped (the apply undid itself).

    A failed in-apply rollback keeps snapshot and marker, so `rollback` can try again from the host."""
    if store is None:
        return out
    out.checkpoint = txid
    try:
        if out.status is ApplyStatus.rolled_back:
            store.discard(txid)
        elif out.status is ApplyStatus.applied and opts.confirm_timeout_s is None:
            store.confirm(txid)
            out.detail += f"; before-snapshot {txid} kept on the host"
        elif out.status is ApplyStatus.applied:
            out.status = ApplyStatus.pending_confirm
            out.detail += (
                f"; pending: before-snapshot {txid} kept on the host until confirmed (no host-side timer: "
                "an unconfirmed host is restored by `roce-agent rollback` or the rollout's --resume/--abort)"
            )
    except DeviceError as exc:
        out.verification.append(f"snapshot bookkeeping on the host failed: {exc.detail}")
    return out


def restore_snapshot(shell: HostShell, snap: HostSnapshot, settings: ApplySettings) -> ApplyOutcome:
    """Undo a finished apply: the failed-apply restore path, from a snapshot read back from the host."""
    before = native_from_raw(snap.raw)
    tx = _Tx(shell, before, list(snap.raw.interfaces), settings, current=before, snap_raw=snap.raw)
    tx.touched = {ifname: set(keys) for ifname, keys in snap.touched.items()}
    tx.created_dirs = list(snap.created_dirs)
    reason = f"rollback to the before-snapshot {snap.txid}"
    if tx.created_dirs:  # the values behind a removed configfs dir are only visible (and writable) with it
        sections = shell.batch([(f"mkdir:{i}", C.mkdir(d)) for i, d in enumerate(tx.created_dirs)])
        failed = [s.output.strip() for s in sections.values() if not s.ok]
        if failed:
            return tx._outcome(ApplyStatus.failed, f"{reason}: cannot recreate {tx.created_dirs}: {failed[0]}", [])
    outcome = tx.rollback(reason)
    outcome.checkpoint = snap.txid
    return outcome


def _interfaces(intent: DeviceIntent, plan: ChangePlan[HostOperation]) -> list[str]:
    names = list(intent.ports) or sorted({op.interface for op in plan.operations})
    return [C.check_ifname(n) for n in names]


def _preflight(plan: ChangePlan[HostOperation], snap: HostNative) -> str | None:
    """Everything that can be known before writing: stale plan, unwritable NIC, invalid operations."""
    now = fingerprint(snap)
    if plan.base_fingerprint and plan.base_fingerprint != now:
        return f"the NICs changed since the plan was made (state {plan.base_fingerprint} -> {now}); re-run plan"
    for op in plan.operations:
        try:
            op.commands()
        except (KeyError, TypeError, ValueError) as exc:
            return f"invalid operation {op.summary!r}: {exc}"
        nic = snap.nics.get(op.interface)
        if nic is None:
            return f"{op.interface} was not read"
        if op.kind in DCB_KINDS:
            try:
                check_writable(snap, nic)
            except DeviceError as exc:
                return exc.detail
    return None


def _remaining(intent: DeviceIntent, host: HostNative) -> list[str]:
    left: list[str] = []
    for ifname, port in intent.ports.items():
        nic = host.nics[ifname]
        target = target_from_policy(intent.policy, port, host, nic)
        left += [f"{ifname}: {op.summary}" for op in diff(target, host, nic)]
    left += [f"{op.interface}: {op.summary}" for op in plan_nccl(intent, host)[0]]
    return left


def _groups(ops: list[HostOperation]) -> list[list[HostOperation]]:
    """Consecutive file writes (ECN/CNP/ToS knobs) share one round trip; everything else goes alone."""
    groups: list[list[HostOperation]] = []
    for op in ops:
        if isinstance(op, FileWrite) and groups and isinstance(groups[-1][0], FileWrite):
            groups[-1].append(op)
        else:
            groups.append([op])
    return groups


def _write_error(ops: list[HostOperation], failed: list[tuple[str, Section]], host: HostNative) -> str:
    parts = []
    for key, sec in failed:
        _, n, i = key.split(":")
        op = ops[int(n)]
        nic = host.nics.get(op.interface)
        cmd = op.commands()[int(i)]
        problem = P.classify(sec.output, sec.rc, command=" ".join(cmd.argv), interface=op.interface,
                             driver=nic.driver if nic else None)  # fmt: skip
        parts.append(f"{op.interface}: {op.summary}: {problem.message}")
    return "; ".join(parts)


def _link_up(host: HostNative, ifname: str) -> bool:
    nic = host.nics.get(ifname)
    return bool(nic and nic.link and nic.link.operstate == "UP")


def _reconnect(shell: HostShell) -> None:
    reconnect = reconnect_of(shell.runner) if isinstance(shell, RemoteShell) else None
    if reconnect is not None:
        with contextlib.suppress(DeviceError):  # the rollback's own reads report an unreachable device
            reconnect()


def _with_plan(outcome: ApplyOutcome, plan: ChangePlan[HostOperation]) -> ApplyOutcome:
    outcome.plan = plan
    return outcome
