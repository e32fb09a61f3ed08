"""Apply a host plan as a transaction the NIC itself does not offer.

dcb/ethtool/sysfs writes are independent and some lie about success, so: snapshot everything first,
refuse before any write if the NIC cannot be configured or changed since the plan, then write and
re-read and compare every effect. A PFC mask change flaps mlx5 links: wait until the netdev is up and
the RDMA port ACTIVE again before going on, and report the flap. On any failure, restore the snapshot
for what was touched and prove it by re-reading; the end state is before or after, never a mix.

The snapshot also goes to the host (agent.platforms.linux_rdma.snapshots) before the first write, so a change that
succeeded can be undone later (`restore_snapshot`, used by HostAdapter.rollback) by the same restore
path a failed apply takes.

Round trips (issue 15; they were 18 + 4 uploads for a plan from defaults): the snapshot gather (it also
creates the snapshot directory and reads its index); the rdma_cm configfs directories, when the plan
needs new ones; the snapshot's upload; one change line (agent.platforms.linux_rdma.chain): the pending
marker && every write && the link wait after each flapping PFC change, then the re-read that verifies
them all; and `confirm`'s upload and `rm -f`. A restore is one more such line (every step runs).
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
from agent.platforms.linux_rdma.batch import HostShell, RemoteShell, Section
from agent.platforms.linux_rdma.chain import Steps, run_chain
from agent.platforms.linux_rdma.gather import HostRaw, gather, gather_batch, native_from_raw
from agent.platforms.linux_rdma.native import HostNative
from agent.platforms.linux_rdma.ops import FileWrite, HostOperation, NcclConf
from agent.platforms.linux_rdma.plan import check_writable, diff, fingerprint, plan_nccl
from agent.platforms.linux_rdma.render import target_from_policy, target_from_snapshot
from agent.platforms.linux_rdma.snapshots import INEXACT, HostSnapshot, SnapshotStore, new_snapshot, restore_gaps
from agent.platforms.linux_rdma.writes import change_steps, flaps, write_error
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


class NothingWritten(Exception):
    """The change line stopped at its bookkeeping step (the pending marker), before the first write."""


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
        self.created_dirs = dirs  # before the round trip: a lost answer may still have created them
        try:
            sections = self.shell.batch(writes + gather_batch(self.interfaces))
        except DeviceError as exc:
            _reconnect(self.shell)
            return f"creating {', '.join(dirs)}: {exc.detail}"
        failed = [s for k, s in sections.items() if k.startswith("write:") and not s.ok]
        if failed:
            first = failed[0].output.strip().splitlines()[:1]
            return f"cannot create {', '.join(dirs)} (is rdma_cm loaded and configfs mounted?): {first}"
        self.snap_raw = self._raw(sections)
        self.snap = self.current = native_from_raw(self.snap_raw)
        return None

    def close_configfs(self) -> list[str]:
        if not self.created_dirs:
            return []
        try:
            sections = self.shell.batch([(f"rmdir:{i}", C.rmdir(d)) for i, d in enumerate(self.created_dirs)])
        except DeviceError as exc:
            return [f"rmdir {', '.join(self.created_dirs)}: {exc.detail}"]
        return [
            f"rmdir {d}: {s.output.strip()}"
            for d, s in zip(self.created_dirs, sections.values(), strict=True)
            if not s.ok
        ]

    def step(self, ops: list[HostOperation], *, strict: bool = True, lead: Steps = ()) -> list[str]:
        """Write the operations in one change line (`lead` first: the pending marker), re-read in the same
        round trip, check each effect. A PFC change that flaps an mlx5 link is waited out on the host
        before the next write. Not `strict` (a restore): every step runs; returns what failed."""
        for op in ops:
            self.touched.setdefault(op.interface, set()).add(op.touched_key())
        steps, waits = change_steps(ops, self.current, self.settings)
        before = self.current
        run = run_chain(self.shell, [*lead, *steps], gather_batch(self.interfaces), self.settings, stop=strict)
        self.current = self._native(run.reads)
        flapped = flaps(run, ops, waits, before, self.current)
        self.events += [f.event for f in flapped]
        failed = run.failed
        down = [f"{f.op.interface} did not come back after the PFC change: {f.result.describe()}"
                for f in flapped if not f.result.up]  # fmt: skip
        if not strict:
            return [f"restore: {m}" for m in [write_error(ops, failed, self.current), *down] if m]
        if any(k.startswith("store:") for k, _ in failed):
            raise NothingWritten("; ".join(s.output.strip()[:200] or f"exit {s.rc}" for _, s in failed))
        if failed:
            raise StepFailed("; ".join(m for m in [write_error(ops, failed, self.current), *down] if m))
        mismatches = [m for op in ops for m in op.mismatches(self.current)]
        if mismatches:
            raise StepFailed("write reported success but the re-read differs: " + "; ".join(mismatches))
        return []

    def _raw(self, sections: dict[str, Section]) -> HostRaw:
        reads = {k: v for k, v in sections.items() if not k.startswith("write:")}  # open_configfs' mkdirs
        return HostRaw(self.shell.device, self.interfaces, reads, time.time())

    def _native(self, sections: dict[str, Section]) -> HostNative:
        return native_from_raw(self._raw(sections))

    def rollback(self, reason: str, *, reread: bool = True) -> ApplyOutcome:
        """Restore what was touched in one line (every step runs, flaps waited out) and prove it by its
        re-read. `reread` False: the failed line's own re-read is the current state (no session loss)."""
        notes: list[str] = []
        try:  # after a lost session the state is unknown (the line may have run to its end): read it
            if reread:
                self.current = native_from_raw(gather(self.shell, self.interfaces))
        except DeviceError as exc:
            return self._outcome(ApplyStatus.failed, f"{reason}; ROLLBACK NOT POSSIBLE, cannot read: {exc.detail}", [])
        ops = [op for ifname, keys in list(self.touched.items()) for op in self.restore_ops(ifname, keys, self.current)]
        cleanup = [("cleanup:nccl", N.remove_tmp())] if any("nccl_conf" in k for k in self.touched.values()) else []
        try:
            if ops or cleanup:
                notes += self.step(ops, strict=False, lead=cleanup)
            final = self.current
        except (DeviceError, ValueError) as exc:
            why = exc.detail if isinstance(exc, DeviceError) else str(exc)
            detail = f"{reason}; ROLLBACK NOT VERIFIED: the restore or its re-read failed: {why}"
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
    raw = _snapshot_read(shell, interfaces, store if not opts.dry_run else None)
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
    problem, lead = _keep_snapshot(tx, plan, store, txid)
    if problem:
        notes = tx.close_configfs()
        return _with_plan(tx._outcome(ApplyStatus.rolled_back, f"nothing changed: {problem}", notes), plan)
    outcome = _write_all(tx, intent, plan, lead)
    return _with_plan(_settle(outcome, store, txid, opts), plan)


