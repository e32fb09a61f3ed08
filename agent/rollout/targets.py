"""Target selection: a small, safe filter language compiled to Nornir `F` objects.

Operators write `role=leaf & !name=leaf2`, `group=spines | rack in (r1, r2)`, `rack>=3`, `name=leaf*`.
The text is tokenized and parsed by hand (never `eval`), so a playbook cannot run code, and every
syntax error says which character is wrong and what was expected.

Grammar::

    expr   := term ('|' term)*
    term   := factor ('&' factor)*
    factor := '!' factor | '(' expr ')' | cond
    cond   := KEY OP VALUE | KEY 'in' '(' VALUE (',' VALUE)* ')'
    OP     := '=' | '!=' | '>=' | '<=' | '>' | '<'

`group` (or `groups`) tests Nornir group membership, `name` the host name (`*`/`?` globs allowed), any
other key a host data key (`role`, `rack`, ...), looked up the Nornir way (host, then groups, then defaults).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nornir.core import Nornir
from nornir.core.filter import AND, F_BASE, OR, F
from nornir.core.inventory import Host

from agent.errors import InputProblem
from agent.yamlfile import format_loc, line_of, read_yaml, suggest

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<op>!=|>=|<=|=|>|<)|(?P<punct>[&|!(),])|(?P<word>[A-Za-z0-9_.:*?/-]+)|(?P<quoted>\"[^\"]*\"|'[^']*'))"
)
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COMPARISONS = {">=": "ge", "<=": "le", ">": "gt", "<": "lt"}


class FilterSyntaxError(ValueError):
    """A filter expression that does not parse; the message names the position and what is allowed."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # op | punct | word | end
    text: str
    pos: int


class Not(F_BASE):
    """Negation of any filter (nornir's NOT_F only negates a plain F, not an AND/OR)."""

    def __init__(self, inner: F_BASE) -> None:
        self.inner = inner

    def __call__(self, host: Host) -> bool:
        return not self.inner(host)

    def __and__(self, other: F_BASE) -> AND:
        return AND(self, other)

    def __or__(self, other: F_BASE) -> OR:
        return OR(self, other)

    def __repr__(self) -> str:
        return f"NOT ({self.inner!r})"


