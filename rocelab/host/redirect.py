"""Redirections of one simple command, with bash's order: open targets, run, then route and write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rocelab.host import files

if TYPE_CHECKING:
    from rocelab.host.shell import Outcome, Redirect, Shell

Target = tuple[str, str, bool]  # (kind: out | err | null | file, path, append)
_OUT: Target = ("out", "", False)
_ERR: Target = ("err", "", False)
_NULL: Target = ("null", "", False)


def run_with_redirects(sh: Shell, argv: list[str], redirects: list[Redirect], stdin: str) -> Outcome:
    from rocelab.host.shell import Outcome

    fd1, fd2 = _OUT, _ERR
    for redirect in redirects:
        if redirect.fd == 0:
            try:
                stdin = files.read(sh.twin, redirect.target)
            except files.FsError as problem:
                return Outcome(stderr=f"-bash: {redirect.target}: {problem}\n", rc=1)
            continue
        if redirect.target in ("&1", "&2"):
            if redirect.fd == 2:
                fd2 = fd1
            else:
                fd1 = fd2
            continue
        target = _open(sh, redirect)
        if isinstance(target, Outcome):
            return target
        fd1 = target if redirect.fd in (1, 3) else fd1
        fd2 = target if redirect.fd in (2, 3) else fd2
    result = sh.command(argv, stdin, sh.root)
    return _route(sh, argv, result, fd1, fd2)


def _open(sh: Shell, redirect: Redirect) -> Target | Outcome:
    from rocelab.host.shell import Outcome

    if redirect.target == "/dev/null":
        return _NULL
    try:
        files.check_open(sh.twin, redirect.target, root=sh.root)
    except files.FsError as problem:
        return Outcome(stderr=f"-bash: {redirect.target}: {problem}\n", rc=1)
    if not redirect.append and not redirect.target.startswith(("/sys/", "/proc/")):
        sh.twin.put_user_file(redirect.target, b"")  # `>` truncates at open time
    return ("file", redirect.target, redirect.append)


def _route(sh: Shell, argv: list[str], result: Outcome, fd1: Target, fd2: Target) -> Outcome:
    from rocelab.host.shell import Outcome

    routed = Outcome(rc=result.rc)
    pending: dict[str, str] = {}
    # Merged streams: stderr first. Tools write errors unbuffered and flush stdout (block-buffered into
    # a pipe) at exit, so `dcb -j ... 2>&1` shows the error before the JSON writer's closing newline.
    for text, target in ((result.stderr, fd2), (result.stdout, fd1)):
        kind, path, _append = target
        if kind == "out":
            routed.stdout += text
        elif kind == "err":
            routed.stderr += text
        elif kind == "file":
            pending[path] = pending.get(path, "") + text
    for path, data in pending.items():
        if not data:
            continue
        try:
            files.write(sh.twin, path, data, root=sh.root, append=True)
        except files.FsError as problem:
            routed.stderr += f"-bash: {argv[0] if argv else 'echo'}: write error: {problem}\n"
            routed.rc = 1
    return routed
