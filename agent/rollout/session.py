"""Everything a rollout needs, resolved and validated before any device is contacted.

`open_rollout` reads the playbook, the inventory (Nornir), the policy and links, applies the playbook's
targets and resolves stages into batches. Any problem is an InputError (exit 2) naming the file, line
and field. `make_fabric` then wires the device side (adapters, SSH runners, the checks engine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nornir.core import Nornir
from nornir.core.inventory import Host

from agent.checks.engine import run_checks
from agent.checks.finding import Finding
from agent.checks.registry import CheckSelection, catalogue
from agent.errors import InputError, InputProblem
from agent.identity import IDENTITY_KEY
from agent.intent import DeviceIntent
from agent.inventory.loader import POLICY_FILE
from agent.inventory.profiles import device_profiles
from agent.platforms.base import CommandRunner
from agent.redact import register_secret
from agent.rollout import transition
from agent.rollout.fabric import AdapterFabric, ChecksFn, RunnerFactory
from agent.rollout.loader import load_playbook
from agent.rollout.playbook import Playbook, RolloutPlaybook, file_hash
from agent.rollout.stages import Candidate, ResolvedStage, resolve_stages, unstaged
from agent.rollout.trail import Trail, secrets_from_environment
from agent.rollout.transition import TransitionOrder
from agent.state import DeviceState
from agent.topology.model import Topology
from agent.yamlfile import format_loc, line_of, read_yaml, start_line

if TYPE_CHECKING:
    from agent.app.inputs import LoadedInventory

STATE_DIR = ".state"


@dataclass
class RolloutSession:
    playbook: RolloutPlaybook
    playbook_path: Path
    inventory_dir: Path
    policy_path: Path
    nr: Nornir  # filtered to the playbook's targets
    stages: list[ResolvedStage]
    unstaged: list[str]
    intents: dict[str, DeviceIntent]
    topology: Topology
    secrets: list[str] = field(default_factory=list, repr=False)
    transition: TransitionOrder | None = None  # the order a `transition:` runs in (its stages are in `stages`)

    @property
    def state_dir(self) -> Path:
        return self.inventory_dir / STATE_DIR

    def trail(self) -> Trail:
        return Trail.for_state_dir(self.state_dir, self.secrets)

    def meta(self, who: str) -> dict[str, object]:
        """What the trail records about the inputs of this run (hashes tie it to exact files)."""
        return {
            "who": who,
            "playbook": str(self.playbook_path),
            "playbook_name": self.playbook.name,
            "playbook_hash": file_hash(self.playbook_path),
            "policy": str(self.policy_path),
            "policy_hash": file_hash(self.policy_path),
            "inventory": str(self.inventory_dir),
            "failure_action": self.playbook.options.failure_action.value,
        } | ({"transition": self.transition.to_json()} if self.transition else {})


def resolve_inventory(pb: Playbook, playbook_path: Path, override: Path | None) -> Path:
    if override is not None:
        return Path(override)
    if pb.inventory:
        return (playbook_path.parent / pb.inventory).resolve()
    line = start_line(read_yaml(playbook_path))  # where the playbook's keys start: `inventory:` goes there
    why = "no inventory: pass -i DIR or set `inventory:` in the playbook"
    raise InputError([InputProblem(playbook_path, line, "inventory", why)])


def resolve_policy(pb: Playbook, playbook_path: Path, inventory_dir: Path) -> Path:
    return (playbook_path.parent / pb.policy).resolve() if pb.policy else inventory_dir / POLICY_FILE


def candidate(host: Host) -> Candidate:
    return Candidate(host.name, host.get("role"), tuple(g.name for g in host.groups), dict(host.items()))


def inventory_secrets(nr: Nornir) -> list[str]:
    """Every password the inventory resolved (from files or the environment): masked in the trail."""
    found = {h.password for h in nr.inventory.hosts.values() if h.password}
    env_names = {str(h.get("password_env")) for h in nr.inventory.hosts.values() if h.get("password_env")}
    return sorted(found | set(secrets_from_environment(env_names)))


def _located(path: Path, loc: tuple[str | int, ...], field_name: str, message: str) -> InputProblem:
    return InputProblem(path, line_of(read_yaml(path), loc), field_name, message)


def _stages(pb: RolloutPlaybook, path: Path, candidates: list[Candidate]) -> list[ResolvedStage]:
    if not candidates:
        raise InputError([_located(path, ("targets",), "targets", "selects no device of the inventory")])
    stages, unknown = resolve_stages([(s.name, s.select, s.batch) for s in pb.stages], candidates)
    problems = [
        _located(path, ("stages", i, "select"), f"stages[{i}].select", f"{s.select!r} names no group, role or "
                 "device of the targeted inventory")
        for i, s in enumerate(pb.stages)
        if any(u in s.select.split() for u in unknown)
    ]  # fmt: skip
    if problems:
        raise InputError(problems)
    return stages


def _transition(
    pb: RolloutPlaybook, path: Path, loaded: LoadedInventory, stages: list[ResolvedStage]
) -> tuple[RolloutPlaybook, list[ResolvedStage], TransitionOrder]:
    """Check the inventory already says the target profile, then expand the transition into its stages in
    the safe order (or check the order of hand-written ones). InputError (exit 2) on any problem."""
    tr, policies = pb.transition, loaded.policies
    if tr is None or policies is None:
        raise RuntimeError("a transition needs the playbook's `transition:` and the loaded policy set")
    profiles = device_profiles(loaded.full, policies)
    problems = transition.intent_problems(path, tr, policies, profiles, set(loaded.intents), loaded.topology)
    if problems:
        raise InputError(problems)
    order = TransitionOrder(tr.to, policies.profiles[tr.to].mode)
    kinds = {d: i.kind for d, i in loaded.intents.items()}
    if pb.stages:
        problems = transition.order_problems(path, stages, kinds, order)
        if problems:
            raise InputError(problems)
        return pb, stages, order
    expanded = transition.expand(tr, order, kinds)
    return transition.with_stages(pb, [s for s, _ in expanded]), [r for _, r in expanded], order


def open_rollout(path: Path, inventory: Path | None = None, *, verify_host_keys: bool = True) -> RolloutSession:
    """The playbook, then the one loader of agent.app.inputs narrowed to its targets, then the stages."""
    from agent.app.inputs import load_inputs, targeted

    path = Path(path).resolve()
    pb = load_playbook(path)
    if not isinstance(pb, RolloutPlaybook):
        raise InputError([_located(path, ("kind",), "kind", f"expected kind: rollout here, not {pb.kind}")])
    inv = resolve_inventory(pb, path, inventory)
    policy_path = resolve_policy(pb, path, inv)
    loaded = load_inputs(inv, policy_path, lambda nr: targeted(nr, pb.targets, path), verify_host_keys=verify_host_keys)
    candidates = [candidate(h) for h in loaded.nr.inventory.hosts.values()]
    stages = _stages(pb, path, candidates) if pb.stages or not candidates else []
    run_pb, order = pb, None
    if pb.transition is not None:
        run_pb, stages, order = _transition(pb, path, loaded, stages)
    session = RolloutSession(run_pb, path, inv, policy_path, loaded.nr, stages, unstaged(stages, candidates),
                             loaded.intents, loaded.topology, transition=order)  # fmt: skip
    session.secrets = inventory_secrets(loaded.full)
    for secret in session.secrets:
        register_secret(secret)  # the console and logs mask them too, not only the trail
    return session


def ssh_runner_factory(session: RolloutSession) -> RunnerFactory:
    """One session per device (switches and hosts alike), reached as `roce-agent plan/apply` reach it: SSH
    with the inventory's credentials, key file and host-key policy (agent.platforms.tasks.ssh_target), or
    `docker exec` for hosts whose data says `transport: docker` (containerlab sonic-vs has no sshd)."""
    from agent.platforms.tasks import ssh_target
    from agent.transports import docker_exec
    from agent.transports.ssh import NetmikoRunner

    def factory(device: str) -> CommandRunner:
        host = session.nr.inventory.hosts[device]
        if docker_exec.uses_docker(host):
            return docker_exec.connect_host(host)
        return NetmikoRunner.connect(ssh_target(host))

    return factory


def engine_checks(intents: dict[str, DeviceIntent], states: dict[str, DeviceState], topology: Topology,
                  terms: list[str]) -> list[Finding]:  # fmt: skip
    """The checks engine, running only the checks a gate selects (ids, id prefixes or tags)."""
    return run_checks(intents, states, topology, CheckSelection.parse(include=gate_terms(terms)))


def gate_terms(terms: list[str]) -> list[str]:
    """Playbook terms in the engine's vocabulary (`SW-PFC-*` is the prefix `SW-PFC`)."""
    return [t.removesuffix("-*") for t in terms]