class NameGlob(F_BASE):
    """`name=leaf*`: shell-style glob on the host name (F has no glob operator)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __call__(self, host: Host) -> bool:
        return fnmatch.fnmatchcase(host.name, self.pattern)

    def __and__(self, other: F_BASE) -> AND:
        return AND(self, other)

    def __or__(self, other: F_BASE) -> OR:
        return OR(self, other)

    def __repr__(self) -> str:
        return f"<NameGlob {self.pattern}>"


class Everything(F_BASE):
    def __call__(self, host: Host) -> bool:
        return True


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise FilterSyntaxError(f"unexpected character {text[pos:].lstrip()[:1]!r} at position {pos + 1}")
        kind = m.lastgroup or "word"
        value = m.group(kind)
        if kind == "quoted":
            kind, value = "word", value[1:-1]
        toks.append(_Tok(kind, value, m.start(kind) + 1))
        pos = m.end()
    toks.append(_Tok("end", "", len(text) + 1))
    return toks


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self, kind: str, text: str | None = None) -> _Tok:
        tok = self.peek()
        if tok.kind != kind or (text is not None and tok.text != text):
            want = repr(text) if text else ("a key or value" if kind == "word" else "an operator (=, !=, >=, <=, >, <)")
            got = repr(tok.text) if tok.kind != "end" else "end of expression"
            raise FilterSyntaxError(f"expected {want} at position {tok.pos}, got {got}")
        self.i += 1
        return tok

    def expr(self) -> F_BASE:
        node = self.term()
        while self.peek().text == "|" and self.peek().kind == "punct":
            self.i += 1
            node = OR(node, self.term())
        return node

    def term(self) -> F_BASE:
        node = self.factor()
        while self.peek().text == "&" and self.peek().kind == "punct":
            self.i += 1
            node = AND(node, self.factor())
        return node

    def factor(self) -> F_BASE:
        tok = self.peek()
        if tok.kind == "punct" and tok.text == "!":
            self.i += 1
            return Not(self.factor())
        if tok.kind == "punct" and tok.text == "(":
            self.i += 1
            node = self.expr()
            self.take("punct", ")")
            return node
        return self.cond()

    def cond(self) -> F_BASE:
        key = self.take("word")
        if not _KEY_RE.match(key.text):
            raise FilterSyntaxError(f"{key.text!r} at position {key.pos} is not a key (letters, digits, _)")
        nxt = self.peek()
        if nxt.kind == "word" and nxt.text == "in":
            self.i += 1
            return _membership(key.text, self.value_list())
        op = self.take("op").text
        value = self.take("word").text
        return _condition(key.text, op, value)

    def value_list(self) -> list[str]:
        self.take("punct", "(")
        values = [self.take("word").text]
        while self.peek().text == ",":
            self.i += 1
            values.append(self.take("word").text)
        self.take("punct", ")")
        return values


def _typed(value: str) -> list[object]:
    """Inventory data may hold `rack: 3` or `rack: "3"`; match either."""
    return [int(value), value] if value.isdigit() else [value]


def _condition(key: str, op: str, value: str) -> F_BASE:
    if op in _COMPARISONS:
        if not value.lstrip("-").isdigit():
            raise FilterSyntaxError(f"{key}{op}{value}: {op} compares numbers; {value!r} is not a whole number")
        return F(**{f"{key}__{_COMPARISONS[op]}": int(value)})
    if key in ("group", "groups"):
        positive: F_BASE = F(groups__contains=value)
    elif key == "name":
        positive = NameGlob(value)  # Host.get() reads data, not the name attribute, so F(name__in) cannot
    else:
        positive = F(**{f"{key}__in": _typed(value)})
    return Not(positive) if op == "!=" else positive


def _membership(key: str, values: list[str]) -> F_BASE:
    if key in ("group", "groups"):
        return F(groups__any=values)
    if key == "name":
        return _fold([NameGlob(v) for v in values], OR)
    typed: list[object] = []
    for v in values:
        typed.extend(_typed(v))
    return F(**{f"{key}__in": typed})


def parse_filter(text: str) -> F_BASE:
    """Compile a filter expression; raises FilterSyntaxError (a ValueError) with position and reason."""
    if not text.strip():
        raise FilterSyntaxError("empty filter expression; use e.g. role=leaf or group=spines & !name=spine2")
    parser = _Parser(text)
    node = parser.expr()
    if parser.peek().kind != "end":
        tok = parser.peek()
        raise FilterSyntaxError(f"unexpected {tok.text!r} at position {tok.pos}; join conditions with & or |")
    return node


def target_filter(
    groups: Iterable[str] = (),
    roles: Iterable[str] = (),
    names: Iterable[str] = (),
    expression: str | None = None,
    exclude: Iterable[str] = (),
) -> F_BASE:
    """The playbook's `targets:` as one filter: (any listed group, role or name) AND expression, minus exclude.

    Empty lists mean "no restriction from this field", so an empty `targets:` selects the whole inventory.
    """
    parts: list[F_BASE] = []
    groups, roles, names = list(groups), list(roles), list(names)
    if groups or roles or names:
        alternatives: list[F_BASE] = []
        if groups:
            alternatives.append(F(groups__any=groups))
        if roles:
            alternatives.append(F(role__in=roles))
        alternatives.extend(NameGlob(n) for n in names)
        parts.append(_fold(alternatives, OR))
    if expression:
        parts.append(parse_filter(expression))
    excluded = list(exclude)
    if excluded:
        parts.append(Not(_fold([NameGlob(n) for n in excluded], OR)))
    return _fold(parts, AND) if parts else Everything()


_TARGET_KINDS = {"groups": "group", "roles": "role", "names": "device", "exclude": "device"}


def unknown_targets(nr: Nornir, lists: Mapping[str, Sequence[str]], path: Path) -> list[InputProblem]:
    """Entries of a playbook's `targets:` lists (groups, roles, names, exclude) that match nothing in the
    inventory, located in the playbook. A typo there changes which devices are touched (an `exclude`
    typo spares nothing), so it is refused rather than ignored. Names and excludes may be globs."""
    roles = sorted({str(h.get("role")) for h in nr.inventory.hosts.values() if h.get("role")})
    known = {"groups": sorted(nr.inventory.groups), "roles": roles, "names": sorted(nr.inventory.hosts)}
    known["exclude"] = known["names"]
    doc = read_yaml(path)
    problems = []
    for key, kind in _TARGET_KINDS.items():
        for i, value in enumerate(lists.get(key, ())):
            globbing = key in ("names", "exclude")
            if any(fnmatch.fnmatchcase(k, value) if globbing else k == value for k in known[key]):
                continue
            listing = ", ".join(known[key][:12]) + (" ..." if len(known[key]) > 12 else "")
            msg = f"{kind} {value!r} is not in the inventory.{suggest(value, known[key])} Known: {listing or 'none'}"
            loc = ("targets", key, i)
            problems.append(InputProblem(path, line_of(doc, loc), format_loc(loc), msg))
    return problems


def _fold(nodes: list[F_BASE], op: type[AND] | type[OR]) -> F_BASE:
    node = nodes[0]
    for other in nodes[1:]:
        node = op(node, other)
    return node
