"""Per-device views of the pinned host keys: cheap on big inventories, and pinning by device identity.

paramiko reads the whole known_hosts file on every connection and, while loading, compares each entry
with every entry already loaded. An inventory of N devices pins N keys, so one connection costs O(N^2)
and an audit of N devices O(N^3): about 40 ms of CPU per connection at 512 devices, 20 s per audit
(measured by benchmarks/). `pinned_keys_file` hands paramiko only the lines that can match the device
being contacted. Nothing that could match is dropped: plain entries for this host:port, and every
hashed (`|1|...`), wildcard/negated pattern and marker (`@cert-authority`, `@revoked`) line are kept,
so verification accepts and refuses exactly what the full file would.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import shutil
import sys
import tempfile
import threading

_lock = threading.Lock()
_dir: str | None = None
_dir_pid = 0  # the process that made _dir: a forked worker makes (and removes) its own
_indexes: dict[tuple[str, int, int, int], tuple[list[str], dict[str, list[str]]]] = {}
_files: dict[tuple[str, int, int, int, str], str] = {}


def lookup_name(host: str, port: int) -> str:
    """The name OpenSSH and paramiko look a server up by: `host` on port 22, else `[host]:port`."""
    return host if port == 22 else f"[{host}]:{port}"


def index_lines(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """(lines that may match any host, plain-name -> its lines) of a known_hosts text."""
    always: list[str] = []
    by_name: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        names = line.split(None, 1)[0].split(",")
        if line.startswith("@") or any(n.startswith("|") or any(c in n for c in "*?!") for n in names):
            always.append(line)
            continue
        for name in names:
            by_name.setdefault(name.lower(), []).append(line)
    return always, by_name


def pinned_keys_file(known_hosts: str, host: str, port: int) -> str:
    """A private file with the lines of `known_hosts` that can match host:port (one per process and
    device; rebuilt when the file changes). Falls back to `known_hosts` itself when it cannot be read."""
    try:
        st = os.stat(known_hosts)
        source = (os.path.abspath(known_hosts), st.st_ino, st.st_mtime_ns, st.st_size)
        name = lookup_name(host, port).lower()
        key = (*source, name)
        with _lock:
            path = _files.get(key)
            if path is None:
                if source not in _indexes:
                    with open(known_hosts, encoding="utf-8", errors="replace") as fh:
                        _indexes[source] = index_lines(fh.read())
                always, by_name = _indexes[source]
                path = os.path.join(_private_dir(), f"known_hosts.{len(_files)}")
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
                    out.write("".join(f"{line}\n" for line in [*by_name.get(name, []), *always]))
                _files[key] = path
            return path
    except OSError:
        return known_hosts


def _private_dir() -> str:
    """This process's directory of views, removed when it exits. A forked gather worker
    (agent.runners.processes) leaves through os._exit, which skips atexit; multiprocessing's finalizers
    run there too, and each one only in the process that registered it, so a worker never removes the
    parent's views and the parent never leaks a worker's."""
    global _dir, _dir_pid
    if _dir is None or _dir_pid != os.getpid():
        _dir, _dir_pid = tempfile.mkdtemp(prefix="roce-agent-known-hosts-"), os.getpid()
        multiprocessing.util.Finalize(None, shutil.rmtree, args=(_dir, True), exitpriority=0)
    return _dir


# ---- pins by device identity ----------------------------------------------------------------------
# A device's own pin file (`known_hosts.d/<device>`, the agreed design) holds only that device's keys, so
# the keys in it ARE the device's identity, whatever address its lines were written for: the view handed
# to paramiko lists them under the address being contacted. An inventory entry pointed at another
# device's address:port then meets a key that is not the planned device's, and paramiko refuses it as a
# mismatch. An inventory-wide file pins by address only (two hosts at one address are refused as bad input).

SYSTEM_KNOWN_HOSTS = "~/.ssh/known_hosts"


def key_lines(text: str) -> list[tuple[int, list[str], str, str]]:
    """(line number, host names, key type, base64 key) of every plain or hashed key line (no markers)."""
    out: list[tuple[int, list[str], str, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "@")):
            continue
        fields = line.split()
        if len(fields) >= 3:
            out.append((number, fields[0].split(","), fields[1], fields[2]))
    return out


_device_pins: dict[tuple[str, int, int, int, str], bool] = {}


def is_device_pin(path: str, device: str) -> bool:
    """A file pins one device: it is named after it, or every key line names the same host(s).
    Cached per file version: an inventory-wide file of N devices is read once, not once per device."""
    if os.path.basename(path) == device:
        return True
    try:
        st = os.stat(path)
        key = (os.path.abspath(path), st.st_ino, st.st_mtime_ns, st.st_size, device)
        if key not in _device_pins:
            with open(path, encoding="utf-8", errors="replace") as fh:
                names = {",".join(sorted(n)) for _, n, _, _ in key_lines(fh.read())}
            _device_pins[key] = len(names) == 1
        return _device_pins[key]
    except OSError:
        return False


def device_pin_view(pin_file: str, host: str, port: int) -> str:
    """A private known_hosts with every key of the device's pin file listed under host:port (one per
    process, pin file and address; rebuilt when the file changes)."""
    st = os.stat(pin_file)
    name = lookup_name(host, port)
    key = (os.path.abspath(pin_file), st.st_ino, st.st_mtime_ns, st.st_size, "device-pin " + name)
    with _lock:
        path = _files.get(key)
        if path is None:
            with open(pin_file, encoding="utf-8", errors="replace") as fh:
                keys = sorted({(kind, b64) for _, _, kind, b64 in key_lines(fh.read())})
            path = os.path.join(_private_dir(), f"known_hosts.{len(_files)}")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
                out.write("".join(f"{name} {kind} {b64}\n" for kind, b64 in keys))
            _files[key] = path
        return path


def pinned_keys(view_file: str) -> set[tuple[str, str]]:
    """(key type, base64) of every key a view pins."""
    try:
        with open(view_file, encoding="utf-8", errors="replace") as fh:
            return {(kind, key) for _, _, kind, key in key_lines(fh.read())}
    except OSError:
        return set()


def _matches(pattern: str, name: str) -> bool:
    if pattern.startswith("|1|"):
        import paramiko  # here, not at import: the CLI imports this module at start-up

        salt = pattern.split("|")[2]
        return bool(paramiko.HostKeys.hash_host(name, salt) == pattern)
    return pattern.lower() == name.lower()


def system_conflicts(host: str, port: int, pinned: set[tuple[str, str]], path: str | None = None) -> list[str]:
    """Lines of ~/.ssh/known_hosts that give host:port a key the inventory does not pin. They are never
    used (system host keys are off); this says where they are so the operator can clean them up."""
    where = os.path.expanduser(path or SYSTEM_KNOWN_HOSTS)
    try:
        with open(where, encoding="utf-8", errors="replace") as fh:
            lines = key_lines(fh.read())
    except OSError:
        return []
    name = lookup_name(host, port)
    return [
        f"{where}:{number} has a different {kind} key for {name} than the inventory pins; "
        "it is ignored (only the inventory's pin is used) - remove or correct that line"
        for number, names, kind, key in lines
        if any(_matches(n, name) for n in names) and (kind, key) not in pinned
    ]


_reported: set[str] = set()
log = logging.getLogger("roce_agent.hostkeys")
logging.getLogger("roce_agent").addHandler(logging.NullHandler())  # a library: silent unless asked


class _Stderr(logging.Handler):
    """`warning: ...` on whatever sys.stderr is at the time (the CLI's, masked; a test runner's)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"warning: {record.getMessage()}\n")


def warn_on_stderr() -> None:
    """What the CLI calls: host-key warnings go to stderr. Plain Nornir/NAPALM scripts get them through
    their own logging configuration (logger `roce_agent`), never unasked."""
    root = logging.getLogger("roce_agent")
    if not any(isinstance(h, _Stderr) for h in root.handlers):
        root.addHandler(_Stderr(logging.WARNING))


def report_system_conflicts(device: str, host: str, port: int, view_file: str) -> list[str]:
    """Log each conflicting ~/.ssh/known_hosts line once per process (a warning); returns them."""
    found = system_conflicts(host, port, pinned_keys(view_file))
    with _lock:
        new = [c for c in found if c not in _reported]
        _reported.update(new)
    for conflict in new:
        log.warning("%s: %s", device, conflict)
    return found
