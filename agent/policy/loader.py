"""Load a policy file: YAML -> baseline merge -> validation -> a fully resolved, immutable Policy.

Public API (used by the CLI, rollout and checks):

* ``load_policy(path) -> Policy``: raises ``InputError`` listing every problem (file, line, field path);
  for a file with `profiles:` this is its default profile.
* ``load_policy_set(path) -> PolicySet``: every profile of the file (one implicit profile without them).
* ``policy_warnings(policy) -> list[str]``: allowed-but-suspicious settings, as "field: message".
* ``check_policy_file(path) -> PolicyReport``: both at once, warnings located in the file (for the CLI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import InputError, InputProblem
from agent.policy.baselines import BASELINES
from agent.policy.invariants import warning_issues
from agent.policy.model import Policy
from agent.policy.profiles import PROFILES_KEY, PolicySet, is_profiled, validate_profiled
from agent.yamlfile import format_loc, line_of, loc_exists, read_yaml, sort_problems, validate_document


@dataclass
class PolicyReport:
    """Outcome of checking one policy file: the policy (None if invalid), errors and warnings."""

    path: Path
    policy: Policy | None  # the default profile
    errors: list[InputProblem] = field(default_factory=list)
    warnings: list[InputProblem] = field(default_factory=list)
    policies: PolicySet | None = None  # every profile (one implicit profile for a single-plan file)


def check_policy_file(path: Path, speeds_mbps: Iterable[int] = ()) -> PolicyReport:
    """Every error and warning of a policy file. Raises nothing for bad content (unreadable YAML included)."""
    path = Path(path)
    try:
        doc = read_yaml(path)
    except InputError as exc:
        return PolicyReport(path, None, exc.problems)
    policies: PolicySet | None
    if is_profiled(doc):
        policies, errors = validate_profiled(doc, path)
    else:
        policy, errors = validate_document(doc, path, Policy)
        policies = PolicySet.single(policy) if policy is not None else None
    errors = [_mark_inherited(p, doc) for p in _drop_noise(errors)]
    if policies is None or errors:
        return PolicyReport(path, None, errors)
    warnings: list[InputProblem] = []
    for name, policy in policies.profiles.items():
        prefix: tuple[str | int, ...] = (PROFILES_KEY, name) if is_profiled(doc) else ()
        for w in warning_issues(policy, speeds_mbps):
            loc = (*prefix, *w.loc)
            warnings.append(
                _mark_inherited(InputProblem(path, line_of(doc, loc), format_loc(loc), w.message), doc, loc)
            )
    return PolicyReport(path, policies.default, [], sort_problems(warnings), policies)


def load_policy(path: Path) -> Policy:
    """The resolved Policy (the default profile) from a YAML file; InputError with all problems if invalid."""
    return load_policy_set(path).default


def load_policy_set(path: Path) -> PolicySet:
    """Every profile of a policy file, resolved; InputError with all problems if it is not valid."""
    report = check_policy_file(path)
    if report.policies is None:
        raise InputError(report.errors)
    return report.policies


def policy_warnings(policy: Policy, speeds_mbps: Iterable[int] = ()) -> list[str]:
    """Settings that are allowed but likely wrong (e.g. lossless without ECN, host MTU < 4192)."""
    return [str(w) for w in warning_issues(policy, speeds_mbps)]


def _drop_noise(errors: list[InputProblem]) -> list[InputProblem]:
    """With an unknown baseline nothing was merged, so "classes missing" would only be a consequence."""
    bad = {p.field.removesuffix("baseline") for p in errors if p.field.endswith("baseline")}
    return [
        p for p in errors if not (p.field.removesuffix("classes") in bad and p.message == "required field is missing")
    ]


def _mark_inherited(problem: InputProblem, doc: Any, loc: tuple[str | int, ...] | None = None) -> InputProblem:
    """Say so when a problem sits in a value the file does not contain (it came from the baseline)."""
    path = loc if loc is not None else _parse_field(problem.field) if problem.field else None
    if path is None:
        return problem
    prefix = path[:2] if is_profiled(doc) and path[:1] == (PROFILES_KEY,) and len(path) > 2 else ()
    section = _node(doc, prefix)
    baseline = section.get("baseline") if isinstance(section, dict) else None
    if baseline not in BASELINES or loc_exists(doc, path) or _in_file_list(doc, path):
        return problem
    # Nothing of this section is in the file: point at the `baseline:` line it came from.
    line = problem.line if loc_exists(doc, path[: len(prefix) + 1]) else line_of(doc, (*prefix, "baseline"))
    return InputProblem(problem.file, line, problem.field, f"{problem.message} (value from baseline {baseline})")


def _in_file_list(doc: Any, path: tuple[str | int, ...]) -> bool:
    """Inside an item of a list the file has: lists replace the baseline's, so the value is the file's."""
    return any(isinstance(part, int) and loc_exists(doc, path[: i + 1]) for i, part in enumerate(path))


def _node(doc: Any, loc: tuple[str | int, ...]) -> Any:
    for part in loc:
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def _parse_field(text: str) -> tuple[str | int, ...] | None:
    """ "classes[0].ecn" -> ("classes", 0, "ecn")."""
    parts: list[str | int] = []
    for chunk in text.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        for index in filter(None, rest.replace("]", "").split("[")) if rest else ():
            if not index.isdigit():
                return None
            parts.append(int(index))
    return tuple(parts)
