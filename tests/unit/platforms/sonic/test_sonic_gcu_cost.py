"""GCU's cost model (from the measured sort times) and the reading of GCU's own console output."""

from __future__ import annotations

from pathlib import Path

from agent.platforms.sonic import gcu_cost

GOLDEN = Path(__file__).parents[3] / "fixtures" / "sonic" / "gcu_apply_patch.txt"
FLAPPING = """Patch Applier: The localhost patch was converted into 5 changes:
Patch Applier: localhost: applying 5 changes in order:
Patch Applier:   * [{"op": "replace", "path": "/PORT/Ethernet0/admin_status", "value": "down"}]
Patch Applier:   * [{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfc_enable", "value": "3"}]
Patch Applier:   * [{"op": "replace", "path": "/PORT/Ethernet0/admin_status", "value": "up"}]
Patch Applier:   * [{"op": "replace", "path": "/PORT/Ethernet4/admin_status", "value": "down"}]
Patch Applier:   * [{"op": "replace", "path": "/QUEUE/Ethernet4|3/scheduler", "value": "s"}]
"""


def test_sort_time_follows_the_measured_curve() -> None:
    """50 s, 182 s and 778 s for 4, 8 and 16 flapped ports on real SONiC."""
    for ports, measured in ((4, 50), (8, 182), (16, 778)):
        assert 0.85 * measured <= gcu_cost.sort_seconds(ports) <= 1.15 * measured


def test_timeouts_cover_real_sorting_with_a_margin() -> None:
    assert gcu_cost.dry_run_timeout(0) == 120.0  # never below the old fixed value
    assert gcu_cost.dry_run_timeout(16) >= 2 * 778  # the old 120 s failed every real 16-port leaf
    assert gcu_cost.apply_timeout(16, 74) >= 2 * (778 + 74)


def test_console_gives_change_count_and_flapped_ports() -> None:
    report = gcu_cost.parse_console(FLAPPING)
    assert report.changes == 5
    assert report.flapped == ["Ethernet0", "Ethernet4"]
    plain = gcu_cost.parse_console(GOLDEN.read_text())
    assert (plain.changes, plain.flapped) == (1, [])
