"""One counters-only read per device per cycle, all devices at once, sessions kept between cycles.

Each device is read in a worker thread through its platform's `CountersRead` capability on the
Nornir host's own connection (opened by the adapter's `connect` on first use and reused afterwards;
closed after a failure so the next cycle logs in again). A cycle waits at most one interval: a device
whose read is still running is not asked again until it returns (a hung switch never stacks up reads
or delays the others) and is reported down once the read has run longer than `down_after_s`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from agent.app.inputs import LoadedInventory
from agent.app.progress import quiet_nornir
from agent.counters import CounterSample
from agent.errors import DeviceError
from agent.failure import exception_reason
from agent.platforms.base import CountersRead
from agent.platforms.registry import adapter_for

Reader = Callable[[str], CounterSample]


@dataclass
class PollResult:
    samples: dict[str, CounterSample] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # device -> why it is down this cycle


def inventory_reader(loaded: LoadedInventory) -> Reader:
    """Read one device of `loaded` by its adapter's counters-only read."""
    quiet_nornir()

    def read(name: str) -> CounterSample:
        intent = loaded.intents[name]
        adapter = adapter_for(intent.platform)
        if not isinstance(adapter, CountersRead):
            raise DeviceError(name, "monitor", f"platform {intent.platform!r} has no counters-only read")
        host = loaded.nr.inventory.hosts[name]
        try:
            runner = adapter.connect(host, loaded.nr.config)
            return adapter.read_counters(runner, list(intent.ports))
        except Exception:
            with contextlib.suppress(Exception):
                host.close_connections()  # a broken session is not reused: the next cycle logs in again
            raise

    return read


class Poller:
    """Reads run in a pool; a read still running when the cycle ends is waited for in later cycles and
    only counts as the device being down once it has run longer than `down_after_s`."""

    def __init__(self, devices: list[str], read: Reader, down_after_s: float, workers: int = 32) -> None:
        self.devices = devices
        self.read = read
        self.down_after_s = down_after_s
        self.pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(devices))), thread_name_prefix="poll")
        self.inflight: dict[str, tuple[float, Future[CounterSample]]] = {}

    def poll(self, wait_s: float) -> PollResult:
        """Start a read of every device not still busy, wait up to `wait_s`, collect what answered."""
        out = PollResult()
        now = time.monotonic()
        started = []
        for name in self.devices:
            if name not in self.inflight:
                self.inflight[name] = (now, self.pool.submit(self.read, name))
                started.append(self.inflight[name][1])
        wait(started, timeout=wait_s)
        now = time.monotonic()
        for name, (since, future) in list(self.inflight.items()):
            if not future.done():
                if now - since > self.down_after_s:
                    out.errors[name] = f"no answer for {now - since:.0f} s"
                continue
            del self.inflight[name]
            exc = future.exception()
            if exc is not None:
                out.errors[name] = exception_reason(exc)
            else:  # a late answer to an earlier cycle's read is still a good sample (it carries its own time)
                out.samples[name] = future.result()
        return out

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
