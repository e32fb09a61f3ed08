"""Bounded reading of hand-edited YAML (policies, inventories, playbooks, links).

A YAML file is small to write and can be huge to load: anchors and aliases let nine lines stand for a
billion values ("billion laughs"), and everything downstream (round-trip construction, conversion to
plain data, pydantic) walks the expanded document. So before anything is constructed:

* the file may hold at most :data:`MAX_BYTES` (4 MiB: the largest inventory the project targets,
  8,192 hosts, is about 1.5 MB of hosts.yaml); the file is not even read past that;
* it must be UTF-8 (the error names the line of the first bad byte);
* its node graph, with every alias counted at its full expanded size, may hold at most
  :data:`MAX_NODES` values; recursive aliases are refused. Counting is linear in the file (sizes are
  memoised per node), so a bomb is refused in milliseconds, before it expands.

Errors are InputError problems located by file and line, like every other input problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import BaseConstructor, RoundTripConstructor, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver

from agent.errors import InputError, InputProblem

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 1_000_000


class _TooLarge(Exception):
    """Raised inside the composer walk; turned into an InputProblem at the node's line."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1 if node.start_mark is not None else None
        self.message = message


def _expanded_size(root: Node) -> int:
    """Values in the document with aliases expanded, without expanding them (memoised per node)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _TooLarge(node, "an alias refers to the node that contains it (recursive YAML alias)")
        open_nodes.add(key)
        total = 1
        if isinstance(node, MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                _check(node, total)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item)
                _check(node, total)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(root)


def _check(node: Node, total: int) -> None:
    if total > MAX_NODES:
        raise _TooLarge(
            node,
            f"aliases expand this document to more than {MAX_NODES:,} values (a YAML alias bomb?); "
            "write the repeated parts out or use fewer nested aliases",
        )


def _bounded_single_data(constructor: BaseConstructor) -> Any:
    """get_single_data with the expansion check between composing and constructing."""
    node = constructor.composer.get_single_node()
    if node is None:
        return None
    _expanded_size(node)
    return constructor.construct_document(node)


class BoundedRoundTripConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor, refusing documents whose aliases expand past MAX_NODES."""

    def get_single_data(self) -> Any:
        return _bounded_single_data(self)


class BoundedSafeConstructor(SafeConstructor):
    """The same bound on ruamel's safe constructor (C parser when installed: several times faster than
    round-trip on big inventories, but no line numbers: used where a valid file needs none)."""

    def get_single_data(self) -> Any:
        return _bounded_single_data(self)


class OncePerDocumentResolver(VersionedResolver):
    """ruamel's resolver, looking the document's YAML version up once instead of for every scalar.

    The stock resolver asks `processing_version` for every scalar (and the constructor again for every
    int and bool), which under the C parser raises and catches an AttributeError each time before
    settling on the loader's version: a third of the safe loader's time on a 512-host hosts.yaml
    (160 -> 108 ms). The version cannot change inside one document and every load makes a new resolver,
    so the first answer is the answer (the C parser reads YAML 1.2 only)."""

    _version: Any = None
    _table: Any = None

    @property
    def processing_version(self) -> Any:
        if self._version is None:
            self._version = VersionedResolver.processing_version.fget(self)  # type: ignore[attr-defined]
        return self._version

    @property
    def versioned_resolver(self) -> Any:
        if self._table is None:
            self._table = VersionedResolver.versioned_resolver.fget(self)  # type: ignore[attr-defined]
        return self._table


def read_text(path: Path) -> str:
    """The file as text: at most MAX_BYTES, UTF-8; InputError (file, line) otherwise."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError([InputProblem(path, None, "", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(data) > MAX_BYTES:
        limit = f"{MAX_BYTES // (1024 * 1024)} MiB"
        raise InputError([InputProblem(path, None, "", f"file is larger than {limit}, the limit for input files")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        message = f"not UTF-8 text (byte 0x{byte}); save the file as UTF-8"
        raise InputError([InputProblem(path, line, "", message)]) from None


def load_text(text: str, path: Path, *, lines: bool = True) -> Any:
    """YAML with the bounds above; InputError located by line. With `lines` the round-trip loader (maps
    and lists remember their lines, for locating problems), else the safe loader (plain data, fast)."""
    yaml = YAML(typ="rt" if lines else "safe")
    yaml.Constructor = BoundedRoundTripConstructor if lines else BoundedSafeConstructor
    if not lines:
        yaml.Resolver = OncePerDocumentResolver
    return _located(yaml, text, path)


def check_safe_loader(text: str, path: Path) -> None:
    """Refuse text that ruamel's `typ="safe"` loader (the one Nornir's SimpleInventory uses) rejects.

    The round-trip loader is the more permissive of the two (`{a: leaf1:Ethernet0}` in flow style), so
    a file the agent accepted could still crash plain `InitNornir`. Call after load_text (bounds hold)."""
    _located(YAML(typ="safe"), text, path)


def _located(yaml: YAML, text: str, path: Path) -> Any:
    try:
        return yaml.load(text)
    except _TooLarge as exc:
        raise InputError([InputProblem(path, exc.line, "", exc.message)]) from None
    except RecursionError:
        raise InputError([InputProblem(path, None, "", "nested too deeply to be an input file")]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError([InputProblem(path, line, "", _yaml_message(exc))]) from None
    except ReaderError as exc:
        line = text.count("\n", 0, int(exc.position)) + 1 if isinstance(exc.position, int) else None
        message = f"not valid YAML: character {exc.character!r} is not allowed ({exc.reason})"
        raise InputError([InputProblem(path, line, "", message)]) from None
    except YAMLError as exc:
        raise InputError([InputProblem(path, None, "", f"not valid YAML: {exc}")]) from None


_DUPLICATE = re.compile(r'found duplicate key "(.*?)" with value')


def _yaml_message(exc: MarkedYAMLError) -> str:
    """ruamel's wording, except where it is obscure or would print values (a duplicated host entry
    could carry a password)."""
    problem = str(exc.problem or "")
    duplicate = _DUPLICATE.search(problem)
    if duplicate:
        first = exc.context_mark.line + 1 if exc.context_mark is not None else None
        where = f" (in the mapping that starts at line {first})" if first else ""
        return f"duplicate key {duplicate.group(1)!r}{where}: each key may appear only once"
    if "'\\t'" in problem or "\t" in problem:
        return "a tab character: YAML indents with spaces only"
    detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
    return f"not valid YAML: {detail}"


def read_bounded_yaml(path: Path) -> Any:
    """read_text + load_text: the one way the agent reads a YAML input file."""
    return load_text(read_text(path), Path(path))
