"""Playbooks: what an operator declares for a rollout, an audit or a CI pre-check.

A playbook is validated completely before anything else happens: every problem is reported with file,
line and field, the command exits 2, and no device is contacted. Three kinds share one file format:

* `kind: rollout`  staged change with gates, commit-confirm, rollback and an audit trail;
* `kind: audit`    read-only compliance run (scheduled from cron/systemd/CI);
* `kind: precheck` CI: validate the policy, roll out to a lab, audit it, write JUnit.
"""

from __future__ import annotations

import hashlib
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from agent.rollout.locks import DEFAULT_DEVICE_LOCK
from agent.rollout.stages import parse_batch, parse_select
from agent.rollout.targets import parse_filter
from agent.yamlfile import field_error

_DURATION_RE = re.compile(r"^\s*(\d+)\s*(s|sec|min|m|h)?\s*$")
_UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
_CHECK_TERM_RE = re.compile(r"^([A-Z][A-Z0-9]*(-[A-Z0-9]+)*(-\*)?|[a-z][a-z0-9-]*)$")


def parse_seconds(value: int | str) -> int:
    """Seconds from an int or "90s", "5min", "5m", "1h" (playbook durations are never milliseconds)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5min or 1h")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return value
    m = _DURATION_RE.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a duration; use s, min or h, e.g. 30s, 5min, 1h")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


Seconds = Annotated[int, BeforeValidator(parse_seconds)]


def check_term(value: str) -> str:
    """Check selection as the checks engine reads it: an id, an id prefix or a tag (checked against the
    catalogue when the rollout opens)."""
    if not _CHECK_TERM_RE.match(value):
        raise ValueError(
            f"{value!r} is not a check selection; use an id (SW-PFC-001), a prefix (SW-PFC-* or SW-PFC) or a tag (pfc)"
        )
    return value


CheckTerm = Annotated[str, AfterValidator(check_term)]


def _batch_ok(value: int | str) -> int | str:
    parse_batch(value)  # raises ValueError saying what a batch may be
    return value


Batch = Annotated[int | str, AfterValidator(_batch_ok)]  # a device count (2) or a percentage ("25%")
Name = Annotated[str, Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FailureAction(str, Enum):
    halt = "halt"  # stop; the failing batch is rolled back, earlier stages stay in the after state
    rollback_stage = "rollback-stage"  # stop; every device changed in the failing stage is rolled back
    rollback_all = "rollback-all"  # stop; every device this rollout changed is rolled back


class Targets(Strict):
    """Which inventory devices the playbook may touch. Lists are OR-ed; `filter` and `exclude` narrow."""

    groups: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)
    filter: str | None = None
    exclude: list[str] = Field(default_factory=list)

    @field_validator("filter")
    @classmethod
    def _filter_parses(cls, v: str | None) -> str | None:
        if v is not None:
            parse_filter(v)
        return v

    def lists(self) -> dict[str, list[str]]:
        """The name lists, each to be found in the inventory (agent.rollout.targets.unknown_targets)."""
        return {"groups": self.groups, "roles": self.roles, "names": self.names, "exclude": self.exclude}


class Gate(Strict):
    """Counter deltas allowed over the soak window (read before and after it)."""

    max_new_lossless_drops: Annotated[int, Field(ge=0)] = 0
    max_new_watchdog_storms: Annotated[int, Field(ge=0)] = 0
    max_failed_devices: Annotated[int, Field(ge=0)] = 0


class Stage(Strict):
    """One step of the rollout. `select` picks devices not taken by earlier stages; `batch` splits them."""

    name: Name
    select: str
    batch: Batch | None = None  # "25%" or a device count per batch; None = one batch
    parallel: Annotated[int, Field(ge=1, le=256)] | None = None  # devices changed at the same time
    pre_checks: list[CheckTerm] = Field(default_factory=list)
    post_checks: list[CheckTerm] = Field(default_factory=list)
    soak: Seconds = 0
    gate: Gate = Field(default_factory=Gate)
    failure_action: FailureAction | None = None

    @field_validator("select")
    @classmethod
    def _select_parses(cls, v: str) -> str:
        parse_select(v)
        return v


class TransitionStep(Strict):
    """How one step of a transition (all its hosts, or all its switches) runs; the fields of a stage.
    `post_checks` default to every check of the step's devices (`HOST-*` or `SW-*`): link and fabric
    checks would flag the mixed state a transition passes through on purpose."""

    batch: Batch | None = None
    parallel: Annotated[int, Field(ge=1, le=256)] | None = None
    pre_checks: list[CheckTerm] = Field(default_factory=list)
    post_checks: list[CheckTerm] | None = None
    soak: Seconds = 0
    gate: Gate = Field(default_factory=Gate)
    failure_action: FailureAction | None = None


class Transition(Strict):
    """Move the targeted devices to profile `to` (lossless <-> lossy) in the safe order, derived from the
    profile's mode: to lossy the hosts first, then the switches; to lossless the switches first, then the
    hosts. The inventory must already name `to` for these devices (agent.rollout.transition)."""

    to: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_-]{0,63}$")]
    hosts: TransitionStep = Field(default_factory=TransitionStep)
    switches: TransitionStep = Field(default_factory=TransitionStep)


class RolloutOptions(Strict):
    confirm_timeout: Annotated[Seconds, Field(ge=30, le=3600)] = 300
    lock_ttl: Annotated[Seconds, Field(ge=60, le=86400)] = 3600
    failure_action: FailureAction = FailureAction.rollback_stage
    link_flap_wait: Annotated[Seconds, Field(ge=0, le=600)] = 5  # after a host change that flaps an RDMA link
    lock_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9_./-]+$")] = DEFAULT_DEVICE_LOCK
    allow_fallback_writer: bool = False


class RolloutPlaybook(Strict):
    kind: Literal["rollout"]
    name: Name
    description: str = ""
    inventory: str | None = None  # relative to the playbook file; `-i` overrides
    policy: str | None = None  # default: <inventory>/policy.yaml
    targets: Targets = Field(default_factory=Targets)
    options: RolloutOptions = Field(default_factory=RolloutOptions)
    transition: Transition | None = None  # without `stages:`, expanded into its steps in the safe order
    stages: list[Stage] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_to_run(self) -> RolloutPlaybook:
        if not self.stages and self.transition is None:
            raise field_error("stages", "at least 1 item is needed (or a `transition:`, which makes its own stages)")
        return self

    @field_validator("stages")
    @classmethod
    def _unique_stage_names(cls, v: list[Stage]) -> list[Stage]:
        seen: dict[str, int] = {}
        for i, s in enumerate(v):
            if s.name in seen:
                why = f"stage name {s.name!r} is already used by stages[{seen[s.name]}]; stage names must be unique"
                raise field_error((i, "name"), why)
            seen[s.name] = i
        return v


class AuditOutput(Strict):
    format: Literal["table", "json", "junit", "prometheus", "html"]
    path: str | None = None  # None = stdout; relative paths are taken from the working directory


class AuditPlaybook(Strict):
    """Read-only. `schedule` is documentation for the scheduler (cron syntax); the agent never changes devices."""

    kind: Literal["audit"]
    name: Name
    description: str = ""
    inventory: str | None = None
    policy: str | None = None
    targets: Targets = Field(default_factory=Targets)
    schedule: str | None = None
    checks: list[CheckTerm] = Field(default_factory=list)  # ids, prefixes (SW-PFC-*) or tags (pfc); [] = all
    skip_checks: list[CheckTerm] = Field(default_factory=list)
    counters: bool = True  # read counters (two reads, `counter_interval` apart) for runtime checks
    counter_interval: Seconds = 10
    fail_on: Literal["error", "warning"] = "error"
    outputs: list[AuditOutput] = Field(default_factory=lambda: [AuditOutput(format="table")])


class PrecheckStep(Strict):
    """One CI step; exactly one of the fields is set."""

    validate_policy: bool | None = None
    rollout: str | None = None  # path of a rollout playbook, relative to this file
    audit: str | None = None  # path of an audit playbook
    lab: Literal["builtin", "containerlab"] | None = None  # run this step only on that lab (None: on any)

    @model_validator(mode="after")
    def _exactly_one(self) -> PrecheckStep:
        chosen = [k for k in ("validate_policy", "rollout", "audit") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("a step has exactly one of validate_policy, rollout, audit")
        return self


class PrecheckPlaybook(Strict):
    kind: Literal["precheck"]
    name: Name
    description: str = ""
    lab: Literal["builtin", "containerlab", "auto"] = "builtin"  # auto: containerlab where its CLI is installed
    topology: str = "../containerlab/roce-fabric.clab.yml"
    inventory: str | None = None
    policy: str | None = None
    steps: Annotated[list[PrecheckStep], Field(min_length=1)]
    junit: str = "precheck-results.xml"


Playbook = RolloutPlaybook | AuditPlaybook | PrecheckPlaybook


PLAYBOOK_KINDS: dict[str, type[RolloutPlaybook | AuditPlaybook | PrecheckPlaybook]] = {
    "rollout": RolloutPlaybook,
    "audit": AuditPlaybook,
    "precheck": PrecheckPlaybook,
}


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, recorded in the audit trail so a run can be tied to exact inputs."""
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
