"""YAML input files -> pydantic models, with every problem located by file, line and field path.

Operators edit policies, inventories and playbooks by hand, so an error has to point at the exact line
and say what is allowed; and all problems are reported in one run, not one per attempt.

How problems are located:

* YAML syntax errors (and duplicate keys) carry ruamel's mark -> ``file:line``.
* pydantic errors carry a ``loc`` path (``("classes", 0, "ecn", "min_threshold")``). The document is
  read with ruamel's round-trip loader, whose maps and sequences remember where each key and item
  started (``.lc.key(k)`` / ``.lc.item(i)``), so the path is walked to a line. A path that does not
  exist in the file (a missing field, a value inherited from elsewhere) resolves to the deepest
  ancestor that does.
* Cross-field checks inside models use two helpers from here, so their findings are located too:
  :func:`field_error` (a validator error whose path continues below the model that raised it) and
  :func:`defer_issues` (a validator of the root model that has several findings hands all of them
  over, each with its own absolute path, instead of stopping at the first; the model is still built
  so that checks on other sections run in the same pass).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, Union

from pydantic import BaseModel, ValidationError, ValidationInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from agent.errors import InputError, InputProblem
from agent.yamlsafe import read_bounded_yaml

Loc = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)

#: Validation-context key under which root-model validators collect their findings (see defer_issues).
ISSUES_KEY = "located_issues"
#: Error type of :func:`field_error`; its ``ctx["at"]`` is appended to the pydantic loc.
FIELD_ERROR_TYPE = "located_value"


@dataclass(frozen=True)
class Issue:
    """One finding of a model validator: the path inside the document and what is wrong there."""

    loc: Loc
    message: str

    def __str__(self) -> str:
        where = format_loc(self.loc)
        return f"{where}: {self.message}" if where else self.message


# ---- reading ------------------------------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """The document as ruamel round-trip objects (they keep line numbers); InputError if unreadable.

    Bounded (size, UTF-8, alias expansion): see agent.yamlsafe."""
    return read_bounded_yaml(Path(path))


def to_plain(node: Any) -> Any:
    """ruamel round-trip types -> plain dict/list/str/int/float/bool, so validation sees ordinary data."""
    if isinstance(node, dict):
        return {to_plain(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for plain in (int, float, str):
        if isinstance(node, plain):
            return plain(node)
    return node


# ---- locating -----------------------------------------------------------------------------------------


def format_loc(loc: Sequence[str | int]) -> str:
    """("classes", 0, "ecn") -> "classes[0].ecn" (the notation used in every message)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def start_line(doc: Any) -> int | None:
    """1-based line where the document's top-level content starts (after leading comments)."""
    lc = getattr(doc, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def line_of(doc: Any, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node along `loc` that exists in the document (None: not even the first)."""
    line: int | None = None
    node = doc
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def loc_exists(doc: Any, loc: Sequence[str | int]) -> bool:
    """True when the document itself contains a value at `loc` (not merged in from elsewhere)."""
    node = doc
    for part in loc:
        in_map = isinstance(node, dict) and part in node
        in_seq = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_map or in_seq):
            return False
        node = node[part]
    return True


# ---- helpers for model validators --------------------------------------------------------------------


def field_error(at: str | int | Sequence[str | int], message: str) -> PydanticCustomError:
    """A validator error that points below the model raising it (e.g. at one field or one dict key)."""
    path = [at] if isinstance(at, (str, int)) else list(at)
    return PydanticCustomError(FIELD_ERROR_TYPE, "{message}", {"at": path, "message": message})


def defer_issues(info: ValidationInfo, issues: Iterable[Issue]) -> None:
    """Hand all findings of a root-model validator to the loader, or raise them together without one.

    Issue paths are absolute (from the document root), so only validators of the root model (its own
    field and model validators) should use this.

    With a loader (validation context holding ISSUES_KEY) the model is still built so the remaining
    checks can run; the loader then refuses the file and reports each finding at its own line.
    Without a loader (a model built in code) the findings are raised at once as one ValueError.
    """
    found = list(issues)
    if not found:
        return
    sink = info.context.get(ISSUES_KEY) if isinstance(info.context, dict) else None
    if isinstance(sink, list):
        sink.extend(found)
        return
    raise ValueError("; ".join(str(i) for i in found))


# ---- pydantic errors -> problems ----------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] to reach the type that has fields or items."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def model_at(model_cls: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class found at `loc` inside `model_cls` (used to list valid keys), if any."""
    tp: Any = model_cls
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        elif origin in (list, tuple) and isinstance(part, int):
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _metadata(tp: Any) -> list[Any]:
    """Constraint objects (Ge, Le ...) attached to an annotation, through Annotated and FieldInfo."""
    found: list[Any] = []
    if typing.get_origin(tp) is typing.Annotated:
        for meta in typing.get_args(tp)[1:]:
            found += getattr(meta, "metadata", None) or [meta]
    return found


def _bounds_at(model_cls: type[BaseModel], loc: Loc) -> tuple[Any, Any]:
    """(minimum, maximum) allowed for the value at `loc`, where the model declares them."""
    if not loc:
        return None, None
    metas: list[Any] = []
    if isinstance(loc[-1], str):
        parent = model_at(model_cls, loc[:-1])
        info = parent.model_fields.get(loc[-1]) if parent else None
        if info is not None:
            metas = list(info.metadata)
            for arg in typing.get_args(info.annotation) or (info.annotation,):  # Optional[Annotated[...]]
                metas += _metadata(arg)
    elif len(loc) >= 2 and isinstance(loc[-2], str):
        parent = model_at(model_cls, loc[:-2])
        info = parent.model_fields.get(loc[-2]) if parent else None
        container = _unwrap(info.annotation) if info else None
        if typing.get_origin(container) is list:
            metas = _metadata(typing.get_args(container)[0])
    low = next((m.ge for m in metas if hasattr(m, "ge")), None)
    high = next((m.le for m in metas if hasattr(m, "le")), None)
    return low, high


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def _error_loc(err: ErrorDetails) -> Loc:
    loc = tuple(p for p in err["loc"] if p != "[key]")
    if err["type"] == FIELD_ERROR_TYPE:
        loc += tuple((err.get("ctx") or {}).get("at", ()))
    return loc


def _error_message(err: ErrorDetails, model_cls: type[BaseModel], loc: Loc) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = model_at(model_cls, loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        hint = suggest(str(loc[-1]), allowed)
        listing = f" Allowed keys: {', '.join(allowed)}." if allowed else ""
        return f"unknown key {loc[-1]!r}.{hint}{listing}"
    if kind == "missing":
        return "required field is missing"
    message = str(err["msg"])
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    if kind in ("literal_error", "enum") and isinstance(err.get("input"), str):
        expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        message += f" (got {err['input']!r})." + suggest(err["input"], expected)
    elif kind.startswith(("greater_than", "less_than")):
        low, high = _bounds_at(model_cls, loc)
        span = f"; allowed {low}..{high}" if low is not None and high is not None else ""
        message += f" (got {err.get('input')!r}{span})"
    elif kind.startswith(("too_", "int_", "string_", "bool_", "list_", "dict_", "float_")):
        message += f" (got {_short(err.get('input'))})"
    return message


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validation_problems(
    exc: ValidationError, doc: Any, path: Path, model_cls: type[BaseModel], prefix: Loc = ()
) -> list[InputProblem]:
    """Every pydantic error as a located InputProblem, in document order.

    `doc` may be a node inside a file (one host of hosts.yaml): `prefix` is its path, shown in fields."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = _error_loc(err)
        line = line_of(doc, loc) or start_line(doc)  # e.g. a required top-level key that is missing
        problems.append(InputProblem(path, line, format_loc(prefix + loc), _error_message(err, model_cls, loc)))
    return sort_problems(problems)


def issue_problems(issues: Iterable[Issue], doc: Any, path: Path, prefix: Loc = ()) -> list[InputProblem]:
    return sort_problems(
        [
            InputProblem(path, line_of(doc, i.loc) or start_line(doc), format_loc(prefix + i.loc), i.message)
            for i in issues
        ]
    )


def sort_problems(problems: list[InputProblem]) -> list[InputProblem]:
    return sorted(problems, key=lambda p: (p.line if p.line is not None else 0, p.field))


# ---- the loader ---------------------------------------------------------------------------------------


def validate_document(
    doc: Any, path: Path, model_cls: type[ModelT], prefix: Loc = ()
) -> tuple[ModelT | None, list[InputProblem]]:
    """Validate an already-read document (or, with `prefix`, one mapping inside it); returns the model
    (None if invalid) and every problem found."""
    if doc is None and not prefix:
        return None, [InputProblem(path, None, "", "the file is empty")]
    if not isinstance(doc, dict):
        return None, [not_a_mapping(doc, path, prefix)]
    issues: list[Issue] = []
    try:
        model = model_cls.model_validate(to_plain(doc), context={ISSUES_KEY: issues})
    except ValidationError as exc:
        found = validation_problems(exc, doc, path, model_cls, prefix) + issue_problems(issues, doc, path, prefix)
        return None, sort_problems(found)
    if issues:
        return None, issue_problems(issues, doc, path, prefix)
    return model, []


def describe(value: Any) -> str:
    """How a wrong-typed value reads in a message: "a list", "nothing", "the value 'x'"."""
    if value is None:
        return "nothing"
    return "a list" if isinstance(value, list) else f"the value {_short(value)}"


def not_a_mapping(doc: Any, path: Path, prefix: Loc = (), line: int | None = None) -> InputProblem:
    where = "at the top level" if not prefix else "here"
    message = f"expected a mapping of keys {where}, found {describe(doc)}"
    return InputProblem(path, line or start_line(doc) or 1, format_loc(prefix), message)


def load_model(path: Path, model_cls: type[ModelT]) -> ModelT:
    """Read `path` as YAML into `model_cls`; InputError listing every located problem if anything is wrong."""
    path = Path(path)
    model, problems = validate_document(read_yaml(path), path, model_cls)
    if problems or model is None:
        raise InputError(problems)
    return model
