"""The process runner plugin (agent.runners.processes): plain Nornir scripts, crashes, secrets, threads."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import yaml
from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Result, Task

from agent.redact import register_secret
from agent.runners.processes import ABORT_WAIT_S, ProcessRunner
from agent.runners.wire import WorkerError, WorkerLost

NAMES = [f"dev{i}" for i in range(6)]
SECRET = "s3cr3t-Pa55word"


def plain_nornir(tmp_path: Path, runner: dict[str, object], names: list[str] = NAMES) -> Nornir:
    """What a user's script does: SimpleInventory and a runner named by its plugin name, nothing else."""
    hosts = {n: {"hostname": "127.0.0.1", "data": {"rank": i}} for i, n in enumerate(names)}
    (tmp_path / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (tmp_path / "groups.yaml").write_text("lab: {}\n")
    (tmp_path / "defaults.yaml").write_text("data: {site: lab}\n")
    files = {k: str(tmp_path / f"{k.split('_')[0]}s.yaml") for k in ("host_file", "group_file")}
    files["defaults_file"] = str(tmp_path / "defaults.yaml")
    return InitNornir(runner=runner, inventory={"plugin": "SimpleInventory", "options": files},
                      logging={"enabled": False})  # fmt: skip


def whoami(task: Task) -> Result:
    return Result(host=task.host, result=(task.host.name, os.getpid()))


def nested(task: Task) -> Result:
    task.run(whoami, name="inner")
    return Result(host=task.host, result="outer done")


def fails(task: Task) -> Result:
    raise RuntimeError(f"{task.host.name}: login refused with password {SECRET}")


def crashes_on_dev2(task: Task) -> Result:
    if task.host.name == "dev2":
        time.sleep(0.2)  # let its shard's other devices finish first
        os._exit(3)
    return whoami(task)


def killed_on_dev1(task: Task) -> Result:
    if task.host.name == "dev1":
        os.kill(os.getpid(), signal.SIGKILL)
    return whoami(task)


def unpicklable(task: Task) -> Result:
    return Result(host=task.host, result=threading.Lock())


class Seen:
    """Processor recording, in the calling process, what it was told and in which process."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, int]] = []

    def task_started(self, task: Task) -> None: ...
    def task_completed(self, task: Task, result: AggregatedResult) -> None: ...

    def task_instance_started(self, task: Task, host: Host) -> None:
        self.events.append(("start", task.name, host.name, os.getpid()))

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        self.events.append(("end", task.name, host.name, os.getpid()))

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        self.events.append(("sub-start", task.name, host.name, os.getpid()))

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        self.events.append(("sub-end", task.name, host.name, os.getpid()))


def test_a_plain_nornir_script_runs_on_forked_shards(tmp_path: Path) -> None:
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": 2, "num_workers": 4}})
    assert isinstance(nr.runner, ProcessRunner)
    seen = Seen()
    result = nr.with_processors([seen]).run(task=whoami)
    assert list(result) == NAMES  # inventory order, whatever order the shards finished in
    pids = {multi[0].result[1] for multi in result.values()}
    assert len(pids) == 2, [t.name for t in threading.enumerate()]
    assert os.getpid() not in pids
    assert [multi[0].result[0] for multi in result.values()] == NAMES
    assert all(isinstance(multi[0].host, Host) for multi in result.values())
    assert {(e[0], e[2]) for e in seen.events} == {(k, n) for k in ("start", "end") for n in NAMES}
    assert {e[3] for e in seen.events} == {os.getpid()}  # processors run in the caller's process
    assert nr.runner.worker_cpu_s > 0
    assert nr.runner.mode == "2 processes x 2 threads"


def test_subtask_events_reach_the_callers_processors(tmp_path: Path) -> None:
    seen = Seen()
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": 3}})
    result = nr.with_processors([seen]).run(task=nested)
    assert next(r.result for r in result["dev0"]) == "outer done"
    assert result["dev0"][1].name == "inner"
    assert ("sub-start", "inner", "dev4", os.getpid()) in seen.events
    assert ("sub-end", "inner", "dev4", os.getpid()) in seen.events


def test_a_failure_comes_back_as_text_with_secrets_masked(tmp_path: Path) -> None:
    register_secret(SECRET)
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": 2}})
    result = nr.run(task=fails)
    res = result["dev3"][0]
    assert res.failed
    assert isinstance(res.exception, WorkerError)
    assert res.exception.type_name == "RuntimeError"
    assert str(res.exception) == "dev3: login refused with password ***"
    assert SECRET not in str(res.result)
    assert "Traceback" in str(res.result)
    assert set(result.failed_hosts) == set(NAMES)


def test_a_crashed_worker_fails_its_unfinished_devices_only(tmp_path: Path) -> None:
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": 2, "num_workers": 2}})
    started = time.monotonic()
    result = nr.run(task=crashes_on_dev2)
    assert time.monotonic() - started < 10  # reported, not a hang
    lost = result["dev2"][0]
    assert lost.failed
    assert isinstance(lost.exception, WorkerLost)
    assert "worker process 0" in str(lost.exception)
    assert "exited with code 3" in str(lost.exception)
    assert not result["dev0"].failed  # finished in the same worker before the crash: kept
    assert {"dev1", "dev3", "dev5"}.isdisjoint(result.failed_hosts)  # the other shard


def test_a_killed_worker_names_the_signal(tmp_path: Path) -> None:
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": 2, "num_workers": 1}})
    result = nr.run(task=killed_on_dev1)
    assert "killed by SIGKILL" in str(result["dev1"][0].exception)
    assert {"dev3", "dev5"} <= set(result.failed_hosts)  # dev1's shard, not yet started
    assert not result["dev0"].failed


def test_a_result_that_cannot_travel_fails_that_device(tmp_path: Path) -> None:
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": 2}})
    res = nr.run(task=unpicklable)["dev0"][0]
    assert res.failed
    assert "cannot be sent back from a worker process" in str(res.exception)


def test_no_fork_once_the_process_runs_threads(tmp_path: Path) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": 2}})
        result = nr.run(task=whoami)
    finally:
        stop.set()
        other.join()
    assert {multi[0].result[1] for multi in result.values()} == {os.getpid()}
    assert isinstance(nr.runner, ProcessRunner)
    assert "not forked" in nr.runner.mode


@pytest.mark.parametrize("processes", [1, 8])
def test_one_process_or_more_processes_than_hosts(tmp_path: Path, processes: int) -> None:
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": processes}})
    result = nr.run(task=whoami)
    assert list(result) == NAMES
    assert not result.failed
    pids = {multi[0].result[1] for multi in result.values()}
    assert (pids == {os.getpid()}) if processes == 1 else (len(pids) == len(NAMES))


class ClosingSession(threading.Thread):
    """Stands for a paramiko Transport whose session was just closed: its thread ends a moment later."""

    def __init__(self) -> None:
        super().__init__(target=time.sleep, args=(0.3,), daemon=True)


def test_closing_ssh_sessions_are_waited_for_then_forked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("agent.runners.processes.Transport", ClosingSession)
    closing = ClosingSession()
    closing.start()
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": {"processes": 2}})
    result = nr.run(task=whoami)
    assert not closing.is_alive()
    assert os.getpid() not in {multi[0].result[1] for multi in result.values()}


def slow(task: Task) -> Result:
    time.sleep(0.1)
    return whoami(task)


class Interrupts(Seen):
    """Ctrl-C arriving in the caller while the workers still have devices to do."""

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        raise KeyboardInterrupt


def test_an_interrupted_run_stops_its_workers_quietly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    options = {"processes": 2, "num_workers": 2}
    names = [f"d{i}" for i in range(200)]  # 10 s of work: far more than ABORT_WAIT_S
    nr = plain_nornir(tmp_path, {"plugin": "roce_processes", "options": options}, names)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        nr.with_processors([Interrupts()]).run(task=slow)
    assert time.monotonic() - started < ABORT_WAIT_S  # the workers left by themselves, not terminated
    assert multiprocessing.active_children() == []
    assert "Traceback" not in capfd.readouterr().err
