"""monitor as a library call: poll counters every interval, serve them, raise and clear threshold events.

Inputs are validated before any device is contacted (the one loader, agent.app.inputs). Each cycle
reads every device once (counters only, concurrently), turns two reads into rates, publishes them to
the Prometheus collector, applies the policy's `monitoring.thresholds`, writes events as JSON lines,
stores samples and events in the history, and every `monitoring.audit_every` cycles starts a full
audit in the background whose error findings become `config_drift` events.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from agent.app.inputs import InventoryRequest, LoadedInventory, load_inventory
from agent.counters import CounterSample
from agent.errors import InputError, InputProblem
from agent.intent import DeviceIntent
from agent.monitor import metrics as M
from agent.monitor.drift import DriftResult, PeriodicAudit
from agent.monitor.exporter import MonitorCollector, View, parse_listen, serve
from agent.monitor.poll import Poller, PollResult, Reader, inventory_reader
from agent.monitor.store import MonitorStore
from agent.monitor.thresholds import Alarms, Event
from agent.policy.monitoring import Monitoring
from agent.report import history
from agent.state import DeviceKind

DOWN_AFTER_S = 15.0  # a counters read running longer than this (or 3 intervals) means the device is down


@dataclass(frozen=True)
class MonitorRequest:
    inputs: InventoryRequest
    interval_s: float = 10.0
    listen: str | None = "127.0.0.1:9464"  # None: no HTTP endpoint
    events: Path | None = None  # JSON lines appended here; None: stdout
    once: bool = False  # two reads one interval apart, evaluate, exit
    cycles: int | None = None  # stop after this many cycles (demo, tests); None: until stopped
    record_history: bool = True
    audit_every: int | None = None  # full audit every N cycles; None: the policy's monitoring.audit_every


KEEP_EVENTS = 1000  # the latest events a run keeps in memory (all of them went to the sink and the history)


@dataclass
class MonitorRun:
    """What a run did. Bounded: a monitor runs for months, so it keeps counts, the keys still raised and
    only the latest `KEEP_EVENTS` events, never every event since it started."""

    cycles: int = 0
    events: deque[Event] = field(default_factory=lambda: deque(maxlen=KEEP_EVENTS))
    event_count: int = 0
    port: int | None = None  # the endpoint's port (useful with --listen HOST:0)
    active: set[tuple[str, str, str | None, int | None]] = field(default_factory=set)

    def add(self, events: list[Event]) -> None:
        for e in events:
            rule = f"{e.metric}:{e.value}" if e.metric == "config_drift" else e.metric  # drift: one key per check
            key = (rule, e.device, e.port, e.priority)
            (self.active.add if e.state == "raised" else self.active.discard)(key)
        self.events.extend(events)
        self.event_count += len(events)

    @property
    def exit_code(self) -> int:
        """0: nothing raised is still active at the end, 1: something is (only meaningful with --once)."""
        return 1 if self.active else 0


def context_of(intent: DeviceIntent) -> M.DeviceContext:
    policy = intent.policy
    roce = policy.roce_class
    return M.DeviceContext(
        device=intent.name,
        host=intent.kind is DeviceKind.host,
        lossless=frozenset(policy.lossless_priorities),
        roce=frozenset({roce.priority} if roce is not None else set()),
        cnp=policy.cnp_priority,
    )


def validate(request: MonitorRequest) -> None:
    """Option values that are wrong whatever the inventory says (exit 2, nothing contacted)."""
    if not request.interval_s > 0:
        raise InputError([InputProblem(None, None, "--interval", f"must be > 0 seconds, got {request.interval_s}")])
    if request.listen is not None:
        try:
            parse_listen(request.listen)
        except ValueError as exc:
            raise InputError([InputProblem(None, None, "--listen", str(exc))]) from None


class EventSink:
    """JSON lines to a file (appended, flushed per line) or to stdout."""

    def __init__(self, path: Path | None) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8") if path is not None else sys.stdout
        self._owned = path is not None

    def write(self, event: Event) -> None:
        self._file.write(json.dumps(event.to_json(), sort_keys=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._owned:
            self._file.close()


class Monitor:
    """The state carried from cycle to cycle; `cycle()` is one poll-evaluate-publish step."""

    def __init__(
        self, loaded: LoadedInventory, settings: Monitoring, read: Reader, interval_s: float, wait_all: bool = False
    ) -> None:
        self.devices = sorted(loaded.intents)
        self.contexts = {n: context_of(i) for n, i in loaded.intents.items()}
        self.settings = settings
        self.interval_s = interval_s
        self.poller = Poller(self.devices, read, down_after_s=max(3 * interval_s, DOWN_AFTER_S))
        self.wait_s = self.poller.down_after_s if wait_all else interval_s  # --once: every device's answer
        self.up: dict[str, bool] = {}  # devices whose state is known (a first read still running is not)
        self.alarms = Alarms(settings.thresholds)
        self.collector = MonitorCollector()
        self.previous: dict[str, CounterSample] = {}
        self.last_sample: dict[str, float] = {}
        self.poll_errors: dict[str, int] = dict.fromkeys(self.devices, 0)
        self.cycles = 0

    def cycle(self, drift: DriftResult | None = None) -> tuple[list[M.Point], list[Event], int]:
        """Poll, rate, evaluate, publish; returns the series, the events and how many devices answered."""
        started = time.monotonic()
        polled = self.poller.poll(wait_s=self.wait_s)
        now = time.time()
        if drift is not None:
            for name, xoff in drift.xoff.items():
                self.contexts[name].xoff = xoff
        points = self._points(polled, now)
        events: list[Event] = []
        for name in self.devices:
            if name in polled.samples or name in polled.errors:
                self.up[name] = name in polled.samples
                events += self.alarms.device_up(name, self.up[name], polled.errors.get(name, ""), now)
        events += self.alarms.update(points, now)
        if drift is not None and drift.error is None:
            events += self.alarms.drift(drift.findings, drift.devices, now)
        self.cycles += 1
        self.collector.publish(
            View(tuple(points), dict(self.up), dict(self.last_sample),
                 dict(self.poll_errors), time.monotonic() - started, self.cycles,
                 {str(k): v for k, v in self.alarms.counts().items()})
        )  # fmt: skip
        return points, events, sum(self.up.values())

    def _points(self, polled: PollResult, now: float) -> list[M.Point]:
        points: list[M.Point] = []
        for name in polled.errors:
            self.poll_errors[name] += 1
        for name, sample in sorted(polled.samples.items()):
            points += M.rates(self.previous.get(name), sample, self.contexts[name])
            self.previous[name] = sample
            self.last_sample[name] = now
        return points

    def close(self) -> None:
        self.poller.close()


def run_monitor(
    request: MonitorRequest,
    *,
    stop: threading.Event | None = None,
    read: Reader | None = None,
    on_listen: Callable[[int], None] | None = None,
) -> MonitorRun:
    """Run until `stop` is set, `request.cycles` ran, or once (`request.once`); InputError before any
    device on bad input. `read` replaces the devices' counters read (tests, benchmarks)."""
    validate(request)
    loaded = load_inventory(request.inputs)
    settings = next(iter(loaded.intents.values())).policy.monitoring
    if request.audit_every is not None:
        settings = settings.model_copy(update={"audit_every": request.audit_every})
    monitor = Monitor(loaded, settings, read or inventory_reader(loaded), request.interval_s, request.once)
    stop = stop or threading.Event()
    run = MonitorRun()
    server = None
    if request.listen is not None:
        try:
            server, run.port = serve(monitor.collector, *parse_listen(request.listen))
        except OSError as exc:
            monitor.close()
            why = f"cannot listen on {request.listen}: {exc.strerror or exc}"
            raise InputError([InputProblem(None, None, "--listen", why)]) from None
        if on_listen is not None:
            on_listen(run.port)
    sink = EventSink(request.events)
    store = MonitorStore(history.db_path(request.inputs.inventory), settings.history_retention_days * 86400)
    auditor = PeriodicAudit(request.inputs) if settings.audit_every and not request.once else None
    wanted = 2 if request.once else request.cycles
    try:
        _loop(monitor, run, stop, wanted, sink, store if request.record_history else None, auditor)
    finally:
        monitor.close()
        sink.close()
        if server is not None:
            server.shutdown()
            server.server_close()
    return run


def _loop(
    monitor: Monitor,
    run: MonitorRun,
    stop: threading.Event,
    wanted: int | None,
    sink: EventSink,
    store: MonitorStore | None,
    auditor: PeriodicAudit | None,
) -> None:
    every = monitor.settings.audit_every
    while not stop.is_set() and (wanted is None or monitor.cycles < wanted):
        started = time.monotonic()
        if auditor is not None and monitor.cycles % every == 0:
            auditor.start()  # in the background; its result is taken by a later cycle
        points, events, up = monitor.cycle(auditor.take() if auditor is not None else None)
        for event in events:
            sink.write(event)
        run.add(events)
        if store is not None and monitor.cycles % monitor.settings.history_every == 0:
            store.record(time.time(), points, events, up, len(monitor.devices))
        if wanted is not None and monitor.cycles >= wanted:
            break
        stop.wait(max(0.0, monitor.interval_s - (time.monotonic() - started)))
    run.cycles = monitor.cycles
