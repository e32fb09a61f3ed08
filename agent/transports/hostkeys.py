"""Per-device views of an inventory's known_hosts, so connecting stays cheap on big inventories.

paramiko reads the whole known_hosts file on every connection and, while loading, compares each entry
with every entry already loaded. An inventory of N devices pins N keys, so one connection costs O(N^2)
and an audit of N devices O(N^3): about 40 ms of CPU per connection at 512 devices, 20 s per audit
(measured by benchmarks/). `pinned_keys_file` hands paramiko only the lines that can match the device
being contacted. Nothing that could match is dropped: plain entries for this host:port, and every
hashed (`|1|...`), wildcard/negated pattern and marker (`@cert-authority`, `@revoked`) line are kept,
so verification accepts and refuses exactly what the full file would.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading

_lock = threading.Lock()
_dir: str | None = None
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
    global _dir
    if _dir is None:
        _dir = tempfile.mkdtemp(prefix="roce-agent-known-hosts-")
        atexit.register(shutil.rmtree, _dir, True)
    return _dir
