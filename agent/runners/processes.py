"""Nornir runner plugin: the hosts split over P worker processes, each running Nornir's ThreadedRunner.

Why: one CPython process runs Python on one core at a time (the GIL), so a CPU-bound run (an audit of
hundreds of devices: SSH ciphers, parsing, normalising) cannot go faster than one core however many
threads it has. `ProcessRunner(processes=P, num_workers=W)` splits the hosts round-robin into P shards
and runs each shard in a forked worker with `ThreadedRunner(ceil(W / P))`, so the CPU work spreads over
P cores while each worker still overlaps its devices' waiting.

Registered as the Nornir runner plugin ``roce_processes`` (entry point group nornir.plugins.runners),
so a plain Nornir script can use it: `InitNornir(runner={"plugin": "roce_processes", "options":
{"processes": 2, "num_workers": 40}})`.

What crosses from a worker to the runner: per device only its name and its results as plain records
(agent.runners.wire: value, failed, changed, diff, exception type and scrubbed message), never a Host or
a connection; the records go through a pipe and are never written anywhere. The task's processors run in
the runner's process, on its own Host objects: a worker forwards each task/subtask start and end as it
happens, so progress lines, cost meters and `nornir_rich`-style processors behave as with ThreadedRunner.
A worker that dies (a crash, a kill, an out-of-memory) fails each of its unfinished devices with a
WorkerLost naming the exit status; the other shards carry on.

Forking is safe only before the process has threads (a lock another thread held at the fork stays held
in the child forever). `run` therefore forks only when the calling process has one thread; otherwise
(e.g. inside `monitor`, which serves metrics from a thread) it runs the shards in this process with
ThreadedRunner(W) and says so in `mode`; only the threads of SSH sessions that are closing are waited
for (SETTLE_S). The workers are forked before any reading starts, so the
runner itself starts no thread before its last fork.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import pickle
import signal
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from nornir.core.inventory import Host
from nornir.core.processor import Processors
from nornir.core.task import AggregatedResult, MultiResult, Result, Task
from nornir.plugins.runners import ThreadedRunner
from paramiko import Transport

from agent.runners.wire import Completed, Finished, Message, ResultRecord, Started, WorkerLost

Send = Callable[[Message], None]
ABORT_WAIT_S = 5.0  # an interrupted run waits this long for its workers to finish their devices in flight
SETTLE_S = 2.0  # how long closing SSH sessions' threads are waited for before giving up the fork


class ProcessRunner:
    """Nornir runner: `processes` forked workers, `num_workers` threads over all of them (see module)."""

    def __init__(self, processes: int = 2, num_workers: int = 20) -> None:
        self.processes = max(1, int(processes))
        self.num_workers = max(1, int(num_workers))
        self.worker_cpu_s = 0.0  # the workers' own CPU over the last run (the runner's process not included)
        self.mode = ""  # how the last run went: "2 processes x 20 threads", or why it stayed in one process

    @staticmethod
    def can_fork(settle_s: float = SETTLE_S) -> bool:
        """Whether a fork is safe now: no other thread runs (one might hold a lock the child then waits
        for forever: logging's, a connection's, the allocator's). Threads of SSH sessions just closed
        (paramiko's transports poll every 0.1 s before they see it) are waited out for `settle_s`: a
        second read right after a first (`audit --interval`) would otherwise never fork."""
        deadline = time.monotonic() + settle_s
        while True:
            others = [t for t in threading.enumerate() if t is not threading.current_thread()]
            if not others:
                return True
            if time.monotonic() >= deadline or not all(isinstance(t, Transport) for t in others):
                return False
            time.sleep(0.02)

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        self.worker_cpu_s = 0.0
        shards = min(self.processes, len(hosts))
        if shards <= 1 or not self.can_fork():
            why = "" if shards <= 1 else ", not forked: this process already runs threads"
            self.mode = f"1 process x {self.num_workers} threads{why}"
            return ThreadedRunner(self.num_workers).run(task, hosts)
        threads = math.ceil(self.num_workers / shards)
        self.mode = f"{shards} processes x {threads} threads"
        run = _Run(task, hosts)
        try:
            gc.freeze()  # the workers' collector then leaves the inherited objects alone: no copy-on-write
            try:
                for i in range(shards):
                    run.start(i, hosts[i::shards], threads)
            finally:
                gc.unfreeze()
            run.collect()
        except BaseException:  # Ctrl-C (KeyboardInterrupt) or a processor's error: stop the workers first
            run.abort()
            raise
        self.worker_cpu_s = run.cpu_s
        return run.result()


class _Run:
    """One run of the runner: its workers, their pipes, and the results as they come back."""

    def __init__(self, task: Task, hosts: list[Host]) -> None:
        self.task = task
        self.hosts = {h.name: h for h in hosts}
        self.order = [h.name for h in hosts]
        self.done: dict[str, MultiResult] = {}
        self.running: dict[str, list[Task]] = {}  # host -> its subtasks started and not yet ended
        self.pipes: dict[Connection, tuple[int, BaseProcess, list[str]]] = {}
        self.cpu_s = 0.0

    def start(self, index: int, shard: list[Host], threads: int) -> None:
        """Fork worker `index` for `shard`; the runner keeps only the read end of its pipe."""
        ctx = multiprocessing.get_context("fork")
        reader, writer = ctx.Pipe(duplex=False)
        readers = [*self.pipes, reader]  # the worker closes its copies: a pipe must break when the runner closes it
        proc = ctx.Process(
            target=_worker, args=(writer, readers, self.task, shard, threads), name=f"nornir-shard-{index}"
        )
        proc.start()
        writer.close()  # so EOF comes when the worker ends, and no later worker inherits this end
        self.pipes[reader] = (index, proc, [h.name for h in shard])

    def collect(self) -> None:
        """Hand each message to the processors as it arrives, until every worker's pipe is closed."""
        while self.pipes:
            for conn in wait(list(self.pipes)):
                assert isinstance(conn, Connection)
                try:
                    msg: Message = conn.recv()
                except (EOFError, OSError):
                    self._ended(conn)
                    continue
                self._handle(msg)

    def abort(self) -> None:
        """Stop every worker: closing its pipe makes its next send fail, so it skips the devices it has
        not started and leaves through the normal exit (its finalizers run: agent.transports.hostkeys).
        One that does not within ABORT_WAIT_S (a device read still in flight) is terminated."""
        for conn in self.pipes:
            conn.close()
        deadline = time.monotonic() + ABORT_WAIT_S
        for _, proc, _ in self.pipes.values():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.terminate()
                proc.join(1.0)
        self.pipes.clear()

    def _handle(self, msg: Message) -> None:
        if isinstance(msg, Finished):
            self.cpu_s += msg.cpu_s
            return
        host = self.hosts[msg.host]
        if msg.subtask is not None:
            self._subtask(msg, host)
        elif isinstance(msg, Started):
            self.task.processors.task_instance_started(self._bound(host), host)
        else:
            multi = msg.rebuild(self.task.name, host)
            self.done[host.name] = multi
            self.task.processors.task_instance_completed(self._bound(host), host, multi)

    def _subtask(self, msg: Started | Completed, host: Host) -> None:
        if isinstance(msg, Started):
            parent = self.task
            sub = Task(parent.task, parent.nornir, parent.global_dry_run, name=msg.subtask, parent_task=parent,
                       processors=parent.processors)  # fmt: skip
            sub.host = host
            self.running.setdefault(host.name, []).append(sub)
            self.task.processors.subtask_instance_started(sub, host)
            return
        started = self.running.get(host.name)
        sub = started.pop() if started else self._bound(host)
        self.task.processors.subtask_instance_completed(sub, host, msg.rebuild(str(msg.subtask), host))

    def _bound(self, host: Host) -> Task:
        bound = self.task.copy()
        bound.host = host
        return bound

    def _ended(self, conn: Connection) -> None:
        """A worker's pipe closed: wait for it, and fail each of its devices it did not finish."""
        index, proc, names = self.pipes.pop(conn)
        conn.close()
        proc.join()
        why = _exit_status(proc.exitcode)
        for name in names:
            if name not in self.done:
                host = self.hosts[name]
                lost = WorkerLost(f"{name}: worker process {index} (pid {proc.pid}) {why} before this device finished")
                multi = MultiResult(self.task.name)
                multi.append(Result(host, exception=lost, result=str(lost), failed=True))
                multi[0].name = self.task.name  # type: ignore[assignment]  # as Task.start does
                self.done[name] = multi
                self.task.processors.task_instance_completed(self._bound(host), host, multi)

    def result(self) -> AggregatedResult:
        out = AggregatedResult(self.task.name)
        for name in self.order:
            out[name] = self.done[name]
        return out


def _exit_status(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class _RunnerGone(Exception):
    """The runner stopped reading (it was interrupted): the worker's remaining devices are skipped."""


def _worker(conn: Connection, readers: list[Connection], task: Task, shard: Sequence[Host], threads: int) -> None:
    """In the forked worker: the shard through ThreadedRunner, every processor event sent to the runner.

    Ctrl-C reaches the whole process group; the worker ignores it and leaves stopping to the runner
    (`_Run.abort` closes the pipe): a worker interrupted on its own printed a traceback and, blocked on
    a full pipe nobody read any more, kept the runner's exit waiting for it forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for inherited in readers:
        inherited.close()
    lock = threading.Lock()
    gone = threading.Event()

    def send(msg: Message) -> None:
        with lock:
            if gone.is_set():
                raise _RunnerGone
            try:
                _send(conn, msg)
            except OSError:  # EPIPE: the runner closed its end
                gone.set()
                raise _RunnerGone from None

    task.processors = Processors([_Forward(send)])
    try:
        ThreadedRunner(threads).run(task, list(shard))
        send(Finished(time.process_time()))
    except _RunnerGone:
        return  # through multiprocessing's normal exit, finalizers included
    conn.close()


def _send(conn: Connection, msg: Message) -> None:
    try:
        conn.send(msg)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # a result that cannot travel
        if not isinstance(msg, Completed):
            raise
        conn.send(_unsendable(msg, exc))


def _unsendable(msg: Completed, exc: Exception) -> Completed:
    kinds = ", ".join(sorted({type(r.result).__name__ for r in msg.results}))
    text = f"{msg.host}: the task's result ({kinds}) cannot be sent back from a worker process: {exc}"
    record = ResultRecord(None, text, True, False, "", 40, ("WorkerError", text))
    return Completed(msg.host, (record,), msg.subtask)


class _Forward:
    """Processor in a worker: each event becomes a message to the runner, where the real processors run."""

    def __init__(self, send: Send) -> None:
        self.send = send

    def task_started(self, task: Task) -> None: ...
    def task_completed(self, task: Task, result: AggregatedResult) -> None: ...

    def task_instance_started(self, task: Task, host: Host) -> None:
        self.send(Started(host.name))

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        self.send(Completed.of(host.name, result))

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        self.send(Started(host.name, task.name))

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        self.send(Completed.of(host.name, result, task.name))
