"""Lower-bound formula and the subprocess measurement (what it records, never how fast)."""

import sys

import pytest

from benchmarks.measure import lower_bound_s, run_measured


def test_latency_bound_counts_whole_rounds_of_workers() -> None:
    # 33 devices on 32 workers is two rounds: 2 * 2 round trips * 20 ms
    bound = lower_bound_s(devices=33, workers=32, round_trips=2, latency_s=0.02, controller_cpu_s=0.0, cores=2)
    assert bound == pytest.approx(0.08)


def test_cpu_bound_spreads_cpu_over_cores() -> None:
    bound = lower_bound_s(devices=512, workers=32, round_trips=2, latency_s=0.02, controller_cpu_s=30.0, cores=2)
    assert bound == pytest.approx(15.0)


def test_larger_of_the_two_wins() -> None:
    args = {"devices": 512, "workers": 32, "round_trips": 2, "cores": 2}
    assert lower_bound_s(**args, latency_s=1.0, controller_cpu_s=1.0) == pytest.approx(16 * 2 * 1.0)
    assert lower_bound_s(**args, latency_s=0.0, controller_cpu_s=1.0) == pytest.approx(0.5)


def test_unequal_devices_share_the_total_but_wait_for_the_longest_chain() -> None:
    args = {"devices": 64, "workers": 32, "latency_s": 0.02, "controller_cpu_s": 0.0, "cores": 2}
    # 2 spines x 200 commands + 62 hosts x 8: the workers share 896 round trips, 28 rounds each
    assert lower_bound_s(**args, round_trips=200, total_round_trips=896) == pytest.approx(200 * 0.02)
    # many small devices: the shared total dominates
    assert lower_bound_s(**args, round_trips=8, total_round_trips=64 * 8) == pytest.approx(16 * 0.02)
    # equal devices: the same as ceil(devices / workers) * round trips * latency
    assert lower_bound_s(**args, round_trips=2, total_round_trips=128) == lower_bound_s(**args, round_trips=2)


@pytest.mark.parametrize("bad", [{"workers": 0}, {"cores": 0}, {"latency_s": -1.0}, {"round_trips": -1}])
def test_nonsense_is_refused(bad: dict[str, float]) -> None:
    args = {"devices": 16, "workers": 4, "round_trips": 2, "latency_s": 0.02, "controller_cpu_s": 1.0, "cores": 2}
    with pytest.raises(ValueError, match="must be"):
        lower_bound_s(**{**args, **bad})  # type: ignore[arg-type]


def test_run_measured_records_exit_code_output_and_memory() -> None:
    code = "import sys; b = bytearray(64 * 2**20); print('out'); print('err', file=sys.stderr); sys.exit(3)"
    m = run_measured([sys.executable, "-c", code])
    assert m.exit_code == 3
    assert m.stdout == "out\n"
    assert m.stderr == "err\n"
    assert m.peak_rss_mib >= 64  # the child's own peak, from wait4
    assert m.cpu_s >= 0
    assert m.wall_s > 0


def test_device_bound_is_the_largest_of_cpu_slowest_device_and_worker_rounds() -> None:
    from benchmarks.measure import device_bound_s

    # 33 devices at 1 s each on 32 workers: two rounds of whole devices
    assert device_bound_s(workers=32, device_s=[1.0] * 33, controller_cpu_s=0.0, cores=2) == pytest.approx(2.0)
    # one slow switch dominates spread-out hosts
    assert device_bound_s(workers=32, device_s=[5.0] + [0.01] * 63, controller_cpu_s=0.0, cores=2) == 5.0
    # the controller's CPU over its cores
    assert device_bound_s(workers=32, device_s=[0.05] * 16, controller_cpu_s=3.0, cores=2) == pytest.approx(1.5)
    assert device_bound_s(workers=4, device_s=[], controller_cpu_s=1.0, cores=2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="workers and cores"):
        device_bound_s(workers=0, device_s=[1.0], controller_cpu_s=0.0, cores=2)


def test_serial_bound_charges_one_core_to_each_single_threaded_process() -> None:
    from benchmarks.measure import serial_bound_s

    # the bound would say 1.0 s (2 s CPU over 2 cores); the agent's Python runs under one GIL
    assert serial_bound_s(1.0, controller_cpu_s=2.0, lab_cpu_s=1.5, cores=2) == 2.0
    assert serial_bound_s(1.0, controller_cpu_s=1.0, lab_cpu_s=3.0, cores=2) == 3.0  # the lab's one thread
    assert serial_bound_s(1.0, controller_cpu_s=2.5, lab_cpu_s=2.5, cores=2) == 2.5
    assert serial_bound_s(4.0, controller_cpu_s=1.0, lab_cpu_s=1.0, cores=2) == 4.0  # the devices
    assert serial_bound_s(1.0, controller_cpu_s=4.0, lab_cpu_s=1.0, cores=2, processes=2) == 2.5  # gather split
    assert serial_bound_s(1.0, controller_cpu_s=4.0, lab_cpu_s=0.0, cores=2, processes=4) == 2.0  # not past the cores
    with pytest.raises(ValueError, match="cores"):
        serial_bound_s(1.0, controller_cpu_s=1.0, lab_cpu_s=1.0, cores=0)
