"""Validate an inventory directory completely before Nornir reads it and before any connection.

`validate_inventory(dir)` reads hosts.yaml, groups.yaml, defaults.yaml and links.yaml with the bounded
reader (agent.yamlsafe), checks each against agent.inventory.model, then what only the whole directory
can tell: groups that exist, no group cycles, links between known devices and ports cabled once. Every
problem of every file is reported in one InputError (exit 2), each with file, line and field.

Nornir itself would turn most of these into tracebacks after connecting to some devices (a KeyError
for an undefined group, a RecursionError for a cycle) or accept them silently (an ignored key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import InputError, InputProblem
from agent.inventory import model, names
from agent.yamlfile import describe, format_loc, line_of, not_a_mapping, sort_problems, start_line, validate_document
from agent.yamlsafe import check_safe_loader, load_text, read_text

HOSTS_FILE = "hosts.yaml"
GROUPS_FILE = "groups.yaml"
DEFAULTS_FILE = "defaults.yaml"
LINKS_FILE = "links.yaml"
NORNIR_FILES = (HOSTS_FILE, GROUPS_FILE, DEFAULTS_FILE)  # read again by Nornir's SimpleInventory

Loc = tuple[str | int, ...]


@dataclass
class InventoryFiles:
    """The files of one inventory directory and what was read from them (round-trip docs keep lines)."""

    directory: Path
    docs: dict[str, Any] = field(default_factory=dict)  # file name -> document (files that exist)
    unreadable: set[str] = field(default_factory=set)  # exist but could not be read (their problems are out)
    lines: bool = True  # docs are round-trip (they know their lines); else plain data from the fast reader

    def path(self, name: str) -> Path:
        return self.directory / name

    def problem(self, name: str, loc: Loc, message: str) -> InputProblem:
        if not self.lines:  # a problem after the fast read: read again, with lines, to locate it
            self.docs, self.lines = read_files(self.directory, lines=True)[0].docs, True
        doc = self.docs.get(name)
        return InputProblem(self.path(name), line_of(doc, loc) if doc is not None else None, format_loc(loc), message)


@dataclass
class ValidInventory:
    """A directory that passed validation: Nornir can load it and the agent can drive it."""

    files: InventoryFiles
    hosts: dict[str, model.Entry]
    groups: dict[str, model.Entry]
    defaults: model.Defaults
    links: list[model.Link]
    host_names: frozenset[str] = frozenset()  # every name in hosts.yaml, also of entries that failed
    group_names: frozenset[str] = frozenset()


def read_files(directory: Path, *, lines: bool = True) -> tuple[InventoryFiles, list[InputProblem]]:
    """Every file of the directory, bounded (agent.yamlsafe). Without `lines`, the fast safe loader (the
    one Nornir uses; a valid 8,192-host inventory reads in a fraction of the round-trip time)."""
    files = InventoryFiles(Path(directory), lines=lines)
    problems: list[InputProblem] = []
    if not files.path(HOSTS_FILE).is_file():
        problems.append(InputProblem(files.path(HOSTS_FILE), None, "", "no hosts.yaml in the inventory directory"))
    for name in (HOSTS_FILE, GROUPS_FILE, DEFAULTS_FILE, LINKS_FILE):
        path = files.path(name)
        if path.is_file():
            try:
                text = read_text(path)
                files.docs[name] = load_text(text, path, lines=lines)
                if name in NORNIR_FILES and lines:
                    check_safe_loader(text, path)
            except InputError as exc:
                problems += exc.problems
                files.unreadable.add(name)
    return files, problems


def _entries(files: InventoryFiles, name: str, problems: list[InputProblem]) -> dict[str, model.Entry]:
    """hosts.yaml / groups.yaml: a mapping of names to Nornir entries (each a mapping, maybe empty)."""
    doc = files.docs.get(name)
    if doc is None:
        if name == HOSTS_FILE and files.path(name).is_file() and name not in files.unreadable:
            problems.append(InputProblem(files.path(name), None, "", "defines no device"))
        return {}
    if not isinstance(doc, dict):
        what = "device names to host entries" if name == HOSTS_FILE else "group names to group entries"
        msg = f"expected a mapping of {what} (name: {{hostname: ..., ...}}), found {describe(doc)}"
        problems.append(InputProblem(files.path(name), start_line(doc) or 1, "", msg))
        return {}
    entries: dict[str, model.Entry] = {}
    check = names.check_device_name if name == HOSTS_FILE else names.check_group_name
    for key, node in doc.items():
        try:
            if not isinstance(key, str):  # `123:` or `yes:` is an int/bool key: Nornir would name a host 123
                raise ValueError(f"{key!r} is not a name; quote it ('{key}') if it is meant as one")
            check(key)
        except ValueError as exc:
            located = files.problem(name, (key,), str(exc))
            problems.append(InputProblem(located.file, located.line, str(key), located.message))
            continue
        if not isinstance(node, dict):
            hint = f" (write `{key}: {{}}` for an entry without settings)" if node is None else ""
            base = not_a_mapping(node, files.path(name), (str(key),), line_of(doc, (key,)))
            problems.append(InputProblem(base.file, base.line, base.field, base.message + hint))
            continue
        entry, found = validate_document(node, files.path(name), model.Entry, (str(key),))
        problems += found
        if entry is not None:
            entries[str(key)] = entry
    return entries


def _defaults(files: InventoryFiles, problems: list[InputProblem]) -> model.Defaults:
    doc = files.docs.get(DEFAULTS_FILE)
    if doc is None:
        return model.Defaults()
    defaults, found = validate_document(doc, files.path(DEFAULTS_FILE), model.Defaults)
    problems += found
    return defaults or model.Defaults()


def _links(files: InventoryFiles, problems: list[InputProblem]) -> list[model.Link]:
    doc = files.docs.get(LINKS_FILE)
    if doc is None:
        return []
    links, found = validate_document(doc, files.path(LINKS_FILE), model.LinksFile)
    problems += found
    return list(links.links) if links else []


def _group_refs(files: InventoryFiles, inv: ValidInventory) -> list[InputProblem]:
    problems = []
    known = sorted(inv.group_names)
    for fname, entries in ((HOSTS_FILE, inv.hosts), (GROUPS_FILE, inv.groups)):
        for name, entry in entries.items():
            for i, group in enumerate(entry.groups or []):
                if group not in inv.group_names:
                    hint = model.near_miss(group, tuple(known)) or ""
                    did = f" Did you mean {hint!r}?" if hint else ""
                    defined = ", ".join(known) if known else "none (no groups.yaml)"
                    msg = f"group {group!r} is not defined in groups.yaml.{did} Defined groups: {defined}"
                    problems.append(files.problem(fname, (name, "groups", i), msg))
    return problems


def _group_cycles(files: InventoryFiles, groups: dict[str, model.Entry]) -> list[InputProblem]:
    """A group that is its own ancestor (Nornir recurses forever on it)."""
    problems = []
    reported: set[frozenset[str]] = set()
    for start in groups:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            current, path = stack.pop()
            for parent in groups[current].groups or []:
                if parent == start:
                    cycle = frozenset(path)
                    if cycle not in reported:
                        reported.add(cycle)
                        chain = " -> ".join([*path, start])
                        i = (groups[current].groups or []).index(parent)
                        msg = f"group cycle {chain}: a group cannot be its own parent"
                        problems.append(files.problem(GROUPS_FILE, (current, "groups", i), msg))
                elif parent in groups and parent not in path:
                    stack.append((parent, [*path, parent]))
    return problems


def _link_problems(files: InventoryFiles, inv: ValidInventory) -> list[InputProblem]:
    problems = []
    cabled: dict[tuple[str, str], int] = {}
    known = tuple(sorted(inv.host_names))
    for i, link in enumerate(inv.links):
        for end, (device, port) in zip(("a", "b"), link.ends(), strict=True):
            if device not in inv.host_names:
                hint = model.near_miss(device, known)
                did = f" Did you mean {hint!r}?" if hint else ""
                msg = f"device {device!r} is not in hosts.yaml.{did} Links may only name inventory devices"
                problems.append(files.problem(LINKS_FILE, ("links", i, end), msg))
            elif (device, port) in cabled:
                msg = f"{device}:{port} is already cabled by links[{cabled[(device, port)]}]"
                problems.append(files.problem(LINKS_FILE, ("links", i, end), msg))
            else:
                cabled[(device, port)] = i
    return problems


def validate_inventory(directory: Path) -> ValidInventory:
    """Every file of the directory, then the cross-file rules; InputError listing every problem.

    A valid inventory is read once, fast; one with problems is read again with line numbers (round-trip)
    and checked again, so every problem is located."""
    inv, problems = _validated(*read_files(directory, lines=False))
    if problems:
        inv, problems = _validated(*read_files(directory, lines=True))
    if problems:
        raise InputError(_by_file(problems))
    return inv


def _validated(files: InventoryFiles, problems: list[InputProblem]) -> tuple[ValidInventory, list[InputProblem]]:
    hosts = _entries(files, HOSTS_FILE, problems)
    groups = _entries(files, GROUPS_FILE, problems)
    inv = ValidInventory(files, hosts, groups, _defaults(files, problems), _links(files, problems))
    inv.host_names, inv.group_names = _names(files, HOSTS_FILE), _names(files, GROUPS_FILE)
    if not files.unreadable & {HOSTS_FILE, GROUPS_FILE}:  # else every reference would look dangling
        problems += _group_refs(files, inv) + _group_cycles(files, groups)
    if HOSTS_FILE not in files.unreadable and isinstance(files.docs.get(HOSTS_FILE), dict):
        problems += _link_problems(files, inv)
    return inv, problems


def _names(files: InventoryFiles, name: str) -> frozenset[str]:
    doc = files.docs.get(name)
    return frozenset(str(k) for k in doc) if isinstance(doc, dict) else frozenset()


def _by_file(problems: list[InputProblem]) -> list[InputProblem]:
    order = {name: i for i, name in enumerate((HOSTS_FILE, GROUPS_FILE, DEFAULTS_FILE, LINKS_FILE))}
    files = sorted({p.file for p in problems}, key=lambda f: order.get(f.name if f else "", 9))
    return [p for f in files for p in sort_problems([q for q in problems if q.file == f])]
