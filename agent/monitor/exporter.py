"""The Prometheus endpoint: a custom prometheus_client Collector over the latest cycle.

The monitor replaces one immutable `View` after each cycle; a scrape renders that view, so a scrape
never sees half a cycle and costs no device read. The collector lives in its own CollectorRegistry
(never the library's global one), so nothing of the process (and no other monitor in the same test
process) leaks into the page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agent.monitor import metrics as M


@dataclass(frozen=True)
class View:
    """What a scrape shows: the last cycle's series plus the monitor's own figures."""

    points: tuple[M.Point, ...] = ()
    device_up: dict[str, bool] = field(default_factory=dict)
    last_sample: dict[str, float] = field(default_factory=dict)  # device -> unix time
    poll_errors: dict[str, int] = field(default_factory=dict)
    cycle_seconds: float = 0.0
    cycles: int = 0
    active: dict[str, int] = field(default_factory=dict)  # severity -> events raised, not cleared

    def own_points(self) -> list[M.Point]:
        out = [M.Point(M.DEVICE_UP, (d,), 1.0 if up else 0.0) for d, up in sorted(self.device_up.items())]
        out += [M.Point(M.LAST_SAMPLE, (d,), t) for d, t in sorted(self.last_sample.items())]
        out += [M.Point(M.POLL_ERRORS, (d,), float(n)) for d, n in sorted(self.poll_errors.items())]
        out += [M.Point(M.CYCLE, (), self.cycle_seconds), M.Point(M.CYCLES, (), float(self.cycles))]
        out += [M.Point(M.ACTIVE, (s,), float(n)) for s, n in sorted(self.active.items())]
        return out


class MonitorCollector(Collector):
    def __init__(self) -> None:
        self._view = View()
        self._lock = threading.Lock()

    def publish(self, view: View) -> None:
        with self._lock:
            self._view = view

    @property
    def view(self) -> View:
        with self._lock:
            return self._view

    def collect(self) -> Iterator[Metric]:
        view = self.view
        by_metric: dict[M.Metric, list[M.Point]] = {m: [] for m in M.METRICS}
        for point in (*view.points, *view.own_points()):
            by_metric[point.metric].append(point)
        for metric, points in by_metric.items():
            family = family_of(metric)
            for point in points:
                family.add_metric(list(point.labels), point.value)
            yield family


def family_of(metric: M.Metric) -> GaugeMetricFamily | CounterMetricFamily:
    if metric.kind == "counter":  # prometheus_client adds the `_total` suffix
        return CounterMetricFamily(metric.name, metric.help, labels=list(metric.labels))
    return GaugeMetricFamily(metric.name, metric.help, labels=list(metric.labels))


def exposed_names() -> set[str]:
    """Every series name a scrape can contain (counters with their `_total`), for dashboards and rules."""
    return {m.name + "_total" if m.kind == "counter" else m.name for m in M.METRICS}


def serve(collector: MonitorCollector, host: str, port: int) -> tuple[WSGIServer, int]:
    """Start the HTTP endpoint in a daemon thread; returns (server, the port it listens on).
    OSError (address in use, not an address of this machine) is the caller's to report."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server, int(server.server_address[1])


def parse_listen(text: str) -> tuple[str, int]:
    """`127.0.0.1:9464`, `[::1]:9464` or `:9464` (all addresses) -> (host, port); ValueError if not."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen wants HOST:PORT (e.g. 127.0.0.1:9464), got {text!r}")
    return (host.strip("[]") or "0.0.0.0"), int(port)
