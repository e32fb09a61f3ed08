"""A small bash for the host twin: quoting, `;` `&&` `||` `|`, redirections, globs, `sudo` and `sh -c`.

Agents batch every read of a gather into one round trip (`echo ===pfc===; dcb -j pfc show dev eth1; ...`),
so lists, echo markers and `2>&1` must behave like bash. Redirections are opened by the login shell
before the command runs, so `sudo echo 1 > /sys/...` fails with `Permission denied` exactly as on a real
host; `echo 1 | sudo tee /sys/...` is the idiom that works.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rocelab.host.twin import HostTwin

_OPERATORS = ("&&", "||", ";", "|", "&", "\n")
STATUS = "\x00?"  # `$?` outside single quotes; replaced by the last exit status when the command runs


class ShellSyntaxError(Exception):
    pass


class ShellExit(Exception):
    """`exit [N]`: ends the shell running the line (a `sh -c` one, or the line itself) with status N."""

    def __init__(self, rc: int) -> None:
        super().__init__(rc)
        self.rc = rc


@dataclass(frozen=True)
class Word:
    text: str
    glob: bool = False  # contains unquoted glob characters


@dataclass
class Redirect:
    fd: int  # 1 or 2 (3 = both, from &>)
    target: str  # path, or "&1" / "&2"
    append: bool = False


@dataclass
class Simple:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Outcome:
    stdout: str = ""
    stderr: str = ""
    rc: int = 0


class Builtin(Protocol):
    def __call__(self, sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome: ...


def tokenize(line: str) -> list[Word | str]:
    """Words (quotes removed, glob flag kept) and operator strings; redirections are operators too."""
    return list(_tokens(line))


@functools.lru_cache(maxsize=1024)  # the twins of a fabric are sent the same lines over and over
def _tokens(line: str) -> tuple[Word | str, ...]:
    tokens: list[Word | str] = []
    buf: list[str] = []
    started = glob = False
    i = 0

    def flush() -> None:
        nonlocal started, glob
        if started:
            tokens.append(Word("".join(buf), glob))
        buf.clear()
        started = glob = False

    while i < len(line):
        c = line[i]
        if c in " \t":
            flush()
            i += 1
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unexpected EOF while looking for matching `''")
            buf.append(line[i + 1 : end])
            started, i = True, end + 1
        elif c == '"':
            i = _double_quoted(line, i + 1, buf)
            started = True
        elif c == "\\" and i + 1 < len(line):
            buf.append(line[i + 1])
            started, i = True, i + 2
        elif c == "#" and not started:
            break
        elif line.startswith("$?", i):
            buf.append(STATUS)
            started, i = True, i + 2
        elif c in ";&|<>\n":
            i = _operator(line, i, buf, tokens, started, flush)
            started = False
        else:
            glob = glob or c in "*?["
            buf.append(c)
            started, i = True, i + 1
    flush()
    return tuple(tokens)


def _double_quoted(line: str, i: int, buf: list[str]) -> int:
    while i < len(line) and line[i] != '"':
        if line.startswith("$?", i):
            buf.append(STATUS)
            i += 2
            continue
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] in '"\\$`':
            i += 1
        buf.append(line[i])
        i += 1
    if i >= len(line):
        raise ShellSyntaxError("unexpected EOF while looking for matching `\"'")
    return i + 1


def _operator(
    line: str, i: int, buf: list[str], tokens: list[Word | str], started: bool, flush: Callable[[], None]
) -> int:
    """An operator; a bare `1`/`2` glued to `>` is a file descriptor (`2>`, `2>&1`), not a word."""
    fd_prefix = "".join(buf) if started and "".join(buf) in ("1", "2") and line[i] == ">" else ""
    if fd_prefix:
        buf.clear()
    else:
        flush()
    for op in (">>", ">&1", ">&2", "&>", ">", "<", "&&", "||", ";", "|", "&", "\n"):
        if line.startswith(op, i):
            tokens.append(fd_prefix + op)
            return i + len(op)
    raise ShellSyntaxError(f"syntax error near unexpected token `{line[i]}'")  # pragma: no cover


def parse(tokens: list[Word | str]) -> list[tuple[str, list[Simple]]]:
    """[(connector before this pipeline, [commands of the pipeline])]; connector '' for the first."""
    result: list[tuple[str, list[Simple]]] = []
    connector, pipeline, current = "", [], Simple()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if isinstance(token, Word):
            current.words.append(token)
        elif token in ("|",):
            _need_words(current, token)
            pipeline.append(current)
            current = Simple()
        elif token in _OPERATORS:
            if current.words or current.redirects:
                pipeline.append(current)
            elif token in ("&&", "||") or pipeline:
                raise ShellSyntaxError(f"syntax error near unexpected token `{token}'")
            if pipeline:
                result.append((connector, pipeline))
            connector, pipeline, current = token, [], Simple()
        else:
            i = _redirect(tokens, i, current)
        i += 1
    if current.words or current.redirects:
        pipeline.append(current)
    if pipeline:
        result.append((connector, pipeline))
    return result


def _need_words(command: Simple, token: str) -> None:
    if not command.words:
        raise ShellSyntaxError(f"syntax error near unexpected token `{token}'")


def _redirect(tokens: list[Word | str], i: int, current: Simple) -> int:
    op = tokens[i]
    assert isinstance(op, str)
    if op in ("2>&1", "1>&2", ">&2"):
        current.redirects.append(Redirect(2 if op == "2>&1" else 1, "&1" if op == "2>&1" else "&2"))
        return i
    if op in (">&1", "1>&1", "2>&2"):
        return i
    if i + 1 >= len(tokens) or not isinstance(tokens[i + 1], Word):
        raise ShellSyntaxError("syntax error near unexpected token `newline'")
    target = tokens[i + 1]
    assert isinstance(target, Word)
    if op.endswith("<"):
        current.redirects.append(Redirect(0, target.text))
    else:
        fd = 3 if op.startswith("&") else 2 if op.startswith("2") else 1
        current.redirects.append(Redirect(fd, target.text, append=op.endswith(">>")))
    return i + 1


class Shell:
    """Executes one command line for the twin; `root` is the login shell's privilege."""

    def __init__(self, twin: HostTwin, builtins: dict[str, Builtin], *, root: bool) -> None:
        self.twin, self.builtins, self.root = twin, builtins, root
        self.last_rc = 0

    def execute(self, line: str) -> Outcome:
        try:
            lists = parse(tokenize(line))
        except ShellSyntaxError as problem:
            return Outcome(stderr=f"-bash: {problem}\n", rc=2)
        total, rc = Outcome(), 0
        for connector, pipeline in lists:
            if (connector == "&&" and rc != 0) or (connector == "||" and rc == 0):
                continue
            try:
                step = self._pipeline(pipeline)
            except ShellExit as done:
                total.rc = self.last_rc = done.rc
                return total
            total.stdout += step.stdout
            total.stderr += step.stderr
            rc = self.last_rc = step.rc
        total.rc = rc
        return total

    def _pipeline(self, pipeline: list[Simple]) -> Outcome:
        stdin, errors = "", ""
        step = Outcome()
        for command in pipeline:
            step = self.simple(command, stdin)
            errors += step.stderr
            stdin = step.stdout
        return Outcome(step.stdout, errors, step.rc)

    def simple(self, command: Simple, stdin: str) -> Outcome:
        from rocelab.host.redirect import run_with_redirects

        argv = [expanded for word in command.words for expanded in self.expand(word)]
        return run_with_redirects(self, argv, command.redirects, stdin)

    def expand(self, word: Word) -> list[str]:
        """Pathname expansion over the twin's virtual files; no match keeps the word (bash default)."""
        if STATUS in word.text:
            word = Word(word.text.replace(STATUS, str(self.last_rc)), word.glob)
        if not word.glob or not word.text.startswith("/"):
            return [word.text]
        from rocelab.host import files

        candidates = ["/"]
        for part in [p for p in word.text.split("/") if p]:
            next_candidates: list[str] = []
            for base in candidates:
                prefix = base.rstrip("/") + "/"
                if any(c in part for c in "*?["):
                    entries = files.listdir(self.twin, base) or []
                    next_candidates += [prefix + e for e in fnmatch.filter(sorted(entries), part)]  # posix: case kept
                else:
                    next_candidates.append(prefix + part)
            candidates = next_candidates
        return candidates or [word.text]

    def command(self, argv: list[str], stdin: str, root: bool) -> Outcome:
        """Run one command (after `sudo` stripping) with fault checks."""
        if not argv:
            return Outcome()
        failure = self.twin.command_fault(" ".join(argv))
        if failure is not None:
            return Outcome(stderr=failure + "\n", rc=1)
        handler = self.builtins.get(argv[0].rsplit("/", 1)[-1])
        if handler is None:
            return Outcome(stderr=f"-bash: {argv[0]}: command not found\n", rc=127)
        return handler(self, argv, stdin, root)
