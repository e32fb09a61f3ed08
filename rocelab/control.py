"""The CLI side of the lab: start the lab process in the background, talk to it, stop it, clean up.

`start_lab` returns only when every twin answers with an SSH banner. A lab is "running" when the pid
in `lab.pid` is alive *and* is a lab runtime (so a stale file after a crash or a reboot, or a reused
pid, never blocks `lab up`). Only files the lab creates are removed; the state dir itself is removed
when that leaves it empty, so pointing ROCE_AGENT_LAB_DIR at a shared directory is safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agent.inventory.clab import load_clab
from rocelab.paths import LabPaths
from rocelab.process import pid_alive
from rocelab.runtime import RuntimeOptions
from rocelab.spec import build_spec

RUNTIME_MODULE = "rocelab.runtime"


class LabError(Exception):
    """A lab operation failed; `code` is the CLI exit code (1 = state conflict, 2 = could not run)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _is_runtime(pid: int) -> bool:
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.is_dir():
        return True  # no procfs: trust the pid file
    with contextlib.suppress(OSError):
        return RUNTIME_MODULE.encode() in cmdline.read_bytes()
    return False


def running_pid(paths: LabPaths) -> int | None:
    try:
        text = paths.lock.read_text().strip()
    except OSError:
        return None
    if not text.isdigit():
        return None
    pid = int(text)
    return pid if pid_alive(pid) and _is_runtime(pid) else None


def read_state(paths: LabPaths) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(paths.state.read_text())
    except (OSError, ValueError):
        return None
    return state


def request(paths: LabPaths, payload: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """One JSON-lines request on the control socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(paths.control))
        sock.sendall(json.dumps(payload).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data or b"{}")
    return reply


def cleanup(paths: LabPaths) -> None:
    """Remove what a lab created in its state dir; remove the dir when nothing else is left."""
    for path in (paths.state, paths.control, paths.client_key, paths.client_pub, paths.password, paths.log, paths.lock):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    shutil.rmtree(paths.twins, ignore_errors=True)
    shutil.rmtree(paths.root / "inventory", ignore_errors=True)  # the default inventory of a non-default topology
    with contextlib.suppress(OSError):
        paths.root.rmdir()


def _runtime_argv(options: RuntimeOptions) -> list[str]:
    argv = [sys.executable, "-m", RUNTIME_MODULE, "--topology", str(options.topology.resolve()),
            "--inventory", str(options.inventory.resolve()), "--state-dir", str(options.state_dir.resolve()),
            "--base-port", str(options.base_port), "--latency-ms", str(options.latency_ms)]  # fmt: skip
    if options.policy is not None:
        argv += ["--policy", str(options.policy.resolve())]
    if options.twin_factory:
        argv += ["--twin-factory", options.twin_factory]
    if options.cost_model:
        argv += ["--cost-model", options.cost_model]
    return argv


def start_lab(options: RuntimeOptions, timeout_s: float = 60.0) -> dict[str, Any]:
    """Validate, spawn the lab process detached from the terminal, wait until every twin answers."""
    paths = LabPaths(options.state_dir.resolve())
    pid = running_pid(paths)
    if pid is not None:
        raise LabError(f"a lab is already running (pid {pid}, state {paths.root}); `roce-agent lab down` first", 1)
    spec = build_spec(load_clab(options.topology), options.base_port)  # InputError (exit 2) before anything starts
    cleanup(paths)  # leftovers of a lab that died without `lab down`
    paths.ensure()
    try:
        lock = os.open(paths.lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise LabError(f"another `lab up` is starting a lab in {paths.root}", 1) from exc
    with open(paths.log, "ab") as log:
        proc = subprocess.Popen(
            _runtime_argv(options), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    os.write(lock, f"{proc.pid}\n".encode())
    os.close(lock)
    try:
        state = _wait_ready(paths, proc, [n.port for n in spec.nodes], time.monotonic() + timeout_s)
    except LabError:
        _terminate(proc.pid)
        proc.wait(timeout=10)
        cleanup(paths)
        raise
    return state


def _log_tail(paths: LabPaths, lines: int = 5) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(paths.log.read_text(errors="replace").strip().splitlines()[-lines:])
    return ""


def _wait_ready(paths: LabPaths, proc: subprocess.Popen[bytes], ports: list[int], deadline: float) -> dict[str, Any]:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabError(f"the lab process exited with code {proc.returncode}:\n{_log_tail(paths)}")
        state = read_state(paths)
        if state and state.get("pid") == proc.pid:
            _wait_banners(ports, deadline)
            return state
        time.sleep(0.05)
    raise LabError(f"the lab did not come up in time; log {paths.log}:\n{_log_tail(paths)}")


def _wait_banners(ports: list[int], deadline: float, address: str = "127.0.0.1") -> None:
    """Every twin must accept a TCP connection and send its SSH identification string."""
    for port in ports:
        while True:
            try:
                with socket.create_connection((address, port), timeout=2.0) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise LabError(f"twin on port {port} does not answer SSH")
            time.sleep(0.05)


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def stop_lab(paths: LabPaths, timeout_s: float = 15.0) -> int | None:
    """Stop the running lab and clean its state dir; returns the pid stopped, None when none ran."""
    pid = running_pid(paths)
    if pid is None:
        cleanup(paths)
        return None
    try:
        request(paths, {"op": "down"}, timeout=5.0)
    except (OSError, ValueError):
        _terminate(pid)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline += 5.0
        time.sleep(0.05)
    cleanup(paths)
    return pid


def lab_status(paths: LabPaths) -> dict[str, Any] | None:
    """state.json merged with live data from the process (uptime, sessions); None when no lab runs."""
    pid = running_pid(paths)
    state = read_state(paths)
    if pid is None or state is None:
        return None
    try:
        live = request(paths, {"op": "status"}, timeout=5.0)
    except (OSError, ValueError) as exc:
        return {**state, "control": f"unreachable: {exc}"}
    per_node = {n["name"]: n for n in live.get("nodes", [])}
    nodes = [{**n, **per_node.get(n["name"], {})} for n in state["nodes"]]
    return {**state, "nodes": nodes, "uptime_s": live.get("uptime_s"), "control": "ok"}
