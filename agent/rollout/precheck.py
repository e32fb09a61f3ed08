"""`kind: precheck` playbooks: the CI pre-deployment check as one command with one JUnit file.

Steps run in order: validate the policy, roll the policy out to a lab with a rollout playbook, audit the
result with an audit playbook. A failed step marks the later ones skipped (their results would mean
nothing). A step with `lab:` runs only on that lab (containerlab's linux nodes are no RDMA hosts).

Labs: `builtin` reuses the running twin lab (`roce-agent lab status`), else starts one and stops it
afterwards. `containerlab` reuses a deployment of the topology (its `clab-<lab>/` directory next to the
topology file) and leaves it running, else deploys it (`$CONTAINERLAB`, default `containerlab`) and
destroys it afterwards; either way it waits until every node is ready (agent.transports.clab_ready,
`ROCE_CLAB_READY_TIMEOUT` seconds, default 900), and writes the inventory from the deployment when the
inventory directory has none. `auto` is containerlab where its CLI is installed, else builtin.
The inventory is `-i`, else the playbook's `inventory:`, else the playbook's directory.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from agent.errors import EXIT_OK, InputError, InputProblem
from agent.inventory.loader import POLICY_FILE
from agent.policy.loader import check_policy_file
from agent.rollout.loader import load_playbook
from agent.rollout.playbook import AuditPlaybook, PrecheckPlaybook, PrecheckStep
from agent.rollout.result import RolloutResult


@dataclass
class Case:
    name: str
    seconds: float = 0.0
    failure: str | None = None
    skipped: bool = False


def write_junit(path: Path, suite: str, cases: list[Case]) -> None:
    """JUnit XML; the explanation goes into the failure body (GitLab ignores the message attribute)."""
    failures = sum(1 for c in cases if c.failure is not None)
    skipped = sum(1 for c in cases if c.skipped)
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)), failures=str(failures),
                       errors="0", skipped=str(skipped), time=f"{sum(c.seconds for c in cases):.3f}")  # fmt: skip
    for c in cases:
        tc = ET.SubElement(ts, "testcase", classname=suite, name=c.name, time=f"{c.seconds:.3f}")
        if c.failure is not None:
            ET.SubElement(tc, "failure", message=c.failure.splitlines()[0][:200], type="precheck").text = c.failure
        elif c.skipped:
            ET.SubElement(tc, "skipped", message="an earlier step failed")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _step_name(step: PrecheckStep) -> str:
    if step.rollout:
        return f"rollout {step.rollout}"
    return f"audit {step.audit}" if step.audit else "validate-policy"


def _validate(pb: PrecheckPlaybook, base: Path, inventory: Path) -> str | None:
    report = check_policy_file((base / pb.policy) if pb.policy else inventory / POLICY_FILE)
    return "\n".join(str(p) for p in report.errors) or None


def _rollout(playbook: Path, inventory: Path, json_lines: bool, verify: bool) -> str | None:
    from agent.app.rollout import RolloutRequest, rollout

    request = RolloutRequest(playbook, inventory, json_lines=json_lines, verify_host_keys=verify)
    result = rollout(request, lambda _session: True)  # a precheck runs unattended on its own lab
    if not isinstance(result, RolloutResult):  # a plain run: never a preview or a broken lock
        return f"{playbook}: the rollout did not run"
    if result.exit_code == 0:
        return None
    summary = result.summary()
    lines = [f"rollout {result.result}: " + "; ".join(result.reasons)]
    lines += [f"{d}: {why}" for key in ("rolled_back", "needs_attention") for d, why in summary[key].items()]
    return "\n".join(lines)


def _audit(playbook: Path, inventory: Path, json_lines: bool, verify: bool) -> str | None:
    from agent.rollout.audit_playbook import run_audit_playbook

    pb = load_playbook(playbook)
    if not isinstance(pb, AuditPlaybook):
        return f"{playbook}: expected kind: audit, not {pb.kind}"
    code = run_audit_playbook(pb, playbook, inventory, json_lines=json_lines, verify=verify)
    return None if code == EXIT_OK else f"audit exited {code} (findings or unreachable devices)"


def containerlab_command() -> list[str] | None:
    """`$CONTAINERLAB` (e.g. `sudo -E containerlab`), else `containerlab` when it is on PATH."""
    configured = os.environ.get("CONTAINERLAB", "").strip()
    if configured:
        return shlex.split(configured)
    found = shutil.which("containerlab")
    return [found] if found else None


def lab_kind(pb: PrecheckPlaybook) -> str:
    if pb.lab == "auto":
        return "containerlab" if containerlab_command() is not None else "builtin"
    return pb.lab


def clab_lab_dir(topology: Path) -> Path:
    """Where `containerlab deploy -t TOPOLOGY` writes its lab directory: `clab-<lab name>` beside the file."""
    from agent.inventory.clab import load_clab

    return topology.parent / f"clab-{load_clab(topology).name}"


@contextmanager
def lab_running(pb: PrecheckPlaybook, base: Path, inventory: Path) -> Iterator[None]:
    if lab_kind(pb) == "containerlab":
        with containerlab_running(pb, base, inventory):
            yield
        return
    from rocelab.control import lab_status, start_lab, stop_lab
    from rocelab.paths import LabPaths, default_state_dir
    from rocelab.runtime import RuntimeOptions

    paths = LabPaths(default_state_dir())
    if lab_status(paths) is not None:
        yield  # reuse the running lab, leave it running
        return
    policy = (base / pb.policy).resolve() if pb.policy else None
    start_lab(RuntimeOptions((base / pb.topology).resolve(), inventory, paths.root, policy=policy))
    try:
        yield
    finally:
        stop_lab(paths)


@contextmanager
def containerlab_running(pb: PrecheckPlaybook, base: Path, inventory: Path) -> Iterator[None]:
    topo = (base / pb.topology).resolve()
    lab_dir = clab_lab_dir(topo)
    if (lab_dir / "topology-data.json").is_file():  # deployed already (CI deploys in its own step): reuse
        _wait_clab_ready(lab_dir)
        _write_clab_inventory(pb, base, lab_dir, inventory)
        yield
        return
    clab = containerlab_command()
    if clab is None:
        why = "lab: containerlab, but the containerlab CLI is not installed (use lab: builtin)"
        raise InputError([InputProblem(base, None, "lab", why)])
    subprocess.run([*clab, "deploy", "-t", str(topo)], check=True)
    try:
        _wait_clab_ready(lab_dir)
        _write_clab_inventory(pb, base, lab_dir, inventory)
        yield
    finally:
        subprocess.run([*clab, "destroy", "-t", str(topo), "--cleanup"], check=False)


def _wait_clab_ready(lab_dir: Path) -> None:
    """SONiC in containers needs minutes after `deploy` (swss, syncd, ports): poll it as CI would."""
    from agent.inventory.clab_plugin import read_source
    from agent.transports.clab_ready import wait_ready

    timeout = float(os.environ.get("ROCE_CLAB_READY_TIMEOUT", "900"))
    late = [r for r in wait_ready(read_source(lab_dir), timeout_s=timeout) if not r.ready]
    if late:
        why = "; ".join(f"{r.device}: {r.detail}" for r in late)
        raise InputError([InputProblem(lab_dir, None, "lab", f"containerlab nodes not ready: {why}")])


def _write_clab_inventory(pb: PrecheckPlaybook, base: Path, lab_dir: Path, inventory: Path) -> None:
    """`roce-agent inventory from-clab LAB_DIR -o INVENTORY [--policy P]`, unless the inventory exists."""
    if (inventory / "hosts.yaml").is_file():
        return
    from agent.app.inventory import ClabInventoryRequest, write_clab_inventory

    policy = (base / pb.policy).resolve() if pb.policy else None
    write_clab_inventory(ClabInventoryRequest(lab_dir, inventory, policy))


def _step_fn(step: PrecheckStep, pb: PrecheckPlaybook, base: Path, inventory: Path, json_lines: bool,
             verify: bool) -> Callable[[], str | None]:  # fmt: skip
    if step.rollout:
        return partial(_rollout, base / step.rollout, inventory, json_lines, verify)
    if step.audit:
        return partial(_audit, base / step.audit, inventory, json_lines, verify)
    return partial(_validate, pb, base, inventory)


def _timed(name: str, fn: Callable[[], str | None]) -> Case:
    start = time.monotonic()
    try:
        failure = fn()
    except InputError as exc:
        failure = str(exc)
    print(f"{'FAIL' if failure else 'ok  '} {name}" + (f"\n{failure}" if failure else ""))
    return Case(name, time.monotonic() - start, failure)


def run_precheck(
    pb: PrecheckPlaybook,
    path: Path,
    *,
    inventory: Path | None = None,
    json_lines: bool = False,
    verify_host_keys: bool = True,
) -> int:
    """Run the steps, write JUnit next to the playbook (`junit:`); 0 only if every step passed."""
    base = Path(path).resolve().parent
    if inventory is not None:
        inventory = Path(inventory).resolve()
    else:
        inventory = (base / pb.inventory).resolve() if pb.inventory else base
    lab = lab_kind(pb)
    cases: list[Case] = []
    with ExitStack() as stack:
        lab_up = False
        for step in (s for s in pb.steps if s.lab is None or s.lab == lab):
            name = _step_name(step)
            if any(c.failure for c in cases):
                cases.append(Case(name, skipped=True))
                continue
            if (step.rollout or step.audit) and not lab_up:  # no lab for a policy that does not validate
                stack.enter_context(lab_running(pb, base, inventory))
                lab_up = True
            cases.append(_timed(name, _step_fn(step, pb, base, inventory, json_lines, verify_host_keys)))
    write_junit(base / pb.junit, pb.name, cases)
    return 0 if not any(c.failure for c in cases) else 1
