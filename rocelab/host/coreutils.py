"""Commands of the host twin's shell: coreutils-like helpers plus the network tools (dcb, ip, rdma, ...).

Error texts are coreutils'/bash's (C locale quoting). `sudo` runs the rest of the words as root;
`sh -c` / `bash -c` run a nested command line with the caller's privilege.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial

from rocelab.host import files
from rocelab.host.dcb import run_dcb
from rocelab.host.ethtool import run_ethtool
from rocelab.host.ip import run_ip
from rocelab.host.mlnx_qos import run_mlnx_qos
from rocelab.host.rdma import run_rdma
from rocelab.host.shell import Builtin, Outcome, Shell, ShellExit

PATHS = {
    "dcb": "/usr/sbin/dcb",
    "ip": "/usr/sbin/ip",
    "rdma": "/usr/bin/rdma",
    "ethtool": "/usr/sbin/ethtool",
    "mlnx_qos": "/usr/bin/mlnx_qos",
    "sysctl": "/usr/sbin/sysctl",
}


def _tool(run: Callable[[Shell, list[str], bool], tuple[str, str, int]]) -> Builtin:
    def builtin(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
        out, err, rc = run(sh, argv[1:], root)
        return Outcome(out, err, rc)

    return builtin


def _sudo(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    rest = argv[1:]
    while rest and rest[0].startswith("-"):
        if rest[0] in ("-u", "-g") and len(rest) > 1:
            rest = rest[1:]
        rest = rest[1:]
    if not rest:
        return Outcome(stderr="usage: sudo -h | -K | -k | -V\n", rc=1)
    return sh.command(rest, stdin, True)


def _sh(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    if len(argv) >= 3 and argv[1] == "-c":
        return Shell(sh.twin, sh.builtins, root=root).execute(argv[2])
    return Outcome(stderr=f"{argv[0]}: only -c is supported on this host\n", rc=2)


def _echo(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    args, newline, escapes = argv[1:], True, False
    while args and args[0] in ("-n", "-e", "-ne", "-en", "-E"):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0]
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text = text.replace("\\n", "\n").replace("\\t", "\t")
    return Outcome(text + ("\n" if newline else ""))


def _printf(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    if len(argv) < 2:
        return Outcome(stderr="printf: usage: printf [-v var] format [arguments]\n", rc=2)
    fmt = argv[1].replace("\\n", "\n").replace("\\t", "\t")
    values = iter(argv[2:])
    return Outcome(re.sub(r"%[sd]", lambda _m: next(values, ""), fmt))


def _each_operand(
    result: Outcome,
    paths: Iterable[str],
    act: Callable[[str], object],
    failure: str,
    quiet: Callable[[files.FsError], bool] = lambda _problem: False,
) -> Outcome:
    """coreutils carry on past a failing operand: each failure prints `failure` (with {path}) and the
    error, and the exit status becomes 1; `quiet` errors (rm -f on a missing file) print nothing."""
    for path in paths:
        try:
            act(path)
        except files.FsError as problem:
            if quiet(problem):
                continue
            result.stderr += failure.format(path=path) + f"{problem}\n"
            result.rc = 1
    return result


def _operands(argv: list[str]) -> list[str]:
    return [a for a in argv[1:] if not a.startswith("-")]


def _cat(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    if len(argv) == 1:
        return Outcome(stdin)
    result = Outcome()

    def read(path: str) -> None:
        result.stdout += files.read(sh.twin, path)

    return _each_operand(result, argv[1:], read, "cat: {path}: ")


def _tee(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    append = "-a" in argv[1:]
    paths = [p for p in _operands(argv) if p != "/dev/null"]
    write = partial(files.write, sh.twin, data=stdin, root=root, append=append)
    return _each_operand(Outcome(stdin), paths, write, "tee: {path}: ")


def _mkdir(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    make = partial(files.mkdir, sh.twin, root=root, parents="-p" in argv[1:])
    return _each_operand(Outcome(), _operands(argv), make, "mkdir: cannot create directory '{path}': ")


def _rmdir(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    remove = partial(files.rmdir, sh.twin, root=root)
    return _each_operand(Outcome(), argv[1:], remove, "rmdir: failed to remove '{path}': ")


def _rm(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    """rm [-f] FILE...: plain files only (no -r); -f is quiet about files that are not there."""
    force = any(a.startswith("-") and "f" in a for a in argv[1:])
    remove = partial(files.remove, sh.twin, root=root)

    def missing_ok(problem: files.FsError) -> bool:
        return force and problem.code == 2

    return _each_operand(Outcome(), _operands(argv), remove, "rm: cannot remove '{path}': ", missing_ok)


def _mv(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    """mv [-f] SRC DST between plain files the twin keeps: rename(2), so DST is replaced at once."""
    operands = _operands(argv)
    if len(operands) != 2:
        return Outcome(stderr="mv: this host supports `mv [-f] SOURCE DEST` only\n", rc=1)
    source, dest = operands
    data = sh.twin.user_file(source)
    if data is None:
        return Outcome(stderr=f"mv: cannot stat '{source}': No such file or directory\n", rc=1)
    try:
        files.check_open(sh.twin, dest, root=root)
        files.remove(sh.twin, source, root=root)
    except files.FsError as problem:
        return Outcome(stderr=f"mv: cannot move '{source}' to '{dest}': {problem}\n", rc=1)
    sh.twin.put_user_file(dest, data)
    return Outcome()


def _ls(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    result = Outcome()
    for path in [a for a in argv[1:] if not a.startswith("-")] or ["/home/admin"]:
        entries = files.listdir(sh.twin, path)
        if entries is None:
            try:
                files.read(sh.twin, path)
                result.stdout += path + "\n"
            except files.FsError:
                result.stderr += f"ls: cannot access '{path}': No such file or directory\n"
                result.rc = 2
            continue
        result.stdout += "".join(f"{e}\n" for e in entries)
    return result


def _uname(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    twin = sh.twin
    fields = {"-s": "Linux", "-n": twin.hostname, "-r": twin.kernel_release, "-m": "x86_64"}
    if "-a" in argv:
        version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)"
        return Outcome(f"Linux {twin.hostname} {twin.kernel_release} {version} x86_64 GNU/Linux\n")
    chosen = [fields[a] for a in argv[1:] if a in fields] or ["Linux"]
    return Outcome(" ".join(chosen) + "\n")


def _sysctl(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    args = [a for a in argv[1:] if not a.startswith("-")]
    value_only = "-n" in argv
    result = Outcome()
    for arg in args:
        key, _, value = arg.partition("=")
        path = "/proc/sys/" + key.replace(".", "/")
        try:
            if value:
                files.write(sh.twin, path, value, root=root)
                result.stdout += f"{key} = {value}\n"
            else:
                current = files.read(sh.twin, path).strip()
                result.stdout += f"{current}\n" if value_only else f"{key} = {current}\n"
        except files.FsError as problem:
            if value and problem.code == 13:
                result.stderr += f'sysctl: permission denied on key "{key}"\n'
            else:
                result.stderr += f"sysctl: cannot stat {path}: No such file or directory\n"
            result.rc = 255
    return result


def _grep(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    """grep [-HhcqviE] PATTERN [FILE...]: enough for `grep -H . FILES` and `grep -H -c '' GLOB`."""
    flags: set[str] = set()
    rest: list[str] = []
    for word in argv[1:]:
        if word.startswith("-") and len(word) > 1 and not rest:
            flags |= set(word[1:])
        else:
            rest.append(word)
    if not rest:
        return Outcome(stderr="Usage: grep [OPTION]... PATTERNS [FILE]...\n", rc=2)
    pattern = re.compile(rest[0], re.IGNORECASE if "i" in flags else 0)
    sources: list[tuple[str, str | None]] = [("(standard input)", stdin)] if len(rest) == 1 else []
    result = Outcome()
    errors = False
    for path in rest[1:]:
        try:
            sources.append((path, files.read(sh.twin, path)))
        except files.FsError as problem:
            if "s" not in flags:  # -s: no messages about unreadable files (the exit status still says so)
                result.stderr += f"grep: {path}: {problem}\n"
            errors = True
    label = "H" in flags or (len(rest) > 2 and "h" not in flags)
    matched = False
    for name, text in sources:
        keep = [ln for ln in (text or "").splitlines() if bool(pattern.search(ln)) != ("v" in flags)]
        matched = matched or bool(keep)
        prefix = f"{name}:" if label else ""
        if "c" in flags:
            result.stdout += f"{prefix}{len(keep)}\n"
        elif "q" not in flags:
            result.stdout += "".join(f"{prefix}{ln}\n" for ln in keep)
    result.rc = 2 if errors and not (matched and "q" in flags) else (0 if matched else 1)
    if "q" in flags:
        result.stdout = ""
    return result


def _which(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    names = [a for a in argv[1:] if not a.startswith("-")]
    found = [PATHS.get(n, f"/usr/bin/{n}") for n in names if n in sh.builtins]
    return Outcome("".join(f"{p}\n" for p in found), rc=0 if len(found) == len(names) else 1)


def _sleep(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    try:
        seconds = float(argv[1])
    except (IndexError, ValueError):
        return Outcome(stderr="sleep: missing operand\n", rc=1)
    sh.twin.sleep(seconds)
    return Outcome()


def _exit(sh: Shell, argv: list[str], stdin: str, root: bool) -> Outcome:
    """bash's `exit [N]`: N, else the last status; a non-number is bash's error and status 2."""
    if len(argv) > 1 and not argv[1].lstrip("-").isdigit():
        raise ShellExit(2)
    raise ShellExit(int(argv[1]) % 256 if len(argv) > 1 else sh.last_rc)


def _fixed(text: str = "", rc: int = 0) -> Builtin:
    return lambda sh, argv, stdin, root: Outcome(text, "", rc)


def builtins() -> dict[str, Builtin]:
    table: dict[str, Builtin] = {
        "dcb": _tool(lambda sh, a, root: run_dcb(a, sh.twin, root=root, flavour=sh.twin.flavour)),
        "ip": _tool(lambda sh, a, root: run_ip(sh.twin, a, root=root)),
        "rdma": _tool(lambda sh, a, root: run_rdma(sh.twin, a)),
        "ethtool": _tool(lambda sh, a, root: run_ethtool(sh.twin, a, root=root)),
        "mlnx_qos": _tool(lambda sh, a, root: run_mlnx_qos(sh.twin, a, root=root)),
        "sudo": _sudo,
        "sh": _sh,
        "bash": _sh,
        "echo": _echo,
        "printf": _printf,
        "cat": _cat,
        "tee": _tee,
        "mkdir": _mkdir,
        "rmdir": _rmdir,
        "rm": _rm,
        "mv": _mv,
        "ls": _ls,
        "uname": _uname,
        "sysctl": _sysctl,
        "grep": _grep,
        "which": _which,
        "sleep": _sleep,
        "exit": _exit,
        "true": _fixed(),
        "false": _fixed(rc=1),
        "pgrep": _fixed(rc=1),  # no lldpad (or anything else worth finding) runs on the twin
    }
    table["hostname"] = lambda sh, argv, stdin, root: Outcome(sh.twin.hostname + "\n")
    table["whoami"] = lambda sh, argv, stdin, root: Outcome("root\n" if root else "admin\n")
    table["command"] = lambda sh, argv, stdin, root: _which(sh, [a for a in argv if a != "-v"], stdin, root)
    return table