def _write_all(tx: _Tx, intent: DeviceIntent, plan: ChangePlan[HostOperation], lead: Steps = ()) -> ApplyOutcome:
    """The whole plan as one change line (agent.platforms.linux_rdma.chain), then the policy check."""
    try:
        tx.step(plan.operations, lead=lead)
    except NothingWritten as exc:
        notes = tx.close_configfs()
        return tx._outcome(ApplyStatus.rolled_back, f"nothing changed: {exc}", notes)
    except StepFailed as exc:
        return tx.rollback(str(exc), reread=False)
    except DeviceError as exc:
        _reconnect(tx.shell)
        return tx.rollback(f"the change line ({len(plan.operations)} operation(s)): {exc.detail}")
    left = _remaining(intent, tx.current)
    if left:
        return tx.rollback("after all writes the NIC still differs from the policy: " + "; ".join(left), reread=False)
    return tx._outcome(ApplyStatus.applied, f"{len(plan.operations)} operation(s) applied and verified", [])


def _snapshot_read(shell: HostShell, interfaces: list[str], store: SnapshotStore | None) -> HostRaw:
    """The before gather; with a `store`, its directory is created and its index read in the same round trip."""
    extra = store.prepare() if store is not None else []
    sections = shell.batch([*gather_batch(interfaces), *extra])
    if store is not None:
        store.prepared(sections)
    reads = {k: v for k, v in sections.items() if not k.startswith("store:")}
    return HostRaw(shell.device, interfaces, reads, time.time(), 1)


def _keep_snapshot(
    tx: _Tx, plan: ChangePlan[HostOperation], store: SnapshotStore | None, txid: str
) -> tuple[str | None, Steps]:
    """Put the before-snapshot on the host before the first write; a host that cannot keep it is not touched.
    Returns (why not, the change line's first step: the pending marker naming the snapshot)."""
    if store is None or tx.snap_raw is None:
        return None, ()
    touched: dict[str, set[str]] = {}
    for op in plan.operations:
        touched.setdefault(op.interface, set()).add(op.touched_key())
    snap = new_snapshot(txid, tx.snap_raw, touched, tx.created_dirs, fingerprint(tx.snap))
    try:
        return None, [store.begin(snap)]
    except DeviceError as exc:
        return f"cannot keep the before-snapshot under {store.directory} on the host: {exc.detail}", ()


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


def _reconnect(shell: HostShell) -> None:
    reconnect = reconnect_of(shell.runner) if isinstance(shell, RemoteShell) else None
    if reconnect is not None:
        with contextlib.suppress(DeviceError):  # the rollback's own reads report an unreachable device
            reconnect()


def _with_plan(outcome: ApplyOutcome, plan: ChangePlan[HostOperation]) -> ApplyOutcome:
    outcome.plan = plan
    return outcome
