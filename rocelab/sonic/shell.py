"""A small bash: `;`, `&&`, `||`, pipes into grep/head/tail/wc, redirections, and `sudo` per command.

Agents batch reads into one round trip (`echo ==BEGIN x==; cmd; echo ==END x==`), so the twin must split a
line the way bash does. Words are split with shlex (quotes honoured); an unquoted `|` is a pipe, exactly
as in bash, so redis keys like `PORT|Ethernet0` must be quoted. Redirections: `>`/`>>` FILE (`/dev/null`
discards), `2>` FILE, `2>&1`, `&>` FILE, `<` FILE (ignored: no command reads stdin).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from rocelab.twin import CommandResult

Runner = Callable[[list[str], bool], CommandResult]
Writer = Callable[[str, bytes, bool], None]  # path, data, append
CONNECTORS = (";", "&&", "||", "&")
REDIRECTS = (">", ">>", ">|", ">&", "&>", "<")
FILTERS = ("grep", "head", "tail", "wc")
DEV_NULL = "/dev/null"


@dataclass
class Simple:
    """One simple command: words plus where its stdout/stderr go (None: the terminal)."""

    words: list[str] = field(default_factory=list)
    stdout_to: tuple[str, bool] | None = None  # (path, append)
    stderr_to: tuple[str, bool] | None = None
    err_to_out: bool = False


def _redirect(cmd: Simple, op: str, target: str) -> None:
    fd = cmd.words.pop() if op in (">", ">>", ">|", ">&") and cmd.words and cmd.words[-1] in ("1", "2") else "1"
    if op == "<":
        return
    if op == "&>":
        cmd.stdout_to = cmd.stderr_to = (target, False)
    elif op == ">&":
        if fd == "2" and target == "1":
            cmd.err_to_out = True
    elif fd == "2":
        cmd.stderr_to = (target, op == ">>")
    else:
        cmd.stdout_to = (target, op == ">>")


def _is_operator(token: str) -> bool:
    return set(token) <= set(";&|<>")


def _close(parts: list[tuple[str, list[Simple]]], connector: str, pipeline: list[Simple], cmd: Simple) -> None:
    if cmd.words:
        pipeline.append(cmd)
    if pipeline:
        parts.append((connector, pipeline))


def split_line(line: str) -> list[tuple[str, list[Simple]]]:
    """`a x; b | c && d` -> [(";", [a x]), (";", [b, c]), ("&&", [d])] (the connector before each part)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    tokens = list(lexer)
    parts: list[tuple[str, list[Simple]]] = []
    connector, pipeline, cmd = ";", [], Simple()  # type: tuple[str, list[Simple], Simple]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in CONNECTORS:
            _close(parts, connector, pipeline, cmd)
            connector, pipeline, cmd = token, [], Simple()
        elif token == "|":
            pipeline.append(cmd)
            cmd = Simple()
        elif token in REDIRECTS:
            if i + 1 >= len(tokens) or _is_operator(tokens[i + 1]):
                raise ValueError("syntax error near unexpected token `newline'")
            _redirect(cmd, token, tokens[i + 1])
            i += 1
        elif _is_operator(token):
            raise ValueError(f"syntax error near unexpected token `{token}'")
        else:
            cmd.words.append(token)
        i += 1
    _close(parts, connector, pipeline, cmd)
    return parts


def run_line(line: str, runner: Runner, sudo: bool, writer: Writer | None = None) -> CommandResult:
    try:
        parts = split_line(line)
    except ValueError as exc:
        text = str(exc)
        if "quotation" in text:
            text = "unexpected EOF while looking for matching quote"
        return CommandResult(stderr=f"-bash: {text}\n", exit_code=2)
    total = CommandResult()
    last = 0
    for connector, pipeline in parts:
        if (connector == "&&" and last != 0) or (connector == "||" and last == 0):
            continue
        result = _run_pipeline(pipeline, runner, sudo, writer)
        total.stdout += result.stdout
        total.stderr += result.stderr
        total.delay_s += result.delay_s
        total.disconnect = total.disconnect or result.disconnect
        last = total.exit_code = result.exit_code
        if result.disconnect:
            break
    return total


def _run_pipeline(pipeline: list[Simple], runner: Runner, sudo: bool, writer: Writer | None) -> CommandResult:
    if any(not cmd.words for cmd in pipeline):
        return CommandResult(stderr="-bash: syntax error near unexpected token `|'\n", exit_code=2)
    first, *filters = pipeline
    result = _apply_redirects(first, _run_words(first.words, runner, sudo), writer)
    for cmd in filters:
        if cmd.words[0] not in FILTERS:
            return CommandResult(stderr=f"-bash: {cmd.words[0]}: command not found\n", exit_code=127)
        out, code = apply_filter(cmd.words, result.stdout)
        result = _apply_redirects(
            cmd, CommandResult(out, result.stderr, code, result.delay_s, result.disconnect), writer
        )
    return result


def _apply_redirects(cmd: Simple, result: CommandResult, writer: Writer | None) -> CommandResult:
    if cmd.err_to_out:
        result.stdout, result.stderr = result.stdout + result.stderr, ""
    for attr, target in (("stdout", cmd.stdout_to), ("stderr", cmd.stderr_to)):
        if target is None:
            continue
        path, append = target
        if path != DEV_NULL and writer is not None:
            writer(path, getattr(result, attr).encode(), append)
        setattr(result, attr, "")
    return result


def _run_words(words: list[str], runner: Runner, sudo: bool) -> CommandResult:
    if words[0] == "sudo":
        words = words[1:]
        sudo = True
        if not words:
            return CommandResult(stderr="usage: sudo command\n", exit_code=1)
    return runner(words, sudo)


def apply_filter(words: list[str], text: str) -> tuple[str, int]:
    lines = text.splitlines(keepends=True)
    name, args = words[0], words[1:]
    if name == "wc":
        return f"{len(lines)}\n", 0
    if name in ("head", "tail"):
        count = 10
        if len(args) >= 2 and args[0] == "-n" and args[1].lstrip("-").isdigit():
            count = int(args[1].lstrip("-"))
        elif args and args[0].startswith("-") and args[0][1:].isdigit():
            count = int(args[0][1:])
        picked = lines[:count] if name == "head" else lines[-count:] if count else []
        return "".join(picked), 0
    return _grep(args, lines)


def _grep(args: list[str], lines: list[str]) -> tuple[str, int]:
    flags = [a for a in args if a.startswith("-")]
    rest = [a for a in args if not a.startswith("-")]
    if not rest:
        return "", 2
    ignore = any("i" in f for f in flags)
    invert = any("v" in f for f in flags)
    fixed = any("F" in f for f in flags)
    pattern = re.escape(rest[0]) if fixed else rest[0]
    try:
        rx = re.compile(pattern, re.IGNORECASE if ignore else 0)
    except re.error:
        return "", 2
    picked = [line for line in lines if bool(rx.search(line)) != invert]
    return "".join(picked), 0 if picked else 1
