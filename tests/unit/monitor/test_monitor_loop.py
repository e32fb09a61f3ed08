"""The monitor use case without devices: fake counters reads over the lab inventory, a real HTTP scrape."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from agent.app.inputs import InventoryRequest
from agent.app.monitor import MonitorRequest, run_monitor
from agent.counters import CounterSample, PortSample
from agent.errors import DeviceError, InputError
from agent.monitor import store
from agent.monitor.exporter import exposed_names, parse_listen
from tests.lab_inventory import write_lab_inventory


class FakeFabric:
    """Counters that grow per read; leaf1 Ethernet4 storms from read 2 on; spine2 never answers."""

    def __init__(self) -> None:
        self.reads: dict[str, int] = {}
        self.lock = threading.Lock()

    def read(self, name: str) -> CounterSample:
        with self.lock:
            n = self.reads[name] = self.reads.get(name, 0) + 1
        if name == "spine2":
            raise DeviceError(name, "connect", "connection refused")
        storm = name == "leaf1" and n >= 2
        port = PortSample(pfc_rx={3: n * 50_000 if storm else 0}, wd_storms={3: 1 if storm else 0})
        if storm:
            port.wd_stormed = {3}
        return CounterSample(name, float(n), {"Ethernet4" if name.startswith("leaf") else "eth1": port})


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROCE_AGENT_LAB_PASSWORD", "not-used")
    return write_lab_inventory(tmp_path / "inventory")


def test_cycles_raise_events_serve_metrics_and_keep_history(inventory: Path, tmp_path: Path) -> None:
    fabric, events = FakeFabric(), tmp_path / "events.jsonl"
    scraped: list[str] = []

    def scrape(port: int) -> None:
        scraped.append(str(port))

    request = MonitorRequest(InventoryRequest(inventory), interval_s=0.05, listen="127.0.0.1:0", events=events,
                             cycles=3, audit_every=0)  # fmt: skip
    run = run_monitor(request, read=fabric.read, on_listen=scrape)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    raised = {(e["metric"], e["device"], e["port"], e["priority"]) for e in lines if e["state"] == "raised"}
    assert ("device_down", "spine2", None, None) in raised
    assert ("pause_frames_per_s", "leaf1", "Ethernet4", 3) in raised
    assert ("watchdog_storm", "leaf1", "Ethernet4", 3) in raised
    assert all(fabric.reads[d] == 3 for d in fabric.reads)  # the others went on every cycle
    assert run.cycles == 3
    assert scraped
    db = inventory / ".state" / "history.sqlite"
    assert {r.metric for r in store.samples(db, 0)} >= {"roce_agent_pfc_rx_pause_frames_per_second"}
    assert len(store.cycles(db, 0)) == 3
    assert len(store.events(db, 0)) == len(lines)


def test_scrape_over_http_shows_device_up_and_rates(inventory: Path) -> None:
    fabric, stop, port = FakeFabric(), threading.Event(), []
    request = MonitorRequest(InventoryRequest(inventory), interval_s=0.05, listen="127.0.0.1:0", cycles=None,
                             record_history=False, events=inventory / "ev.jsonl", audit_every=0)  # fmt: skip
    worker = threading.Thread(target=run_monitor, args=(request,),
                              kwargs={"stop": stop, "read": fabric.read, "on_listen": port.append})  # fmt: skip
    worker.start()
    try:
        for _ in range(200):
            if port and fabric.reads.get("leaf1", 0) >= 3:
                break
            threading.Event().wait(0.02)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port[0]}/metrics", timeout=5).read().decode()
    finally:
        stop.set()
        worker.join(10)
    assert 'roce_agent_device_up{device="spine2"} 0.0' in page
    assert 'roce_agent_device_up{device="leaf1"} 1.0' in page
    assert 'roce_agent_pfc_rx_pause_frames_per_second{device="leaf1",port="Ethernet4",priority="3"} 50000.0' in page
    assert 'roce_agent_poll_errors_total{device="spine2"}' in page
    assert "roce_agent_monitor_cycle_seconds" in page
    served = {line.split("{")[0].split(" ")[0] for line in page.splitlines() if line and not line.startswith("#")}
    assert served <= exposed_names()
    assert not any(n.startswith("roce_agent") for n in REGISTRY._names_to_collectors)  # no global registry leak


def test_bad_options_are_input_errors_before_any_read(inventory: Path) -> None:
    fabric = FakeFabric()
    for request in (
        MonitorRequest(InventoryRequest(inventory), interval_s=0),
        MonitorRequest(InventoryRequest(inventory), listen="localhost"),
        MonitorRequest(InventoryRequest(inventory / "missing")),
    ):
        with pytest.raises(InputError):
            run_monitor(request, read=fabric.read)
    assert fabric.reads == {}


def test_listen_forms() -> None:
    assert parse_listen("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:9") == ("::1", 9)
    assert parse_listen(":9464") == ("0.0.0.0", 9464)
