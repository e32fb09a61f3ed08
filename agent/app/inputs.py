"""The one loader from (inventory, policy, links) to intents, shared by every use case.

Every command (audit, plan, apply, rollback, rollout, audit playbooks) starts here, so they all
validate the same way before connecting: the inventory (Nornir SimpleInventory through
`agent.inventory.loader`), the policy, the links, then the narrowing (`--limit`/`--group` or a
playbook's `targets:`). Any problem is an InputError naming file, line and field; no device has been
contacted when it is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nornir.core import Nornir

from agent.errors import InputError, InputProblem
from agent.intent import DeviceIntent, build_intents
from agent.inventory.access import require_secrets
from agent.inventory.loader import POLICY_FILE, inventory_devices, load_validated, topology_of
from agent.inventory.profiles import profile_problems
from agent.platforms import registry
from agent.policy.loader import load_policy_set
from agent.policy.profiles import PolicySet
from agent.rollout.playbook import Targets
from agent.rollout.targets import target_filter, unknown_targets
from agent.topology.model import Topology
from agent.yamlfile import line_of, read_yaml

Narrow = Callable[[Nornir], Nornir]  # the inventory -> the devices a command works on


@dataclass(frozen=True)
class DeviceFilter:
    """Which devices: a playbook's `targets:` (from `targets_file`, for error lines), then `--limit a,b`
    and `--group g` as typed by the operator; all validated against the inventory."""

    limit: str | None = None
    group: str | None = None
    targets: Targets | None = None
    targets_file: Path | None = None


@dataclass(frozen=True)
class InventoryRequest:
    """Which inputs to load: the inventory directory, the policy file (default: its policy.yaml), which
    devices, and whether SSH host keys are verified (always, except throwaway labs)."""

    inventory: Path
    policy: Path | None = None
    devices: DeviceFilter = field(default_factory=DeviceFilter)
    verify_host_keys: bool = True
    contact: bool = True  # devices will be logged into: their password variables must be set
    workers: int | None = None  # --workers: devices at once; None = chosen (agent.app.workers)

    @property
    def policy_path(self) -> Path:
        return Path(self.policy) if self.policy else Path(self.inventory) / POLICY_FILE


@dataclass
class LoadedInventory:
    """Validated inputs of one command: the narrowed Nornir object, an intent per device it handles,
    the fabric's links, and the devices left out (platform not available in this build) with why."""

    inventory_dir: Path
    policy_path: Path
    nr: Nornir  # narrowed to the devices in `intents`
    intents: dict[str, DeviceIntent]
    topology: Topology
    full: Nornir  # the whole inventory (secrets for the trail, lock breaking)
    skipped: dict[str, str] = field(default_factory=dict)
    policies: PolicySet | None = None  # every profile of the policy file (a transition names one)
    workers: int | None = None  # the operator's --workers; None: chosen per run (agent.app.workers)

    @property
    def policy_name(self) -> str | None:
        return next(iter(self.intents.values())).policy.name if self.intents else None

    def only(self, names: set[str]) -> LoadedInventory:
        """The same inputs restricted to `names` (e.g. the switches left pending a confirm)."""
        nr = self.nr.filter(filter_func=lambda h: h.name in names)
        intents = {n: i for n, i in self.intents.items() if n in names}
        return LoadedInventory(
            self.inventory_dir,
            self.policy_path,
            nr,
            intents,
            self.topology,
            self.full,
            policies=self.policies,
            workers=self.workers,
        )


def load_inventory(request: InventoryRequest) -> LoadedInventory:
    """Load and validate everything `request` names; raises InputError (exit 2) before any connection."""
    inv = Path(request.inventory)
    if not inv.is_dir():
        raise InputError([InputProblem(inv, None, "--inventory", "not a directory")])
    loaded = load_inputs(inv, request.policy_path, lambda nr: filter_devices(nr, inv, request.devices),
                         verify_host_keys=request.verify_host_keys, contact=request.contact)  # fmt: skip
    loaded.workers = request.workers
    return loaded


