"""Generic Nornir tasks: gather, plan, apply, confirm, rollback on any device, by its platform's adapter.

Each task looks the adapter up with `agent.platforms.registry.adapter_for` (SONiC switches, RDMA
hosts, later EOS/Cumulus) and talks to the device through a CommandRunner:

* switches ride on the NAPALM connection (platform ``rocesonic``), so `napalm_confirm_commit` from
  nornir_napalm works on the very same session (rollback calls the adapter on that session, which
  reports the checkpoint it restored);
* other devices use the ``roce_ssh`` connection plugin below (a Netmiko ``linux`` session);
* hosts whose data says ``transport: docker`` (containerlab inventories) go through ``docker exec``
  instead: the driver's docker transport for switches, the ``docker_exec`` plugin for the rest.

A device failure is a failed Nornir Result for that host (Nornir catches the exception); other hosts
carry on. Connection parameters come from the inventory: credentials, key_file from the Netmiko
connection extras, and the host-key policy that `agent.inventory.loader` stores in ``_ssh_options``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nornir.core import Nornir
from nornir.core.configuration import Config
from nornir.core.inventory import Host
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.task import Result, Task
from nornir_napalm.plugins.tasks import napalm_confirm_commit

from agent.errors import DeviceError
from agent.identity import IDENTITY_KEY, verify_identity
from agent.intent import DeviceIntent, build_intents
from agent.inventory.loader import inventory_devices, load_topology
from agent.platforms.base import ApplyOptions, ApplyOutcome, ApplyStatus, ChangePlan, CommandRunner
from agent.platforms.registry import adapter_for
from agent.policy.model import Policy
from agent.redact import register_secret
from agent.rollout.locks import DEFAULT_DEVICE_LOCK, DeviceLock, LockInfo
from agent.state import DeviceState
from agent.transports import docker_exec
from agent.transports.ssh import NetmikoRunner, SshTarget

SSH_CONNECTION = "roce_ssh"
NAPALM_CONNECTION = "napalm"
NAPALM_PLATFORM = "rocesonic"
OK_STATUSES = (ApplyStatus.applied, ApplyStatus.unchanged, ApplyStatus.pending_confirm)


# -- intents ------------------------------------------------------------------------------------------
def intents_for(nr: Nornir, inventory_dir: Path, policy: Policy) -> dict[str, DeviceIntent]:
    """Intents for the hosts of `nr` (possibly filtered); links come from the whole inventory directory."""
    devices = inventory_devices(nr)
    topology = load_topology(inventory_dir, {d.name: d.kind.value for d in devices})
    return build_intents(devices, policy, topology)


# -- connections --------------------------------------------------------------------------------------
def ssh_target(host: Host, *, timeout: float = 30.0) -> SshTarget:
    """Where/how to reach a host, from its inventory record (password never leaves memory)."""
    extras = dict(host.get_connection_parameters("netmiko").extras or {})
    policy = dict(host.get("_ssh_options") or {})
    key_file = extras.get("key_file") if extras.get("use_keys", bool(extras.get("key_file"))) else None
    own_pin = extras.get("alt_key_file")  # the device's own pin file (known_hosts.d/<device>): its identity
    register_secret(host.password)
    return SshTarget(
        device=host.name,
        host=host.hostname or host.name,
        port=host.port or 22,
        username=host.username or "admin",
        password=host.password,
        known_hosts=str(own_pin) if own_pin else policy.get("alt_key_file"),
        verify_host_key=bool(policy.get("ssh_strict", True)),
        timeout=timeout,
        key_file=key_file,
        pin_refusal=None if own_pin else policy.get("pin_refusal"),
    )


class RoceSsh:
    """Nornir connection plugin holding a NetmikoRunner (opened from the host's own record)."""

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        target: SshTarget = (extras or {})["target"]
        self.connection = NetmikoRunner.connect(target)

    def close(self) -> None:
        self.connection.close()


ConnectionPluginRegister.register(SSH_CONNECTION, RoceSsh)


def napalm_driver(task: Task) -> Any:
    """The host's rocesonic NAPALM driver: over SSH with the inventory's keys and host-key policy, or
    over `docker exec` when host data says `transport: docker` (containerlab sonic-vs has no sshd)."""
    host = task.host
    if NAPALM_CONNECTION not in host.connections:
        target = ssh_target(host)
        if target.pin_refusal and target.verify_host_key and not docker_exec.uses_docker(host):
            raise DeviceError(host.name, "verify host key", target.pin_refusal)
        extras = {"optional_args": napalm_optional_args(host, target)}
        host.open_connection(
            NAPALM_CONNECTION, task.nornir.config, hostname=target.host, username=target.username,
            password=target.password, port=target.port, platform=NAPALM_PLATFORM, extras=extras,
        )  # fmt: skip
    return host.get_connection(NAPALM_CONNECTION, task.nornir.config)


def napalm_optional_args(host: Host, target: SshTarget) -> dict[str, Any]:
    """What the driver gets: built from the host record, then the inventory's own
    `connection_options.napalm.extras.optional_args` on top (containerlab inventories set `transport` and
    `container` there). Passing extras to `open_connection` replaces the inventory's, hence the merge."""
    inventory_args = dict((host.get_connection_parameters(NAPALM_CONNECTION).extras or {}).get("optional_args") or {})
    built: dict[str, Any] = {
        "port": target.port,
        "device_name": host.name,
        "ssh_strict": target.verify_host_key,
        "alt_key_file": target.known_hosts,
        "key_file": target.key_file,
        "use_keys": bool(target.key_file),
    }
    if docker_exec.uses_docker(host) or inventory_args.get("transport") == "docker":
        built = {"transport": "docker", "device_name": host.name}
        if not inventory_args.get("container"):
            built["container"] = docker_exec.container_for_host(host)
    built.update(inventory_args)
    return {k: v for k, v in built.items() if v is not None}


def runner_for(task: Task, intent: DeviceIntent) -> CommandRunner:
    if intent.platform == "sonic":
        runner: CommandRunner = napalm_driver(task).runner
        return runner
    if docker_exec.uses_docker(task.host):
        return docker_exec.open_for_host(task.host, task.nornir.config)
    if SSH_CONNECTION not in task.host.connections:
        task.host.open_connection(SSH_CONNECTION, task.nornir.config, extras={"target": ssh_target(task.host)})
    ssh: CommandRunner = task.host.get_connection(SSH_CONNECTION, task.nornir.config)
    return ssh


def _intent(task: Task, intents: dict[str, DeviceIntent]) -> DeviceIntent:
    try:
        return intents[task.host.name]
    except KeyError:
        raise KeyError(f"{task.host.name}: no intent (is it in the inventory the policy was built for?)") from None


# -- tasks --------------------------------------------------------------------------------------------
def gather_task(task: Task, intents: dict[str, DeviceIntent]) -> Result:
    """Read the device (counted round trips in `round_trips`); result is its DeviceState."""
    intent = _intent(task, intents)
    adapter = adapter_for(intent.platform)
    runner = runner_for(task, intent)
    before = runner.round_trips
    raw = adapter.gather(runner, intent)
    state: DeviceState = adapter.normalize(task.host.name, raw)
    verify_identity(task.host.name, state.hostname, task.host.get(IDENTITY_KEY))
    return Result(host=task.host, result=state, raw=raw, round_trips=runner.round_trips - before)


def _gather_verified(task: Task, intent: DeviceIntent, runner: CommandRunner) -> Any:
    """The device's raw state, once its reported hostname proved it is the device planned for."""
    adapter = adapter_for(intent.platform)
    raw = adapter.gather(runner, intent)
    verify_identity(task.host.name, adapter.normalize(task.host.name, raw).hostname, task.host.get(IDENTITY_KEY))
    return raw


def plan_task(task: Task, intents: dict[str, DeviceIntent]) -> Result:
    """Never writes. Result is the ChangePlan; `diff` is its human-readable form."""
    intent = _intent(task, intents)
    adapter = adapter_for(intent.platform)
    raw = _gather_verified(task, intent, runner_for(task, intent))
    plan: ChangePlan = adapter.plan(intent, raw)
    return Result(host=task.host, result=plan, changed=not plan.empty, diff="\n".join(plan.lines))


def apply_task(
    task: Task,
    intents: dict[str, DeviceIntent],
    opts: ApplyOptions,
    lock: LockInfo | None = None,
    lock_path: str = DEFAULT_DEVICE_LOCK,
) -> Result:
    """Plan and apply as one transaction; failed unless the device ends applied/unchanged/pending.

    With `lock`, the device lock rollouts use is taken first (a device locked by anyone else fails with
    LockHeld naming the holder, untouched) and released afterwards."""
    intent = _intent(task, intents)
    runner = runner_for(task, intent)
    return _locked(runner, lock, lock_path, lambda: _apply(task, intent, runner, opts))


def _locked(runner: CommandRunner, lock: LockInfo | None, lock_path: str, step: Callable[[], Result]) -> Result:
    if lock is None:
        return step()
    device_lock = DeviceLock(runner, lock_path)
    stale = device_lock.acquire(lock)
    try:
        result = step()
    finally:
        with contextlib.suppress(DeviceError):  # unreachable even after a reconnect: a one-shot lock is reclaimable
            device_lock.release(lock.txid)
    if stale is not None and isinstance(result.result, ApplyOutcome):
        result.result.events.append(f"reclaimed the stale lock of {stale.describe()}")
    return result


def _apply(task: Task, intent: DeviceIntent, runner: CommandRunner, opts: ApplyOptions) -> Result:
    adapter = adapter_for(intent.platform)
    plan = adapter.plan(intent, _gather_verified(task, intent, runner))
    outcome: ApplyOutcome = adapter.apply(runner, intent, plan, opts)
    failed = outcome.status not in OK_STATUSES
    changed = outcome.status in (ApplyStatus.applied, ApplyStatus.pending_confirm)
    return Result(host=task.host, result=outcome, changed=changed, failed=failed, diff="\n".join(plan.lines))


def confirm_task(task: Task, intents: dict[str, DeviceIntent]) -> Result:
    """Confirm a pending commit (switches: nornir_napalm's `napalm_confirm_commit`)."""
    intent = _intent(task, intents)
    if intent.platform == "sonic":
        napalm_driver(task)
        sub = task.run(task=napalm_confirm_commit)
        return Result(host=task.host, result=sub[0].result, changed=sub[0].changed)
    confirm = getattr(adapter_for(intent.platform), "confirm", None)
    if confirm is None:
        return Result(host=task.host, result="no commit-confirm on this platform: applied changes are final")
    txid = confirm(runner_for(task, intent))  # hosts: clears the pending marker, keeps the snapshot
    return Result(host=task.host, result=txid, changed=txid is not None)


def rollback_task(
    task: Task, intents: dict[str, DeviceIntent], lock: LockInfo | None = None, lock_path: str = DEFAULT_DEVICE_LOCK
) -> Result:
    """Roll back the pending change or the last agent change (switches: to the device checkpoint; hosts:
    to the before-snapshot kept on the host); result: what was restored, or None. Locked like `apply_task`."""
    intent = _intent(task, intents)
    runner = runner_for(task, intent)
    return _locked(runner, lock, lock_path, lambda: _rollback(task, intent, runner))


def _rollback(task: Task, intent: DeviceIntent, runner: CommandRunner) -> Result:
    """The adapter's own rollback on the task's session (for switches, the NAPALM driver's runner: what
    `napalm_rollback` would call), because it says which checkpoint it restored, or None for nothing."""
    rollback = getattr(adapter_for(intent.platform), "rollback", None)
    if rollback is None:
        return Result(host=task.host, failed=True, result=f"platform {intent.platform} has no rollback")
    undone = rollback(runner)
    return Result(host=task.host, result=undone, changed=undone is not None)
