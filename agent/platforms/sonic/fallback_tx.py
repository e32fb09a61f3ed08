"""The fallback writer of a SONiC transaction (explicit opt-in, `--allow-fallback-writer`): the tables GCU
refused are written with `sonic-db-cli`, verified, saved; any failure restores the agent's own snapshot
of the keys and proves CONFIG_DB equals the before state. No device-side rollback exists on this path,
so commit-confirm is refused. Split from agent.platforms.sonic.transaction, which chooses it (the
helpers both use, `sudo` and `comparable`, live here so neither module imports the other at load).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agent.errors import DeviceError
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, CommandRunner
from agent.platforms.sonic.fallback import plan_writes
from agent.platforms.sonic.gather import read_config_db
from agent.platforms.sonic.tables import DAEMON_OWNED_TABLES

if TYPE_CHECKING:
    from agent.platforms.sonic.transaction import Plan, SonicTransaction, Verifier


class TxFailed(Exception):
    """A step failed after the first write; the transaction rolls back."""


def sudo(runner: CommandRunner, command: str, action: str, timeout: float = 120.0) -> str:
    res = runner.run(f"sudo {command}", timeout=timeout)
    if res.exit_code != 0:
        raise DeviceError(runner.device, action, f"exit {res.exit_code}: {res.output.strip()[-400:]}")
    return res.output


def comparable(config: Mapping[str, Any]) -> dict[str, Any]:
    """CONFIG_DB without daemon-written tables (buffermgrd may legitimately rewrite them any time)."""
    return {t: v for t, v in config.items() if t not in DAEMON_OWNED_TABLES}


def fallback_writer(
    tx: SonicTransaction, out: ApplyOutcome, plan: Plan, before: dict[str, Any], verify: Verifier, opts: ApplyOptions
) -> ApplyOutcome:
    if opts.confirm_timeout_s:
        return tx._untouched(out, "commit-confirm is not available with the fallback writer (no device-side rollback)")
    keys, forward, restore = plan_writes(plan.operations, before)
    out.events.append(f"fallback writer: sonic-db-cli on {len(keys)} keys (snapshot kept by the agent)")
    if opts.dry_run:
        out.detail = "dry run: would write with sonic-db-cli:\n" + "\n".join(forward)
        return out
    try:
        _run_all(tx, forward, "fallback write")
        tx._verify(out, verify)
        sudo(tx.runner, "config save -y", "config save")
    except (DeviceError, TxFailed) as exc:
        return _restore(tx, out, before, restore, str(exc))
    out.status = ApplyStatus.applied
    out.detail = f"applied with the fallback writer, verified and saved ({len(keys)} keys)"
    return out


def _run_all(tx: SonicTransaction, commands: list[str], action: str) -> None:
    for cmd in commands:
        res = tx.runner.run(f"sudo {cmd}")
        if res.exit_code != 0:
            raise DeviceError(tx.runner.device, action, f"{cmd}: exit {res.exit_code}: {res.output[-200:]}")


def _restore(
    tx: SonicTransaction, out: ApplyOutcome, before: dict[str, Any], restore: list[str], why: str
) -> ApplyOutcome:
    out.events.append(f"failed: {why}")
    try:
        if not tx._alive():
            tx._reconnect(out)
        _run_all(tx, restore, "restore snapshot")
        after = read_config_db(tx.runner)
    except DeviceError as exc:
        out.status = ApplyStatus.failed
        out.detail = f"{why}; restoring the snapshot failed ({exc}): the switch needs a human"
        return out
    ok = comparable(after) == comparable(before)
    out.status = ApplyStatus.rolled_back if ok else ApplyStatus.failed
    out.detail = f"{why}; " + ("snapshot restored" if ok else "snapshot restored but CONFIG_DB differs")
    return out
