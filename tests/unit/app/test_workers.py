"""The worker count the agent chooses from N and the per-device cost (agent.app.workers, issue 15)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace
from pathlib import Path

import pytest

from agent.app.workers import (
    COSTS_FILE,
    MAX_WORKERS,
    MODELLED,
    DeviceCost,
    Parallelism,
    choose_parallelism,
    choose_workers,
    cores,
    estimate,
    known_cost,
    record_cost,
)


@pytest.mark.parametrize(
    ("devices", "cpu_s", "wait_s", "expected", "why"),
    [
        (128, 0.010, 0.05, 9, "redis read: ceil(1.5 x (1 + 5)) = 9, the CPU is then busy all the time"),
        (128, 0.010, 0.25, 39, "read plus SSH handshake: ceil(1.5 x 26)"),
        (512, 0.010, 9.4, 128, "show read (9.4 s per switch) would want 1,412: capped"),
        (4, 0.010, 0.25, 4, "never more workers than devices"),
        (1, 0.010, 9.4, 1, "one device, one worker"),
        (0, 0.010, 0.25, 1, "an empty selection still needs a valid pool size"),
        (128, 0.050, 0.0, 2, "no waiting at all: the GIL allows one, the headroom one more"),
        (128, 0.0, 1.0, 128, "no CPU measured: every device at once, up to the cap"),
        (64, 0.020, 60.0, 64, "apply waits for GCU: one worker per device"),
    ],
)
def test_choose_workers_table(devices: int, cpu_s: float, wait_s: float, expected: int, why: str) -> None:
    assert choose_workers(devices, DeviceCost(cpu_s, wait_s)) == expected, why


def test_choice_grows_with_wait_and_falls_with_cpu() -> None:
    """The property the formula exists for: slower devices want more workers, a busier controller fewer."""
    counts = [choose_workers(10_000, DeviceCost(0.01, w)) for w in (0.01, 0.1, 0.5, 1.0)]
    assert counts == sorted(counts)
    assert len(set(counts)) == len(counts)
    cpu_heavy = [choose_workers(10_000, DeviceCost(c, 0.5)) for c in (0.005, 0.01, 0.05)]
    assert cpu_heavy == sorted(cpu_heavy, reverse=True)


def test_chosen_count_reaches_the_cpu_bound_and_no_further() -> None:
    """With W workers the wall is max(N c, ceil(N/W)(c + w)); the choice makes the second term no larger
    than the first (the controller is saturated), while W / HEADROOM workers would not."""
    n, cost = 4096, DeviceCost(0.012, 0.3)
    w = choose_workers(n, cost)

    def wall(workers: int) -> float:
        return max(n * cost.cpu_s, math.ceil(n / workers) * (cost.cpu_s + cost.wait_s))

    assert wall(w) == pytest.approx(n * cost.cpu_s)
    assert wall(int(w / 2)) > n * cost.cpu_s


def test_cap_is_respected() -> None:
    assert choose_workers(10_000, DeviceCost(0.001, 100.0)) == MAX_WORKERS
    assert choose_workers(10_000, DeviceCost(0.001, 100.0), cap=16) == 16


def test_estimate_spreads_the_run_cpu_and_takes_the_least_queued_wait() -> None:
    # 6 devices, 0.06 s of process CPU: 10 ms each; two devices queued behind the GIL (wall 3 s)
    walls = [0.9, 0.222, 0.21, 0.26, 3.0, 3.0]
    cost = estimate(0.06, walls, "test")
    assert cost is not None
    assert cost.cpu_s == pytest.approx(0.01)
    assert cost.wait_s == pytest.approx(0.2)  # the least-queued device's wall - CPU, not the mean (~1.2 s)
    assert estimate(0.06, walls[:2], "test") is None  # too few devices to say anything


def test_measured_cost_is_kept_per_task_and_read_back(tmp_path: Path) -> None:
    assert known_cost(tmp_path, "gather_task") == MODELLED["gather_task"]
    record_cost(tmp_path, "gather_task", DeviceCost(0.02, 0.4, "measured: now, 9 devices"))
    record_cost(tmp_path, "plan_task", DeviceCost(0.03, 0.5, "measured: now, 9 devices"))
    assert known_cost(tmp_path, "gather_task") == DeviceCost(0.02, 0.4, "measured: now, 9 devices")
    assert known_cost(tmp_path, "plan_task").cpu_s == 0.03
    assert known_cost(tmp_path, "apply_task") == MODELLED["apply_task"]


def test_unreadable_record_falls_back_to_the_model(tmp_path: Path) -> None:
    (tmp_path / COSTS_FILE).parent.mkdir()
    (tmp_path / COSTS_FILE).write_text("{not json")
    assert known_cost(tmp_path, "gather_task") == MODELLED["gather_task"]
    (tmp_path / COSTS_FILE).write_text(json.dumps({"gather_task": {"cpu_s": "x"}}))
    assert known_cost(tmp_path, "gather_task") == MODELLED["gather_task"]
    record_cost(tmp_path, "gather_task", DeviceCost(0.02, 0.4, "measured"))  # overwrites the broken file
    assert known_cost(tmp_path, "gather_task").wait_s == 0.4


@pytest.mark.parametrize(
    ("devices", "cpu_s", "wait_s", "cpus", "expected", "why"),
    [
        (512, 0.012, 0.25, 2, (66, 2), "6.1 s of CPU, CPU-bound: both cores, 33 threads for each half"),
        (512, 0.012, 0.25, 8, (128, 8), "eight cores: 8 shards of 64, 16 threads each (the cap over all)"),
        (128, 0.012, 0.25, 2, (66, 2), "1.5 s of CPU: two shards of 64, 33 threads each"),
        (64, 0.012, 0.25, 2, (33, 1), "0.77 s of CPU in all: not worth a fork"),
        (512, 0.012, 0.25, 1, (33, 1), "one core: processes cannot help"),
        (512, 0.010, 9.4, 2, (128, 1), "the show read: 4 x 9.4 s of waiting at the cap is longer than 5.1 s of CPU"),
        (64, 0.050, 60.0, 4, (64, 1), "apply-like: the devices are the bottleneck"),
        (2, 1.0, 0.0, 4, (2, 2), "never more processes than devices"),
        (0, 0.012, 0.25, 2, (1, 1), "an empty selection"),
    ],
)
def test_choose_parallelism_table(
    devices: int, cpu_s: float, wait_s: float, cpus: int, expected: tuple[int, int], why: str
) -> None:
    plan = choose_parallelism(devices, DeviceCost(cpu_s, wait_s), cpus=cpus)
    assert (plan.workers, plan.processes) == expected, why


def test_parallelism_says_why() -> None:
    cost = DeviceCost(0.012, 0.25)
    assert choose_parallelism(512, cost, cpus=2).why == "6.1 s CPU in all, CPU-bound: 2 of 2 cores"
    assert choose_parallelism(64, cost, cpus=2).why == "0.8 s CPU in all: too little to fork for"
    assert choose_parallelism(512, DeviceCost(0.01, 9.4), cpus=2).why == "5.1 s CPU in all: wait-bound"
    assert choose_parallelism(512, cost, cpus=1).why == "6.1 s CPU in all: one core"


def test_operator_overrides_processes_and_workers() -> None:
    cost = DeviceCost(0.012, 0.25)
    assert choose_parallelism(16, cost, cpus=2, processes=4) == Parallelism(16, 4, "--processes")
    assert choose_parallelism(512, cost, cpus=2, processes=3) == Parallelism(99, 3, "--processes")
    assert choose_parallelism(512, cost, cpus=2, workers=40).workers == 40  # W as given, P still chosen
    assert choose_parallelism(512, cost, cpus=2, workers=40).processes == 2
    assert choose_parallelism(512, cost, cpus=2, workers=10).processes == 1  # 52 rounds of waiting: wait-bound
    assert choose_parallelism(512, cost, cpus=2, workers=40, processes=1) == Parallelism(40, 1, "--processes")


def test_cores_is_this_process_affinity() -> None:
    assert 1 <= cores() <= (os.cpu_count() or 1)


def test_a_last_run_bound_elsewhere_keeps_one_process() -> None:
    """The benchmark's lab: 512 devices, 4 s of controller CPU over a 7.5 s gather (0.57 of a core)."""
    lab_bound = DeviceCost(0.008, 0.3, "measured", busy=0.57)
    plan = choose_parallelism(512, lab_bound, cpus=2)
    assert plan.processes == 1
    assert "kept 0.57 of a core busy" in plan.why
    assert choose_parallelism(512, replace(lab_bound, busy=0.97), cpus=2).processes == 2  # CPU-bound: split
    assert choose_parallelism(512, replace(lab_bound, busy=1.4), cpus=2).processes == 2  # two busy processes
    assert choose_parallelism(512, lab_bound, cpus=2, processes=2).processes == 2  # --processes wins


def test_busy_is_measured_and_kept(tmp_path: Path) -> None:
    cost = estimate(4.0, [0.3, 0.5, 0.4], "measured", run_s=8.0)
    assert cost is not None
    assert cost.busy == 0.5
    record_cost(tmp_path, "gather_task", cost)
    assert known_cost(tmp_path, "gather_task").busy == 0.5
    doc = json.loads((tmp_path / COSTS_FILE).read_text())
    del doc["gather_task"]["busy"]  # a file written before busy was measured
    (tmp_path / COSTS_FILE).write_text(json.dumps(doc))
    assert known_cost(tmp_path, "gather_task").busy is None
