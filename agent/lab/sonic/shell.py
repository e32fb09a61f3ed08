"""A small bash: `;`, `&&`, `||`, pipes into grep/head/tail/wc, echo/cat/sleep, and `sudo` per command.

Agents batch reads into one round trip (`echo ==BEGIN x==; cmd; echo ==END x==`), so the twin must split a
line the way bash does. Words are split with shlex (quotes honoured); an unquoted `|` is a pipe, exactly
as in bash, so redis keys like `PORT|Ethernet0` must be quoted.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from agent.lab.twin import CommandResult

Runner = Callable[[list[str], bool], CommandResult]
CONNECTORS = (";", "&&", "||", "&")
FILTERS = ("grep", "head", "tail", "wc")


def split_line(line: str) -> list[tuple[str, list[list[str]]]]:
    """`a x; b | c && d` -> [(";", [[a, x]]), (";", [[b], [c]]), ("&&", [[d]])] (connector before each part)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = ""
    parts: list[tuple[str, list[list[str]]]] = []
    connector, pipeline, words = ";", [], []  # type: tuple[str, list[list[str]], list[str]]
    for token in lexer:
        if token in CONNECTORS:
            if words:
                pipeline.append(words)
            if pipeline:
                parts.append((connector, pipeline))
            connector, pipeline, words = token, [], []
        elif token == "|":
            pipeline.append(words)
            words = []
        elif set(token) <= set(";&|"):
            raise ValueError(f"syntax error near unexpected token `{token}'")
        else:
            words.append(token)
    if words:
        pipeline.append(words)
    if pipeline:
        parts.append((connector, pipeline))
    return parts


def run_line(line: str, runner: Runner, sudo: bool) -> CommandResult:
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
        result = _run_pipeline(pipeline, runner, sudo)
        total.stdout += result.stdout
        total.stderr += result.stderr
        total.delay_s += result.delay_s
        total.disconnect = total.disconnect or result.disconnect
        last = total.exit_code = result.exit_code
        if result.disconnect:
            break
    return total


def _run_pipeline(pipeline: list[list[str]], runner: Runner, sudo: bool) -> CommandResult:
    if any(not words for words in pipeline):
        return CommandResult(stderr="-bash: syntax error near unexpected token `|'\n", exit_code=2)
    first, *filters = pipeline
    result = _run_words(first, runner, sudo)
    for words in filters:
        if words[0] not in FILTERS:
            return CommandResult(stderr=f"-bash: {words[0]}: command not found\n", exit_code=127)
        out, code = apply_filter(words, result.stdout)
        result = CommandResult(out, result.stderr, code, result.delay_s, result.disconnect)
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