def _stage_loc(session: RolloutSession, i: int, name: str) -> tuple[str | int, ...]:
    """Where stage `i` is written: `stages[i]`, or for a transition's own steps `transition.hosts|switches`
    (each expanded stage is named after the key it came from)."""
    written = read_yaml(session.playbook_path)
    if session.transition is not None and not (isinstance(written, dict) and written.get("stages")):
        return ("transition", name)
    return ("stages", i)


def _unknown_gate_terms(session: RolloutSession) -> list[InputProblem]:
    specs = list(catalogue().values())
    problems = []
    for i, stage in enumerate(session.playbook.stages):
        for key in ("pre_checks", "post_checks"):
            terms: list[str] = getattr(stage, key)
            for j, term in enumerate(terms):
                if CheckSelection.parse(include=gate_terms([term])).unknown_terms(specs):
                    where = (*_stage_loc(session, i, stage.name), key, j)
                    msg = f"{term!r} matches no check; use an id (SW-PFC-001), a prefix (SW-PFC-*) or a tag (pfc)"
                    problems.append(_located(session.playbook_path, where, format_loc(where), msg))
    return problems


def make_fabric(
    session: RolloutSession, runner_factory: RunnerFactory | None = None, checks: ChecksFn | None = None
) -> AdapterFabric:
    """The device side of a rollout; with the default checks engine, gate terms are validated first (exit 2)."""
    if checks is None:
        problems = _unknown_gate_terms(session)
        if problems:
            raise InputError(problems)
        checks = engine_checks
    identities = {h.name: str(h.get(IDENTITY_KEY)) for h in session.nr.inventory.hosts.values() if h.get(IDENTITY_KEY)}
    factory = runner_factory or ssh_runner_factory(session)
    return AdapterFabric(session.intents, session.topology, factory, checks, identities)
