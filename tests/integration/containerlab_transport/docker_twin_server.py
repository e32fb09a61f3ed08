"""The far side of the fake `docker`: containers named like containerlab's, each one a lab twin.

Understands what the docker-exec transport sends, answered the way the docker CLI answers:

* `inspect --format {{.State.Running}} NAME` -> `true`, or `Error: No such object: NAME` (exit 1);
* `exec [-i] [-t] [--user U] NAME bash|sh -c SCRIPT` -> SCRIPT through the lab's login-shell layer as
  root (docker exec into sonic-vs is root), the twin's stdout, stderr and exit status;
* `exec -i NAME sh -c 'cat > "$1"' sh PATH` with data on stdin -> the file lands in the twin;
* an unknown container -> `Error response from daemon: No such container: NAME` (exit 1); a shell the
  image lacks -> docker's `OCI runtime exec failed ...` (exit 126).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socketserver
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rocelab.shell import TwinShell
from rocelab.twin import Twin

SHELLS = ("bash", "sh", "/bin/bash", "/bin/sh")
UPLOAD_SCRIPT = 'cat > "$1"'


class DockerTwinServer:
    def __init__(self, socket_path: Path, containers: dict[str, Twin], *, shells: tuple[str, ...] = SHELLS) -> None:
        self.socket_path = socket_path
        self.containers = containers
        self.shells = shells
        self.lock = threading.Lock()
        self.calls: list[list[str]] = []  # every argv received, for assertions on what was sent
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request = json.loads(self.rfile.read())
                stdout, stderr, code = server.answer(request["argv"], base64.b64decode(request["stdin"]))
                self.wfile.write(json.dumps({"stdout": stdout, "stderr": stderr, "code": code}).encode())

        self.server = socketserver.ThreadingUnixStreamServer(str(socket_path), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> DockerTwinServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def answer(self, argv: list[str], stdin: bytes) -> tuple[str, str, int]:
        with self.lock:
            self.calls.append(list(argv))
            if argv[:1] == ["inspect"]:
                return self.inspect(argv[1:])
            if argv[:1] == ["exec"]:
                return self.exec(argv[1:], stdin)
            return "", f"docker: '{argv[0] if argv else ''}' is not a docker command.\n", 1

    def inspect(self, args: list[str]) -> tuple[str, str, int]:
        name = args[-1]
        if name not in self.containers:
            return "", f"Error: No such object: {name}\n", 1
        return "true\n", "", 0

    def exec(self, args: list[str], stdin: bytes) -> tuple[str, str, int]:
        while args and args[0].startswith("-"):
            args = args[2:] if args[0] in ("--user", "-u") else args[1:]
        name, cmd = args[0], args[1:]
        twin = self.containers.get(name)
        if twin is None:
            return "", f"Error response from daemon: No such container: {name}\n", 1
        if cmd[:1] and cmd[0] not in self.shells:
            return "", _oci_error(cmd[0]), 126
        if cmd[1:2] != ["-c"] or len(cmd) < 3:
            return "", "exec expects SHELL -c SCRIPT in these tests\n", 2
        if cmd[2] == UPLOAD_SCRIPT:
            twin.write_file(cmd[4], stdin)
            return "", "", 0
        outcome = TwinShell(twin, twin.hostname, root=True).run_line(cmd[2])
        return outcome.stdout, outcome.stderr, outcome.exit_code


def _oci_error(program: str) -> str:
    return (
        "OCI runtime exec failed: exec failed: unable to start container process: "
        f'exec: "{program}": executable file not found in $PATH: unknown\n'
    )


def install_fake_docker(bin_dir: Path, python: str) -> Path:
    """A `docker` wrapper running fake_docker.py with this interpreter; returns its path."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = Path(__file__).with_name("fake_docker.py")
    wrapper = bin_dir / "docker"
    wrapper.write_text(f'#!/bin/sh\nexec "{python}" "{script}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@contextlib.contextmanager
def fake_docker_on_path(
    server_class: type[DockerTwinServer], containers: dict[str, Twin], bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DockerTwinServer]:
    """Serve `containers` and put the fake `docker` first on PATH, pointed at that server, for one test."""
    sock_dir = Path(tempfile.mkdtemp(prefix="fakedocker"))  # AF_UNIX paths must stay under 108 bytes
    server = server_class(sock_dir / "docker.sock", containers).start()
    install_fake_docker(bin_dir, sys.executable)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_DOCKER_SOCKET", str(sock_dir / "docker.sock"))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(sock_dir, ignore_errors=True)
