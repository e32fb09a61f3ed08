"""Live GCU progress over real SSH: the twin prints GCU's console lines while `config apply-patch` runs
(each `  * [change]` right before that change, as generic_updater.py logs it), NetmikoRunner hands them
over as they arrive, and the transaction turns them into ApplyProgress before the command has ended."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from agent.intent import DeviceIntent
from agent.platforms.base import ApplyOptions, ApplyProgress, ApplyStatus
from agent.platforms.sonic.adapter import SonicAdapter
from agent.platforms.sonic.transaction import TxSettings
from agent.transports.ssh import NetmikoRunner, SshTarget
from rocelab.sonic.twin import SonicTwin
from rocelab.ssh import LabCredentials, TwinEndpoint, serve_twin

from .conftest import leaf1_twin

pytestmark = pytest.mark.integration
ADAPTER = SonicAdapter(TxSettings(verify_attempts=2, verify_interval_s=0, sleep=lambda _s: None))
CHANGE_S = 0.03  # the twin's time per GCU change: ~80 changes take ~2.5 s, long enough to watch


@pytest.fixture
def ssh_runner(tmp_path: Path) -> Iterator[tuple[SonicTwin, NetmikoRunner]]:
    """leaf1's twin over real SSH on a loop thread; a NetmikoRunner with the pinned key, as the agent has."""
    twin = leaf1_twin()
    twin.gcu.change_cost_s = CHANGE_S
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    host_key, client_key = (asyncssh.generate_private_key("ssh-ed25519") for _ in range(2))
    key_file = tmp_path / "id_ed25519"
    key_file.write_bytes(client_key.export_private_key())
    os.chmod(key_file, 0o600)
    endpoint = TwinEndpoint("leaf1", 0, lambda: twin, host_key)
    creds = LabCredentials(password="unused-in-this-test", client_keys=[client_key])
    acceptor = asyncio.run_coroutine_threadsafe(serve_twin(endpoint, creds), loop).result(10)
    pins = tmp_path / "known_hosts"
    pins.write_text(f"[127.0.0.1]:{acceptor.get_port()} {host_key.export_public_key().decode()}")
    target = SshTarget("leaf1", "127.0.0.1", acceptor.get_port(), known_hosts=str(pins), key_file=str(key_file))
    runner = NetmikoRunner.connect(target)
    try:
        yield twin, runner
    finally:
        runner.close()

        async def stop() -> None:
            acceptor.close()
            endpoint.close_sessions()
            await acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_progress_arrives_while_gcu_applies(ssh_runner: tuple[SonicTwin, NetmikoRunner], intent: DeviceIntent) -> None:
    _twin, runner = ssh_runner
    plan = ADAPTER.plan(intent, ADAPTER.gather(runner, intent))
    seen: list[tuple[float, ApplyProgress]] = []
    ended: list[float] = []
    apply_command = runner.run_streaming

    def timed(command: str, on_line: object, *, timeout: float = 60.0) -> object:
        try:
            return apply_command(command, on_line, timeout=timeout)  # type: ignore[arg-type]
        finally:
            ended.append(time.monotonic())

    runner.run_streaming = timed  # type: ignore[method-assign]
    out = ADAPTER.apply(runner, intent, plan, ApplyOptions(on_progress=lambda p: seen.append((time.monotonic(), p))))
    assert out.status is ApplyStatus.applied, out.detail
    events = [p for _, p in seen]
    total = events[0].total
    assert total is not None
    assert total > 20
    assert (events[0].applied, events[-1].applied) == (0, total)
    assert [p.applied for p in events] == list(range(total + 1))  # every change, in order
    assert seen[0][0] < ended[0] - 1.0  # the first progress came while GCU was still applying
    order = [p.flapping for p in events if p.flapping]
    assert list(dict.fromkeys(order)) == plan.disruptive  # one port down at a time, in the plan's order
    assert all(p.steps == 1 and p.device == "leaf1" for p in events)
    assert events[1].text().startswith(f"GCU: change 1/{total}")
