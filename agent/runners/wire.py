"""What a worker process sends back to the runner (agent.runners.processes): plain, picklable records.

A Nornir Result holds its Host (and through it the open connections, the inventory, the secrets) and an
exception that may not pickle (paramiko's hold sockets). Only what a report needs crosses the pipe: the
host's name, each result's value, failed/changed/diff, and the exception as its type's name and its
message, scrubbed (agent.redact) before it leaves the worker. The runner rebuilds Nornir Results on its
own Host objects from these.
"""

from __future__ import annotations

from dataclasses import dataclass

from nornir.core.inventory import Host
from nornir.core.task import MultiResult, Result

from agent.redact import scrub


class WorkerError(Exception):
    """A device task's exception as its worker process reported it: the message, and the original
    type's name (the exception object itself stays in the worker)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message or f"{type_name} with no message")
        self.type_name = type_name


class WorkerLost(Exception):
    """The worker process running this device ended before the device's task did (a crash, a kill)."""


@dataclass(frozen=True)
class ResultRecord:
    """One Nornir Result without its Host and with its exception as text."""

    name: str | None
    result: object
    failed: bool
    changed: bool
    diff: str
    severity_level: int
    exception: tuple[str, str] | None  # (type name, scrubbed message)

    @classmethod
    def of(cls, res: Result) -> ResultRecord:
        exc = res.exception
        error = (type(exc).__name__, scrub(str(exc))) if exc is not None else None
        value = scrub(res.result) if res.failed and isinstance(res.result, str) else res.result  # a traceback
        return cls(res.name, value, res.failed, res.changed, str(res.diff or ""), res.severity_level, error)

    def rebuild(self, host: Host) -> Result:
        exc = WorkerError(*self.exception) if self.exception is not None else None
        out = Result(host, result=self.result, changed=self.changed, diff=self.diff, failed=self.failed,
                     exception=exc, severity_level=self.severity_level)  # fmt: skip
        out.name = self.name  # type: ignore[assignment]  # nornir infers None for it; Task.start sets a str too
        return out


@dataclass(frozen=True)
class Started:
    """A device's task (or, with `subtask`, one of its subtasks) started in a worker."""

    host: str
    subtask: str | None = None


@dataclass(frozen=True)
class Completed:
    """A device's task (or subtask) ended in a worker, with every Result of its MultiResult."""

    host: str
    results: tuple[ResultRecord, ...]
    subtask: str | None = None

    @classmethod
    def of(cls, host: str, multi: MultiResult, subtask: str | None = None) -> Completed:
        return cls(host, tuple(ResultRecord.of(r) for r in multi), subtask)

    def rebuild(self, name: str, host: Host) -> MultiResult:
        multi = MultiResult(name)
        multi.extend(r.rebuild(host) for r in self.results)
        return multi


@dataclass(frozen=True)
class Finished:
    """A worker ran its whole shard; `cpu_s` is its own CPU time (every thread), for the cost meter."""

    cpu_s: float


Message = Started | Completed | Finished
