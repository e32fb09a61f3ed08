"""The lab process: every twin of a topology served over SSH from one asyncio loop, plus a control socket.

Started in the background by `roce-agent lab up` (`python -m rocelab.runtime ...`) and stopped by
`lab down`. Startup order matters for the CLI's readiness check: listen on every port, write the
inventory and known_hosts, open the control socket, and only then write `state.json`.

Host keys: one ed25519 key per twin, generated in memory at start and never written to disk; only the
public halves go to known_hosts. Per-twin keys cost ~0.05 ms each, so even 512 twins start in well
under a second, and they keep host-key pinning meaningful: a client pointed at the wrong port (wrong
device) is refused, exactly as with real devices.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import asyncssh

from agent.errors import InputError
from agent.inventory.clab import ClabTopology, load_clab
from rocelab.cost import CostModel, cost_model
from rocelab.inventory_writer import LAB_ADDRESS, write_inventory
from rocelab.paths import PASSWORD_ENV, LabPaths, write_secret
from rocelab.ports import BASE_PORT_ENV
from rocelab.spec import (
    DEFAULT_BASE_PORT,
    LabNode,
    LabSpec,
    TwinFactory,
    build_real_twin,
    build_spec,
    require_real_twins,
)
from rocelab.ssh import LabCredentials, TwinEndpoint, serve_twin
from rocelab.twin import Twin

log = logging.getLogger("rocelab")


@dataclass(frozen=True)
class RuntimeOptions:
    topology: Path
    inventory: Path
    state_dir: Path
    base_port: int = DEFAULT_BASE_PORT
    latency_ms: float = 0.0
    policy: Path | None = None
    twin_factory: str | None = None  # "module:callable" (tests, benchmarks); default: the product twins
    cost_model: str | None = None  # x86 | arm | flat:<N>ms (rocelab.cost); None: flat at latency_ms

    def model(self) -> CostModel:
        """The device cost model; ValueError naming the allowed profiles."""
        return cost_model(self.cost_model or f"flat:{self.latency_ms:g}ms")


class LazyTwin:
    """Builds the twin on first use, so a big lab starts fast and idle twins cost almost nothing."""

    def __init__(self, node: LabNode, factory: TwinFactory, state_dir: Path | None) -> None:
        self.node = node
        self._factory = factory
        self._state_dir = state_dir
        self.twin: Twin | None = None

    def get(self) -> Twin:
        if self.twin is None:
            self.twin = self._factory(self.node, self._state_dir)
            log.info("%s: twin built", self.node.name)
        return self.twin


def load_factory(spec: str | None) -> TwinFactory:
    if not spec:
        return build_real_twin
    module, _, attr = spec.partition(":")
    return cast(TwinFactory, getattr(importlib.import_module(module), attr))


def lab_credentials(paths: LabPaths) -> tuple[LabCredentials, str | None]:
    """Fresh client key pair for this lab; password from $ROCE_AGENT_LAB_PASSWORD or random (saved 0600)."""
    key = asyncssh.generate_private_key("ssh-ed25519", comment="roce-agent-lab")
    write_secret(paths.client_key, key.export_private_key())
    paths.client_pub.write_bytes(key.export_public_key())
    password = os.environ.get(PASSWORD_ENV)
    password_file: str | None = None
    if not password:
        password = secrets.token_urlsafe(18)
        write_secret(paths.password, password.encode() + b"\n")
        password_file = str(paths.password)
    return LabCredentials(password=password, client_keys=[key]), password_file


class LabRuntime:
    def __init__(self, spec: LabSpec, topo: ClabTopology, paths: LabPaths, options: RuntimeOptions) -> None:
        self.spec = spec
        self.topo = topo
        self.paths = paths
        self.options = options
        factory = load_factory(options.twin_factory)
        if factory is build_real_twin:
            require_real_twins(spec)
        self.twins = {n.name: LazyTwin(n, factory, paths.twins / n.name) for n in spec.nodes}
        self.endpoints: dict[str, TwinEndpoint] = {}
        self.acceptors: list[asyncssh.SSHAcceptor] = []
        self.control: asyncio.AbstractServer | None = None
        self.started = time.time()
        self.stopped = asyncio.Event()

    async def start(self) -> None:
        self.paths.ensure()
        credentials, password_file = lab_credentials(self.paths)
        model = self.options.model()
        for node in self.spec.nodes:
            key = asyncssh.generate_private_key("ssh-ed25519")
            ep = TwinEndpoint(node.name, node.port, self.twins[node.name].get, key, model)
            try:
                self.acceptors.append(await serve_twin(ep, credentials, address=LAB_ADDRESS))
            except OSError as exc:
                raise RuntimeError(
                    f"{node.name}: cannot listen on {LAB_ADDRESS}:{node.port}: {exc.strerror}; choose other ports "
                    f"with `--base-port N` or `{BASE_PORT_ENV}=N`, or set neither and the lab picks free ones"
                ) from exc
            self.endpoints[node.name] = ep
        write_inventory(
            self.spec,
            self.topo,
            self.options.inventory,
            client_key=self.paths.client_key,
            host_keys={name: ep.host_key.export_public_key().decode() for name, ep in self.endpoints.items()},
            policy_source=self.options.policy,
        )
        with contextlib.suppress(FileNotFoundError):
            self.paths.control.unlink()
        self.control = await asyncio.start_unix_server(self._serve_control, path=str(self.paths.control))
        os.chmod(self.paths.control, 0o600)
        self._write_state(password_file)
        log.info("lab %s up: %d twins from port %d", self.spec.name, len(self.spec.nodes), self.spec.base_port)

    def _write_state(self, password_file: str | None) -> None:
        nodes = [
            {"name": n.name, "device_kind": n.device_kind, "clab_kind": n.clab_kind, "role": n.role,
             "address": LAB_ADDRESS, "port": n.port, "mgmt_ipv4": n.mgmt_ipv4}
            for n in self.spec.nodes
        ]  # fmt: skip
        state = {
            "lab": self.spec.name,
            "pid": os.getpid(),
            "started_at": self.started,
            "topology": str(self.spec.topology_file.resolve()),
            "inventory": str(self.options.inventory.resolve()),
            "known_hosts": str((self.options.inventory / "known_hosts").resolve()),
            "client_key": str(self.paths.client_key),
            "password_file": password_file,
            "state_dir": str(self.paths.root),
            "base_port": self.spec.base_port,
            "latency_ms": self.options.latency_ms,
            "cost_model": self.options.model().name,
            "nodes": nodes,
        }
        tmp = self.paths.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.replace(self.paths.state)

    async def _serve_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    reply = self.dispatch(json.loads(line))
                except (ValueError, TypeError) as exc:
                    reply = {"ok": False, "code": 2, "error": f"bad request: {exc}"}
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        finally:
            writer.close()

    def dispatch(self, request: dict[str, Any]) -> dict[str, Any]:
        """One control request -> reply. Errors in the request (unknown device, fault, pattern) are code 2."""
        op = request.get("op")
        if op == "status":
            return {
                "ok": True,
                "pid": os.getpid(),
                "uptime_s": round(time.time() - self.started, 1),
                "nodes": self._live(),
            }
        if op == "down":
            asyncio.get_running_loop().call_soon(self.stopped.set)
            return {"ok": True, "message": "stopping"}
        if op not in ("fault", "traffic"):
            return {"ok": False, "code": 2, "error": f"unknown op {op!r}; ops: status, fault, traffic, down"}
        device = str(request.get("device"))
        if device not in self.twins:
            known = ", ".join(sorted(self.twins))
            return {"ok": False, "code": 2, "error": f"unknown device {device!r}; devices: {known}"}
        twin = self.twins[device].get()
        try:
            if op == "fault":
                options = {str(k): str(v) for k, v in (request.get("options") or {}).items()}
                message = twin.inject_fault(str(request.get("kind")), options)
            else:
                message = twin.set_traffic(str(request.get("port")), str(request.get("pattern")))
        except (ValueError, KeyError) as exc:
            return {"ok": False, "code": 2, "error": f"{device}: {exc}"}
        log.info("%s: %s: %s", device, op, message)
        return {"ok": True, "message": message}

    def _live(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "sessions": ep.sessions,
                "built": self.twins[name].twin is not None,
                "device_s": round(ep.clock.busy_s, 6),
                "costed_commands": ep.clock.commands,
            }
            for name, ep in self.endpoints.items()
        ]

    async def stop(self) -> None:
        for acceptor in self.acceptors:
            acceptor.close()
        for endpoint in self.endpoints.values():
            endpoint.close_sessions()
        if self.control is not None:
            self.control.close()
        with contextlib.suppress(FileNotFoundError):
            self.paths.control.unlink()
        log.info("lab %s stopped", self.spec.name)


async def watch_lock(paths: LabPaths, stopped: asyncio.Event, interval_s: float = 2.0) -> None:
    """Stop when our lock file disappears or names another process (state dir wiped, lab replaced).

    Arms only once the lock has named this process (the CLI writes it just after spawning us), so a
    runtime started by hand without a lock file is never stopped by it. Prevents orphaned labs, e.g.
    after a test run whose temporary state dir was removed without `lab down`.
    """
    mine, armed = str(os.getpid()), False
    while not stopped.is_set():
        try:
            owner = paths.lock.read_text().strip()
        except OSError:
            owner = None
        if owner == mine:
            armed = True
        elif armed and owner != "":
            log.warning("lock %s no longer names this lab (%r); stopping", paths.lock, owner)
            stopped.set()
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopped.wait(), timeout=interval_s)


async def run(options: RuntimeOptions) -> int:
    topo = load_clab(options.topology)
    spec = build_spec(topo, options.base_port)
    runtime = LabRuntime(spec, topo, LabPaths(options.state_dir), options)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.stopped.set)
    watchdog = asyncio.create_task(watch_lock(runtime.paths, runtime.stopped))
    try:
        await runtime.start()
        await runtime.stopped.wait()
    finally:
        runtime.stopped.set()
        await watchdog
        await runtime.stop()
    return 0


def parse_args(argv: list[str] | None) -> RuntimeOptions:
    p = argparse.ArgumentParser(
        prog="python -m rocelab.runtime", description="Serve lab twins (use `roce-agent lab up`)."
    )
    p.add_argument("--topology", type=Path, required=True)
    p.add_argument("--inventory", type=Path, required=True)
    p.add_argument("--state-dir", type=Path, required=True)
    p.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--policy", type=Path, default=None)
    p.add_argument("--twin-factory", default=None, help="module:callable(node, state_dir) -> Twin")
    p.add_argument("--cost-model", default=None, help="x86 | arm | flat:<N>ms (default: flat at --latency-ms)")
    return RuntimeOptions(**vars(p.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    options = parse_args(argv)
    try:
        return asyncio.run(run(options))
    except InputError as exc:
        log.error("%s", exc)
        return 2
    except (RuntimeError, OSError, ImportError) as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