def load_inputs(
    inventory: Path, policy_path: Path, narrow: Narrow, *, verify_host_keys: bool = True, contact: bool = True
) -> LoadedInventory:
    """The loader itself: policy, inventory, links, profiles, narrowing, intents. Links are read for the
    whole inventory, so link and fabric checks know what sits at the far end of a selected device's
    cable; each device's intent comes from its profile (agent.inventory.profiles), checked for the whole
    inventory: a link joining two profiles is an error even when only one end is selected.

    `load_validated` validates the whole inventory directory (agent.inventory.validate: every file, line
    and field; one device per address); with `contact`, the selected devices' password variables must
    be set (agent.inventory.access.require_secrets), so a missing secret is one error, not N logins."""
    policies = load_policy_set(policy_path)
    full, valid = load_validated(inventory, verify_host_keys=verify_host_keys)
    topology = topology_of(valid.links, {d.name: d.kind.value for d in inventory_devices(full)})
    problems = profile_problems(inventory, full, policies, topology)  # each device's profile, cabling
    if problems:
        raise InputError(problems)
    nr = narrow(full)
    if contact:
        require_secrets(nr, inventory)
    intents = build_intents(inventory_devices(nr), policies, topology)
    skipped = {name: why for name, i in intents.items() if (why := unsupported(i.platform))}
    keep = set(intents) - set(skipped)
    return LoadedInventory(
        inventory_dir=inventory,
        policy_path=policy_path,
        nr=nr.filter(filter_func=lambda h: h.name in keep),
        intents={n: intents[n] for n in intents if n in keep},
        topology=topology,
        full=full,
        skipped=skipped,
        policies=policies,
    )


def filter_devices(nr: Nornir, inv: Path, devices: DeviceFilter) -> Nornir:
    """Apply --limit and --group; unknown names and empty selections are input errors."""
    if devices.targets is not None:
        nr = targeted(nr, devices.targets, devices.targets_file)
        if not nr.inventory.hosts:
            path = devices.targets_file
            line = line_of(read_yaml(path), ("targets",)) if path is not None else None
            raise InputError([InputProblem(path, line, "targets", "selects no device")])
    hosts = nr.inventory.hosts
    if devices.limit:
        names = [n.strip() for n in devices.limit.split(",") if n.strip()]
        unknown = [n for n in names if n not in hosts]
        if unknown:
            known = ", ".join(sorted(hosts))
            raise InputError(
                [InputProblem(inv / "hosts.yaml", None, "--limit", f"unknown device(s) {unknown}; known: {known}")]
            )
        nr = nr.filter(filter_func=lambda h: h.name in names)
    if devices.group:
        group = devices.group
        if group not in nr.inventory.groups:
            known = ", ".join(sorted(nr.inventory.groups))
            raise InputError(
                [InputProblem(inv / "groups.yaml", None, "--group", f"unknown group {group!r}; known: {known}")]
            )
        nr = nr.filter(filter_func=lambda h: any(g.name == group for g in h.groups))
    if not nr.inventory.hosts:
        raise InputError([InputProblem(inv / "hosts.yaml", None, "--limit/--group", "selects no device")])
    return nr


def targeted(nr: Nornir, t: Targets, playbook_path: Path | None = None) -> Nornir:
    """The inventory narrowed to a playbook's `targets:`; with the playbook's path, every group, role, name
    and exclude listed must exist in the inventory first (InputError located in the playbook)."""
    if playbook_path is not None:
        problems = unknown_targets(nr, t.lists(), playbook_path)
        if problems:
            raise InputError(problems)
    return nr.filter(target_filter(t.groups, t.roles, t.names, t.filter, t.exclude))


def unsupported(platform: str) -> str | None:
    """Why a platform cannot be handled in this build (no adapter registered or installed), else None."""
    return registry.unavailable(platform)
