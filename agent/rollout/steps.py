"""Per-device steps run through Nornir: its threaded runner, filters and processors (progress).

Each step is a plain function of the device name; the result per device is its value or the exception
it raised, so one device's failure is reported for that device and never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nornir.core import Nornir
from nornir.core.task import Result, Task
from nornir.plugins.runners import ThreadedRunner

from agent.rollout.progress import DeviceProgress, ProgressSink

Where = tuple[str, int]  # (stage name, batch index)


class DeviceAborted(Exception):
    """The device changed since it was planned (or could not be locked): not touched, counted as failed."""


def _call(task: Task, fn: Callable[[str], Any]) -> Result:
    """Exceptions become a failed Result here rather than in Nornir, whose own handler would print a
    traceback to stderr: the runner reports device errors itself."""
    try:
        return Result(host=task.host, result=fn(task.host.name))
    except Exception as exc:
        return Result(host=task.host, result=str(exc), exception=exc, failed=True)


def on_devices(
    nr: Nornir,
    sink: ProgressSink | None,
    devices: Iterable[str],
    step: str,
    fn: Callable[[str], Any],
    *,
    parallel: int | None = None,
    where: Where | None = None,
) -> dict[str, Any]:
    """fn(device) for each device, `parallel` at a time (default: the inventory's workers)."""
    wanted = list(devices)
    if not wanted:
        return {}
    names = set(wanted)
    sub = nr.filter(filter_func=lambda h: h.name in names)
    if parallel:
        sub = sub.with_runner(ThreadedRunner(num_workers=parallel))
    if sink is not None:
        sub = sub.with_processors([DeviceProgress(sink, step, *(where or (None, None)))])
    agg = sub.run(task=_call, fn=fn, name=step, on_failed=True)
    out: dict[str, Any] = {}
    for name in wanted:
        mr = agg.get(name)
        out[name] = DeviceAborted(f"{name} is not in the inventory") if mr is None else _value(mr[0])
    return out


def _value(result: Result) -> Any:
    return result.exception if result.failed else result.result
