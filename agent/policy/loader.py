"""Load a policy file: YAML -> baseline merge -> validation -> a fully resolved, immutable Policy.

Public API (used by the CLI, rollout and checks):

* ``load_policy(path) -> Policy``: raises ``InputError`` listing every problem (file, line, field path).
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
from agent.yamlfile import format_loc, line_of, loc_exists, read_yaml, sort_problems, validate_document


@dataclass
class PolicyReport:
    """Outcome of checking one policy file: the policy (None if invalid), errors and warnings."""

    path: Path
    policy: Policy | None
    errors: list[InputProblem] = field(default_factory=list)
    warnings: list[InputProblem] = field(default_factory=list)


def check_policy_file(path: Path, speeds_mbps: Iterable[int] = ()) -> PolicyReport:
    """Every error and warning of a policy file. Raises nothing for bad content (unreadable YAML included)."""
    path = Path(path)
    try:
        doc = read_yaml(path)
    except InputError as exc:
        return PolicyReport(path, None, exc.problems)
    policy, errors = validate_document(doc, path, Policy)
    errors = [_mark_inherited(p, doc) for p in _drop_noise(errors)]
    if policy is None or errors:
        return PolicyReport(path, None, errors)
    warnings = [
        _mark_inherited(InputProblem(path, line_of(doc, w.loc), format_loc(w.loc), w.message), doc, w.loc)
        for w in warning_issues(policy, speeds_mbps)
    ]
    return PolicyReport(path, policy, [], sort_problems(warnings))


def load_policy(path: Path) -> Policy:
    """The resolved Policy from a YAML file; InputError with all problems if it is not valid."""
    report = check_policy_file(path)
    if report.policy is None:
        raise InputError(report.errors)
    return report.policy


def policy_warnings(policy: Policy, speeds_mbps: Iterable[int] = ()) -> list[str]:
    """Settings that are allowed but likely wrong (e.g. lossless without ECN, host MTU < 4192)."""
    return [str(w) for w in warning_issues(policy, speeds_mbps)]


def _drop_noise(errors: list[InputProblem]) -> list[InputProblem]:
    """With an unknown baseline nothing was merged, so "classes missing" would only be a consequence."""
    if any(p.field == "baseline" for p in errors):
        return [p for p in errors if not (p.field == "classes" and p.message == "required field is missing")]
    return errors


def _mark_inherited(problem: InputProblem, doc: Any, loc: tuple[str | int, ...] | None = None) -> InputProblem:
    """Say so when a problem sits in a value the file does not contain (it came from the baseline)."""
    baseline = doc.get("baseline") if isinstance(doc, dict) else None
    if baseline not in BASELINES or not problem.field:
        return problem
    path = loc if loc is not None else _parse_field(problem.field)
    if path is None or loc_exists(doc, path):
        return problem
    # Nothing of this section is in the file: point at the `baseline:` line it came from.
    line = problem.line if loc_exists(doc, path[:1]) else line_of(doc, ("baseline",))
    return InputProblem(problem.file, line, problem.field, f"{problem.message} (value from baseline {baseline})")


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
