"""A small bash: `;`, `&&`, `||`, pipes into grep/head/tail/wc, redirections, and `sudo` per command.

Agents batch reads into one round trip (`echo ==BEGIN x==; cmd; echo ==END x==`), so the twin must split a
line the way bash does. Words come from the host twin's bash tokenizer (rocelab.host.shell), so both twins
quote alike: `''` and `""` are empty arguments, `"..."` keeps `\\"`, `\\$`, `\\\\` escapes, a backslash outside
quotes escapes the next character, `#` starts a comment, and `$?` is the status of the previous pipeline.
An unquoted `|` is a pipe, exactly as in bash, so redis keys like `PORT|Ethernet0` must be quoted.
Redirections: `>`/`>>` FILE (`/dev/null` discards), `2>` FILE, `2>&1`, `1>&2`, `&>` FILE, `<` FILE (ignored:
no command reads stdin).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rocelab.host.shell import STATUS, Redirect, ShellSyntaxError, parse, tokenize
from rocelab.twin import CommandResult

Runner = Callable[[list[str], bool], CommandResult]
Writer = Callable[[str, bytes, bool], None]  # path, data, append
FILTERS = ("grep", "head", "tail", "wc")
DEV_NULL = "/dev/null"


@dataclass
class Simple:
    """One simple command: words plus where its stdout/stderr go (None: the terminal)."""

    words: list[str] = field(default_factory=list)
    stdout_to: tuple[str, bool] | None = None  # (path, append)
    stderr_to: tuple[str, bool] | None = None
    err_to_out: bool = False
    out_to_err: bool = False


def _simple(words: list[str], redirects: list[Redirect]) -> Simple:
    cmd = Simple(words)
    for r in redirects:
        if r.fd == 0:
            continue
        if r.target in ("&1", "&2"):
            cmd.err_to_out = cmd.err_to_out or (r.fd == 2 and r.target == "&1")
            cmd.out_to_err = cmd.out_to_err or (r.fd == 1 and r.target == "&2")
        elif r.fd == 3:
            cmd.stdout_to = cmd.stderr_to = (r.target, False)
        elif r.fd == 2:
            cmd.stderr_to = (r.target, r.append)
        else:
            cmd.stdout_to = (r.target, r.append)
    return cmd


def split_line(line: str) -> list[tuple[str, list[Simple]]]:
    """`a x; b | c && d` -> [(";", [a x]), (";", [b, c]), ("&&", [d])] (the connector before each part).

    `$?` stays as the marker rocelab.host.shell.STATUS in the words; run_line replaces it when the part runs.
    Raises ValueError with bash's message on a syntax error.
    """
    try:
        parsed = parse(tokenize(line))
    except ShellSyntaxError as exc:
        raise ValueError(str(exc)) from None
    return [
        (";" if connector in ("", "\n") else connector, [_simple([w.text for w in c.words], c.redirects) for c in pipe])
        for connector, pipe in parsed
    ]


def run_line(line: str, runner: Runner, sudo: bool, writer: Writer | None = None) -> CommandResult:
    try:
        parts = split_line(line)
    except ValueError as exc:
        return CommandResult(stderr=f"-bash: {exc}\n", exit_code=2)
    total = CommandResult()
    last = 0
    for connector, pipeline in parts:
        if (connector == "&&" and last != 0) or (connector == "||" and last == 0):
            continue
        for cmd in pipeline:
            cmd.words = [w.replace(STATUS, str(last)) for w in cmd.words]
        result = _run_pipeline(pipeline, runner, sudo, writer)
        total.paced = _join_paced(total, result)
        total.stdout += result.stdout
        total.stderr += result.stderr
        total.delay_s += result.delay_s
        total.disconnect = total.disconnect or result.disconnect
        last = total.exit_code = result.exit_code
        if result.disconnect:
            break
    return total


def _join_paced(total: CommandResult, result: CommandResult) -> tuple[tuple[float, str], ...]:
    """A command's paced output, shifted behind what the line printed and the time it took before it."""
    if not result.paced:
        return total.paced
    done = sum(len(text) for _, text in total.paced)
    head = ((total.delay_s, total.stdout[done:]),) if total.stdout[done:] else ()
    return (*total.paced, *head, *((total.delay_s + t, text) for t, text in result.paced))


def _run_pipeline(pipeline: list[Simple], runner: Runner, sudo: bool, writer: Writer | None) -> CommandResult:
    if len(pipeline) == 1 and not pipeline[0].words:  # `> FILE` alone: bash creates/truncates FILE
        return _apply_redirects(pipeline[0], CommandResult(), writer)
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
    if cmd.out_to_err:
        result.stdout, result.stderr = "", result.stderr + result.stdout
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
