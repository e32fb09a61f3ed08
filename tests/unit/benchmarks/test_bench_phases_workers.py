"""Which worker count a benchmark phase ran with (benchmarks.phases.workers_used)."""

from __future__ import annotations

from benchmarks.phases import Phase, workers_used


def test_given_workers_win_then_the_agents_choice_then_the_default() -> None:
    given = Phase("audit", ["roce-agent", "audit", "-i", "inv", "--workers", "7"], "audit")
    assert workers_used(given, "128 devices, 40 at a time (...)", 32) == (7, "given")
    chosen = Phase("audit", ["roce-agent", "audit", "-i", "inv"], "audit")
    said = "leaf1: gather ...\n128 devices, 40 at a time (per device 8 ms CPU, 0.21 s waiting: modelled)\n"
    assert workers_used(chosen, said, 32) == (40, "chosen by the agent")
    assert workers_used(chosen, "no such line", 32) == (32, "default")


def test_the_processes_the_gather_ran_in_come_from_its_worker_line() -> None:
    from benchmarks.phases import processes_used

    two = "512 devices, 66 at a time (in 2 processes: 6.1 s CPU in all, CPU-bound: 2 of 2 cores; ...)\n"
    one = "512 devices, 44 at a time (in 1 process: 3.8 s CPU in all, but the last run kept 0.76 of a core busy)\n"
    assert processes_used(two) == 2
    assert processes_used(one) == 1
    assert processes_used("128 devices, 40 at a time (per device 8 ms CPU, 0.21 s waiting: modelled)\n") == 1
