"""Load a playbook file: YAML -> the model for its `kind`, every problem located (file, line, field).

The generic machinery (round-trip YAML, pydantic loc -> line, allowed-key hints) is agent.yamlfile;
this module only picks the model from `kind`. Nothing here touches a device; the CLI turns InputError
into exit code 2.
"""

from __future__ import annotations

from pathlib import Path

from agent.errors import InputError, InputProblem
from agent.rollout.playbook import PLAYBOOK_KINDS, Playbook
from agent.yamlfile import line_of, read_yaml, validate_document


def load_playbook(path: Path) -> Playbook:
    """Validate a playbook completely; raises InputError listing every problem."""
    path = Path(path)
    doc = read_yaml(path)
    kind = doc.get("kind") if isinstance(doc, dict) else None
    model_cls = PLAYBOOK_KINDS.get(str(kind)) if kind is not None else None
    if isinstance(doc, dict) and model_cls is None:
        allowed = ", ".join(PLAYBOOK_KINDS)
        got = f" (got {kind!r})" if kind is not None else " (missing)"
        raise InputError([InputProblem(path, line_of(doc, ("kind",)) or 1, "kind", f"must be one of: {allowed}{got}")])
    model, problems = validate_document(doc, path, model_cls or PLAYBOOK_KINDS["rollout"])
    if problems or model is None:
        raise InputError(problems)
    return model
