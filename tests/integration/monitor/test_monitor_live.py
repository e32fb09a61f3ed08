"""`monitor` against the lab over real SSH: scrape the endpoint, a PFC storm raises, stopping it clears.

The monitor runs in a thread of this process (the same `run_monitor` the CLI calls) with its own
CollectorRegistry on an ephemeral port; the storm is started and stopped with `lab traffic`, the
session drop with `lab fault`, exactly as an operator would.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.app.inputs import InventoryRequest, load_inventory
from agent.app.monitor import MonitorRequest, run_monitor
from agent.cli import app
from agent.monitor.poll import inventory_reader
from agent.platforms.sonic.adapter import ADAPTER
from agent.transports.ssh import DEAD_CHANNELS_KEPT, NetmikoRunner
from tests.integration.rocelab.conftest import ROOT, running_lab

pytestmark = pytest.mark.integration
runner = CliRunner()
POLICY = ROOT / "inventories" / "lab" / "policy.yaml"
STORM = 'roce_agent_pfc_rx_pause_frames_per_second{device="leaf1",port="Ethernet4",priority="3"}'


@dataclass
class Running:
    inventory: Path
    events: Path
    port: int

    def scrape(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as page:
            return str(page.read().decode())

    def value(self, series: str) -> float | None:
        for line in self.scrape().splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        return None

    def events_where(self, **fields: object) -> list[dict[str, object]]:
        docs = [json.loads(line) for line in self.events.read_text().splitlines() if line.strip()]
        return [d for d in docs if all(d.get(k) == v for k, v in fields.items())]


def until(what: Callable[[], object], timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what.__doc__ or what}")


@pytest.fixture(scope="module")
def monitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("monitor-lab")
    with running_lab(root, POLICY) as inventory:
        # a fresh SONiC image has no PFC watchdog (default_pfcwd_status disable): start it where the storm test
        # storms, as an operator would (`apply` would do it too, through the same pfcwd CLI)
        res = runner.invoke(app, ["lab", "exec", "leaf1", "sudo pfcwd start --action drop Ethernet4 200"])
        assert res.exit_code == 0, res.output
        events, stop, port = root / "events.jsonl", threading.Event(), []
        events.touch()
        request = MonitorRequest(InventoryRequest(inventory), interval_s=1.0, listen="127.0.0.1:0", events=events,
                                 audit_every=0)  # fmt: skip
        worker = threading.Thread(target=run_monitor, args=(request,), kwargs={"stop": stop, "on_listen": port.append})
        worker.start()
        try:
            until(lambda: port, 30)
            running = Running(inventory, events, port[0])
            until(lambda: 'roce_agent_device_up{device="leaf1"} 1.0' in running.scrape(), 60)
            yield running
        finally:
            stop.set()
            worker.join(30)


def test_every_device_is_up_and_counter_series_are_served(monitor: Running) -> None:
    devices = ("leaf1", "leaf2", "leaf3", "spine1", "spine2", *(f"host{i}" for i in range(1, 7)))
    up = [f'roce_agent_device_up{{device="{device}"}} 1.0' for device in devices]
    until(lambda: all(line in monitor.scrape() for line in up), 30)  # the first cycle reads 11 devices
    page = monitor.scrape()
    until(lambda: monitor.value(STORM) is not None, 15)  # a rate needs two reads
    assert monitor.value(STORM) == 0.0
    assert "roce_agent_monitor_cycle_seconds" in page


def test_pfc_storm_raises_and_clears(monitor: Running) -> None:
    assert runner.invoke(app, ["lab", "traffic", "leaf1", "Ethernet4", "storm"]).exit_code == 0
    try:
        until(lambda: (monitor.value(STORM) or 0) > 1000, 20)
        until(lambda: monitor.events_where(metric="pause_frames_per_s", device="leaf1", port="Ethernet4",
                                           priority=3, state="raised"), 10)  # fmt: skip
        until(lambda: monitor.events_where(metric="watchdog_storm", device="leaf1", state="raised"), 10)
        assert 'roce_agent_pfcwd_storm{device="leaf1",port="Ethernet4",priority="3"} 1.0' in monitor.scrape()
    finally:
        assert runner.invoke(app, ["lab", "traffic", "leaf1", "Ethernet4", "idle"]).exit_code == 0
    until(lambda: monitor.value(STORM) == 0.0, 20)
    until(lambda: monitor.events_where(metric="pause_frames_per_s", device="leaf1", state="cleared"), 10)
    until(lambda: monitor.events_where(metric="watchdog_storm", device="leaf1", state="cleared"), 10)
    (raised,) = monitor.events_where(metric="pause_frames_per_s", device="leaf1", priority=3, state="raised")
    assert raised["severity"] == "warning"
    assert isinstance(raised["value"], float)
    assert raised["value"] > 1000.0


def test_a_device_that_drops_its_session_is_down_then_back_and_the_others_go_on(monitor: Running) -> None:
    cycles_before = monitor.value("roce_agent_monitor_cycles_total") or 0.0
    res = runner.invoke(app, ["lab", "fault", "spine2", "drop-after-commands", "count=0"])
    assert res.exit_code == 0, res.output
    until(lambda: monitor.events_where(metric="device_down", device="spine2", state="raised"), 20)
    until(lambda: monitor.events_where(metric="device_down", device="spine2", state="cleared"), 30)  # reconnected
    assert (monitor.value('roce_agent_poll_errors_total{device="spine2"}') or 0) >= 1
    assert monitor.value('roce_agent_poll_errors_total{device="leaf1"}') == 0
    assert (monitor.value("roce_agent_monitor_cycles_total") or 0) > cycles_before
    assert 'roce_agent_device_up{device="leaf1"} 1.0' in monitor.scrape()


def test_switches_are_read_by_one_redis_eval_and_hosts_by_their_tools(monitor: Running) -> None:
    """The monitor's own reader over the lab inventory: COUNTERS_DB in one EVAL, not the counter CLIs."""
    loaded = load_inventory(InventoryRequest(monitor.inventory))
    read = inventory_reader(loaded)
    try:
        leaf, host = read("leaf1"), read("host1")
        for _ in range(3 * DEAD_CHANNELS_KEPT):  # a long run's many exec channels on one session
            read("leaf1")
        runner = ADAPTER.connect(loaded.nr.inventory.hosts["leaf1"], loaded.nr.config)  # the session read
        assert isinstance(runner, NetmikoRunner)
        seen = runner.connection.remote_conn_pre.get_transport().channels_seen
        assert len(seen) <= 2 * DEAD_CHANNELS_KEPT + 1
    finally:
        loaded.nr.close_connections(on_good=True, on_failed=True)
    assert (leaf.read_path, leaf.round_trips, leaf.notes) == ("redis", 1, [])
    assert set(leaf.ports["Ethernet4"].pfc_rx) == set(range(8))
    assert leaf.ports["Ethernet4"].packets
    assert leaf.ports["Ethernet4"].headroom_wm_bytes
    assert host.read_path == "host"
